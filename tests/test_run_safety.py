"""A finished run survives everything: a new run over it, a kill at any moment, a second trainer."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TINY_CARTPOLE

from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.training.trainer import train

QUIET = {"progress_bar": False, "record_video": False, "log": lambda _: None}
# A long run (to be killed or raced), printing nothing.
LONG = ["--timesteps", "2000000", "--no-video", "--no-progress", "--set", "eval.freq=1000000"]


def _digest(run_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def finished(write_experiment, tmp_path: Path) -> tuple[Path, Path]:
    experiment = write_experiment(TINY_CARTPOLE)
    result = train(load_experiment(str(experiment)), tmp_path / "runs", seed=0, **QUIET)
    return experiment, result.run_dir


def _start(experiment: Path, runs: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "rl_lab.cli", "train", str(experiment), "--runs-dir", str(runs),
               *LONG, *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_new_run_over_a_finished_one_is_refused_without_overwrite(finished) -> None:
    experiment, run_dir = finished
    before = _digest(run_dir)
    with pytest.raises(LabError, match=r"a run already exists here; pass --resume .* or --overwrite"):
        train(load_experiment(str(experiment)), run_dir.parent.parent, seed=0, **QUIET)
    assert _digest(run_dir) == before
    result = train(load_experiment(str(experiment)), run_dir.parent.parent, seed=0, overwrite=True, **QUIET)
    kept = [p for p in run_dir.parent.iterdir() if p.name.startswith("0.replaced-")]
    assert len(kept) == 1 and _digest(kept[0]) == before  # the old run, whole, beside the new one
    assert (result.run_dir / "summary.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("moment", [0.0, 0.5, 1.5])
def test_kill_9_while_overwriting_leaves_the_finished_run_intact(finished, moment: float) -> None:
    experiment, run_dir = finished
    before = _digest(run_dir)
    process = _start(experiment, run_dir.parent.parent, "--overwrite")
    _wait_for(lambda: any(p.name.startswith(".0.partial-") for p in run_dir.parent.iterdir()), "staging")
    time.sleep(moment)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert _digest(run_dir) == before
    assert not [p for p in run_dir.rglob("*") if p.name.startswith(".") and p.name != ".0.lock"]


@pytest.mark.slow
def test_a_second_trainer_of_the_same_run_is_refused_in_one_line(finished) -> None:
    experiment, run_dir = finished
    first = _start(experiment, run_dir.parent.parent, "--overwrite")
    try:
        _wait_for(lambda: any(p.name.startswith(".0.partial-") for p in run_dir.parent.iterdir()), "staging")
        second = subprocess.run([sys.executable, "-m", "rl_lab.cli", "train", str(experiment), "--runs-dir",
                                 str(run_dir.parent.parent), *LONG, "--overwrite"],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and f"another rl-lab process (pid {first.pid}" in lines[0], second.stderr
    finally:
        first.kill()
        first.wait(timeout=60)
