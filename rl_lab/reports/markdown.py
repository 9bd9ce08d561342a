"""Regenerate one marked section of a Markdown file, leaving the rest as it is.

``docs/benchmarks.md`` is written by several commands (throughput, each experiment's learning
results); each owns the text between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``.
"""

from __future__ import annotations

import re
from pathlib import Path

from rl_lab.runs import atomic


def update_section(path: Path, name: str, content: str, title: str = "# rl-lab benchmarks\n") -> None:
    """Replace (or append) section ``name`` of ``path`` with ``content``, atomically."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{content.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else title
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    atomic.write_text(path, text)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_BLOCK = re.compile(r"<!-- begin (?P<name>[^ ]+) -->.*?<!-- end (?P=name) -->", re.DOTALL)


def reorder_sections(path: Path, order: list[str]) -> None:
    """Put the marked sections of ``path`` in ``order`` (sections not named keep their relative
    order, after those). The text before the first section (the title) stays on top; any text
    after a section moves with it."""
    text = path.read_text()
    matches = list(_BLOCK.finditer(text))
    if not matches:
        return
    pieces = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        tail = text[match.end(): following.start() if following else len(text)].strip()
        pieces[match.group("name")] = match.group(0) + (f"\n\n{tail}" if tail else "")
    head = text[: matches[0].start()].rstrip()
    names = [name for name in order if name in pieces] + [name for name in pieces if name not in order]
    atomic.write_text(path, head + "\n\n" + "\n\n".join(pieces[name] for name in names) + "\n")
