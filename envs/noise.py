"""Counter-based random numbers: the same stream whether one environment steps or a batch does.

A batch of N environments cannot call N ``numpy.random.Generator`` objects every step without a
Python loop, yet each environment in the batch must see exactly the noise its single twin sees.
So each episode draws one 64-bit key from the environment's ``np_random`` at reset, and the noise
of step ``t`` is a hash of ``(key, t)`` (SplitMix64's finaliser), vectorised over the batch.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / float(1 << 53)


def draw_keys(rng: np.random.Generator, count: int = 1) -> np.ndarray:
    """Draw ``count`` episode keys (uint64) from ``rng``."""
    return rng.integers(0, np.iinfo(np.int64).max, size=count, dtype=np.int64).astype(np.uint64)


def uniform(keys: np.ndarray, counters: np.ndarray, stream: int = 0) -> np.ndarray:
    """Uniform floats in [0, 1), one per (key, counter) pair; ``stream`` separates independent draws."""
    with np.errstate(over="ignore"):
        z = keys + (counters.astype(np.uint64) * np.uint64(2) + np.uint64(stream) + np.uint64(1)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * _TO_UNIT
