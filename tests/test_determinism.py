"""Same seed, same thread count, same process -> identical weights, evaluations and logged scalars."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_CARTPOLE
from stable_baselines3 import PPO

from rl_lab.config import load_experiment
from rl_lab.training.trainer import train

# Wall-clock measures legitimately differ between two identical runs.
WALL_CLOCK_COLUMNS = {"time/fps", "time/time_elapsed", "time/train_seconds"}


def _train(experiment: Path, runs: Path, seed: int) -> Path:
    config = load_experiment(str(experiment))
    return train(config, runs, seed, progress_bar=False, record_video=False, log=lambda _: None).run_dir


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return PPO.load(run_dir / "model.zip", device="cpu").policy.state_dict()


def _scalars(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "progress.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return [{k: v for k, v in row.items() if k not in WALL_CLOCK_COLUMNS} for row in rows]


@pytest.mark.slow
@pytest.mark.parametrize("experiment_text", [TINY_CARTPOLE], ids=["cartpole_dummy"])
def test_same_seed_same_everything_other_seed_differs(tmp_path: Path, experiment_text: str) -> None:
    experiment = tmp_path / "det.toml"
    experiment.write_text(experiment_text)
    first = _train(experiment, tmp_path / "a", seed=7)
    second = _train(experiment, tmp_path / "b", seed=7)
    other = _train(experiment, tmp_path / "c", seed=8)

    weights_1, weights_2, weights_3 = _weights(first), _weights(second), _weights(other)
    assert weights_1.keys() == weights_2.keys()
    assert all(torch.equal(weights_1[k], weights_2[k]) for k in weights_1)
    assert not all(torch.equal(weights_1[k], weights_3[k]) for k in weights_1)

    scalars = _scalars(first)
    assert len(scalars) >= 2 and "train/value_loss" in scalars[-1]
    assert scalars == _scalars(second)
    eval_1, eval_2 = np.load(first / "eval.npz"), np.load(second / "eval.npz")
    assert np.array_equal(eval_1["results"], eval_2["results"])
