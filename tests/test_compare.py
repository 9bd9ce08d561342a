"""``rl-lab report A --compare B``: IQMs, P(A better than B) and performance profiles of two configs of
one task, on fabricated runs; bad input is one line and exit code 2."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import png_size
from report_helpers import write_run

from rl_lab.cli import EXIT_USER_ERROR, main
from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.reports.compare import compare_runs, groups, improvement, write_comparison
from rl_lab.reports.profile_plot import profile, thresholds
from rl_lab.reports.runs import load_run


def _runs(root: Path, name: str, returns: list[float], steps: list[int | None], env: str = "cartpole_ppo"):
    config = replace(load_experiment(env), name=name)
    return [write_run(root, config, seed, [0, 1, 2, final], [0, 0, 0, float(at is not None)], [1, 2, 3, 4], {
        "eval_mean_return": final, "eval_success_rate": float(at is not None), "criterion_timesteps": at,
        "criterion_train_seconds": None if at is None else at / 1000,
    }) for seed, (final, at) in enumerate(zip(returns, steps, strict=True))]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """``good`` beats ``poor`` on every run; ``twin`` has exactly ``poor``'s values."""
    root = tmp_path_factory.mktemp("compare") / "runs"
    _runs(root, "good", [100.0, 110.0, 120.0, 130.0], [1000, 1000, 2000, 2000])
    _runs(root, "late", [50.0, 60.0, 70.0, 80.0], [3000, None, 5000, 2000])
    _runs(root, "poor", [10.0, 20.0, 30.0, 40.0], [3000, 4000, None, None])
    _runs(root, "twin", [10.0, 20.0, 30.0, 40.0], [3000, 4000, None, None])
    _runs(root, "balance", [10.0, 20.0], [1000, 2000], env="bike_balance_ppo")
    return root


def _seeds(root: Path, name: str) -> list[Path]:
    return sorted((root / name).glob("[0-9]"))


def test_probability_of_improvement_is_one_when_a_dominates_and_half_for_identical_samples(root: Path):
    good, poor, twin = (_seeds(root, n) for n in ("good", "poor", "twin"))
    for metric in ("return", "criterion_steps"):
        quantity, a, b = groups(good, poor, metric)
        assert tuple(improvement(quantity, a, b)) == (1.0, 1.0, 1.0)
        assert tuple(improvement(quantity, b, a)) == (0.0, 0.0, 0.0)
        quantity, a, b = groups(poor, twin, metric)
        assert improvement(quantity, a, b).point == 0.5
    text = compare_runs(good, poor, "return")
    assert "**P(A better than B) = 1.00 [1.00, 1.00]**" in text
    assert "| A: `good` | 0 1 2 3 | 115.00 ± 11.18 | 115.00 [" in text  # IQM of 4 = mean of the middle two


def test_steps_to_criterion_rank_the_unreached_seeds_last(root: Path) -> None:
    poor, late = _seeds(root, "poor"), _seeds(root, "late")
    quantity, a, b = groups(poor, late, "criterion_steps")
    # poor (3000, 4000, -, -) against late (3000, -, 5000, 2000): 3000 wins 2 and ties 1, 4000 wins 2,
    # each unreached seed ties late's unreached one and loses the rest
    assert improvement(quantity, a, b).point == 5.5 / 16
    text = compare_runs(poor, late, "criterion_steps")
    assert "| A: `poor` | 0 1 2 3 | 3,500 ± 500 | 3,500 [3,000, 4,000] | 2/4 |" in text
    assert "better steps to criterion than a run of B (lower is better)" in text
    assert "With 2 seeds behind a side's IQM its interval is wide" in text  # poor reached it twice


def test_profile_of_steps_is_the_fraction_reached_within_tau(root: Path) -> None:
    quantity, a, b = groups(_seeds(root, "poor"), _seeds(root, "good"), "criterion_steps")
    taus = thresholds([*a.reached, *b.reached])
    assert taus[0] < 1000 and taus[-1] > 4000
    band = profile(quantity, a.values, taus)
    expected = np.array([(np.array([3000, 4000]) <= tau).sum() / 4 for tau in taus])
    assert np.array_equal(band.point, expected)
    assert np.all(band.low <= band.point) and np.all(band.point <= band.high)


@pytest.mark.slow
def test_write_comparison_is_reproducible_byte_for_byte(root: Path, tmp_path: Path) -> None:
    first = write_comparison(["good"], ["poor"], root, "criterion_steps", tmp_path / "one")
    second = write_comparison(["good"], ["poor"], root, "criterion_steps", tmp_path / "two")
    assert first[0].read_bytes() == second[0].read_bytes() and first[1].read_bytes() == second[1].read_bytes()
    assert png_size(first[1]) == (800, 500) and "![performance profiles](profile.png)" in first[2]
    default = write_comparison(["good"], ["poor"], root)[0]
    assert default == root / "good" / "compare-poor" / "compare.md"


def test_cli_compare(root: Path, tmp_path: Path, capsys) -> None:
    argv = ["report", "good", "--compare", "poor", "--runs-dir", str(root), "--output", str(tmp_path)]
    assert main([*argv, "--metric", "criterion_seconds"]) == 0
    printed = capsys.readouterr().out
    assert "wall s to criterion on CartPole-v1" in printed
    assert f"comparison: {tmp_path / 'compare.md'}" in printed
    import rl_lab  # the same from Python

    markdown_path, _, markdown = rl_lab.compare(["good"], ["poor"], "criterion_seconds", root, tmp_path / "p")
    assert markdown_path.read_text() == markdown == (tmp_path / "compare.md").read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "good", "--compare", "balance"],
         "not one task: A (good) runs CartPole-v1, B (balance) runs rl_lab/BikeBalance-v0"),
        (["report", "good", "--compare", "poor", "--metric", "speed"], "unknown metric 'speed'"),
        (["report", "good", "--compare", "good"], "is on both sides"),
        (["report", "good", "--metric", "return"], "--metric applies to --compare"),
        (["report", "good", "--compare", "nothing_here"], "nothing_here: no such run directory"),
        (["report", "good", "--compare"], "expected at least one argument"),
    ],
)
def test_bad_comparisons_are_one_line_and_exit_2(argv: list[str], expected: str, root: Path, capsys):
    try:
        code = main([*argv, "--runs-dir", str(root)])
    except SystemExit as usage_error:  # argparse's own errors exit (one line, code 2) from the parser
        code = usage_error.code
    assert code == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err


def test_a_missing_metric_or_too_few_runs_is_named(root: Path, tmp_path: Path) -> None:
    good = _seeds(root, "good")
    with pytest.raises(LabError, match="compare: no runs in A"):
        compare_runs([], good)
    with pytest.raises(LabError, match=r"B \(poor\) has 1 run"):
        compare_runs(good, _seeds(root, "poor")[:1])
    with pytest.raises(LabError, match=r"mixed runs: .* experiment 'poor' but .* 'twin'"):
        compare_runs(good, [*_seeds(root, "poor"), _seeds(root, "twin")[0]])
    config = replace(load_experiment("cartpole_ppo"), name="old")
    old = [write_run(tmp_path, config, seed, [1, 2, 3, 4], [0, 0, 1, 1], None, {
        "eval_mean_return": 4.0, "eval_success_rate": 1.0, "criterion_timesteps": 3000}) for seed in (0, 1)]
    with pytest.raises(LabError, match=r"summary\.json: no 'criterion_train_seconds' \(needed for --metric "
                                       r"criterion_seconds\)"):
        compare_runs(good, old, "criterion_seconds")
    no_metric = replace(load_experiment("cartpole_ppo"), name="plain")
    plain = [load_run(write_run(tmp_path / "plain", no_metric, seed, [1, 2, 3, 4], [0, 0, 0, 0], None,
                                {"eval_mean_return": 4.0})) for seed in (0, 1)]
    with pytest.raises(LabError, match=r"B \(plain\) has no success criterion"):
        compare_runs(good, plain, "criterion_steps")
    with pytest.raises(LabError, match="no 'eval_success_rate'"):
        compare_runs(good, plain, "success_rate")
