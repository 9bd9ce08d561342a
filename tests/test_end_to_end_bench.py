"""``rl-lab bench --end-to-end`` writes the wall-clock split of a real run, without touching runs/."""

from __future__ import annotations

from pathlib import Path

from rl_lab.cli import main


def test_end_to_end_section_splits_a_real_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "bench.md"
    assert main(["bench", "--end-to-end", "--quick", "--output", str(output)]) == 0
    text = output.read_text()
    assert "<!-- begin end-to-end -->" in text and "| bike_ride_ppo | 4,096 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| bike_ride_ppo"))
    train_s, eval_s, video_s, whole_s = (float(cell) for cell in row.split("|")[3:7])
    # Each figure is printed to 0.1 s: their sum may pass the whole run's by the rounding of four numbers.
    assert min(train_s, eval_s, video_s) > 0 and train_s + eval_s + video_s <= whole_s + 0.2
    assert not (tmp_path / "runs").exists()  # the measurement trains in a temporary folder
