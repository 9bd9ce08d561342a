"""Counter-based random numbers: the same stream whether one environment steps or a batch does.

A batch of N environments cannot call N ``numpy.random.Generator`` objects without a Python loop,
yet each environment in the batch must see exactly the randomness its single twin sees. So every
random number is a hash (SplitMix64's finaliser, Steele, Lea & Flood 2014) of where it is used:

* an episode's key is ``episode_key(seed, episode)``: the copy's seed (copy ``i`` of a batch reset
  with seed ``s`` has seed ``s + i``, Gymnasium's rule) and the number of the episode since that
  seed was set (0, 1, 2, ...);
* draw ``t`` of stream ``k`` in that episode is ``uniform(key, t, k)``.

The kernels call the compiled scalar forms (:func:`mix64`, :func:`episode_key`, :func:`uniform_at`);
:func:`uniform` is the same hash over numpy arrays, for tests and tools.
"""

from __future__ import annotations

import numpy as np

from rl_lab.envs._numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
SHIFT_A, SHIFT_B, SHIFT_C, SHIFT_UNIT = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
ONE, TWO = np.uint64(1), np.uint64(2)
TO_UNIT = 1.0 / float(1 << 53)
SEED_SALT = np.uint64(0x5EED0F0E1CA5E5ED)  # keeps episode keys apart from the draws' own inputs


@njit(inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scrambles every bit."""
    z = (z ^ (z >> SHIFT_A)) * MIX1
    z = (z ^ (z >> SHIFT_B)) * MIX2
    return z ^ (z >> SHIFT_C)


@njit(inline="always")
def episode_key(seed: np.uint64, episode: np.int64) -> np.uint64:
    """The key of episode ``episode`` (0 after ``reset(seed=...)``) of a copy seeded ``seed``."""
    return mix64(mix64(seed ^ SEED_SALT) + np.uint64(episode) * GOLDEN)


@njit(inline="always")
def uniform_at(key: np.uint64, counter: np.int64, stream: np.int64) -> float:
    """A uniform float in [0, 1) for draw ``counter`` of stream ``stream`` under ``key``."""
    z = key + (np.uint64(counter) * TWO + np.uint64(stream) + ONE) * GOLDEN
    return np.float64(mix64(z) >> SHIFT_UNIT) * TO_UNIT


def uniform(keys: np.ndarray, counters: np.ndarray, stream: int = 0) -> np.ndarray:
    """``uniform_at`` over arrays: floats in [0, 1), one per (key, counter) pair."""
    with np.errstate(over="ignore"):
        z = keys + (counters.astype(np.uint64) * TWO + np.uint64(stream) + ONE) * GOLDEN
        z = (z ^ (z >> SHIFT_A)) * MIX1
        z = (z ^ (z >> SHIFT_B)) * MIX2
        z = z ^ (z >> SHIFT_C)
    return (z >> SHIFT_UNIT).astype(np.float64) * TO_UNIT


def copy_seeds(seed: int | list[int] | np.ndarray, count: int) -> np.ndarray:
    """The seeds (uint64) of ``count`` copies: an int ``s`` seeds copy ``i`` with ``s + i``; a list
    gives each copy its own (``None`` in it: a seed from the OS, as Gymnasium does)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.array([(int(seed) + i) % 2**64 for i in range(count)], dtype=np.uint64)
    seeds = [int(np.random.SeedSequence().entropy) % 2**63 if s is None else s for s in seed]  # None: OS
    if len(seeds) != count:
        raise ValueError(f"got {len(seeds)} seeds for {count} environments")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be non-negative integers, got {seeds!r}")
    return np.array([int(s) % 2**64 for s in seeds], dtype=np.uint64)
