"""``rl-lab report`` on synthetic runs with hand-chosen numbers: aggregate, curves, PNG, errors, CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import png_size
from report_helpers import STEPS, write_run

from rl_lab.cli import EXIT_USER_ERROR, main
from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.reports.plot import figure_pixels
from rl_lab.reports.tables import (
    build_report,
    format_report,
    load_run,
    plot_learning_curves,
    resolve_run_dirs,
    write_report,
)
from rl_lab.runs import layout


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """Three seeds of cartpole_ppo: 0 and 1 reach the criterion (at 1000 and 3000 steps), 2 does not
    and is an older run without training seconds."""
    root = tmp_path_factory.mktemp("report") / "runs"
    config = load_experiment("cartpole_ppo")
    write_run(root, config, 0, [0, 5, 8, 10], [1, 1, 1, 1], [0.5, 1.0, 1.5, 2.0], {
        "eval_mean_return": 10.0, "eval_success_rate": 1.0, "episodes": 40, "train_seconds": 2.0,
        "criterion_timesteps": 1000, "criterion_episodes": 10, "criterion_train_seconds": 0.5,
    })
    write_run(root, config, 1, [0, 10, 15, 20], [0, 0, 1, 0.5], [1.0, 2.0, 3.5, 4.5], {
        "eval_mean_return": 20.0, "eval_success_rate": 0.5, "episodes": 40, "train_seconds": 4.5,
        "criterion_timesteps": 3000, "criterion_episodes": 30, "criterion_train_seconds": 3.5,
    })
    write_run(root, config, 2, [0, 1, 2, 3], [0, 0, 0, 0], None, {
        "eval_mean_return": 3.0, "eval_success_rate": 0.0, "episodes": 40,
        "criterion_timesteps": None, "criterion_episodes": None,
    })
    return root


def _report(runs_dir: Path, *seeds: int):
    targets = [str(runs_dir / "cartpole_ppo" / str(seed)) for seed in seeds]
    return build_report([load_run(d) for d in resolve_run_dirs(targets, runs_dir)])


def test_aggregate_is_mean_and_population_std_across_seeds(runs_dir: Path) -> None:
    report = _report(runs_dir, 0, 1)
    assert (report.final_return.mean, report.final_return.std) == (15.0, 5.0)
    assert (report.success_rate.mean, report.success_rate.std) == (0.75, 0.25)
    assert report.reached == 2
    assert (report.criterion_steps.mean, report.criterion_steps.std) == (2000.0, 1000.0)
    assert (report.criterion_episodes.mean, report.criterion_episodes.std) == (20.0, 10.0)
    assert (report.criterion_seconds.mean, report.criterion_seconds.std) == (2.0, 1.5)
    text = format_report(report)
    for cell in (
        "| PPO | `CartPole-v1` | 2 | 15.00 ± 5.00 | 75% ± 25% | 2/2 seeds | 2,000 ± 1,000 | 20 ± 10 "
        "| 2.0 ± 1.5 | 4,000 |",
        "population std, ddof=0",
        "| 1 | 20.00 ± 1.00 | 50% | 3,000 | 30 | 3.5 |",
    ):
        assert cell in text, cell


def test_criterion_statistics_are_over_the_seeds_that_reached_it(runs_dir: Path) -> None:
    report = _report(runs_dir, 0, 2)
    assert report.reached == 1
    assert (report.criterion_steps.mean, report.criterion_steps.std, report.criterion_steps.n) == (1000, 0, 1)
    text = format_report(report)
    assert "| 1/2 seeds | 1,000 ± 0 (1/2 seeds) |" in text
    assert "| 2 | 3.00 ± 1.00 | 0% | not reached | not reached | not reached | 4,000 | 40 | unknown |" in text


def test_curves_come_from_the_events_with_eval_npz_as_fallback(runs_dir: Path) -> None:
    seed0 = load_run(runs_dir / "cartpole_ppo" / "0").curve
    assert list(seed0.timesteps) == STEPS  # the final evaluation replaced the stale one at the same step
    assert list(seed0.returns) == [0, 5, 8, 10]
    assert list(seed0.train_seconds) == [0.5, 1.0, 1.5, 2.0]
    assert list(seed0.success_rate) == [1, 1, 1, 1]
    seed2 = load_run(runs_dir / "cartpole_ppo" / "2").curve
    assert list(seed2.success_rate) == [0, 0, 0, 0]  # from eval.npz
    assert seed2.train_seconds is None  # neither source has it


def test_learning_curves_png_has_the_fixed_size(runs_dir: Path, tmp_path: Path) -> None:
    seeds = [load_run(runs_dir / "cartpole_ppo" / s) for s in ("0", "1", "2")]
    path = tmp_path / "curves.png"
    plot_learning_curves(seeds, path, "three seeds", criterion=1.0)
    assert png_size(path) == figure_pixels(2) == (1200, 800)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temp file left behind


def test_experiment_name_means_its_finished_seeds_once_each(runs_dir: Path) -> None:
    unfinished = runs_dir / "cartpole_ppo" / "unfinished"
    unfinished.mkdir()
    try:
        found = resolve_run_dirs(["cartpole_ppo", str(runs_dir / "cartpole_ppo" / "1")], runs_dir)
    finally:
        unfinished.rmdir()
    assert [p.name for p in found] == ["0", "1", "2"]


def test_bad_targets_are_one_clear_error(runs_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no runs to report"):
        resolve_run_dirs([], runs_dir)
    with pytest.raises(LabError, match="nope: no such run directory, and no experiment 'nope'"):
        resolve_run_dirs(["nope"], runs_dir)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabError, match="empty: no finished runs"):
        resolve_run_dirs([str(tmp_path / "empty")], runs_dir)
    layout.start_run(tmp_path / "half", load_experiment("cartpole_ppo"))
    with pytest.raises(LabError, match=r"half: run has not finished \(no summary\.json\)"):
        resolve_run_dirs([str(tmp_path / "half")], runs_dir)
    other = replace(load_experiment("cartpole_ppo"), name="cartpole_other")
    other_run = write_run(tmp_path, other, 0, [1, 2, 3, 4], [0, 0, 0, 0], None, {"eval_mean_return": 4.0})
    with pytest.raises(LabError, match=r"mixed runs: .* experiment 'cartpole_ppo' but .* 'cartpole_other'"):
        resolve_run_dirs(["cartpole_ppo", str(other_run)], runs_dir)
    config_text = (other_run / layout.CONFIG).read_text()
    (other_run / layout.CONFIG).write_text(config_text + '\n[run]\nkind = "rlhf"\n')
    with pytest.raises(LabError, match="an RLHF run, not a training run"):
        resolve_run_dirs([str(other_run)], runs_dir)
    (other_run / layout.CONFIG).write_text(config_text)
    (other_run / layout.SUMMARY).write_text("{not json")
    with pytest.raises(LabError, match=r"summary\.json: malformed JSON"):
        load_run(other_run)
    (other_run / layout.SUMMARY).write_bytes(b"\xff\xfe{}")
    with pytest.raises(LabError, match=r"summary\.json: not UTF-8 text"):
        load_run(other_run)
    (other_run / layout.CONFIG).write_bytes(b"name = '\xff'")
    with pytest.raises(LabError, match=r"config\.toml: not UTF-8 text"):
        load_run(other_run)


def test_write_report_defaults_beside_the_seeds(runs_dir: Path) -> None:
    markdown_path, png_path, markdown = write_report(["cartpole_ppo"], runs_dir)
    assert markdown_path == runs_dir / "cartpole_ppo" / "report" / "report.md"
    assert markdown_path.read_text() == markdown
    assert "![learning curves](curves.png)" in markdown and "| 2/3 seeds |" in markdown
    assert png_size(png_path) == (1200, 800)
    assert [p.name for p in resolve_run_dirs(["cartpole_ppo"], runs_dir)] == ["0", "1", "2"]  # not the report


def test_cli_report(runs_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    targets = [str(runs_dir / "cartpole_ppo" / s) for s in ("0", "1")]
    assert main(["report", *targets, "--runs-dir", str(runs_dir), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "15.00 ± 5.00" in printed and f"report: {out / 'report.md'}" in printed
    assert (out / "report.md").is_file() and png_size(out / "curves.png") == (1200, 800)

    assert main(["report", "no_such_experiment", "--runs-dir", str(runs_dir)]) == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("rl-lab: error: no_such_experiment: no such run directory")


def test_seeds_must_share_one_config_and_differ_in_seed(runs_dir: Path, tmp_path: Path) -> None:
    config = load_experiment("cartpole_ppo")
    flat = [1, 2, 3, 4], [0, 0, 0, 0], None, {"eval_mean_return": 4.0}
    again = write_run(tmp_path / "again", config, 0, *flat)
    with pytest.raises(LabError, match=r"and .*again.* are both seed 0"):
        resolve_run_dirs(["cartpole_ppo", str(again)], runs_dir)
    other = replace(config, eval=replace(config.eval, freq=config.eval.freq + 1))
    changed = write_run(tmp_path / "changed", other, 7, *flat)
    with pytest.raises(LabError, match=r"trained with different 'eval\.freq'"):
        resolve_run_dirs(["cartpole_ppo", str(changed)], runs_dir)


def test_a_wrongly_typed_summary_field_is_named(tmp_path: Path) -> None:
    config = load_experiment("cartpole_ppo")
    run = write_run(tmp_path, config, 0, [1, 2, 3, 4], [0, 0, 0, 0], None,
                     {"eval_mean_return": 4.0, "criterion_timesteps": "soon"})
    with pytest.raises(LabError, match=r"summary\.json: 'criterion_timesteps' must be a number or null"):
        load_run(run)


def test_no_success_metric_means_no_criterion_and_one_seed_is_singular(tmp_path: Path) -> None:
    config = load_experiment("cartpole_ppo")
    run = write_run(tmp_path, config, 0, [1, 2, 3, 4], [0, 0, 0, 0], None,
                     {"eval_mean_return": 4.0, "criterion_timesteps": None})
    assert "eval_success_rate" not in layout.read_summary(run)  # as training writes it without a metric
    report = build_report([load_run(run)])
    text = format_report(report)
    assert report.criterion is None and text.startswith("## cartpole_ppo: PPO on CartPole-v1, 1 seed\n")
    assert "| 1 | 4.00 ± 0.00 | n/a | n/a | n/a | n/a | n/a |" in text and "no success criterion" in text


def test_events_cut_short_fall_back_to_eval_npz(tmp_path: Path) -> None:
    config = load_experiment("cartpole_ppo")
    run = write_run(tmp_path, config, 0, [1, 2, 3, 4], [0, 0, 0, 1], [1.0, 2.0, 3.0, 4.0],
                     {"eval_mean_return": 4.0})
    events = next(run.glob("events.out.tfevents.*"))
    events.write_bytes(events.read_bytes()[: events.stat().st_size // 2])  # as a crash would leave it
    curve = load_run(run).curve
    assert list(curve.returns) == [1, 2, 3, 4] and list(curve.train_seconds) == [1, 2, 3, 4]


def test_cli_report_output_that_is_a_file_is_one_line(runs_dir: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["report", "cartpole_ppo", "--runs-dir", str(runs_dir), "--output", str(blocker)]) == 2
    err = capsys.readouterr().err.strip()
    assert "a_file: cannot write the report there" in err and "\n" not in err


def test_a_damaged_eval_npz_beside_complete_events_is_not_needed(tmp_path: Path) -> None:
    config = load_experiment("cartpole_ppo")
    run = write_run(tmp_path, config, 0, [1, 2, 3, 4], [0, 0, 0, 1], [1.0, 2.0, 3.0, 4.0],
                     {"eval_mean_return": 4.0})
    (run / layout.EVAL).write_bytes(b"not a zip file")
    assert list(load_run(run).curve.returns) == [1, 2, 3, 4]
    for events in run.glob("events.out.tfevents.*"):
        events.unlink()
    with pytest.raises(LabError, match=r"eval\.npz: unreadable evaluation file"):
        load_run(run)
