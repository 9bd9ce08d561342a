"""The example script of the public API runs as a user would run it, and writes what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_example_script_trains_evaluates_watches_and_reports(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "train_and_report.py"), str(runs)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for seed in (0, 1):
        assert (runs / "bike_balance_ppo" / str(seed) / "model.zip").is_file()
    assert (runs / "watch.mp4").stat().st_size > 1000
    assert (runs / "bike_balance_ppo" / "report" / "report.md").read_text().count("| 0 ") + 1 >= 1
    assert "policy network:" in done.stdout and "re-evaluated:" in done.stdout
