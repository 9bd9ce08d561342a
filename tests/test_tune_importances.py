"""``rl-lab tune``'s figure and table carry Optuna's parameter importances when the study allows them,
and say why not otherwise (a study journal written here directly, no Ray needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TINY_CARTPOLE, png_size

optuna = pytest.importorskip("optuna")

from rl_lab.cluster.tune import STUDY_NAME, _storage  # noqa: E402 (needs the cluster extra)
from rl_lab.cluster.tune_report import (  # noqa: E402
    Importances,
    importances_text,
    param_importances,
    plot_trials,
    write_outputs,
)
from rl_lab.config.tuning import load_study  # noqa: E402

LR = "algo_kwargs.learning_rate"
ACTIVATION = "networks.activation"
DISTRIBUTIONS = {
    LR: optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True),
    ACTIVATION: optuna.distributions.CategoricalDistribution(["tanh", "relu"]),
}


def _journal(directory: Path, trials: list[tuple[float, str, float]], pruned: int = 0) -> None:
    """A study as ``rl-lab tune`` leaves it: completed trials (learning rate, activation, objective)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=STUDY_NAME, storage=_storage(directory), direction="maximize")
    for lr, activation, value in trials:
        study.add_trial(optuna.trial.create_trial(
            params={LR: lr, ACTIVATION: activation}, distributions=DISTRIBUTIONS, value=value))
    for _ in range(pruned):
        study.add_trial(optuna.trial.create_trial(
            params={LR: 1e-3, ACTIVATION: "relu"}, distributions=DISTRIBUTIONS,
            state=optuna.trial.TrialState.PRUNED))


def test_importances_rank_the_parameter_that_drives_the_objective_first(tmp_path: Path) -> None:
    # The objective follows the learning rate alone; the activation alternates without effect.
    rates = [1e-4 * 1.5**i for i in range(12)]
    _journal(tmp_path, [(lr, ("tanh", "relu")[i % 2], -abs(i - 6)) for i, lr in enumerate(rates)])
    importances = param_importances(tmp_path)
    assert next(iter(importances.values)) == LR and importances.trials == 12
    assert importances.values[LR] > importances.values[ACTIVATION]
    assert sum(importances.values.values()) == pytest.approx(1.0)
    assert param_importances(tmp_path) == importances  # deterministic
    text = importances_text(importances)
    assert text.startswith("Parameter importances (Optuna PED-ANOVA over the study's 12 completed trials")
    assert f"they do not test): `{LR}` 0.98, `{ACTIVATION}` 0.02." in text


@pytest.mark.parametrize(
    ("trials", "pruned", "reason"),
    [
        ([(1e-3, "relu", 1.0)], 3, "needs at least 2 completed trials, the study has 1"),
        ([(1e-3, "relu", 1.0), (1e-3, "relu", 2.0)], 0, "no parameter took two different values"),
    ],
)
def test_no_importances_say_why(trials, pruned, reason, tmp_path: Path) -> None:
    _journal(tmp_path, trials, pruned)
    importances = param_importances(tmp_path)
    assert importances.values == {} and reason in importances.reason
    assert importances_text(importances) == f"No parameter importances: {importances.reason}."
    path = tmp_path / "trials.png"
    plot_trials([{"score": 1.0, "status": "finished"}], path, "t", importances)
    assert png_size(path) == (1300, 450)


def test_no_journal_is_a_reason_not_an_error(tmp_path: Path) -> None:
    assert param_importances(tmp_path) == Importances({}, f"no study journal (study.journal) in {tmp_path}")


def test_the_outputs_carry_the_importances(write_experiment, tmp_path: Path) -> None:
    space = f'"{LR}" = {{ low = 1e-4, high = 1e-2, log = true }}'
    tune = f'\n[tune]\ntrials = 4\nmetric = "return"\n[tune.space]\n{space}\n'
    study = load_study(str(write_experiment(TINY_CARTPOLE + tune)), [], None)
    directory = tmp_path / "study"
    directory.mkdir()
    _journal(directory, [(1e-4, "relu", 1.0), (1e-3, "relu", 5.0), (1e-2, "tanh", 2.0)])
    rows = [{"trial": f"t{i}", "params": {LR: lr}, "score": score, "status": "finished", "reports": 2}
            for i, (lr, score) in enumerate([(1e-4, 1.0), (1e-3, 5.0), (1e-2, 2.0)])]
    write_outputs(study, directory, rows)
    table = (directory / "trials.md").read_text()
    assert "Parameter importances (Optuna PED-ANOVA over the study's 3 completed trials" in table
    assert png_size(directory / "trials.png") == (1300, 450)
