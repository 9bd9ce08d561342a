"""How the reports write numbers: one place, so the tables, the intervals and comparisons agree."""

from __future__ import annotations


def steps(value: float) -> str:
    return f"{value:,.0f}"


def episode_return(value: float) -> str:
    return f"{value:,.2f}"


def rate(value: float) -> str:
    return f"{value:.0%}"


def seconds(value: float) -> str:
    return f"{value:,.1f}"


def plural(count: int, word: str) -> str:
    """``1 seed``, ``3 seeds``."""
    return f"{count} {word}{'s' * (count != 1)}"
