"""The Stable-Baselines3 algorithms rl-lab trains, by the name an experiment's ``algo`` key uses."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm

# Import paths rather than classes: reading a config must not pay for importing torch.
ALGORITHMS: dict[str, str] = {
    "ppo": "stable_baselines3:PPO",
    "a2c": "stable_baselines3:A2C",
    "dqn": "stable_baselines3:DQN",
    "sac": "stable_baselines3:SAC",
}
# Algorithms whose policy is greedy over the Q network: there is no separate policy network.
Q_GREEDY = frozenset({"dqn"})


def algorithm_class(name: str) -> type[BaseAlgorithm]:
    """The SB3 class for ``name`` (a key of :data:`ALGORITHMS`)."""
    module, _, attr = ALGORITHMS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
