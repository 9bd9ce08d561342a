"""An append-only JSONL file of a person's answers: each answer durable before the next question,
and a line torn by a crash (never confirmed to the person) cut off on the next start."""

from __future__ import annotations

import json
import os
from pathlib import Path


def append_answer(path: Path, line: dict) -> None:
    """Append one JSON line and make it durable before the next question is asked."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def holds_answers(path: Path) -> bool:
    """Whether ``path`` exists with at least one answer; first cuts a torn last line (the
    process died while writing it: that answer was never confirmed)."""
    if not path.exists():
        return False
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)
    return bool(path.read_text(encoding="utf-8-sig").strip())
