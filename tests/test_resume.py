"""A run stopped at a checkpoint and resumed equals the same run never stopped: weights, logged
scalars, evaluations."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.training.restore import load_model
from rl_lab.training.trainer import train

QUIET = {"progress_bar": False, "record_video": False, "log": lambda _: None}
CASES = {
    "ppo": ("bike_balance_ppo", ["total_timesteps=1024", "n_envs=2", "algo_kwargs.n_steps=64",
                                 "algo_kwargs.batch_size=64", "algo_kwargs.n_epochs=2", "checkpoint_freq=512",
                                 "eval.freq=256", "eval.episodes=2", "env.eval_kwargs.max_seconds=5.0",
                                 "eval.video=false"]),
    "dqn": ("bike_balance_dqn", ["total_timesteps=800", "checkpoint_freq=400", "eval.freq=200",
                                 "eval.episodes=2", "env.eval_kwargs.max_seconds=5.0", "eval.video=false",
                                 "algo_kwargs.learning_starts=100"]),
    "sac": ("bike_ride_sac_continuous", ["total_timesteps=400", "n_envs=2", "checkpoint_freq=200",
                                         "eval.freq=100", "eval.episodes=2",
                                         "env.eval_kwargs.max_seconds=3.0", "eval.video=false",
                                         "algo_kwargs.learning_starts=50", "algo_kwargs.batch_size=32"]),
}


def _scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]
            if not tag.startswith("time/")}


def _progress(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "progress.csv").open() as handle:
        return [{k: v for k, v in row.items() if not k.startswith("time/") or k == "time/total_timesteps"}
                for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.parametrize("algo", sorted(CASES))
def test_stop_and_resume_equals_an_uninterrupted_run(algo: str, tmp_path: Path) -> None:
    name, overrides = CASES[algo]
    config = load_experiment(name, overrides)
    straight = train(config, tmp_path / "straight", seed=3, **QUIET)
    assert train(config, tmp_path / "resumed", seed=3, stop_at=config.checkpoint_freq, **QUIET) is None
    resumed = train(config, tmp_path / "resumed", seed=3, resume=True, **QUIET)
    a = load_model(straight.run_dir, config).policy.state_dict()
    b = load_model(resumed.run_dir, config).policy.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    for key in ("eval_mean_return", "timesteps", "episodes", "criterion_timesteps"):
        assert straight.summary[key] == resumed.summary[key], key
    assert _scalars(straight.run_dir) == _scalars(resumed.run_dir)
    assert _progress(straight.run_dir) == _progress(resumed.run_dir)
    with np.load(straight.run_dir / "eval.npz") as x, np.load(resumed.run_dir / "eval.npz") as y:
        assert np.array_equal(x["results"], y["results"]) and np.array_equal(x["timesteps"], y["timesteps"])


def test_resume_refuses_a_finished_run_and_a_changed_config(tmp_path: Path) -> None:
    name, overrides = CASES["ppo"]
    config = load_experiment(name, [*overrides, "total_timesteps=512", "checkpoint_freq=256"])
    with pytest.raises(LabError, match=r"no interrupted run with a checkpoint to resume"):
        train(config, tmp_path, seed=0, resume=True, **QUIET)
    train(config, tmp_path, seed=0, stop_at=256, **QUIET)
    changed = load_experiment(name, [*overrides, "total_timesteps=512", "checkpoint_freq=256",
                                     "algo_kwargs.n_epochs=3"])
    with pytest.raises(LabError, match=r"another 'algo_kwargs\.n_epochs'"):
        train(changed, tmp_path, seed=0, resume=True, **QUIET)
    train(config, tmp_path, seed=0, resume=True, **QUIET)
    with pytest.raises(LabError, match="has finished; nothing to resume"):
        train(config, tmp_path, seed=0, resume=True, **QUIET)


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_weights(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    name, overrides = CASES["ppo"]
    overrides = [o for o in overrides if not o.startswith(("total_timesteps", "checkpoint_freq"))]
    overrides += ["total_timesteps=6144", "checkpoint_freq=512"]
    config = load_experiment(name, overrides)
    straight = train(config, tmp_path / "straight", seed=5, **QUIET)
    runs = tmp_path / "killed"
    command = [sys.executable, "-m", "rl_lab.cli", "train", name, "--seed", "5", "--runs-dir", str(runs),
               "--no-video", "--no-progress", *[f"--set={o}" for o in overrides]]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    experiment_dir = runs / name
    deadline = time.monotonic() + 240
    while not list(experiment_dir.glob(".5.partial-*/checkpoints/1024/training_state.json")):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert not (experiment_dir / "5").exists()  # killed before it finished: nothing promoted
    resumed = train(config, runs, seed=5, resume=True, **QUIET)
    a = load_model(straight.run_dir, config).policy.state_dict()
    b = load_model(resumed.run_dir, config).policy.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert straight.summary["eval_mean_return"] == resumed.summary["eval_mean_return"]
    assert not list(experiment_dir.glob(".5.partial-*"))  # the interrupted run was taken over, then promoted
