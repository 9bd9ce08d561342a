"""Two configs of one task, compared over their seeds: ``rl-lab report RUNS_A --compare RUNS_B``.

For one per-seed result (a :data:`~rl_lab.reports.intervals.QUANTITIES` name: the final return, the
steps to the success criterion, ...), it gives each config's IQM with a 95 % interval and the
probability of improvement P(A better than B) with its interval (Agarwal et al., NeurIPS 2021), and
a performance-profile figure. Seeds that never reached the criterion count as worse than every seed
that did (the probability of improvement and the profile rank runs, so that is exact); the IQMs of
a criterion quantity are over the seeds that reached it, and the table says how many did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_lab.errors import LabError
from rl_lab.reports import formats as fmt
from rl_lab.reports.intervals import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    FEW_SEEDS,
    QUANTITIES,
    Quantity,
    format_iqm,
    iqm_interval,
    method_note,
)
from rl_lab.reports.markdown import markdown_table
from rl_lab.reports.runs import RunRecord, load_run, resolve_run_dirs
from rl_lab.reports.statistics import Interval, probability_of_improvement_ci
from rl_lab.runs import atomic

COMPARE_MD = "compare.md"
PROFILE_PNG = "profile.png"


@dataclass(frozen=True)
class Group:
    """One side of a comparison: its runs and their values of the compared quantity."""

    label: str  # "A" or "B"
    runs: list[RunRecord]
    values: list[float | None]  # per run; None: the run never reached the criterion

    @property
    def name(self) -> str:
        return self.runs[0].experiment

    @property
    def reached(self) -> list[float]:
        return [v for v in self.values if v is not None]


def _records(runs: Sequence[RunRecord | str | Path], label: str) -> list[RunRecord]:
    """One side's runs, checked as ``rl-lab report`` checks its seeds: finished, one experiment with one
    config, no seed twice."""
    if not runs:
        raise LabError(f"compare: no runs in {label}")
    paths = [run.run_dir if isinstance(run, RunRecord) else Path(run) for run in runs]
    resolve_run_dirs([str(path) for path in paths], Path("."))
    return [run if isinstance(run, RunRecord) else load_run(Path(run)) for run in runs]


def _check_one_task(a: list[RunRecord], b: list[RunRecord], quantity: Quantity) -> None:
    """Both sides play the same environment (and, for criterion quantities, the same criterion); no run
    is on both sides."""
    env_a, env_b = a[0].env_id, b[0].env_id
    if env_a != env_b:
        raise LabError(f"compare: not one task: A ({a[0].experiment}) runs {env_a}, B ({b[0].experiment}) "
                       f"runs {env_b}")
    shared = {r.run_dir.resolve() for r in a} & {r.run_dir.resolve() for r in b}
    if shared:
        raise LabError(f"compare: {sorted(shared)[0]} is on both sides")
    if quantity.criterion:
        criteria = []
        for side, runs in (("A", a), ("B", b)):
            summary = runs[0].summary
            if summary.get("eval_success_rate") is None or summary.get("criterion_success_rate") is None:
                raise LabError(f"compare --metric {quantity.name}: {side} ({runs[0].experiment}) has no "
                               "success criterion (no success_metric); compare --metric return instead")
            criteria.append((runs[0].success_metric, summary["criterion_success_rate"]))
        if criteria[0] != criteria[1]:
            raise LabError(f"compare --metric {quantity.name}: A's criterion {criteria[0]} is not B's "
                           f"{criteria[1]}: their steps to criterion measure different things")


def _values(runs: list[RunRecord], quantity: Quantity) -> list[float | None]:
    """Each run's value; a missing value is an error unless the run never reached the criterion."""
    values: list[float | None] = []
    for run in runs:
        value = run.summary.get(quantity.key)
        reached = run.summary.get("criterion_timesteps") is not None
        if value is None and not (quantity.criterion and not reached):
            raise LabError(f"{run.run_dir / 'summary.json'}: no {quantity.key!r} (needed for --metric "
                           f"{quantity.name})")
        values.append(None if value is None else float(value))
    return values


def groups(runs_a: Sequence[RunRecord | str | Path], runs_b: Sequence[RunRecord | str | Path],
           metric: str) -> tuple[Quantity, Group, Group]:
    """The compared quantity and both sides, checked: one task, values present, two runs a side."""
    if metric not in QUANTITIES:
        raise LabError(f"compare: unknown metric {metric!r} (one of {', '.join(QUANTITIES)})")
    quantity = QUANTITIES[metric]
    a, b = _records(runs_a, "A"), _records(runs_b, "B")
    _check_one_task(a, b, quantity)
    sides = Group("A", a, _values(a, quantity)), Group("B", b, _values(b, quantity))
    for side in sides:
        if len(side.runs) < 2:
            raise LabError(f"compare: {side.label} ({side.name}) has 1 run; intervals need at least 2 a side")
    if not sides[0].reached and not sides[1].reached:
        raise LabError(f"compare --metric {metric}: no run of A or B reached the criterion; "
                       "compare --metric return instead")
    return quantity, *sides


def oriented_scores(quantity: Quantity, a: Group, b: Group) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' values as (runs, 1) scores where higher is better; a run that never reached the
    criterion scores below every run that did (ties with the others that did not)."""
    sign = 1.0 if quantity.higher_is_better else -1.0
    known = [sign * v for side in (a, b) for v in side.reached]
    floor = min(known) - 1.0  # rank-based statistics only: how far below does not matter

    def scores(group: Group) -> np.ndarray:
        return np.array([[floor if v is None else sign * v] for v in group.values])

    return scores(a), scores(b)


def improvement(quantity: Quantity, a: Group, b: Group) -> Interval:
    """P(a run of A is better than a run of B) with its 95 % interval."""
    x, y = oriented_scores(quantity, a, b)
    return probability_of_improvement_ci(x, y, BOOTSTRAP_REPS, CONFIDENCE, BOOTSTRAP_SEED)


def _row(quantity: Quantity, group: Group) -> list[str]:
    n, reached = len(group.values), group.reached
    seeds = " ".join(str(run.seed) for run in group.runs)
    mean_std = "-" if not reached else (f"{quantity.format(float(np.mean(reached)))} ± "
                                       f"{quantity.format(float(np.std(reached)))}")
    iqm_text = format_iqm(iqm_interval(reached), quantity.format) if reached else "not reached"
    row = [f"{group.label}: `{group.name}`", seeds, mean_std, iqm_text]
    return [*row, f"{len(reached)}/{n}"] if quantity.criterion else row


def compare_runs(runs_a: Sequence[RunRecord | str | Path], runs_b: Sequence[RunRecord | str | Path],
                 metric: str = "return") -> str:
    """The comparison of two configs of one task as Markdown: each side's IQM with a 95 % interval
    and P(A better than B) with its interval, for ``metric`` (a :data:`QUANTITIES` name).

    ``runs_a``/``runs_b``: finished runs, as :class:`RunRecord` or run directories. Raises
    :class:`LabError` (one line) for an empty side, different tasks, or a missing value.
    """
    quantity, a, b = groups(runs_a, runs_b, metric)
    header = ["config", "seeds", "mean ± std", "IQM [95% CI]"]
    if quantity.criterion:
        header.append("reached criterion")
    table = markdown_table(header, [_row(quantity, a), _row(quantity, b)])
    p = improvement(quantity, a, b)
    better = "higher" if quantity.higher_is_better else "lower"
    counted = ("Mean ± std and IQM are over the seeds that reached the criterion; a seed that did not counts "
               "as worse than any that did in P(A better than B) and in the profiles. " if quantity.criterion
               else "")
    n = min(len(side.reached) for side in (a, b) if side.reached)  # the IQMs' seeds
    few = (f" With {fmt.plural(n, 'seed')} behind a side's IQM its interval is wide; more seeds narrow it."
           if n < FEW_SEEDS else "")
    return (
        f"## {a.name} (A) vs {b.name} (B): {quantity.label} on {a.runs[0].env_id}\n\n{table}\n\n"
        f"**P(A better than B) = {p.point:.2f} [{p.low:.2f}, {p.high:.2f}]** (95% CI): the chance that a "
        f"run of A has a better {quantity.label} than a run of B ({better} is better), ties counting one "
        "half (0.5: no difference; it says how often A wins, not by how much; the Mann-Whitney statistic, "
        f"resampled {BOOTSTRAP_REPS:,} times, A's and B's seeds independently).{few}\n\n"
        f"{counted}{method_note(n)}\n"
    )


def profile_figure(runs_a: Sequence[RunRecord | str | Path], runs_b: Sequence[RunRecord | str | Path],
                   metric: str, path: Path) -> Path:
    """Write the performance profiles of both sides for ``metric`` to ``path`` (a PNG; e.g. beside a
    :func:`compare_runs` section in the docs)."""
    from rl_lab.reports.profile_plot import plot_profiles

    quantity, a, b = groups(runs_a, runs_b, metric)
    plot_profiles(quantity, a, b, path)
    return path


def write_comparison(targets_a: list[str], targets_b: list[str], runs_dir: Path, metric: str = "return",
                     output_dir: Path | None = None) -> tuple[Path, Path, str]:
    """Compare the runs named by ``targets_a`` and ``targets_b`` (run directories or experiments, as
    ``rl-lab report`` takes them): write ``compare.md`` and ``profile.png`` (by default beside A's
    seeds, in ``compare-<B>/``). Returns the Markdown path, the PNG path and the Markdown."""
    a = [load_run(d) for d in resolve_run_dirs(targets_a, runs_dir)]
    b = [load_run(d) for d in resolve_run_dirs(targets_b, runs_dir)]
    markdown = compare_runs(a, b, metric) + f"\n![performance profiles]({PROFILE_PNG})\n"
    output_dir = output_dir or a[0].run_dir.parent / f"compare-{b[0].experiment}"
    markdown_path, png_path = output_dir / COMPARE_MD, output_dir / PROFILE_PNG
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        profile_figure(a, b, metric, png_path)
        atomic.write_text(markdown_path, markdown)
    except OSError as error:
        why = error.strerror or error
        raise LabError(f"{output_dir}: cannot write the comparison there ({why})") from None
    return markdown_path, png_path, markdown
