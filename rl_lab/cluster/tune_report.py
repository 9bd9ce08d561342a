"""What ``rl-lab tune`` leaves behind: ``best.toml``, ``trials.md`` (every trial, and the parameter
importances) and ``trials.png`` (objective against trial, pruned trials marked, the best so far as a
line; beside it the parameter importances Optuna gives, or why there are none)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, NamedTuple

from rl_lab.cluster.tune import best_trial, write_best
from rl_lab.config.tuning import Study
from rl_lab.reports.markdown import markdown_table
from rl_lab.runs import atomic


class Importances(NamedTuple):
    """Parameter importances, most important first, or (empty) the reason there are none."""

    values: dict[str, float]
    reason: str
    trials: int = 0  # completed trials they are computed over


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def trials_table(study: Study, rows: list[dict[str, Any]], best: dict[str, Any] | None) -> str:
    """Every trial: its values, objective, status and how many evaluations it reported."""
    keys = list(study.tune.space)
    header = ["#", "trial", *[f"`{k}`" for k in keys], "objective", "status", "reports"]
    table = [
        [str(i), row["trial"] + (" (best)" if row is best else ""),
         *[_value(row["params"].get(k)) for k in keys],
         "-" if row["score"] is None else f"{row['score']:.4g}", row["status"], str(row["reports"])]
        for i, row in enumerate(rows, 1)
    ]
    meaning = {
        "return": "mean evaluation return",
        "criterion_steps": "minus the steps to the success criterion (below -budget: not reached)",
        "criterion_seconds": "minus the training seconds to the success criterion (below -tune.seconds: "
                             "not reached)",
    }[study.metric]
    seconds = f" or {study.tune.seconds:g} training seconds" if study.tune.seconds else ""
    return (
        f"# Tuning {study.base.name}\n\nObjective ({study.metric}, higher is better): {meaning}, mean over "
        f"seeds {study.tune.seeds}; budget {study.budget:,} steps{seconds} per seed. Optuna TPE proposes, "
        "ASHA stops trials early (status `pruned`).\n\n" + markdown_table(header, table) + "\n"
    )


def param_importances(directory: Path) -> Importances:
    """Optuna's importance of each searched parameter over the study's completed trials (PED-ANOVA,
    Optuna's evaluator that needs no scikit-learn, deterministic), or why there are none.

    Ray Tune's Optuna searcher records a trial ASHA stopped early as completed, with its last report
    as its value: the importances see the study as TPE sees it, and say so.
    """
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    from rl_lab.cluster.tune import JOURNAL, STUDY_NAME, _storage

    if not (directory / JOURNAL).is_file():
        return Importances({}, f"no study journal ({JOURNAL}) in {directory}")
    try:
        study = optuna.load_study(study_name=STUDY_NAME, storage=_storage(directory))
    except KeyError:
        return Importances({}, f"no study named {STUDY_NAME!r} in {JOURNAL}")
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return Importances({}, f"needs at least 2 completed trials, the study has {len(complete)}")
    names = sorted({name for trial in complete for name in trial.params})
    if not any(len({repr(trial.params.get(name)) for trial in complete}) > 1 for name in names):
        return Importances({}, "no parameter took two different values in the completed trials")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PED-ANOVA warns about small studies; the figure says how many
            values = optuna.importance.get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    except (ValueError, RuntimeError) as error:
        return Importances({}, f"Optuna could not compute them ({str(error).splitlines()[0][:120]})")
    return Importances({name: float(value) for name, value in values.items()}, "", len(complete))


def importances_text(importances: Importances) -> str:
    """One Markdown line for ``trials.md``."""
    if not importances.values:
        return f"No parameter importances: {importances.reason}."
    listed = ", ".join(f"`{name}` {value:.2f}" for name, value in importances.values.items())
    return (f"Parameter importances (Optuna PED-ANOVA over the study's {importances.trials} completed "
            "trials, a trial ASHA stopped counting with its last report as TPE sees it; they sum to 1 and "
            f"rank, they do not test): {listed}.")


def _importance_panel(ax, importances: Importances) -> None:
    if not importances.values:
        ax.text(0.5, 0.5, f"no parameter importances:\n{importances.reason}", ha="center", va="center",
                wrap=True, transform=ax.transAxes)
        ax.set_axis_off()
        return
    names = list(importances.values)[::-1]  # the most important on top
    ax.barh(range(len(names)), [importances.values[n] for n in names], color="C0")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set(xlabel="importance (PED-ANOVA, sums to 1)", xlim=(0, 1),
           title=f"parameter importances ({importances.trials} completed trials)")


def plot_trials(rows: list[dict[str, Any]], path: Path, title: str,
                importances: Importances | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax, side) = plt.subplots(1, 2, figsize=(13, 4.5), dpi=100, width_ratios=(3, 2))
    _importance_panel(side, importances or Importances({}, "not computed"))
    best, line = float("-inf"), []
    for i, row in enumerate(rows, 1):
        score = row["score"]
        if score is not None:
            marker = "o" if row["status"] == "finished" else "x"
            ax.scatter([i], [score], marker=marker, color="C0" if marker == "o" else "C3")
            if row["status"] == "finished":
                best = max(best, score)
        line.append(best if best > float("-inf") else float("nan"))
    ax.plot(range(1, len(rows) + 1), line, color="C2", drawstyle="steps-post", label="best finished so far")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.scatter([], [], marker="o", color="C0", label="finished")
    ax.scatter([], [], marker="x", color="C3", label="pruned (last report)")
    ax.set(xlabel="trial (in order of ending)", ylabel="objective", title=title)
    ax.legend(loc="best")
    fig.tight_layout()
    atomic.write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def write_outputs(study: Study, directory: Path, rows: list[dict[str, Any]]) -> Path:
    """``best.toml``, ``trials.md`` and ``trials.png`` in ``directory`` (returned)."""
    best = best_trial(rows)
    if best is not None:
        write_best(study, best, directory)
    importances = param_importances(directory)
    atomic.write_text(directory / "trials.md", trials_table(study, rows, best) + "\n" +
                      importances_text(importances) + "\n")
    plot_trials(rows, directory / "trials.png", f"rl-lab tune {study.base.name}", importances)
    return directory
