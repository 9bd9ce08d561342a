"""rl_lab.reports.statistics against hand-computed values and plain-loop references of the definitions.

The references below are written from Agarwal et al. (NeurIPS 2021) and rliable's formulas with
Python loops, independently of the vectorised code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rl_lab.errors import LabError
from rl_lab.reports import statistics as st

# --- plain-loop references ---------------------------------------------------------------------


def reference_iqm(scores: np.ndarray) -> float:
    """scipy.stats.trim_mean(scores, 0.25, axis=None): drop int(n / 4) sorted values at each end."""
    values = sorted(float(v) for v in np.ravel(scores))
    cut = len(values) // 4
    kept = values[cut : len(values) - cut]
    return sum(kept) / len(kept)


def reference_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """Mean over tasks of (1 / NK) sum_ij S(x_i, y_j), S = 1 if x > y, 1/2 if equal, 0 otherwise."""
    per_task = []
    for task in range(x.shape[1]):
        total = 0.0
        for a in x[:, task]:
            for b in y[:, task]:
                total += 1.0 if a > b else 0.5 if a == b else 0.0
        per_task.append(total / (x.shape[0] * y.shape[0]))
    return sum(per_task) / len(per_task)


def reference_profile(scores: np.ndarray, tau: float) -> float:
    """Fraction of all (run, task) scores strictly above tau."""
    values = np.ravel(scores)
    return sum(1 for v in values if v > tau) / len(values)


def reference_percentile(values: list[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (numpy's and arch's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def reference_resample(scores: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Resample b of rliable's StratifiedBootstrap: cell (i, m) takes run indices[i, m] of task m."""
    runs, tasks = indices.shape
    out = np.empty((runs, tasks))
    for i in range(runs):
        for m in range(tasks):
            out[i, m] = scores[indices[i, m], m]
    return out


def reference_bootstrap(scores, statistic, reps, confidence, seed):
    """Stratified percentile bootstrap, one resample at a time, from the same index draws."""
    indices = np.random.default_rng(seed).integers(0, scores.shape[0], size=(reps, *scores.shape))
    values = [statistic(reference_resample(scores, indices[b])) for b in range(reps)]
    alpha = (1.0 - confidence) / 2.0
    return statistic(scores), reference_percentile(values, alpha), reference_percentile(values, 1.0 - alpha)


def sample(runs: int, tasks: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc=5.0, scale=2.0, size=(runs, tasks))


# --- aggregates -------------------------------------------------------------------------------


def test_iqm_of_one_to_eight_is_the_mean_of_the_middle_four():
    # 8 scores, cut int(0.25 * 8) = 2 per side: mean(3, 4, 5, 6) = 4.5, whatever the (runs, tasks) split.
    assert st.iqm(np.arange(1.0, 9.0)[:, None]) == 4.5
    assert st.iqm(np.arange(1.0, 9.0).reshape(4, 2)) == 4.5


def test_iqm_rounds_the_cut_down_as_trim_mean_does():
    # 10 scores: int(0.25 * 10) = int(2.5) = 2 dropped per side, so 6 kept (not 5):
    # sorted 1..9, 100 -> keep 3, 4, 5, 6, 7, 8 -> 33 / 6 = 5.5 (the outlier 100 is gone).
    assert st.iqm(np.array([[7, 100, 1, 9, 3, 8, 2, 5, 4, 6]], dtype=float).T) == 5.5
    # 6 scores in 3 runs x 2 tasks, flattened: 1, 2, 3, 4, 10, 50; int(1.5) = 1 per side
    # -> mean(2, 3, 4, 10) = 19 / 4 = 4.75.
    assert st.iqm([[10.0, 1.0], [2.0, 3.0], [4.0, 50.0]]) == 4.75
    # 3 scores: int(0.75) = 0, nothing is trimmed: the plain mean (0 + 1 + 100) / 3.
    assert st.iqm([[0.0], [1.0], [100.0]]) == pytest.approx(101.0 / 3.0, rel=1e-15)


def test_iqm_matches_the_reference_on_random_shapes():
    rng = np.random.default_rng(3)
    for runs, tasks in [(2, 1), (3, 3), (5, 1), (7, 3), (10, 5), (13, 2)]:
        scores = rng.standard_cauchy(size=(runs, tasks))
        assert st.iqm(scores) == pytest.approx(reference_iqm(scores), rel=1e-12, abs=1e-12)


def test_mean_median_and_optimality_gap_follow_rliable():
    scores = np.array([[0.0, 10.0, 4.0], [2.0, 20.0, 6.0]])
    # task means 1, 15, 5: mean of task means 7, median of task means 5
    assert st.mean(scores) == 7.0
    assert st.median(scores) == 5.0
    # min(scores, 5) = [[0, 5, 4], [2, 5, 5]], mean 21 / 6 = 3.5, gap 5 - 3.5 = 1.5
    assert st.optimality_gap(scores, gamma=5.0) == pytest.approx(1.5, rel=1e-15)
    # gamma = 1: min(scores, 1) = [[0, 1, 1], [1, 1, 1]], mean 5 / 6
    assert st.optimality_gap(scores) == pytest.approx(1.0 - 5.0 / 6.0, rel=1e-12)


def test_iqm_and_improvement_match_scipy_when_it_is_installed():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(11)
    for runs, tasks in [(3, 1), (5, 2), (10, 3), (11, 1)]:
        scores = rng.normal(size=(runs, tasks))
        assert st.iqm(scores) == pytest.approx(stats.trim_mean(scores, 0.25, axis=None), rel=1e-12)
    x, y = rng.integers(0, 4, size=(6, 1)).astype(float), rng.integers(0, 4, size=(5, 1)).astype(float)
    u = stats.mannwhitneyu(x[:, 0], y[:, 0], alternative="greater").statistic
    assert st.probability_of_improvement(x, y) == pytest.approx(u / 30.0, rel=1e-12)


# --- probability of improvement ----------------------------------------------------------------


def test_improvement_is_one_when_every_x_beats_every_y_and_half_when_identical():
    y = sample(5, 3)
    assert st.probability_of_improvement(y + 100.0, y) == 1.0
    assert st.probability_of_improvement(y, y + 100.0) == 0.0
    assert st.probability_of_improvement(y, y) == 0.5


def test_improvement_counts_a_tie_as_one_half_by_hand():
    # x = 1 beats 0 only: 1; x = 2 ties 2 twice and beats 0: 0.5 + 0.5 + 1 = 2; x = 3 beats all: 3.
    # (1 + 2 + 3) / (3 * 3) = 2 / 3.
    assert st.probability_of_improvement([[1.0], [2.0], [3.0]], [[2.0], [2.0], [0.0]]) == pytest.approx(2 / 3)
    # Two tasks with different run counts (3 vs 2): task 0 X always wins (1), task 1 always loses (0).
    x = [[5.0, 0.0], [6.0, 1.0], [7.0, 0.5]]
    y = [[1.0, 9.0], [2.0, 8.0]]
    assert st.probability_of_improvement(x, y) == 0.5


def test_improvement_matches_the_reference_with_many_ties():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(7, 4)).astype(float)
    y = rng.integers(0, 3, size=(4, 4)).astype(float)
    assert st.probability_of_improvement(x, y) == pytest.approx(reference_improvement(x, y), rel=1e-12)


def test_improvement_interval_matches_an_independent_stratified_reference():
    x, y = sample(5, 2, seed=1) + 1.0, sample(4, 2, seed=2)
    rng = np.random.default_rng(9)  # X's indices first, then Y's: the documented order
    indices_x = rng.integers(0, 5, size=(300, 5, 2))
    indices_y = rng.integers(0, 4, size=(300, 4, 2))
    values = [
        reference_improvement(reference_resample(x, indices_x[b]), reference_resample(y, indices_y[b]))
        for b in range(300)
    ]
    got = st.probability_of_improvement_ci(x, y, reps=300, confidence=0.9, seed=9)
    assert got.point == pytest.approx(reference_improvement(x, y), rel=1e-12)
    assert got.low == pytest.approx(reference_percentile(values, 0.05), rel=1e-12)
    assert got.high == pytest.approx(reference_percentile(values, 0.95), rel=1e-12)
    assert got.low < got.point < got.high


def test_improvement_interval_collapses_when_every_resample_agrees():
    y = sample(4, 2)
    assert st.probability_of_improvement_ci(y + 100.0, y, reps=200) == (1.0, 1.0, 1.0)
    constant = np.full((3, 2), 7.0)
    assert st.probability_of_improvement_ci(constant, constant, reps=200) == (0.5, 0.5, 0.5)


# --- the stratified bootstrap ------------------------------------------------------------------


@pytest.mark.parametrize("statistic", [st.iqm, st.mean, st.median, st.optimality_gap])
def test_bootstrap_matches_the_one_resample_at_a_time_reference(statistic):
    scores = sample(6, 3)
    point, low, high = reference_bootstrap(scores, statistic, reps=400, confidence=0.95, seed=4)
    got = st.stratified_bootstrap_ci(scores, statistic, reps=400, seed=4)
    assert got == pytest.approx((point, low, high), rel=1e-12, abs=1e-12)


def test_vectorised_statistics_equal_the_same_statistic_called_per_resample():
    scores = sample(7, 3, seed=8)
    fast = st.stratified_bootstrap_ci(scores, st.iqm, reps=500, seed=2)
    slow = st.stratified_bootstrap_ci(scores, lambda s: st.iqm(s), reps=500, seed=2)
    assert fast == pytest.approx(slow, rel=1e-12)


def test_interval_contains_the_point_and_is_ordered():
    for seed in range(5):
        point, low, high = st.stratified_bootstrap_ci(sample(8, 3, seed=seed), reps=1000, seed=seed)
        assert low < point < high


def test_constant_scores_give_a_zero_width_interval():
    assert st.stratified_bootstrap_ci(np.full((5, 3), 2.5), reps=300) == (2.5, 2.5, 2.5)


def test_each_resample_keeps_every_task_s_own_runs():
    # Task m holds 10 m + run: a cell came from its own task exactly when value // 10 == m.
    scores = 10.0 * np.arange(3)[None, :] + np.arange(4)[:, None]
    seen: list[np.ndarray] = []

    def own_task_fraction(resample: np.ndarray) -> float:
        seen.append(resample.copy())
        return float(np.mean(resample // 10 == np.arange(3)[None, :]))

    assert st.stratified_bootstrap_ci(scores, own_task_fraction, reps=200) == (1.0, 1.0, 1.0)
    assert len(seen) == 201  # the point estimate and 200 resamples
    assert all(resample.shape == (4, 3) for resample in seen)
    # with replacement: some resample repeats a run within a task
    assert any(len(set(resample[:, 0])) < 4 for resample in seen)


def test_stratification_keeps_task_means_where_pooled_resampling_would_not():
    # Task 0 scores 0 on every run, task 1 scores 100: a stratified resample keeps mean 50 exactly.
    scores = np.column_stack([np.zeros(6), np.full(6, 100.0)])
    assert st.stratified_bootstrap_ci(scores, st.mean, reps=500) == (50.0, 50.0, 50.0)
    # Pooled resampling (cells drawn from all 12) moves the mean: the test above has teeth.
    pooled = np.random.default_rng(0).choice(scores.ravel(), size=(500, 6, 2)).mean(axis=(1, 2))
    assert pooled.max() - pooled.min() > 20.0


def test_bootstrap_is_deterministic_for_a_seed_and_changes_with_it():
    scores = sample(6, 2)
    first = st.stratified_bootstrap_ci(scores, reps=300, seed=7)
    assert st.stratified_bootstrap_ci(scores, reps=300, seed=7) == first
    assert st.stratified_bootstrap_ci(scores, reps=300, seed=8) != first


def test_results_do_not_depend_on_chunking(monkeypatch):
    scores, curves = sample(5, 3), np.random.default_rng(1).normal(size=(4, 2, 6))
    taus = np.linspace(0.0, 10.0, 7)
    whole = (
        st.stratified_bootstrap_ci(scores, reps=250),
        st.probability_of_improvement_ci(scores, scores[:4] + 0.3, reps=250),
        st.performance_profile(scores, taus, reps=250),
        st.sample_efficiency_curve(curves, reps=250),
    )
    monkeypatch.setattr(st, "_CHUNK_CELLS", 40)
    chunked = (
        st.stratified_bootstrap_ci(scores, reps=250),
        st.probability_of_improvement_ci(scores, scores[:4] + 0.3, reps=250),
        st.performance_profile(scores, taus, reps=250),
        st.sample_efficiency_curve(curves, reps=250),
    )
    assert whole[:2] == chunked[:2]
    for band, other in zip(whole[2:], chunked[2:], strict=True):
        for a, b in zip(band, other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_95_percent_interval_covers_the_true_mean_about_95_percent_of_the_time():
    # 200 experiments of 20 runs from N(0, 1); the percentile bootstrap of a mean from 20 samples
    # undercovers a little (0.905 with these seeds), so accept 0.85-0.99.
    rng = np.random.default_rng(2021)
    covered = 0
    for trial in range(200):
        _, low, high = st.stratified_bootstrap_ci(rng.normal(size=(20, 1)), st.mean, reps=500, seed=trial)
        covered += low <= 0.0 <= high
    assert 0.85 <= covered / 200 <= 0.99


# --- performance profiles and curves -------------------------------------------------------------


def test_performance_profile_counts_scores_strictly_above_tau():
    band = st.performance_profile([[1.0], [2.0], [2.0], [3.0]], [0.0, 1.0, 2.0, 3.0], reps=100)
    np.testing.assert_array_equal(band.point, [1.0, 0.75, 0.25, 0.0])


def test_performance_profile_matches_the_reference_and_never_rises_with_tau():
    scores = sample(6, 3, seed=4)
    taus = np.linspace(scores.min() - 1.0, scores.max() + 1.0, 25)
    band = st.performance_profile(scores, taus, reps=400)
    np.testing.assert_allclose(band.point, [reference_profile(scores, t) for t in taus], rtol=0, atol=1e-15)
    for curve in band:
        assert np.all(np.diff(curve) <= 0.0)
    assert band.point[0] == 1.0 and band.point[-1] == 0.0
    assert np.all(band.low <= band.point) and np.all(band.point <= band.high)
    assert np.any(band.high - band.low > 0.1)


def test_performance_profile_band_equals_the_bootstrap_of_each_threshold():
    scores, tau = sample(5, 2, seed=6), 5.0
    band = st.performance_profile(scores, [tau], reps=300, seed=3)
    alone = st.stratified_bootstrap_ci(scores, lambda s: reference_profile(s, tau), reps=300, seed=3)
    assert (band.point[0], band.low[0], band.high[0]) == pytest.approx(alone, rel=1e-12)


def test_sample_efficiency_curve_band_equals_the_interval_of_each_step():
    curves = np.cumsum(np.random.default_rng(3).normal(size=(5, 2, 4)), axis=-1)
    band = st.sample_efficiency_curve(curves, reps=300, seed=5)
    for step in range(4):
        alone = st.stratified_bootstrap_ci(curves[:, :, step], reps=300, seed=5)
        assert (band.point[step], band.low[step], band.high[step]) == pytest.approx(alone, rel=1e-12)
    custom = st.sample_efficiency_curve(curves, lambda s: float(np.mean(s)), reps=300, seed=5)
    mean_band = st.sample_efficiency_curve(curves, st.mean, reps=300, seed=5)
    for a, b in zip(custom, mean_band, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# --- input checks and formatting -----------------------------------------------------------------

BAD_INPUTS = [
    (
        lambda: st.iqm(np.arange(5.0)),
        r"scores: expected a 2-D array \(runs, tasks\), got shape \(5,\); for one",
    ),
    (lambda: st.iqm(np.zeros((2, 2, 2))), r"expected a 2-D array \(runs, tasks\), got shape \(2, 2, 2\)"),
    (lambda: st.iqm(np.empty((0, 3))), r"scores: empty, shape \(0, 3\) \(runs, tasks\)"),
    (
        lambda: st.mean([[1.0, np.nan], [2.0, 3.0]]),
        r"1 non-finite value\(s\) \(NaN or inf\), the first at index \(0, 1\)",
    ),
    (lambda: st.median([[1.0], [np.inf]]), r"the first at index \(1, 0\)"),
    (lambda: st.iqm([["a"]]), r"scores: expected numbers shaped \(runs, tasks\)"),
    (lambda: st.optimality_gap([[1.0]], gamma=np.nan), r"gamma: expected a finite number"),
    (lambda: st.optimality_gap([[1.0]], gamma="1"), r"gamma: expected a finite number, got '1'"),
    (lambda: st.probability_of_improvement(np.ones(3), np.ones((3, 1))), r"for one task pass x\[:, None\]"),
    (lambda: st.performance_profile(np.ones((3, 1)), []), r"taus: empty, shape \(0,\) \(thresholds\)"),
    (lambda: st.stratified_bootstrap_ci(np.ones((1, 3))), r"at least 2 runs per task, got 1"),
    (
        lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), reps=0),
        r"reps: expected a positive integer, got 0",
    ),
    (lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), reps=2.5), r"reps: expected a positive integer"),
    (lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), confidence=1.0), r"confidence: .* between 0 and 1"),
    (
        lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), seed=None),
        r"seed: expected a non-negative integer",
    ),
    (lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), method="bca"), r"method: only 'percentile'"),
    (lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), statistic=3), r"statistic: expected a function"),
    (
        lambda: st.stratified_bootstrap_ci(np.ones((3, 1)), lambda s: s[:, 0]),
        r"must return one number, returned shape \(3,\)",
    ),
    (
        lambda: st.probability_of_improvement(np.ones((3, 2)), np.ones((3, 1))),
        r"need the same tasks, got 2 and 1",
    ),
    (lambda: st.probability_of_improvement_ci(np.ones((3, 1)), np.ones((1, 1))), r"y: .* at least 2 runs"),
    (lambda: st.performance_profile(np.ones((3, 1)), [[0.0]]), r"taus: expected a 1-D array \(thresholds\)"),
    (lambda: st.performance_profile(np.ones((3, 1)), [np.nan]), r"taus: 1 non-finite value"),
    (lambda: st.sample_efficiency_curve(np.ones((3, 2))), r"expected a 3-D array \(runs, tasks, steps\)"),
    (lambda: st.format_interval(1.0, 0.0, 2.0, digits=-1), r"digits: expected a non-negative integer"),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message) as caught:
        call()
    assert isinstance(caught.value, LabError)  # the CLI prints a LabError as one line
    assert "\n" not in str(caught.value)


def test_format_interval_for_reports():
    assert st.format_interval(12.345, 11.0, 13.06) == "12.3 [11.0, 13.1]"
    assert st.format_interval(*st.Interval(0.5, 0.25, 0.75), digits=2) == "0.50 [0.25, 0.75]"
    assert st.format_interval(-0.04, -1.0, 1234.5, digits=0) == "0 [-1, 1234]"  # no "-0"; half to even
