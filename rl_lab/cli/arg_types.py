"""The CLI's argument types: a bad value is argparse's one-line error naming the flag."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from rl_lab.config.schema import MAX_SEED


def whole_number(low: int, what: str, high: int | None = None) -> Callable[[str], int]:
    """A whole number in [``low``, ``high``]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


def number(what: str, above_zero: bool, out_of_range: str | None = None) -> Callable[[str], float]:
    """A finite number > 0 (``above_zero``) or >= 0; ``out_of_range`` words the error for a number
    outside that (default: as for text that is no number)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (value > 0 if above_zero else value >= 0) or not math.isfinite(value):
            if out_of_range is None:
                raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
            raise argparse.ArgumentTypeError(f"expected {out_of_range}, got {text}")
        return value

    return parse


positive = whole_number(1, "a positive integer")
non_negative = whole_number(0, "a whole number >= 0")
seed = whole_number(0, f"a whole number in [0, {MAX_SEED}]", MAX_SEED)
positive_number = number("a positive number", above_zero=True)
non_negative_number = number("a number >= 0", above_zero=False, out_of_range="a finite number >= 0")
