"""`rl-lab prefs label`, driven through a pseudo-terminal with scripted keystrokes: clips shown
side by side (as an MP4 without a display), each ranking on disk at once, Ctrl-C loses nothing,
a second session resumes, and the file feeds `prefs train --labels-file`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from test_rlhf_label import Terminal

from rl_lab.errors import LabError
from rl_lab.prefs.clip_view import HEADER, side_by_side
from rl_lab.prefs.label_session import run_prefs_label
from rl_lab.prefs.labels_file import read_labels

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def prefs_terminal(args: list[str]) -> Terminal:
    """``rl-lab prefs label ...`` in a child process on a pseudo-terminal."""
    return Terminal(args, ("prefs", "label"))


@pytest.mark.slow
def test_prefs_label_saves_each_ranking_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "mine.jsonl"
    args = [str(out), "bike_balance_ppo", "--clip-steps", "5", "--video-dir", str(tmp_path / "clips")]

    first = prefs_terminal(args)
    assert "clips 1..2" in first.wait_for("best first:")
    first.type("x")  # not a clip number: ignored
    first.type("2")  # the other clip is implied
    first.wait_for("saved 2 > 1 (1 in mine.jsonl)")
    saved = out.read_text()
    assert len(saved.splitlines()) == 1  # on disk before the next question
    first.wait_for("best first:")
    first.type("\x03")  # Ctrl-C in the middle of the second round
    first.wait_for("rankings saved this session: 1;")
    assert first.close() == 0
    assert out.read_text() == saved

    second = prefs_terminal(args)
    assert "already in mine.jsonl: 1" in second.wait_for("best first:")
    second.type("1")
    second.wait_for("saved 1 > 2 (2 in mine.jsonl)")
    second.type("q")
    second.wait_for("rankings saved this session: 1; in mine.jsonl: 2")
    assert second.close() == 0
    lines = out.read_text().splitlines()
    assert lines[0] == saved.strip() and json.loads(lines[1])["ranking"] == [0, 1]
    ranked = read_labels(out, "rl_lab/BikeBalance-v0")  # every clip replays
    assert [r.tolist() for r in ranked.rankings] == [[1, 0], [0, 1]]
    assert ranked.groups[0][0].obs.tolist() != ranked.groups[1][0].obs.tolist()  # not round 1 again
    # Each round's clips as a video (the third round was shown, then the person quit).
    videos = sorted(p.name for p in (tmp_path / "clips").iterdir())
    assert videos == [f"prefs-ranking-{n}.mp4" for n in (1, 2, 3)]


def test_side_by_side_numbers_and_holds_ended_clips() -> None:
    a = [np.full((10, 6, 3), 200, np.uint8)] * 3
    b = [np.full((10, 4, 3), 90, np.uint8)]  # ended after one frame
    frames = side_by_side([a, b])
    assert len(frames) == 3 and frames[0].shape == (HEADER + 10, 6 + 8 + 4, 3)
    assert (frames[0][HEADER:, :6] == 200).all() and (frames[0][HEADER:, 14:] == 90).all()
    assert (frames[2][HEADER:, 14:] == 30).all()  # held and dimmed
    assert frames[0][:HEADER].max() > 40  # the number is written in the header


def test_prefs_label_needs_a_terminal(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("1")
    fd = os.open(keys, os.O_RDONLY)
    try:
        with pytest.raises(LabError, match="needs a terminal"):
            run_prefs_label(tmp_path / "o.jsonl", "bike_balance_ppo", stdin_fd=fd)
        with pytest.raises(LabError, match=r"--clips must be in \[2, 9\]"):
            run_prefs_label(tmp_path / "o.jsonl", "bike_balance_ppo", k=12, stdin_fd=fd)
    finally:
        os.close(fd)
    assert not (tmp_path / "o.jsonl").exists()
