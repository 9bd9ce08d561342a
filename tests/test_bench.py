"""The bench writes its own section of docs/benchmarks.md and leaves the others alone."""

from __future__ import annotations

from pathlib import Path

from rl_lab.bench.env_throughput import BATCHED_ENVS, SINGLE_ENVS, run_bench
from rl_lab.reports.markdown import reorder_sections, update_section


def test_update_section_replaces_only_its_own_block(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    update_section(doc, "a", "first A")
    update_section(doc, "b", "first B")
    update_section(doc, "a", "second A")
    text = doc.read_text()
    assert "second A" in text and "first B" in text and "first A" not in text
    assert text.index("second A") < text.index("first B")  # the block stays where it was


def test_quick_bench_writes_a_ratio_per_environment(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    doc.write_text("# kept title\n\n<!-- begin learning:x -->\nkept\n<!-- end learning:x -->\n")
    table = run_bench(doc, quick=True)
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    assert len(rows) == len(SINGLE_ENVS) + 2 * len(BATCHED_ENVS) + 1  # serial, parallel; physics alone
    ratios = [float(row.split("|")[-2]) for row in rows]
    assert all(r > 0 for r in ratios)
    text = doc.read_text()
    assert text.startswith("# kept title") and "kept\n" in text and "## Environment throughput" in text


def test_reorder_sections_keeps_title_and_unnamed_sections(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    for name in ("c", "a", "x", "b"):
        update_section(doc, name, f"body {name}")
    doc.write_text(doc.read_text().replace("<!-- end c -->", "<!-- end c -->\nnote under c\n"))
    reorder_sections(doc, ["a", "b", "c", "missing"])
    text = doc.read_text()
    assert text.startswith("# rl-lab benchmarks\n\n<!-- begin a -->")
    positions = [text.index(f"body {name}") for name in ("a", "b", "c", "x")]
    assert positions == sorted(positions) and text.count("<!-- begin") == 4
    assert text.index("body c") < text.index("note under c") < text.index("body x")  # kept, moved with c
