"""RL Zoo's schedule strings for algorithm settings: ``"lin_3e-4"`` decays linearly to zero.

TOML cannot hold a Python callable, so an experiment writes ``learning_rate = "lin_5e-4"`` and
the agent factory turns it into SB3's schedule (a function of the remaining progress, 1 -> 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Settings SB3 accepts as a schedule (a float, or a function of the remaining progress).
SCHEDULABLE = ("learning_rate", "clip_range", "clip_range_vf")
PREFIX = "lin_"


def schedule_error(value: Any) -> str | None:
    """Why ``value`` is not a schedule string (None when it is one)."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return f"expected a number or '{PREFIX}<number>' (linear decay to 0), got {value!r}"
    try:
        start = float(value.removeprefix(PREFIX))
    except ValueError:
        return f"'{value}' is not '{PREFIX}<number>'"
    return None if math.isfinite(start) and start > 0 else f"'{value}': the start value must be > 0"


@dataclass(frozen=True)
class LinearDecay:
    """``start`` at the beginning of training, 0 at the end (SB3 passes the remaining progress).

    A module-level class rather than a closure, so a saved model's schedule pickles plainly.
    """

    start: float

    def __call__(self, progress_remaining: float) -> float:
        return self.start * progress_remaining


def to_schedule(value: Any) -> Any:
    """A schedule string as a :class:`LinearDecay`; any other value unchanged."""
    if isinstance(value, str) and schedule_error(value) is None:
        return LinearDecay(float(value.removeprefix(PREFIX)))
    return value


def resolve_schedules(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with every schedulable setting's string turned into a schedule."""
    return {k: to_schedule(v) if k in SCHEDULABLE else v for k, v in kwargs.items()}
