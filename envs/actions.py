"""Checking agent actions: one clear ``ValueError`` for anything an action space cannot take.

``Discrete`` spaces take integers only (Python or numpy, or 0-d integer arrays): ``True``, ``1.0``,
``'3'``, ``None`` and out-of-range values such as ``2**70`` are refused, by the single env and the
batch alike. ``Box`` spaces take numbers of exactly the space's shape (per copy); non-finite
values are refused, out-of-range ones clipped (as SB3 and MuJoCo environments do).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


def _as_array(action: Any) -> np.ndarray | None:
    """``action`` as a numeric (non-bool) numpy array, or None if it is not one."""
    try:
        array = np.asarray(action)
    except (TypeError, ValueError, OverflowError):
        return None
    return array if array.dtype.kind in "iuf" else None


def _range(space: gym.spaces.Discrete) -> str:
    return f"[{space.start}, {space.start + space.n - 1}]"


def discrete_action(action: Any, space: gym.spaces.Discrete) -> int:
    """One action of ``space`` as an int, or ``ValueError``."""
    integer = type(action) is int or isinstance(action, np.integer)  # the fast path: no array
    if integer or (isinstance(action, np.ndarray) and action.ndim == 0 and action.dtype.kind in "iu"):
        value = int(action)
    else:
        raise ValueError(f"invalid action {action!r}: expected an integer in {_range(space)}")
    if not space.start <= value < space.start + space.n:
        raise ValueError(f"invalid action {value!r}: expected an integer in {_range(space)}")
    return value


def discrete_actions(actions: Any, space: gym.spaces.Discrete, count: int) -> np.ndarray:
    """``count`` actions of ``space`` as an int64 array (count,), or ``ValueError``."""
    array = _as_array(actions)
    if array is None or array.dtype.kind not in "iu" or array.shape != (count,):
        raise ValueError(
            f"invalid action {_show(actions)}: expected {count} integer(s) in {_range(space)}"
        )
    bad = (array < space.start) | (array >= space.start + space.n)
    if bad.any():
        raise ValueError(f"invalid action {array[bad][0].item()!r}: expected an integer in {_range(space)}")
    return array.astype(np.int64, copy=False)


def box_actions(actions: Any, space: gym.spaces.Box, count: int | None) -> np.ndarray:
    """Actions of ``space`` (one if ``count`` is None, else ``count`` of them) as float64, clipped
    to the space's bounds, or ``ValueError``."""
    expected = space.shape if count is None else (count, *space.shape)
    array = _as_array(actions)
    if array is None:
        raise ValueError(f"invalid action {_show(actions)}: expected numbers of shape {space.shape}")
    if array.shape != expected:
        raise ValueError(f"invalid action shape {array.shape}: expected {space.shape} per environment")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"invalid action {array.tolist()!r}: must be finite")
    return np.clip(array, space.low, space.high)


def check_actions(actions: Any, space: gym.Space, count: int) -> np.ndarray:
    """``count`` actions of ``space`` (Discrete or Box) as an array, or ``ValueError``."""
    if isinstance(space, gym.spaces.Discrete):
        return discrete_actions(actions, space, count)
    if isinstance(space, gym.spaces.Box):
        return box_actions(actions, space, count)
    raise TypeError(f"unsupported action space {space}")


def _show(value: Any) -> str:
    """A short repr for error messages."""
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 80 else text[:77] + "..."
