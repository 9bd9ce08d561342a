"""The interquartile mean (IQM) of a report's per-seed results, with a stratified-bootstrap 95 % interval.

Mean ± std over three seeds says little (Agarwal et al., "Deep Reinforcement Learning at the Edge of
the Statistical Precipice", NeurIPS 2021): the IQM (the mean of the middle half of the seeds) with a
percentile bootstrap interval says how far the figure could move with other seeds. The resampling
is seeded (:data:`BOOTSTRAP_SEED`), so the same runs always give the same report, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rl_lab.reports import formats as fmt
from rl_lab.reports.markdown import markdown_table
from rl_lab.reports.statistics import Interval, iqm, stratified_bootstrap_ci

BOOTSTRAP_REPS = 10_000  # resamples per interval (rliable's examples use 2,000 to 50,000)
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
FEW_SEEDS = 5  # below this the report says the interval is wide


@dataclass(frozen=True)
class Quantity:
    """A per-seed result of ``summary.json`` that reports aggregate and comparisons rank."""

    name: str  # as --metric takes it
    label: str
    key: str  # the summary.json key
    format: Callable[[float], str]
    higher_is_better: bool
    criterion: bool  # measured only on seeds that reached the success criterion


QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("return", "final eval return", "eval_mean_return", fmt.episode_return, True, False),
    Quantity("success_rate", "final success rate", "eval_success_rate", fmt.rate, True, False),
    Quantity("criterion_steps", "steps to criterion", "criterion_timesteps", fmt.steps, False, True),
    Quantity("criterion_episodes", "episodes to criterion", "criterion_episodes", fmt.steps, False, True),
    Quantity("criterion_seconds", "wall s to criterion", "criterion_train_seconds", fmt.seconds, False, True),
)}


def iqm_interval(values: Sequence[float]) -> Interval | None:
    """IQM of the seeds' values with its 95 % percentile bootstrap interval (None below 2 seeds)."""
    if len(values) < 2:
        return None
    scores = np.asarray(values, dtype=float)[:, None]  # one task: (seeds, 1)
    return stratified_bootstrap_ci(scores, iqm, BOOTSTRAP_REPS, CONFIDENCE, BOOTSTRAP_SEED)


def format_iqm(interval: Interval | None, format: Callable[[float], str]) -> str:
    """``IQM [low, high]`` in the quantity's own units, or why there is none."""
    if interval is None:
        return "n/a (needs ≥ 2 seeds)"
    point, low, high = interval
    return f"{format(point)} [{format(low)}, {format(high)}]"


def seed_values(summaries: Sequence[dict[str, Any]], quantity: Quantity) -> list[float]:
    """The quantity of each seed that has it (criterion quantities: the seeds that reached it)."""
    return [float(s[quantity.key]) for s in summaries if s.get(quantity.key) is not None]


def _missing(summaries: Sequence[dict[str, Any]]) -> str:
    """Why a criterion quantity has no values: no seed reached it, or the runs did not record it."""
    reached = any(s.get("criterion_timesteps") is not None for s in summaries)
    return "unknown (not recorded by these runs)" if reached else "not reached"


def iqm_cell(summaries: Sequence[dict[str, Any]], quantity: Quantity, has_criterion: bool) -> str:
    """One table cell: the IQM and interval, saying over how many seeds when not all count."""
    if quantity.criterion and not has_criterion:
        return "n/a"
    values = seed_values(summaries, quantity)
    if quantity.criterion and not values:
        return _missing(summaries)
    text = format_iqm(iqm_interval(values), quantity.format)
    return text if len(values) == len(summaries) else f"{text} ({len(values)}/{len(summaries)} seeds)"


OVERVIEW_QUANTITIES = ("return", "criterion_steps")
OVERVIEW_HEADER = ["final eval return, IQM [95% CI]", "steps to criterion, IQM [95% CI]"]


def overview_cells(summaries: Sequence[dict[str, Any]], has_criterion: bool) -> list[str]:
    """The cells of :data:`OVERVIEW_HEADER` (the suite's at-a-glance table)."""
    return [iqm_cell(summaries, QUANTITIES[name], has_criterion) for name in OVERVIEW_QUANTITIES]


def iqm_table(summaries: Sequence[dict[str, Any]], has_criterion: bool) -> str:
    """Every quantity the seeds have: the seeds it is over (for the criterion's, those that reached it)
    and its IQM with the 95 % interval."""
    n = len(summaries)
    rows = []
    for quantity in QUANTITIES.values():
        if quantity.criterion and not has_criterion:
            continue
        values = seed_values(summaries, quantity)
        if not values and not quantity.criterion:
            continue  # e.g. no success metric: no success rate
        # The note below warns when all seeds are few; a row over few of many seeds warns itself.
        few = " (few: wide)" if 2 <= len(values) < FEW_SEEDS <= n else ""
        over = f"{len(values)}/{n}{few}"
        iqm_text = format_iqm(iqm_interval(values), quantity.format) if values else _missing(summaries)
        rows.append([quantity.label, over, iqm_text])
    return markdown_table(["", "seeds counted", "IQM [95% CI]"], rows)


def method_note(seeds: int) -> str:
    """How the IQM and its interval are computed, and, with few seeds, how little they can say."""
    text = (
        "IQM: the mean of the middle half of the seeds' values (the lowest and highest quarter dropped; "
        "with fewer than 4 seeds nothing is dropped and it equals the mean). 95% CI: percentile interval "
        f"of the IQM over {BOOTSTRAP_REPS:,} bootstrap resamples of the seeds (stratified bootstrap, "
        f"Agarwal et al. 2021; resampling seed {BOOTSTRAP_SEED}, so the same runs give the same numbers)."
    )
    if seeds < 2:
        return text + " One seed: no interval."
    if seeds < FEW_SEEDS:
        return text + (
            f" With only {fmt.plural(seeds, 'seed')} the interval is wide and coarse: the bootstrap can only "
            f"recombine these {seeds} values, so read it as a rough range; more seeds narrow it."
        )
    return text
