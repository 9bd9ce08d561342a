"""Aggregate scores over few runs, with intervals that hold: IQM, stratified bootstrap, P(X > Y), profiles.

The estimators and their definitions follow Agarwal, Schwarzer, Castro, Courville & Bellemare,
"Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS 2021, and the
formulas of their (now archived) rliable library, re-implemented here with numpy alone:

- the interquartile mean (IQM) and the other aggregates over a (runs, tasks) score matrix;
- 95 % confidence intervals from the stratified bootstrap (runs resampled within each task), with
  Efron's percentile interval (Efron 1979, "Bootstrap methods: another look at the jackknife";
  Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 13);
- the probability of improvement P(X > Y), a normalised Mann-Whitney U statistic;
- performance profiles (the run-score distribution) and sample-efficiency curves with bands.

Every function takes ``scores[run, task]`` (curves: ``scores[run, task, step]``); for one task
pass ``scores[:, None]``. The lab's own statistics (``iqm``, ``mean``, ``median``,
``optimality_gap`` at gamma = 1) are bootstrapped vectorised; any other callable is called once per
resample. Bad input raises :class:`StatisticsInputError` (a ``ValueError`` and a ``LabError``) with a
one-line message naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import NamedTuple

import numpy as np

from rl_lab.errors import LabError

Statistic = Callable[[np.ndarray], float]

# A bootstrap works on this many score cells at once: bounds memory whatever reps, runs or steps are.
_CHUNK_CELLS = 1 << 22


class StatisticsInputError(LabError, ValueError):
    """Scores or bootstrap settings that cannot be aggregated; the message names which and why."""


class Interval(NamedTuple):
    """A point estimate and its confidence interval (``point, low, high = interval``)."""

    point: float
    low: float
    high: float


class Band(NamedTuple):
    """Point estimates and pointwise confidence bands along an axis (thresholds or steps)."""

    point: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _as_scores(scores: object, name: str, axes: tuple[str, ...] = ("runs", "tasks")) -> np.ndarray:
    """``scores`` as a finite float array with one axis per name in ``axes``, or a one-line error."""
    layout = f"({', '.join(axes)})"
    try:
        array = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as error:
        raise StatisticsInputError(f"{name}: expected numbers shaped {layout}, got {error}") from None
    if array.ndim != len(axes):
        hint = f"; for one task pass {name}[:, None]" if array.ndim == len(axes) - 1 else ""
        raise StatisticsInputError(
            f"{name}: expected a {len(axes)}-D array {layout}, got shape {array.shape}{hint}"
        )
    if array.size == 0:
        raise StatisticsInputError(f"{name}: empty, shape {array.shape} {layout}")
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise StatisticsInputError(
            f"{name}: {int(bad.sum())} non-finite value(s) (NaN or inf), the first at index {where} {layout}"
        )
    return array


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_bootstrap(
    scores: np.ndarray, name: str, reps: int, confidence: float, seed: int, method: str = "percentile"
) -> None:
    """The bootstrap settings are usable and there are at least two runs to resample."""
    if scores.shape[0] < 2:
        raise StatisticsInputError(
            f"{name}: a confidence interval needs at least 2 runs per task, got {scores.shape[0]}"
        )
    if not _is_integer(reps) or reps < 1:
        raise StatisticsInputError(f"reps: expected a positive integer, got {reps!r}")
    if not isinstance(confidence, Real) or not 0.0 < confidence < 1.0:
        raise StatisticsInputError(
            f"confidence: expected a number strictly between 0 and 1, got {confidence!r}"
        )
    if not _is_integer(seed) or seed < 0:
        # default_rng(None) would draw fresh entropy: the interval could not be reproduced.
        raise StatisticsInputError(f"seed: expected a non-negative integer, got {seed!r}")
    if method != "percentile":
        # rliable also offers basic, bc and BCa intervals; the percentile interval is its default.
        raise StatisticsInputError(f"method: only 'percentile' is implemented, got {method!r}")


def _iqm_kernel(scores: np.ndarray) -> np.ndarray:
    """scipy.stats.trim_mean(x, 0.25) of each flattened (runs, tasks) matrix in the batch."""
    flat = scores.reshape(*scores.shape[:-2], -1)
    count = flat.shape[-1]
    cut = int(0.25 * count)  # trim_mean truncates: 10 values drop 2 per side, 3 values drop none
    return np.sort(flat, axis=-1)[..., cut : count - cut].mean(axis=-1)


def _mean_kernel(scores: np.ndarray) -> np.ndarray:
    return scores.mean(axis=-2).mean(axis=-1)


def _median_kernel(scores: np.ndarray) -> np.ndarray:
    return np.median(scores.mean(axis=-2), axis=-1)


def _optimality_gap_kernel(scores: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    return gamma - np.minimum(scores, gamma).mean(axis=(-2, -1))


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over all runs and tasks: the mean of the middle 50 % of the scores.

    Defined as rliable's ``aggregate_iqm`` (Agarwal et al., NeurIPS 2021):
    ``scipy.stats.trim_mean(scores, 0.25, axis=None)``, which drops ``int(0.25 * n)`` of the
    ``n = runs * tasks`` scores at each end. The cut is rounded down, so when ``n`` is not a
    multiple of 4 slightly more than half the scores are kept (all of them when ``n < 4``).
    """
    return float(_iqm_kernel(_as_scores(scores, "scores")))


def mean(scores: np.ndarray) -> float:
    """Mean over tasks of each task's mean score (rliable's ``aggregate_mean``)."""
    return float(_mean_kernel(_as_scores(scores, "scores")))


def median(scores: np.ndarray) -> float:
    """Median over tasks of each task's mean score (rliable's ``aggregate_median``)."""
    return float(_median_kernel(_as_scores(scores, "scores")))


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> float:
    """How far the scores fall short of ``gamma``: ``gamma - mean(min(scores, gamma))``.

    rliable's ``aggregate_optimality_gap`` (Agarwal et al., NeurIPS 2021): scores above the target
    ``gamma`` earn nothing more, so lower is better and 0 means every run reached ``gamma``.
    """
    if not isinstance(gamma, Real) or not np.isfinite(gamma):
        raise StatisticsInputError(f"gamma: expected a finite number, got {gamma!r}")
    return float(_optimality_gap_kernel(_as_scores(scores, "scores"), float(gamma)))


_KERNELS: dict[Callable[..., float], Callable[[np.ndarray], np.ndarray]] = {
    iqm: _iqm_kernel,
    mean: _mean_kernel,
    median: _median_kernel,
    optimality_gap: _optimality_gap_kernel,
}


def _kernel_for(statistic: Statistic) -> Callable[[np.ndarray], np.ndarray]:
    """A kernel mapping a batch (..., runs, tasks) to (...): the vectorised one if known, else a loop."""
    if not callable(statistic):
        raise StatisticsInputError(
            f"statistic: expected a function of a (runs, tasks) array, got {statistic!r}"
        )
    known = _KERNELS.get(statistic)
    if known is not None:
        return known

    def loop(batch: np.ndarray) -> np.ndarray:
        flat = batch.reshape(-1, *batch.shape[-2:])
        values = np.array([_scalar(statistic(matrix), statistic) for matrix in flat], dtype=float)
        return values.reshape(batch.shape[:-2])

    return loop


def _scalar(value: object, statistic: Statistic) -> float:
    array = np.asarray(value, dtype=float)
    if array.size != 1:
        name = getattr(statistic, "__name__", repr(statistic))
        raise StatisticsInputError(f"statistic {name}: must return one number, returned shape {array.shape}")
    return float(array.reshape(()))


def _stratified_indices(rng: np.random.Generator, reps: int, runs: int, tasks: int) -> np.ndarray:
    """Run indices ``[rep, run, task]``: each task's runs drawn with replacement from that task only."""
    return rng.integers(0, runs, size=(reps, runs, tasks))


def _resampled(scores: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``scores[indices[b, i, m], m, ...]`` for a block of resamples: shape (b, runs, tasks, ...)."""
    return scores[indices, np.arange(scores.shape[1])]


def _chunks(reps: int, cells_per_rep: int) -> list[slice]:
    size = max(1, _CHUNK_CELLS // max(1, cells_per_rep))
    return [slice(start, min(start + size, reps)) for start in range(0, reps, size)]


def _bootstrap_replicates(
    scores: np.ndarray, kernel: Callable[[np.ndarray], np.ndarray], reps: int, seed: int, width: int = 1
) -> np.ndarray:
    """``kernel`` on ``reps`` stratified resamples of ``scores``; row b is resample b.

    All indices are drawn before any statistic runs, so the result depends on the seed alone (never
    on chunking), and data of shape (runs, tasks, steps) drawn with the same seed resamples the same
    runs as its (runs, tasks) slices: a whole learning curve is one run.
    """
    indices = _stratified_indices(np.random.default_rng(seed), reps, scores.shape[0], scores.shape[1])
    blocks = [kernel(_resampled(scores, indices[part])) for part in _chunks(reps, scores.size * width)]
    return np.concatenate(blocks, axis=0)


def _percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Efron's percentile interval: the (1 - c)/2 and (1 + c)/2 quantiles of the bootstrap replicates.

    Linear interpolation between order statistics, numpy's default, as rliable's bootstrap (arch) uses.
    """
    low, high = np.percentile(replicates, [50.0 * (1.0 - confidence), 50.0 * (1.0 + confidence)], axis=0)
    return low, high


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Statistic = iqm,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    method: str = "percentile",
) -> Interval:
    """``statistic(scores)`` with a stratified-bootstrap percentile confidence interval.

    Each of the ``reps`` resamples draws, independently for every task, ``runs`` runs with
    replacement from that task's own runs (the stratified bootstrap of Agarwal et al., NeurIPS 2021,
    rliable's ``StratifiedBootstrap``; for one task it is Efron's ordinary bootstrap over runs). The
    interval is the percentile interval of the statistic over the resamples; rliable also offers BCa,
    which is not implemented here. ``numpy.random.default_rng(seed)`` drives it: same seed, same
    interval.

    Args:
        scores: ``scores[run, task]``, at least 2 runs, all finite.
        statistic: maps a (runs, tasks) array to one number; ``iqm`` by default.
        reps: number of bootstrap resamples (rliable's examples use 2,000 to 50,000).
        confidence: coverage of the interval, 0.95 for a 95 % interval.
        seed: seed of the resampling.
        method: ``"percentile"``, the only one implemented.
    """
    array = _as_scores(scores, "scores")
    _check_bootstrap(array, "scores", reps, confidence, seed, method)
    kernel = _kernel_for(statistic)
    point = float(kernel(array[None])[0])
    low, high = _percentile_interval(_bootstrap_replicates(array, kernel, int(reps), seed), confidence)
    return Interval(point, float(low), float(high))


def _improvement_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean over tasks of P(X > Y) for batches x (b, runs_x, tasks), y (b, runs_y, tasks)."""
    left, right = x[:, :, None, :], y[:, None, :, :]
    per_pair = (left > right) + 0.5 * (left == right)  # the Mann-Whitney kernel: a tie counts one half
    return per_pair.mean(axis=(1, 2)).mean(axis=-1)


def _paired_scores(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    scores_x, scores_y = _as_scores(x, "x"), _as_scores(y, "y")
    if scores_x.shape[1] != scores_y.shape[1]:
        raise StatisticsInputError(
            f"x and y: need the same tasks, got {scores_x.shape[1]} and {scores_y.shape[1]} tasks"
        )
    return scores_x, scores_y


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y): the chance that a run of X beats a run of Y on the same task, averaged over tasks.

    For task m, ``P(X_m > Y_m) = 1/(N K) * sum_i sum_j S(x_im, y_jm)`` with ``S = 1`` if
    ``x > y``, ``1/2`` on a tie, ``0`` otherwise: the Mann-Whitney U statistic of x divided by
    ``N * K`` (Agarwal et al., NeurIPS 2021; rliable's ``probability_of_improvement``). 0.5 means
    no difference; it says how often X wins, not by how much.

    Args:
        x: ``x[run, task]``, N runs of configuration X.
        y: ``y[run, task]``, K runs of configuration Y on the same tasks (K may differ from N).
    """
    scores_x, scores_y = _paired_scores(x, y)
    return float(_improvement_kernel(scores_x[None], scores_y[None])[0])


def probability_of_improvement_ci(
    x: np.ndarray, y: np.ndarray, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Interval:
    """:func:`probability_of_improvement` with a stratified-bootstrap percentile interval.

    X's and Y's runs are resampled independently of each other, each within its task (rliable's
    ``StratifiedIndependentBootstrap``); ``default_rng(seed)`` draws X's indices, then Y's.
    """
    scores_x, scores_y = _paired_scores(x, y)
    _check_bootstrap(scores_x, "x", reps, confidence, seed)
    _check_bootstrap(scores_y, "y", reps, confidence, seed)
    reps = int(reps)
    rng = np.random.default_rng(seed)
    tasks = scores_x.shape[1]
    indices_x = _stratified_indices(rng, reps, scores_x.shape[0], tasks)
    indices_y = _stratified_indices(rng, reps, scores_y.shape[0], tasks)
    pairs = scores_x.shape[0] * scores_y.shape[0] * tasks
    replicates = np.concatenate(
        [
            _improvement_kernel(_resampled(scores_x, indices_x[part]), _resampled(scores_y, indices_y[part]))
            for part in _chunks(reps, pairs)
        ]
    )
    low, high = _percentile_interval(replicates, confidence)
    return Interval(probability_of_improvement(scores_x, scores_y), float(low), float(high))


def performance_profile(
    scores: np.ndarray, taus: np.ndarray, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Band:
    """The fraction of runs scoring above each threshold tau, with stratified-bootstrap bands.

    rliable's run-score distribution (``create_performance_profile`` with its default
    ``use_score_distribution=True``): ``F(tau) = mean over runs and tasks of [score > tau]``, strictly
    greater (Agarwal et al., NeurIPS 2021). It is non-increasing in tau; where two profiles do not
    cross, one configuration stochastically dominates the other.

    Args:
        scores: ``scores[run, task]``, at least 2 runs.
        taus: 1-D array of thresholds, in the scores' units.
        reps, confidence, seed: as in :func:`stratified_bootstrap_ci`.
    """
    array = _as_scores(scores, "scores")
    thresholds = _as_scores(taus, "taus", axes=("thresholds",))
    _check_bootstrap(array, "scores", reps, confidence, seed)

    def profile(batch: np.ndarray) -> np.ndarray:
        flat = batch.reshape(batch.shape[0], -1)
        return (flat[:, :, None] > thresholds).mean(axis=1)

    replicates = _bootstrap_replicates(array, profile, int(reps), seed, width=thresholds.size)
    low, high = _percentile_interval(replicates, confidence)
    return Band(profile(array[None])[0], low, high)


def sample_efficiency_curve(
    scores: np.ndarray, statistic: Statistic = iqm, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Band:
    """``statistic`` at each evaluation step, with a stratified-bootstrap band per step.

    A resampled run keeps its whole learning curve, so with the same seed the band at step s is
    exactly ``stratified_bootstrap_ci(scores[:, :, s], statistic, reps, confidence, seed)``
    (rliable draws runs afresh at each step; the bands per step have the same distribution).

    Args:
        scores: ``scores[run, task, step]``, at least 2 runs; every run evaluated at the same steps.
        statistic: maps a (runs, tasks) array to one number; ``iqm`` by default.
        reps, confidence, seed: as in :func:`stratified_bootstrap_ci`.
    """
    array = _as_scores(scores, "scores", axes=("runs", "tasks", "steps"))
    _check_bootstrap(array, "scores", reps, confidence, seed)
    kernel = _kernel_for(statistic)

    def per_step(batch: np.ndarray) -> np.ndarray:
        return kernel(np.moveaxis(batch, -1, 1))  # (b, runs, tasks, steps) -> (b, steps)

    replicates = _bootstrap_replicates(array, per_step, int(reps), seed)
    low, high = _percentile_interval(replicates, confidence)
    return Band(per_step(array[None])[0], low, high)


def format_interval(point: float, low: float, high: float, digits: int = 1) -> str:
    """``"12.3 [11.0, 13.1]"``: a point estimate and its interval, each with ``digits`` decimals."""
    if not _is_integer(digits) or digits < 0:
        raise StatisticsInputError(f"digits: expected a non-negative integer, got {digits!r}")

    def text(value: float) -> str:
        return f"{round(float(value), digits) + 0.0:.{digits}f}"  # + 0.0 turns -0.0 into 0.0

    return f"{text(point)} [{text(low)}, {text(high)}]"
