"""The Stable-Baselines3 algorithms rl-lab trains, by config name."""

from __future__ import annotations

from stable_baselines3 import A2C, DQN, PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm

ALGORITHM_CLASSES: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "sac": SAC}


def algorithm_class(name: str) -> type[BaseAlgorithm]:
    """The SB3 class for ``name`` (one of ``ppo``, ``a2c``, ``dqn``, ``sac``)."""
    return ALGORITHM_CLASSES[name]
