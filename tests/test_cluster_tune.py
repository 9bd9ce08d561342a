"""``rl-lab tune`` on a tiny experiment: trials on the local cluster, one pruned by ASHA, the best
config written and loadable, the study continued after a kill; bad search spaces are one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rl_lab import cli
from rl_lab.cluster.tune import (
    JOURNAL,
    STUDY_NAME,
    _distributions,
    _storage,
    read_trials,
    reporter,
    run_tune,
    write_best,
)
from rl_lab.config import load_experiment
from rl_lab.config.tuning import load_study
from tests.cluster_helpers import ray_cluster  # noqa: F401 (a fixture)
from tests.conftest import TINY_CARTPOLE

ray = pytest.importorskip("ray")
optuna = pytest.importorskip("optuna")

# One choice ruins the return (Sutton & Barto's CartPole reward: 0 per step, -1 at the fall), so a
# trial drawing it is below every other at ASHA's first rung, and is stopped there once another
# trial has reported.
TINY_TUNE = TINY_CARTPOLE.replace("total_timesteps = 512", "total_timesteps = 256").replace(
    "[eval]\nfreq = 256", "[eval]\nfreq = 128\nvideo = false") + """
[tune]
trials = 4
metric = "return"
[tune.space]
"algo_kwargs.learning_rate" = { low = 1e-4, high = 1e-2, log = true }
"env.kwargs.sutton_barto_reward" = { choices = [true, false] }
"""


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_tune_prunes_writes_the_best_config_and_continues_after_a_kill(write_experiment,
                                                                        tmp_path: Path):
    path = write_experiment(TINY_TUNE)
    lines: list[str] = []
    directory = run_tune(str(path), tmp_path, workers=2, log=lines.append)
    rows = read_trials(directory)
    assert len(rows) == 4
    assert any(row["status"] == "pruned" for row in rows), rows
    assert sum(line.startswith("trial ") for line in lines) == 4
    best = load_experiment(str(directory / "best.toml"))
    assert best.name == "tiny_tuned" and "learning_rate" in best.algo_kwargs
    assert best.env.kwargs["sutton_barto_reward"] is False
    table = (directory / "trials.md").read_text()
    assert "| 4 |" in table
    # Ray's Optuna searcher records ASHA's stopped trials as completed: 4 trials, a varying learning rate
    assert "Parameter importances (Optuna PED-ANOVA over the study's 4 completed" in table
    assert (directory / "trials.png").read_bytes()[:4] == b"\x89PNG"
    finished = next(row for row in rows if row["status"] == "finished")
    assert (directory / f"trial_{finished['trial']}" / "0" / "summary.json").is_file()

    # A kill in the middle of a trial leaves it RUNNING in the journal: the next invocation marks it
    # failed and runs the study on to its (now larger) number of trials.
    storage = _storage(directory)
    optuna.load_study(study_name=STUDY_NAME, storage=storage).ask()
    run_tune(str(path), tmp_path, trials=5, workers=2, log=lines.append)
    assert len(read_trials(directory)) == 5
    states = [t.state.name for t in optuna.load_study(study_name=STUDY_NAME, storage=storage).trials]
    assert states.count("FAIL") == 1 and len(states) == 6
    assert (directory / JOURNAL).read_text().startswith("{")  # JSON lines: nothing is unpickled
    # Done: a third invocation only rewrites the outputs.
    run_tune(str(path), tmp_path, trials=5, log=lines.append)
    assert len(read_trials(directory)) == 5


@pytest.mark.parametrize(
    ("space", "expected"),
    [
        ('"algo_kwargs.learning_rate" = { low = 1e-2, high = 1e-4 }', "'low' must be below 'high'"),
        ('"algo_kwargs.learning_rate" = { low = 0.0, high = 1e-2, log = true }',
         "log-scale range must be positive"),
        ('"algo_kwargs.no_such_key" = { low = 1, high = 2 }', "unknown key 'algo_kwargs.no_such_key'"),
        ('"networks.activation" = { choices = ["tanh", "nope"] }', "'networks.activation' must be one of"),
        ('"algo_kwargs.gamma" = { low = 0.9, high = 1.5 }', "'algo_kwargs.gamma' must be in"),
        ('"seed" = { low = 0, high = 3 }', "set by the study itself"),
        ('"algo_kwargs.n_epochs" = [1, 2]', "must be a table"),
        ('"networks.policy" = { choices = [[16], []] }', "or non-empty lists of them"),
        ('"networks.policy" = { choices = [[16], [0]] }', "makes an invalid experiment"),
        ('"algo_kwargs.n_epochs" = { low = 1, high = 3 }', "needs integer = true"),
    ],
)
def test_a_bad_search_space_is_one_line(space, expected, write_experiment, tmp_path, capsys):
    text = TINY_CARTPOLE + '\n[tune]\ntrials = 2\n[tune.space]\n' + space + "\n"
    code = cli.main(["tune", str(write_experiment(text)), "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and expected in err, err
    assert not any(tmp_path.glob("*-tune"))


def test_tune_without_a_space_and_an_unreachable_address_are_one_line(write_experiment, tmp_path, capsys):
    assert cli.main(["tune", str(write_experiment(TINY_CARTPOLE)), "--runs-dir", str(tmp_path)]) == 2
    assert "no [tune.space] table" in capsys.readouterr().err
    code = cli.main(["tune", str(write_experiment(TINY_TUNE)), "--runs-dir", str(tmp_path),
                     "--address", "127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no Ray cluster answers" in err
    assert "Traceback" not in err


def test_list_choices_travel_as_json_text_and_come_back_as_lists(write_experiment, tmp_path):
    # Optuna's categorical choices are plain values: layer widths go to it as text, to the run as lists.
    path = write_experiment('description = "A tiny pole"' + TINY_CARTPOLE + '\n[tune]\n[tune.space]\n'
                            '"networks.policy" = { choices = [[16], [32, 32]] }\n')
    study = load_study(str(path))
    assert _distributions(study)["networks.policy"].choices == ("[16]", "[32, 32]")
    assert study.values({"networks.policy": "[32, 32]", "algo_kwargs.n_epochs": 3}) == {
        "networks.policy": [32, 32], "algo_kwargs.n_epochs": 3}
    row = {"trial": "t1", "score": 1.0, "params": {"networks.policy": "[32, 32]"}}
    best = load_experiment(str(write_best(study, row, tmp_path)))
    assert best.networks.policy == [32, 32]
    assert best.description == "A tiny pole. Tuned by `rl-lab tune` (trial t1, objective 1)."


class _Evaluator:
    def __init__(self, criterion_timesteps, rate, train_seconds=10.0):
        self.criterion_timesteps, self.success_history, self.num_timesteps = criterion_timesteps, [rate], 3000
        self.train_seconds = train_seconds
        self.criterion_train_seconds = None if criterion_timesteps is None else train_seconds


class _Result:
    returns = np.array([1.0, 3.0])


@pytest.mark.parametrize(("metric", "stops"), [("criterion_steps", True), ("return", False)])
def test_a_criterion_steps_trial_stops_once_the_criterion_is_reached(metric, stops, write_experiment):
    path = write_experiment(TINY_CARTPOLE + f'\n[tune]\nmetric = "{metric}"\ntimesteps = 4000\n[tune.space]\n'
                            '"algo_kwargs.n_epochs" = { low = 1, high = 3, integer = true }\n')
    sent, reached = [], {}
    report = reporter(load_study(str(path)), 7, sent.append, reached)
    assert report(_Evaluator(None, 0.5), _Result()) is True  # not reached: train on
    assert sent[-1]["score"] == (-(2 - 0.5) * 4000 if stops else 2.0)
    assert report(_Evaluator(2048, 1.0), _Result()) is not stops
    assert reached == ({7: -2048.0} if stops else {})


def test_a_criterion_seconds_trial_is_scored_by_training_seconds(write_experiment):
    path = write_experiment(TINY_CARTPOLE + '\n[tune]\nmetric = "criterion_seconds"\nseconds = 60\n'
                            '[tune.space]\n"algo_kwargs.n_epochs" = { low = 1, high = 3, integer = true }\n')
    study = load_study(str(path))
    sent, stopped = [], {}
    report = reporter(study, 3, sent.append, stopped)
    assert report(_Evaluator(None, 0.5, train_seconds=20.0), _Result()) is True
    assert sent[-1]["score"] == -(2 - 0.5) * 60 and stopped == {}
    assert report(_Evaluator(2048, 1.0, train_seconds=31.5), _Result()) is False  # reached: done
    assert stopped == {3: -31.5}
    # Past the seconds budget without the criterion (the run stops itself there: eval.stop_after_seconds),
    # scored below any trial that reached it.
    assert report(_Evaluator(None, 0.25, train_seconds=61.0), _Result()) is True
    assert sent[-1]["score"] == -(2 - 0.25) * 60 < -61.0


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ('metric = "criterion_seconds"', "needs tune.seconds"),
        ('metric = "criterion_time"', "'metric' must be one of"),
        ("seconds = -1", "'seconds' must be in"),
        ("seconds = nan", "'seconds' must be"),
        ("startup_trials = -2", "'startup_trials' must be in"),
    ],
)
def test_bad_tune_settings_are_one_line(settings, expected, write_experiment, tmp_path, capsys):
    space = '"algo_kwargs.learning_rate" = { low = 1e-4, high = 1e-2 }'
    text = TINY_CARTPOLE + f"\n[tune]\n{settings}\n[tune.space]\n{space}\n"
    code = cli.main(["tune", str(write_experiment(text)), "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and expected in err, err
    assert not any(tmp_path.glob("*-tune"))
