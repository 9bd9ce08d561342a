"""What ``rl-lab tune`` leaves behind: ``best.toml``, ``trials.md`` (every trial) and ``trials.png``
(objective against trial, pruned trials marked, the best so far as a line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rl_lab.cluster.tune import best_trial, write_best
from rl_lab.config.tuning import Study
from rl_lab.reports.markdown import markdown_table
from rl_lab.runs import atomic


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
    meaning = ("mean evaluation return" if study.metric == "return" else
               "minus the steps to the success criterion (below -budget: not reached)")
    return (
        f"# Tuning {study.base.name}\n\nObjective ({study.metric}, higher is better): {meaning}, mean over "
        f"seeds {study.tune.seeds}; budget {study.budget:,} steps per seed. Optuna TPE proposes, ASHA "
        "stops trials early (status `pruned`).\n\n" + markdown_table(header, table) + "\n"
    )


def plot_trials(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
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
    atomic.write_text(directory / "trials.md", trials_table(study, rows, best))
    plot_trials(rows, directory / "trials.png", f"rl-lab tune {study.base.name}")
    return directory
