"""Shared test set-up: one torch thread (determinism), headless SDL, tiny experiments."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
import torch

import rl_lab  # noqa: F401  (before torch: sets MKL's reproducibility mode)

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.pop("DISPLAY", None)  # `watch` must write a video, never open a window, in tests
torch.set_num_threads(1)


@pytest.fixture
def write_experiment(tmp_path: Path):
    """Write a TOML experiment into tmp_path and return its path."""

    def write(text: str, name: str = "tiny.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


TINY_CARTPOLE = """
algo = "ppo"
total_timesteps = 512
n_envs = 2
vec_env = "dummy"
checkpoint_freq = 256
success_metric = "survived"
[env]
id = "CartPole-v1"
[algo_kwargs]
n_steps = 64
batch_size = 64
n_epochs = 2
[networks]
policy = [16]
value = [16]
[eval]
freq = 256
episodes = 2
video_max_steps = 20
"""


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its IHDR chunk (asserting the file is a PNG)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"  # the first chunk, after its 4-byte length
    return struct.unpack(">II", data[16:24])
