"""The performance-profile figure of a comparison: for each threshold, the fraction of each config's
runs that do better, with a 95 % stratified-bootstrap band (Agarwal et al., NeurIPS 2021).

For a higher-is-better quantity (the return) the profile is the fraction of runs scoring above tau;
for a lower-is-better one (steps to criterion) it is the fraction of runs that reached the criterion
within tau, which is what a sample-efficiency reader wants. Where the curves do not cross, one
config's runs stochastically dominate the other's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rl_lab.reports.intervals import BOOTSTRAP_REPS, BOOTSTRAP_SEED, CONFIDENCE, Quantity
from rl_lab.reports.statistics import Band, performance_profile
from rl_lab.runs.atomic import write_with

if TYPE_CHECKING:
    from rl_lab.reports.compare import Group

THRESHOLDS = 201
COLOURS = {"A": "tab:blue", "B": "tab:orange"}


def thresholds(values: list[float]) -> np.ndarray:
    """Evenly spaced thresholds across every run's value, a margin either side, and the values
    themselves (so each step of a profile sits exactly at a run's value)."""
    low, high = min(values), max(values)
    margin = 0.05 * (high - low) or 0.05 * abs(high) or 1.0
    return np.unique(np.concatenate([np.linspace(low - margin, high + margin, THRESHOLDS), values]))


def profile(quantity: Quantity, values: list[float | None], taus: np.ndarray) -> Band:
    """The profile of one side at ``taus`` with its band (runs that never reached the criterion never
    count as within any threshold)."""
    beyond = float(taus[-1]) + 1.0  # past every threshold: never "reached within tau"
    scores = np.array([[beyond if v is None else v] for v in values])
    above = performance_profile(scores, taus, BOOTSTRAP_REPS, CONFIDENCE, BOOTSTRAP_SEED)
    if quantity.higher_is_better:
        return above
    # Fraction within tau = 1 - fraction above tau; the band flips with it.
    return Band(1.0 - above.point, 1.0 - above.high, 1.0 - above.low)


def plot_profiles(quantity: Quantity, a: Group, b: Group, path: Path) -> None:
    """Write the PNG: both sides' profiles with their bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    taus = thresholds([*a.reached, *b.reached])
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    try:
        for group in (a, b):
            band = profile(quantity, group.values, taus)
            colour = COLOURS[group.label]
            n = len(group.values)
            ax.fill_between(taus, band.low, band.high, step="post", color=colour, alpha=0.2)
            ax.step(taus, band.point, where="post", color=colour, lw=2,
                    label=f"{group.label}: {group.name} ({n} seeds; band: 95% bootstrap)")
        if quantity.higher_is_better:
            ylabel = f"fraction of runs with {quantity.label} > τ"
        else:
            ylabel = f"fraction of runs with {quantity.label} ≤ τ"
        ax.set(xlabel=f"τ ({quantity.label})", ylabel=ylabel, ylim=(-0.03, 1.03),
               title=f"performance profiles: {a.name} (A) vs {b.name} (B)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        write_with(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    finally:
        plt.close(fig)
