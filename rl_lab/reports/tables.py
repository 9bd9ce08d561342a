"""``rl-lab report``: several seeds of one experiment as an RL-Zoo-style table and learning curves.

The aggregate is mean ± std across seeds (population std, ddof=0) of each seed's final
evaluation, and of when each seed first met the experiment's success criterion; the criterion
figures are over the seeds that met it, so the table also says how many did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_lab.errors import LabError
from rl_lab.reports import formats as fmt
from rl_lab.reports.intervals import iqm_table, method_note
from rl_lab.reports.markdown import markdown_table
from rl_lab.reports.plot import plot_learning_curves
from rl_lab.reports.runs import EvalCurve, RunRecord, load_run, resolve_run_dirs
from rl_lab.runs import atomic

__all__ = [
    "EvalCurve", "Report", "RunRecord", "Stat", "build_report", "format_report", "load_run",
    "plot_learning_curves", "report_title", "resolve_run_dirs", "write_report",
]

REPORT_MD = "report.md"
CURVES_PNG = "curves.png"


def report_title(report: Report) -> str:
    """``experiment: ALGO on env, N seeds``: the heading, the figure title and the overview link."""
    first, n = report.runs[0], len(report.runs)
    return f"{first.experiment}: {first.algo.upper()} on {first.env_id}, {n} seed{'s' * (n != 1)}"


@dataclass(frozen=True)
class Stat:
    """Mean and population standard deviation (ddof=0) over ``n`` seeds."""

    mean: float
    std: float
    n: int


@dataclass(frozen=True)
class Report:
    """The seeds of one experiment and their aggregate."""

    runs: list[RunRecord]
    final_return: Stat
    success_rate: Stat | None  # None when no seed has a success metric
    criterion: float | None  # eval success rate that counts as learned (None: no success metric)
    reached: int  # seeds that reached the criterion
    criterion_steps: Stat | None  # over the seeds that reached it (None: none did)
    criterion_episodes: Stat | None
    criterion_seconds: Stat | None  # also None when only runs older than this measure reached it
    total_steps: Stat

    @property
    def first(self) -> RunRecord:
        return self.runs[0]


def _stat(values: list[float | None]) -> Stat | None:
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    return Stat(float(np.mean(known)), float(np.std(known, ddof=0)), len(known))


def build_report(runs: list[RunRecord]) -> Report:
    """Aggregate the seeds' summaries."""
    if not runs:
        raise LabError("no runs to report")
    summaries = [run.summary for run in runs]
    reached = [s for s in summaries if s.get("criterion_timesteps") is not None]
    # Seeds share one config (report_runs checks), so the first summary's criterion is theirs;
    # without a success metric there is no success rate, and no criterion to reach.
    first = summaries[0]
    criterion = first.get("criterion_success_rate") if first.get("eval_success_rate") is not None else None
    return Report(
        runs=runs,
        final_return=_stat([s["eval_mean_return"] for s in summaries]),
        success_rate=_stat([s.get("eval_success_rate") for s in summaries]),
        criterion=criterion,
        reached=len(reached),
        criterion_steps=_stat([s["criterion_timesteps"] for s in reached]),
        criterion_episodes=_stat([s.get("criterion_episodes") for s in reached]),
        criterion_seconds=_stat([s.get("criterion_train_seconds") for s in reached]),
        total_steps=_stat([s["timesteps"] for s in summaries]),
    )


# --- formatting -------------------------------------------------------------------------------


def _mean_std(stat: Stat | None, fmt: Callable[[float], str], seeds: int, missing: str) -> str:
    """``mean ± std``, saying over how many seeds when not all of them count."""
    if stat is None:
        return missing
    text = f"{fmt(stat.mean)} ± {fmt(stat.std)}"
    return text if stat.n == seeds else f"{text} ({stat.n}/{seeds} seeds)"


def _one(value: float | None, fmt: Callable[[float], str], missing: str) -> str:
    return missing if value is None else fmt(value)


AGGREGATE_HEADER = [
    "algo", "env", "seeds", "final eval return", "final success rate", "criterion reached",
    "steps to criterion", "episodes to criterion", "wall s to criterion", "total steps",
]


def aggregate_row(report: Report) -> list[str]:
    """The RL-Zoo-style row of ``report`` (columns as :data:`AGGREGATE_HEADER`)."""
    n = len(report.runs)
    not_reached = "not reached" if report.criterion is not None else "n/a"
    total = report.total_steps
    return [
        report.first.algo.upper(),
        f"`{report.first.env_id}`",
        str(n),
        _mean_std(report.final_return, fmt.episode_return, n, "n/a"),
        _mean_std(report.success_rate, fmt.rate, n, "n/a"),
        f"{report.reached}/{n} seeds" if report.criterion is not None else "n/a",
        _mean_std(report.criterion_steps, fmt.steps, n, not_reached),
        _mean_std(report.criterion_episodes, fmt.steps, n, "unknown" if report.reached else not_reached),
        _mean_std(report.criterion_seconds, fmt.seconds, n, "unknown" if report.reached else not_reached),
        fmt.steps(total.mean) if total.std == 0 else _mean_std(total, fmt.steps, n, ""),
    ]


def _aggregate_table(report: Report) -> str:
    return markdown_table(AGGREGATE_HEADER, [aggregate_row(report)])


def _seed_table(report: Report) -> str:
    header = [
        "seed", "final eval return (± std over episodes)", "success rate", "criterion at steps",
        "criterion at episodes", "criterion at wall s", "steps", "episodes", "wall s",
    ]
    rows = []
    for run in report.runs:
        s = run.summary
        reached = s.get("criterion_timesteps") is not None
        not_reached = "not reached" if report.criterion is not None else "n/a"
        at = "unknown" if reached else not_reached  # reached, but by a run that did not record it
        std = s.get("eval_std_return")
        rows.append([
            str(run.seed),
            fmt.episode_return(s["eval_mean_return"])
            + ("" if std is None else f" ± {fmt.episode_return(std)}"),
            _one(s.get("eval_success_rate"), fmt.rate, "n/a"),
            _one(s.get("criterion_timesteps"), fmt.steps, not_reached),
            _one(s.get("criterion_episodes"), fmt.steps, at),
            _one(s.get("criterion_train_seconds"), fmt.seconds, at),
            fmt.steps(s["timesteps"]),
            _one(s.get("episodes"), fmt.steps, "unknown"),
            _one(s.get("train_seconds"), fmt.seconds, "unknown"),
        ])
    return markdown_table(header, rows)


def _criterion_text(report: Report) -> str:
    if report.criterion is None:
        return "no success criterion (the experiment has no success metric)"
    metric = report.first.success_metric
    on = f" on `{metric}`" if metric else ""
    return (
        f"criterion: the first periodic evaluation with success rate ≥ {fmt.rate(report.criterion)}{on}; "
        "its steps, episodes and wall s are over the seeds that reached it"
    )


def _iqm_section(report: Report) -> str:
    summaries = [run.summary for run in report.runs]
    criterion = " The criterion rows count the seeds that reached it." if report.criterion is not None else ""
    return f"{iqm_table(summaries, report.criterion is not None)}\n\n{method_note(len(summaries))}{criterion}"


def format_report(report: Report, intro: str = "") -> str:
    """The report as Markdown: a heading, ``intro`` (if any), the aggregate row, how to read it,
    then one row per seed."""
    return (
        f"## {report_title(report)}\n\n"
        + (f"{intro.strip()}\n\n" if intro.strip() else "")
        + f"{_aggregate_table(report)}\n\n"
        "Mean ± std across seeds (population std, ddof=0) of each seed's final evaluation; "
        f"{_criterion_text(report)}. Steps and episodes are training steps and episodes; "
        "wall s is training wall-clock seconds, evaluations excluded.\n\n"
        f"### Interquartile mean, 95% intervals\n\n{_iqm_section(report)}\n\n"
        f"### Per seed\n\n{_seed_table(report)}\n"
    )


def write_report(
    targets: list[str], runs_dir: Path, output_dir: Path | None = None
) -> tuple[Path, Path, str]:
    """Report ``targets`` (run directories or experiment names): write ``report.md`` and
    ``curves.png`` (by default beside the seeds, in ``runs_dir/<experiment>/report/``).

    Returns the Markdown path, the PNG path and the Markdown.
    """
    runs = [load_run(run_dir) for run_dir in resolve_run_dirs(targets, runs_dir)]
    report = build_report(runs)
    # the experiment directory the seeds live in: runs_dir/<experiment>/ in the usual layout
    output_dir = output_dir or runs[0].run_dir.parent / "report"
    markdown_path, png_path = output_dir / REPORT_MD, output_dir / CURVES_PNG
    markdown = format_report(report) + f"\n![learning curves]({CURVES_PNG})\n"
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        plot_learning_curves(runs, png_path, report_title(report), criterion=report.criterion)
        atomic.write_text(markdown_path, markdown)
    except OSError as error:
        raise LabError(f"{output_dir}: cannot write the report there ({error.strerror or error})") from None
    return markdown_path, png_path, markdown
