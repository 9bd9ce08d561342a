"""``bench --suite``: trains each listed experiment's seeds, writes its section, figure and the overview."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TINY_CARTPOLE, png_size

from rl_lab.bench.suite import BENCHMARK_SUITE, SuiteEntry, run_suite, select_entries
from rl_lab.cli import main
from rl_lab.errors import LabError


@pytest.mark.slow
def test_suite_writes_sections_figures_and_overview(tmp_path: Path) -> None:
    experiment = tmp_path / "tiny_suite.toml"
    experiment.write_text(TINY_CARTPOLE)
    suite = (SuiteEntry(str(experiment), "Someone 1998: ~1,700 rides"),)
    doc = tmp_path / "docs" / "benchmarks.md"
    doc.parent.mkdir()
    doc.write_text("# kept title\n\n<!-- begin throughput -->\nkept\n<!-- end throughput -->\n")
    runs_dir = tmp_path / "runs"

    overview = run_suite(doc, runs_dir, seeds=[0, 1], suite=suite, rlhf=False, throughput=False)

    text = doc.read_text()
    assert text.startswith("# kept title\n\n<!-- begin suite-overview -->")  # overview right after title
    assert "kept\n" in text and "<!-- begin learning:tiny_suite -->" in text
    assert text.index("begin learning:tiny_suite") < text.index("begin throughput")  # suite order
    assert "Someone 1998: ~1,700 rides" in overview and "| PPO | `CartPole-v1` | 2 |" in overview
    assert "![tiny_suite learning curves](figures/tiny_suite.png)" in text
    assert png_size(doc.parent / "figures" / "tiny_suite.png")[0] == 1200
    model = runs_dir / "tiny_suite" / "1" / "model.zip"
    before = model.stat().st_mtime_ns

    run_suite(doc, runs_dir, seeds=[0, 1], suite=suite, reuse=True, rlhf=False, throughput=False)

    assert model.stat().st_mtime_ns == before
    assert doc.read_text().count("<!-- begin learning:tiny_suite -->") == 1

    experiment.write_text(TINY_CARTPOLE.replace("total_timesteps = 512", "total_timesteps = 768"))
    run_suite(doc, runs_dir, seeds=[1], suite=suite, reuse=True, rlhf=False, throughput=False)

    assert model.stat().st_mtime_ns != before  # another config: trained again, not reused
    assert "| PPO | `CartPole-v1` | 1 | " in doc.read_text() and "| 768 |" in doc.read_text()


def test_suite_selection_names_unknown_experiments() -> None:
    assert [e.experiment for e in select_entries(["paddle_vector_ppo"])] == ["paddle_vector_ppo"]
    assert len(select_entries(None)) == len(BENCHMARK_SUITE)
    with pytest.raises(LabError, match="not in the benchmark suite: nope"):
        select_entries(["nope"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bench", "--only", "bike_ride_ppo"], "--only does not apply to the throughput bench"),
        (["bench", "--suite", "--set", "n_envs=2"], "--set does not apply to --suite"),
        (["bench", "--suite", "--learning", "bike_ride_ppo"], "choose one"),
        (["bench", "--suite", "--only", "nope"], "not in the benchmark suite"),
        (["bench", "--suite", "--seeds", "0", "0"], "--seeds repeats 0"),
        (["bench", "--training", "--seeds", "1"], "--seeds does not apply to --training"),
        (["bench", "--reuse"], "--reuse does not apply"),
        (["bench", "--learning", "bike_ride_ppo", "--quick"], "--quick does not apply to --learning"),
    ],
)
def test_suite_argument_errors_are_one_line(argv: list[str], expected: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err
