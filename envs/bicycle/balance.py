"""The balance task: stay upright (Randløv & Alstrøm 1998, their first task)."""

from __future__ import annotations

import numpy as np

from rl_lab.envs.bicycle.dynamics import BicycleDynamics


class BalanceDynamics(BicycleDynamics):
    """N bicycles that must not fall: ``alive_reward`` per agent step upright, ``−fall_penalty``
    on the step of a fall (which terminates the episode). ``alive_reward=0, fall_penalty=1`` is the
    paper's reward."""

    def __init__(
        self, num_envs: int, *, alive_reward: float = 1.0, fall_penalty: float = 0.0, **kwargs
    ) -> None:
        super().__init__(num_envs, **kwargs)
        self.alive_reward = float(alive_reward)
        self.fall_penalty = float(fall_penalty)
        self._rewards = np.zeros(num_envs)

    def _reward(self, fallen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rewards = np.where(fallen, -self.fall_penalty, self.alive_reward)
        return rewards, fallen.copy()
