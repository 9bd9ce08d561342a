"""Batches of bicycles as Gymnasium ``VectorEnv`` s (same-step autoreset), for fast training.

Copy i of a batch reset with seed s follows exactly the trajectory of a single env reset with
seed s + i (same compiled kernel, same counter-based noise), serial or ``parallel``."""

from __future__ import annotations

from rl_lab.envs.bicycle.env import BikeBalanceEnv, BikeRideEnv
from rl_lab.envs.compiled import KernelVectorEnv


class BikeBalanceVectorEnv(KernelVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeBalanceEnv` (same keywords, plus
    ``parallel``: True / False / None = automatic from 512 copies on a multi-core machine)."""

    single_env_class = BikeBalanceEnv


class BikeRideVectorEnv(KernelVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeRideEnv` (same keywords, plus
    ``parallel``)."""

    single_env_class = BikeRideEnv
