"""The CLI end to end on a tiny CartPole run: outputs, run directory, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_CARTPOLE

from rl_lab.cli import EXIT_USER_ERROR, main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """One tiny training run shared by the tests that read a finished run."""
    root = tmp_path_factory.mktemp("cli")
    experiment = root / "tiny.toml"
    experiment.write_text(TINY_CARTPOLE)
    code = main(["train", str(experiment), "--seed", "3", "--runs-dir", str(root / "runs"), "--no-progress"])
    assert code == 0
    return root / "runs" / "tiny" / "3"


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_train_writes_the_whole_run_directory(trained_run: Path) -> None:
    names = {p.name for p in trained_run.iterdir()}
    assert {"config.toml", "model.zip", "checkpoints", "eval.npz", "videos", "summary.json"} <= names
    assert any(n.startswith("events.out.tfevents") for n in names)
    assert (trained_run / "videos" / "eval.mp4").stat().st_size > 1000
    # A checkpoint at the first rollout start past each 256 steps (the run ends at 512).
    assert sorted(p.name for p in (trained_run / "checkpoints").iterdir()) == ["256"]
    assert {p.name for p in (trained_run / "checkpoints" / "256").iterdir()} == {
        "model.zip", "training_state.json", "training_state.npz", "training_state.pt"}
    summary = json.loads((trained_run / "summary.json").read_text())
    for key in ("eval_mean_return", "eval_std_return", "eval_success_rate", "timesteps", "episodes",
                "wall_seconds", "torch_threads", "policy_params", "value_params"):
        assert key in summary, key
    assert summary["timesteps"] == 512
    assert summary["torch_threads"] == 1
    # policy: 4*16+16 + 16*2+2 = 114; value: 4*16+16 + 16+1 = 97 (separate networks)
    assert (summary["policy_params"], summary["value_params"]) == (114, 97)
    evals = np.load(trained_run / "eval.npz")
    # The evaluation due at 512 steps, the budget, is the final one (not the same policy twice).
    assert list(evals["timesteps"]) == [256, 512]
    assert evals["results"].shape == (2, 2)
    # training seconds grow between evaluations, and the final evaluation (after learn) adds none
    seconds = evals["train_seconds"]
    assert 0 < seconds[0] < seconds[1] <= summary["wall_seconds"]
    assert seconds[1] == pytest.approx(summary["train_seconds"], abs=0.01)


def test_resolved_config_reloads_identically(trained_run: Path) -> None:
    from dataclasses import asdict, replace

    from conftest import TINY_CARTPOLE

    from rl_lab.config import load_experiment

    reloaded = load_experiment(str(trained_run / "config.toml"))
    original = trained_run.parent.parent.parent / "tiny.toml"
    assert original.read_text() == TINY_CARTPOLE
    # Every key, not a sample: the run's config.toml is the experiment as trained (seed 3 given on the CLI).
    assert asdict(reloaded) == asdict(replace(load_experiment(str(original)), seed=3))


def test_eval_prints_return(trained_run: Path, capsys) -> None:
    assert main(["eval", str(trained_run), "--episodes", "3"]) == 0
    out = capsys.readouterr().out
    assert "return" in out and "over 3 episodes" in out and "success rate" in out


def test_watch_without_display_writes_video(trained_run: Path, tmp_path: Path, capsys) -> None:
    video = tmp_path / "watch.mp4"
    assert main(["watch", str(trained_run), "--video", str(video), "--max-steps", "5"]) == 0
    assert video.stat().st_size > 500
    assert f"video: {video}" in capsys.readouterr().out


def test_list_shows_experiments_and_env_ids(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "cartpole_ppo" in out
    assert "rl_lab/BikeBalance-v0" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "no_such_experiment"], "unknown experiment 'no_such_experiment'"),
        (["train", "cartpole_ppo", "--set", "bogus=1"], "unknown key 'bogus'"),
        (["train", "cartpole_ppo", "--set", "n_envs=many"], "'n_envs' must be an integer"),
        (["eval", "/nonexistent/run"], "no such run directory"),
        (["watch", "/nonexistent/run"], "no such run directory"),
        (["rlhf", "no_such_pipeline"], "unknown experiment 'no_such_pipeline'"),
        (["rlhf", "--set", "bogus=1"], "unknown key 'bogus'"),
        (["train", "rlhf_toy"], "run `rl-lab rlhf rlhf_toy`"),
    ],
)
def test_user_errors_are_one_line(argv: list[str], expected: str, capsys) -> None:
    assert main(argv) == EXIT_USER_ERROR
    assert expected in _error_line(capsys)


def test_corrupt_model_is_one_line(trained_run: Path, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.toml").write_text((trained_run / "config.toml").read_text())
    assert main(["eval", str(broken)]) == EXIT_USER_ERROR
    assert "no model file" in _error_line(capsys)
    (broken / "model.zip").write_bytes(b"not a zip file")
    assert main(["eval", str(broken)]) == EXIT_USER_ERROR
    assert "not a readable model archive" in _error_line(capsys)


def test_malformed_run_config_is_one_line(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text("name = 'x'\n[env]\nid = 'CartPole-v1'\nalgo = 3\n")
    assert main(["eval", str(run)]) == EXIT_USER_ERROR
    assert "config.toml" in _error_line(capsys)


def test_bad_argument_type_exits_nonzero(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "cartpole_ppo", "--timesteps", "-5"])
    assert info.value.code == 2
    assert "expected a positive integer" in capsys.readouterr().err


def test_training_can_stop_at_the_criterion(tmp_path: Path) -> None:
    """``eval.stop_at_criterion``: the first evaluation that meets the criterion ends the run, as a
    finished run whose final evaluation it is (here the criterion, 0 % success, is met at once)."""
    from conftest import TINY_CARTPOLE

    experiment = tmp_path / "tiny.toml"
    experiment.write_text(TINY_CARTPOLE.replace("[eval]\n", "[eval]\nstop_at_criterion = true\n"
                                                "criterion_success_rate = 0.0\n"))
    assert main(["train", str(experiment), "--runs-dir", str(tmp_path / "runs"), "--no-progress"]) == 0
    run = tmp_path / "runs" / "tiny" / "0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["criterion_timesteps"] == 256 and summary["timesteps"] == 256
    assert list(np.load(run / "eval.npz")["timesteps"]) == [256]  # evaluated once, not again
    assert summary["eval_episodes"] == 2 and (run / "videos" / "eval.mp4").stat().st_size > 1000


def test_training_can_stop_after_a_wall_clock_budget(tmp_path: Path) -> None:
    """``eval.stop_after_seconds``: the first evaluation past that much training time ends the run, as a
    finished run whose final evaluation it is (the criterion, 100 % of CartPole's 500 steps, unmet)."""
    from conftest import TINY_CARTPOLE

    experiment = tmp_path / "tiny.toml"
    experiment.write_text(TINY_CARTPOLE.replace("total_timesteps = 512", "total_timesteps = 4096").replace(
        "[eval]\n", "[eval]\nstop_after_seconds = 0.001\n"))
    assert main(["train", str(experiment), "--runs-dir", str(tmp_path / "runs"), "--no-progress"]) == 0
    summary = json.loads((tmp_path / "runs" / "tiny" / "0" / "summary.json").read_text())
    assert summary["criterion_timesteps"] is None and summary["timesteps"] == 256
    assert list(np.load(tmp_path / "runs" / "tiny" / "0" / "eval.npz")["timesteps"]) == [256]
    experiment.write_text(TINY_CARTPOLE.replace("[eval]\n", "[eval]\nstop_after_seconds = -1\n"))
    assert main(["train", str(experiment), "--runs-dir", str(tmp_path / "runs")]) == 2
