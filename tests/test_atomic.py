"""Atomic writes never leave a half-written file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from rl_lab.runs import atomic


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")

    def failing_writer(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic.write_with(target, failing_writer)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]  # no temp file left


def test_write_json_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "summary.json"
    atomic.write_json(target, {"a": 1})
    atomic.write_json(target, {"a": 2})
    assert target.read_text().strip().endswith("}")
    assert '"a": 2' in target.read_text()
