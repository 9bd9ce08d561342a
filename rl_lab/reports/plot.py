"""The learning-curve figure of ``rl-lab report``: evaluation return (and success rate) against
environment steps and against training wall-clock; each seed thin, the interquartile mean (IQM)
across seeds with its 95% stratified-bootstrap band, and the mean dashed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rl_lab.reports.formats import plural
from rl_lab.reports.intervals import BOOTSTRAP_REPS, BOOTSTRAP_SEED, CONFIDENCE, FEW_SEEDS
from rl_lab.reports.runs import RunRecord
from rl_lab.reports.statistics import Band, iqm, sample_efficiency_curve
from rl_lab.runs.atomic import write_with

# Fixed size and no bbox_inches="tight" (which crops), so the PNG is always WIDTH x ROW_HEIGHT·rows px.
DPI = 100
WIDTH_IN = 12.0
ROW_HEIGHT_IN = 4.0
X_AXES = (
    ("timesteps", "environment steps"),
    ("train_seconds", "training wall-clock, s (evaluations excluded)"),
)


def figure_pixels(rows: int) -> tuple[int, int]:
    """Width and height in pixels of a figure with ``rows`` rows of panels."""
    return round(WIDTH_IN * DPI), round(ROW_HEIGHT_IN * rows * DPI)


def plot_learning_curves(
    runs: list[RunRecord], path: Path, title: str, criterion: float | None = None
) -> None:
    """Write the PNG: a row for the eval return, and one for the success rate if any run has it;
    columns against steps and against training seconds. ``criterion`` draws the success target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("returns", "eval mean return")]
    if any(run.curve.success_rate is not None for run in runs):
        rows.append(("success_rate", "eval success rate"))
    width, height = figure_pixels(len(rows))
    fig, axes = plt.subplots(len(rows), 2, figsize=(width / DPI, height / DPI), dpi=DPI, squeeze=False)
    try:
        for (quantity, ylabel), row in zip(rows, axes, strict=True):
            for ax, (x_name, xlabel) in zip(row, X_AXES, strict=True):
                curves = [_xy(run, x_name, quantity) for run in runs]
                _panel(ax, [c for c in curves if c is not None])
                if quantity == "success_rate":
                    ax.set_ylim(-0.03, 1.03)
                    if criterion is not None:
                        ax.axhline(criterion, color="k", ls="--", lw=0.8,
                                   label=f"criterion ({criterion:.0%})")
                ax.set(xlabel=xlabel, ylabel=ylabel)
                ax.grid(alpha=0.3)
                if ax.get_legend_handles_labels()[0]:
                    ax.legend(fontsize=8, loc="best")
        fig.suptitle(title)
        fig.tight_layout()  # moves the panels within the figure; its size stays fixed
        write_with(path, lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    finally:
        plt.close(fig)


def _xy(run: RunRecord, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """One seed's curve sorted by x, or None if the run did not record x or y."""
    x, y = getattr(run.curve, x_name), getattr(run.curve, y_name)
    if x is None or y is None:
        return None
    order = np.argsort(x, kind="stable")  # np.interp needs increasing x
    return np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]


def common_grid(xs: list[np.ndarray]) -> np.ndarray | None:
    """Every seed's x values inside the range all seeds cover (None if they share none), so the
    mean is never extrapolated past a seed's first or last evaluation."""
    low, high = max(x[0] for x in xs), min(x[-1] for x in xs)
    if low > high:
        return None
    points = np.unique(np.concatenate(xs))
    return points[(points >= low) & (points <= high)]


def _panel(ax, curves: list[tuple[np.ndarray, np.ndarray]]) -> None:
    if not curves:
        ax.text(0.5, 0.5, "not recorded by these runs", ha="center", va="center", transform=ax.transAxes)
        return
    for i, (x, y) in enumerate(curves):
        ax.plot(x, y, color="tab:gray", lw=0.8, alpha=0.6, label="individual seeds" if i == 0 else None)
    grid = common_grid([x for x, _ in curves])
    if grid is None:
        return
    ys = np.array([np.interp(grid, x, y) for x, y in curves])
    n = len(curves)
    seeds = plural(n, "seed")
    if n >= 2:
        band = iqm_band(ys)
        few = ", few seeds: wide" if n < FEW_SEEDS else ""
        ax.fill_between(grid, band.low, band.high, color="tab:blue", alpha=0.2,
                        label=f"95% bootstrap band of the IQM ({seeds}{few})")
        ax.plot(grid, ys.mean(axis=0), color="tab:orange", lw=1.2, ls="--", label=f"mean of {seeds}")
        ax.plot(grid, band.point, color="tab:blue", lw=2, marker="o" if len(grid) == 1 else None,
                label=f"IQM of {seeds}")


def iqm_band(ys: np.ndarray) -> Band:
    """The IQM across seeds at each point of the grid (``ys[seed, point]``) and its 95% band, from the
    same seeded resamples as the report's intervals (a resampled seed keeps its whole curve)."""
    return sample_efficiency_curve(ys[:, None, :], iqm, BOOTSTRAP_REPS, CONFIDENCE, BOOTSTRAP_SEED)
