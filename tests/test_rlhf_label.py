"""`rl-lab rlhf label`, driven through a pseudo-terminal with scripted keystrokes: every answer is
on disk as soon as it is given, Ctrl-C loses nothing already answered, a second session resumes."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from test_rlhf_sample import fake_run

from rl_lab.cli import main
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.data import read_ranked_jsonl
from rl_lab.rlhf.label_session import distinct_responses, existing_rankings, read_order, run_label_session
from rl_lab.rlhf.label_source import language_source

WAIT = 120.0  # seconds for the child to show a screen (it imports torch; the machine may be busy)


class Terminal:
    """``rl-lab rlhf label ...`` (or another ``command``) in a child process whose controlling
    terminal is a pseudo-terminal (so Ctrl-C typed there becomes SIGINT, as for a person)."""

    def __init__(self, args: list[str], command: tuple[str, ...] = ("rlhf", "label")) -> None:
        argv = [sys.executable, "-m", "rl_lab.cli", *command, *args]
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: becomes the command
            os.execv(sys.executable, argv)
        self.screen = ""

    def wait_for(self, text: str) -> str:
        """Read the screen until ``text`` appears after what was already read; return the new part."""
        start = len(self.screen)
        deadline = time.monotonic() + WAIT
        while text not in self.screen[start:]:
            assert time.monotonic() < deadline, f"never saw {text!r}; screen:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"the command ended before {text!r}; screen:\n{self.screen}"
                self.screen += chunk.decode("utf-8", errors="replace")
        return self.screen[start:]

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        """Wait for the command to end; its exit code."""
        _, status = os.waitpid(self.pid, 0)
        os.close(self.master)
        return os.waitstatus_to_exitcode(status)


@pytest.mark.slow
def test_rankings_survive_ctrl_c_and_the_session_resumes(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    out = tmp_path / "mine.jsonl"
    args = [str(out), "--from", str(run), "--n", "3", "--prompt", "weather"]

    first = Terminal(args)
    first.wait_for("best first:")
    first.type("2")
    first.type("x")  # not a response number: ignored
    first.type("3")  # the third is implied
    first.wait_for("saved 2 > 3 > 1 (1 in mine.jsonl)")
    saved = out.read_text()
    assert len(saved.splitlines()) == 1  # on disk before the next question
    first.wait_for("best first:")
    first.type("1")  # half a ranking, then Ctrl-C (the terminal turns it into SIGINT)
    first.wait_for("best first: 1")
    first.type("\x03")
    first.wait_for("rankings saved this session: 1;")
    assert first.close() == 0
    assert out.read_text() == saved  # nothing lost, nothing half-written
    line = json.loads(saved)
    assert line["prompt"] == "weather" and line["ranking"] == [1, 2, 0] and len(line["responses"]) == 3

    second = Terminal(args)
    assert "already in mine.jsonl: 1" in second.wait_for("best first:")
    second.type("3\x7f1")  # 3, take it back, 1: order 1 then 3 then 2
    second.type("3")
    second.wait_for("saved 1 > 3 > 2 (2 in mine.jsonl)")
    second.type("q")
    second.wait_for("rankings saved this session: 1; in mine.jsonl: 2")
    assert second.close() == 0
    lines = out.read_text().splitlines()
    assert lines[0] == saved.strip() and json.loads(lines[1])["ranking"] == [0, 2, 1]
    assert lines[1] != lines[0]  # new responses, not the first round again
    assert len(read_ranked_jsonl(out, TextWorld())) == 2  # the file feeds --ranked-data as it is


def test_keys_torn_lines_and_repeated_responses(tmp_path: Path) -> None:
    echoed: list[str] = []
    keys = iter(["9", "2", "\x7f", "3", "1", "1", "2"])  # 9: no such response; 1 twice: counted once
    assert read_order(lambda: next(keys), 4, echoed.append) == [2, 0, 1, 3]
    assert echoed == ["2", "", "3", "3 1", "3 1 2"]
    assert read_order(lambda: "s", 4, echoed.append) == "skip"
    assert read_order(lambda: "q", 2, echoed.append) is None
    world = TextWorld()
    path = tmp_path / "r.jsonl"
    good = json.dumps({"prompt": "sea", "responses": ["ship", "wind"], "ranking": [1, 0]})
    path.write_text(good + "\n" + good[:20])  # the process died while writing the second line
    assert existing_rankings(path, world) == 1 and path.read_text() == good + "\n"
    assert existing_rankings(tmp_path / "new.jsonl", world) == 0
    draws = iter([np.array([[1, 2], [1, 2], [3, 4]]), np.array([[5, 6]])])
    assert distinct_responses(lambda n: next(draws)[:n], 3).tolist() == [[1, 2], [5, 6], [3, 4]]


def test_label_needs_a_terminal_and_a_sensible_k(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    not_a_tty = tmp_path / "keys.txt"
    not_a_tty.write_text("12")
    fd = os.open(not_a_tty, os.O_RDONLY)
    try:
        with pytest.raises(LabError, match="needs a terminal"):
            run_label_session(tmp_path / "o.jsonl", run, stdin_fd=fd)
        with pytest.raises(LabError, match="needs a terminal"):
            run_label_session(tmp_path / "o.jsonl", None, stdin_fd=fd)  # the hidden language's too
        with pytest.raises(LabError, match=r"--n must be in \[2, 9\]"):
            run_label_session(tmp_path / "o.jsonl", run, k=12, stdin_fd=fd)
    finally:
        os.close(fd)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.slow
def test_without_from_the_hidden_language_writes_the_responses(tmp_path: Path) -> None:
    out = tmp_path / "lang.jsonl"
    args = [str(out), "--n", "3", "--prompt", "sea", "--seed", "2"]
    session = Terminal(args)
    assert "hidden language" in session.wait_for("best first:")
    session.type("31")
    session.wait_for("saved 3 > 1 > 2 (1 in lang.jsonl)")
    session.type("q")
    session.wait_for("rankings saved this session: 1; in lang.jsonl: 1")
    assert session.close() == 0
    line = json.loads(out.read_text())
    # the session's first round, drawn here straight from the language with the session's stream
    world = TextWorld()
    stream = (2 * 1_000_003 + zlib.crc32(b"lang.jsonl")) % 2**62
    drawn = world.sample_responses(np.full(3, world.prompt_id["sea"]), np.random.default_rng(stream))
    assert line == {"prompt": "sea", "responses": [world.decode(r) for r in drawn], "ranking": [2, 0, 1]}
    assert len(read_ranked_jsonl(out, world)) == 1


def test_language_source_draws_from_the_hidden_language() -> None:
    source = language_source()
    world = TextWorld()
    draw = source.round(world.prompt_id["weather"], 11)
    rng = np.random.default_rng(11)
    first, second = draw(5), draw(2)  # one round's stream goes on: a redraw is a new response
    np.testing.assert_array_equal(first, world.sample_responses(np.full(5, world.prompt_id["weather"]), rng))
    np.testing.assert_array_equal(second, world.sample_responses(np.full(2, world.prompt_id["weather"]), rng))
    assert source.world.max_len == 10 and "hidden language" in source.description


def test_stage_needs_from(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rlhf", "label", str(tmp_path / "x.jsonl"), "--stage", "ppo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stage picks one of the policies of the --from RUN run" in err
    assert main(["rlhf", "label", str(tmp_path / "x.jsonl"), "--from", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
