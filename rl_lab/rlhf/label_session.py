"""``rl-lab rlhf label FILE [--from RUN]``: a person ranks responses in the terminal.

Each round shows a prompt and K responses, numbered 1..K: of the run's policy (SFT by default)
with ``--from RUN``, else of the toy's hidden language, what SFT imitates
(:mod:`rl_lab.rlhf.label_source`).
The person types the numbers from best to worst (the last one is implied); Backspace takes the
last key back, ``s`` skips the round, ``q`` or Ctrl-C ends the session. With K = 2 one key ranks
a pair. Every finished ranking is appended to FILE at once (written, flushed and fsynced) in the
ranked-data format of :mod:`rl_lab.rlhf.data`, so FILE feeds ``rl-lab rlhf --ranked-data``
directly; Ctrl-C loses only the ranking being typed. Running the same command again continues
the file: the prompts go on where they stopped and new responses are drawn. The draws depend on
--seed and the file's name, so a second file (held-out rankings) gets other responses.
"""

from __future__ import annotations

import os
import sys
import termios
import tty
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.data import read_ranked_jsonl
from rl_lab.rlhf.label_source import language_source, policy_source
from rl_lab.rlhf.sample import prompt_ids
from rl_lab.runs.answers_file import append_answer, holds_answers

MAX_K = 9  # one digit per response
BACKSPACE = ("\x7f", "\b")
RESAMPLES = 20  # draws to replace a response that repeats another in the same round


def existing_rankings(path: Path, world: TextWorld) -> int:
    """How many rankings ``path`` already holds (0 if it does not exist; a torn last line cut)."""
    return len(read_ranked_jsonl(path, world)) if holds_answers(path) else 0


def distinct_responses(draw: Callable[[int], np.ndarray], k: int) -> np.ndarray:
    """K responses, redrawing any that repeats an earlier one (up to a few times)."""
    responses = list(draw(k))
    for _ in range(RESAMPLES):
        keys = [r.tobytes() for r in responses]
        repeats = [i for i in range(k) if keys[i] in keys[:i]]
        if not repeats:
            break
        for i, fresh in zip(repeats, draw(len(repeats)), strict=True):
            responses[i] = fresh
    return np.stack(responses)


def _echo(order: str) -> None:
    """Redraw the answer line in place (carriage return, clear to the end of the line)."""
    sys.stdout.write(f"\r\x1b[K  best first: {order}")
    sys.stdout.flush()


@contextmanager
def keystrokes(fd: int) -> Iterator[Callable[[], str]]:
    """Single keys from terminal ``fd`` without Enter (cbreak mode: Ctrl-C still interrupts)."""
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield lambda: os.read(fd, 1).decode("utf-8", errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_order(key: Callable[[], str], k: int, echo: Callable[[str], None]) -> list[int] | str | None:
    """The person's order (indices, best first), ``"skip"``, or None to quit."""
    order: list[int] = []
    while len(order) < k - 1:
        ch = key()
        if ch in ("q", "\x04", ""):
            return None
        if ch == "s":
            return "skip"
        if ch in BACKSPACE and order:
            order.pop()
        elif ch.isdigit() and 1 <= int(ch) <= k and int(ch) - 1 not in order:
            order.append(int(ch) - 1)
        else:
            continue
        echo(" ".join(str(i + 1) for i in order))
    return order + [i for i in range(k) if i not in order]


def ask_order(key: Callable[[], str], k: int) -> list[int] | str | None:
    """One question's answer on its own line: the order (best first), ``"skip"``, or None to quit."""
    _echo("")
    order = read_order(key, k, _echo)
    print(flush=True)
    return order


def terminal_fd(stdin_fd: int | None, command: str) -> int:
    """The terminal the person's keys come from (``stdin_fd``, or stdin); one line when there is none."""
    try:
        fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    except (AttributeError, ValueError, OSError):  # stdin closed or replaced (e.g. by a test runner)
        fd = -1
    if fd < 0 or not os.isatty(fd):
        raise LabError(f"{command}: needs a terminal to read your keys (stdin is not a terminal)")
    return fd


def run_label_session(path: Path, run_dir: Path | None, stage: str = "sft", k: int = 4,
                      prompt: str | None = None, seed: int = 0, stdin_fd: int | None = None) -> int:
    """Ask for rankings until the person quits; return how many were saved in this session.
    ``run_dir`` None: rank responses of the hidden language instead of a run's policy."""
    from rich.console import Console

    if not 2 <= k <= MAX_K:
        raise LabError(f"rlhf label: --n must be in [2, {MAX_K}] (one key per response), got {k}")
    source = language_source() if run_dir is None else policy_source(run_dir, stage)
    fd = terminal_fd(stdin_fd, "rlhf label")
    world = source.world
    prompts = prompt_ids(world, prompt)
    done = existing_rankings(path, world)
    path.parent.mkdir(parents=True, exist_ok=True)
    console = Console(highlight=False)
    console.print(f"already in {path.name}: {done}")
    console.print(f"ranking {source.description} into {path}")
    console.print("type the numbers best first; Backspace undoes, s skips, q or Ctrl-C quits")
    # Another file (e.g. held-out rankings for --eval-rankings) gets other responses to rank.
    stream = (seed * 1_000_003 + zlib.crc32(path.name.encode())) % 2**62
    saved = 0
    with keystrokes(fd) as key:
        try:
            while True:
                number = done + saved
                p = prompts[number % len(prompts)]
                responses = distinct_responses(source.round(p, stream + number), k)
                console.rule(f"ranking {number + 1} · prompt: [bold]{world.prompts[p]}[/bold]")
                for i, response in enumerate(responses):
                    console.print(f"  [bold]{i + 1}[/bold]  {world.decode(response) or '(empty)'}")
                order = ask_order(key, k)
                if order is None:
                    break
                if order == "skip":
                    continue
                append_answer(path, {"prompt": world.prompts[p],
                                      "responses": [world.decode(r) for r in responses], "ranking": order})
                saved += 1
                shown = " > ".join(str(i + 1) for i in order)
                console.print(f"  saved {shown} ({done + saved} in {path.name})")
        except KeyboardInterrupt:
            console.print()
    console.print(f"rankings saved this session: {saved}; in {path.name}: {done + saved}")
    console.print(f"(in {path}; the same command continues)")
    return saved
