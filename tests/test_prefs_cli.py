"""`rl-lab prefs train`: bad input in one line with exit code 2, the run directory it writes, a
person's labels file, and (slow) a real improvement of the TRUE return from synthetic labels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from prefs_helpers import random_bike_clips

from rl_lab.cli import EXIT_USER_ERROR, main
from rl_lab.prefs.labels_file import append_labels, read_labels
from rl_lab.prefs.reward_net import load_reward_net
from rl_lab.runs.layout import read_summary

TINY = ["--timesteps", "512", "--set", "eval.freq=256", "--set", "eval.episodes=2"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _one_line_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    assert main(argv) == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("labels", ["0", "-3", "ten"])
def test_labels_must_be_positive(capsys: pytest.CaptureFixture, labels: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["prefs", "train", "bike_balance_ppo", "--labels", labels])
    assert exit_info.value.code == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip()
    assert "--labels" in err and "\n" not in err


def test_unknown_experiment_and_missing_labels(capsys: pytest.CaptureFixture) -> None:
    assert "unknown experiment 'nope'" in _one_line_error(capsys, ["prefs", "train", "nope", "--labels", "5"])
    assert "--labels" in _one_line_error(capsys, ["prefs", "train", "bike_balance_ppo"])
    assert "PPO" in _one_line_error(capsys, ["prefs", "train", "bike_balance_dqn", "--labels", "5"])
    assert not Path("runs").exists()


def _write_labels(path: Path, groups: int) -> None:
    """Rankings of real, replayable BikeBalance clips (by true return, as a careful person would)."""
    clips = list(random_bike_clips(5, 3, (120,)).clips)
    for g in range(groups):
        pair = [clips[g], clips[-1 - g]]
        ranking = [0, 1] if pair[0].true_return >= pair[1].true_return else [1, 0]
        append_labels(path, pair, ranking)


@pytest.mark.parametrize(("line", "says"), [
    ("not json", "not JSON"),
    ('{"clips": [], "ranking": []}', '"clips" must be a list of at least 2'),
    ('{"clips": 1}', '"clips" and "ranking"'),
])
def test_malformed_labels_file(capsys: pytest.CaptureFixture, line: str, says: str) -> None:
    path = Path("mine.jsonl")
    _write_labels(path, 2)
    with open(path, "a") as handle:
        handle.write(line + "\n")
    err = _one_line_error(capsys, ["prefs", "train", "bike_balance_ppo", "--labels-file", str(path)])
    assert "mine.jsonl:3: " in err and says in err
    assert not Path("runs").exists()


def test_labels_file_is_checked_against_the_env(capsys: pytest.CaptureFixture) -> None:
    path = Path("mine.jsonl")
    _write_labels(path, 2)
    lines = path.read_text().splitlines()
    tampered = json.loads(lines[1])
    tampered["clips"][0]["actions"] = tampered["clips"][0]["actions"] + [0] * 50  # longer than a clip
    path.write_text(lines[0] + "\n" + json.dumps(tampered) + "\n")
    assert "mine.jsonl:2:" in _one_line_error(capsys, ["prefs", "train", "bike_balance_ppo", "--labels-file",
                                                       str(path)])
    err = _one_line_error(capsys, ["prefs", "train", "paddle_vector_ppo", "--labels-file", str(path)])
    assert "mine.jsonl:1:" in err and "PaddleBall" in err


def test_labels_file_round_trip() -> None:
    path = Path("mine.jsonl")
    _write_labels(path, 3)
    ranked = read_labels(path, "rl_lab/BikeBalance-v0")
    assert len(ranked) == 3 and ranked.pairs == 3
    assert all(len(g) == 2 and g[0].steps == 5 for g in ranked.groups)


@pytest.mark.slow
def test_prefs_train_writes_an_ordinary_run(capsys: pytest.CaptureFixture) -> None:
    argv = ["prefs", "train", "bike_balance_ppo", "--labels", "10", "--seed", "2", *TINY]
    assert main(argv) == 0
    run = Path("runs/bike_balance_ppo_prefs10/2")
    summary = read_summary(run)
    assert summary["labels"] == 10 and summary["timesteps"] >= 512 and len(summary["rounds"]) == 2
    assert (run / "config.toml").is_file() and (run / "model.zip").is_file()
    assert any(p.name.startswith("events.out.tfevents") for p in run.iterdir())
    torch.load(run / "reward_model.pt", weights_only=True)
    assert load_reward_net(run / "reward_model.pt").obs_dim == 5
    assert json.loads((run / "prefs.json").read_text())["settings"]["labels"] == 10
    capsys.readouterr()
    assert "--overwrite" in _one_line_error(capsys, argv)  # a finished run is never replaced silently
    assert main(["eval", str(run), "--episodes", "2"]) == 0  # an ordinary run: eval reads it


@pytest.mark.slow
def test_prefs_train_from_a_labels_file() -> None:
    path = Path("mine.jsonl")
    _write_labels(path, 8)
    assert main(["prefs", "train", "bike_balance_ppo", "--labels-file", str(path), *TINY]) == 0
    run = Path("runs/bike_balance_ppo_prefs_file/0")
    summary = read_summary(run)
    assert summary["labels"] == 6  # a quarter held out to measure r̂
    record = json.loads((run / "prefs.json").read_text())["labels_file"]
    assert record["path"] == str(path.resolve()) and len(record["sha256"]) == 64


@pytest.mark.slow
def test_preferences_improve_the_true_return() -> None:
    """Synthetic clip rankings only: BikeBalance's TRUE return well above the untrained policy's."""
    assert os.environ.get("SDL_VIDEODRIVER") == "dummy"
    argv = ["prefs", "train", "bike_balance_ppo", "--labels", "60", "--seed", "0", "--timesteps", "6000",
            "--set", "eval.episodes=4"]
    assert main(argv) == 0
    summary = read_summary(Path("runs/bike_balance_ppo_prefs60/0"))
    untrained, trained = summary["untrained_eval_mean_return"], summary["eval_mean_return"]
    assert trained > 2 * untrained, (untrained, trained)  # measured: 46.75 against ~20
