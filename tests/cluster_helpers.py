"""Shared by the cluster tests: one Ray session per module that checks no Ray process outlives it,
and weights read from a saved model."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
import torch


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain ``text`` (a Ray session's directory name:
    every raylet, GCS and worker of that session carries it), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line:
            found.append(f"{entry.name}: {line[:120]}")
    return found


def session_name(ray) -> str:
    """The running Ray session's directory name (``session_<date>_<pid>``)."""
    return Path(ray._private.worker._global_node.get_session_dir_path()).name


def policy_weights(model_zip: Path) -> dict[str, torch.Tensor]:
    """The policy's tensors of a saved model, read without unpickling anything."""
    with zipfile.ZipFile(model_zip) as archive:
        return torch.load(io.BytesIO(archive.read("policy.pth")), weights_only=True)


@pytest.fixture(scope="module")
def ray_cluster():
    """One embedded 2-CPU cluster for a test module (starting Ray takes seconds); afterwards none
    of its processes may remain."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    name = session_name(ray)
    yield ray
    ray.shutdown()
    deadline = time.monotonic() + 30
    while processes_mentioning(name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_mentioning(name) == []
