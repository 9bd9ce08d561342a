"""``rl-lab report`` and the suite's overview carry the IQM with a 95 % bootstrap interval, recomputed
here from the seeds' values with a plain loop; the same runs give byte-identical reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from report_helpers import write_run

from rl_lab.bench.suite import SuiteEntry, overview_section
from rl_lab.config import load_experiment
from rl_lab.reports.intervals import BOOTSTRAP_REPS, BOOTSTRAP_SEED, method_note
from rl_lab.reports.plot import iqm_band
from rl_lab.reports.tables import build_report, format_report, load_run, resolve_run_dirs, write_report

# Five seeds: the final returns' IQM (17.0) is not their mean (30.8); four seeds reach the criterion.
RETURNS = [3.0, 10.0, 20.0, 21.0, 100.0]
CRITERION_STEPS = [1000, 2000, 2000, 4000, None]


def _iqm(values: np.ndarray) -> float:
    ordered = sorted(values)
    cut = len(ordered) // 4  # scipy's trim_mean(x, 0.25): int(0.25 n) from each end
    return float(np.mean(ordered[cut: len(ordered) - cut]))


def _interval(values: list[float]) -> tuple[float, float, float]:
    """The IQM and its percentile interval, resampling the seeds with the report's seed, one by one."""
    data = np.array(values)
    draws = np.random.default_rng(BOOTSTRAP_SEED).integers(0, len(data), size=(BOOTSTRAP_REPS, len(data), 1))
    replicates = [_iqm(data[draw[:, 0]]) for draw in draws]
    low, high = np.percentile(replicates, [2.5, 97.5])
    return _iqm(data), float(low), float(high)


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("iqm") / "runs"
    config = load_experiment("cartpole_ppo")
    for seed, (final, steps) in enumerate(zip(RETURNS, CRITERION_STEPS, strict=True)):
        reached = steps is not None
        write_run(root, config, seed, [0.0, final / 2, final * 0.9, final], [0, 0, 1, float(reached)],
                  [1.0, 2.0, 3.0, 4.0], {
                      "eval_mean_return": final, "eval_success_rate": float(reached), "episodes": 40,
                      "train_seconds": 4.0, "criterion_timesteps": steps,
                      "criterion_episodes": None if steps is None else steps // 100,
                      "criterion_train_seconds": None if steps is None else steps / 1000,
                  })
    return root


def test_each_report_section_has_the_iqm_and_interval_of_the_seeds(runs_dir: Path) -> None:
    report = build_report([load_run(d) for d in resolve_run_dirs(["cartpole_ppo"], runs_dir)])
    text = format_report(report)
    point, low, high = _interval(RETURNS)
    assert point == 17.0
    assert f"| final eval return | 5/5 | {point:,.2f} [{low:,.2f}, {high:,.2f}] |" in text
    reached = [float(s) for s in CRITERION_STEPS if s is not None]
    point, low, high = _interval(reached)
    assert point == 2000.0  # four seeds: the middle two of 1,000 2,000 2,000 4,000
    assert f"| steps to criterion | 4/5 (few: wide) | {point:,.0f} [{low:,.0f}, {high:,.0f}] |" in text
    point, low, high = _interval([s / 1000 for s in reached])
    assert f"| wall s to criterion | 4/5 (few: wide) | {point:,.1f} [{low:,.1f}, {high:,.1f}] |" in text
    assert f"{BOOTSTRAP_REPS:,} bootstrap resamples" in text
    assert "30.80 ± 35.23" in text  # mean ± std stays beside it


def test_the_suite_overview_has_the_iqm_columns(runs_dir: Path) -> None:
    report = build_report([load_run(d) for d in resolve_run_dirs(["cartpole_ppo"], runs_dir)])
    overview = overview_section([(SuiteEntry("cartpole_ppo", "someone 1998"), report)], [0, 1, 2, 3, 4], None)
    point, low, high = _interval(RETURNS)
    steps = _interval([float(s) for s in CRITERION_STEPS if s is not None])
    cells = (f"| {point:,.2f} [{low:,.2f}, {high:,.2f}] | {steps[0]:,.0f} [{steps[1]:,.0f}, {steps[2]:,.0f}] "
             "(4/5 seeds) | someone 1998 |")
    assert cells in overview and "steps to criterion, IQM [95% CI]" in overview


def test_few_seeds_are_said_to_give_a_wide_interval_and_one_seed_none(runs_dir: Path) -> None:
    seeds = [runs_dir / "cartpole_ppo" / s for s in ("0", "1", "2")]
    text = format_report(build_report([load_run(d) for d in seeds]))
    assert "With only 3 seeds the interval is wide" in text
    assert "wide" not in method_note(5) and "One seed: no interval" in method_note(1)
    one = format_report(build_report([load_run(seeds[0])]))
    assert "| final eval return | 1/1 | n/a (needs ≥ 2 seeds) |" in one


def test_curve_band_is_the_iqm_interval_at_each_point() -> None:
    curves = np.array([[0.0, 1.0, 5.0], [0.0, 2.0, 6.0], [0.0, 4.0, 4.0], [0.0, 8.0, 9.0], [1.0, 3.0, 7.0]])
    band = iqm_band(curves)
    for point in range(curves.shape[1]):
        assert (band.point[point], band.low[point], band.high[point]) == pytest.approx(
            _interval(list(curves[:, point])))


@pytest.mark.slow
def test_the_same_runs_give_byte_identical_reports(runs_dir: Path, tmp_path: Path) -> None:
    first = write_report(["cartpole_ppo"], runs_dir, tmp_path / "one")
    second = write_report(["cartpole_ppo"], runs_dir, tmp_path / "two")
    assert first[0].read_bytes() == second[0].read_bytes()
    assert first[1].read_bytes() == second[1].read_bytes()  # the curves' bootstrap bands too


def test_a_criterion_value_older_runs_did_not_record_is_unknown_not_unreached(tmp_path: Path) -> None:
    config = replace(load_experiment("cartpole_ppo"), name="old_runs")
    runs = [load_run(write_run(tmp_path, config, seed, [1, 2, 3, 4], [0, 0, 1, 1], None, {
        "eval_mean_return": 4.0, "eval_success_rate": 1.0, "criterion_timesteps": 3000}))
        for seed in (0, 1)]
    text = format_report(build_report(runs))
    assert "| wall s to criterion | 0/2 | unknown (not recorded by these runs) |" in text
    assert "| steps to criterion | 2/2 | 3,000 [3,000, 3,000] |" in text
