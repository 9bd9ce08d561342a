"""Batches of bicycles as Gymnasium ``VectorEnv`` s (same-step autoreset), for fast training.

Copy i of a batch reset with seed s follows exactly the trajectory of a single env reset with
seed s + i (same array code, same counter-based noise)."""

from __future__ import annotations

from typing import Any

from rl_lab.envs.batch import BatchVectorEnv
from rl_lab.envs.bicycle.balance import BalanceDynamics
from rl_lab.envs.bicycle.dynamics import BicycleDynamics, max_episode_steps
from rl_lab.envs.bicycle.ride import RideDynamics


class _BicycleVectorEnv(BatchVectorEnv):
    """``num_envs`` bicycles; the keyword arguments are those of the matching single env, forwarded
    to the same dynamics class so the two cannot drift apart."""

    dynamics_class: type[BicycleDynamics]

    def __init__(
        self,
        num_envs: int = 1,
        *,
        action_repeat: int = 1,
        max_seconds: float = 1000.0,
        render_mode: str | None = None,
        **dynamics_kwargs: Any,
    ) -> None:
        if render_mode is not None:
            raise ValueError("the batched bicycle does not render; use the single env (gymnasium.make)")
        dynamics = self.dynamics_class(num_envs, action_repeat=action_repeat, **dynamics_kwargs)
        super().__init__(dynamics, max_episode_steps(max_seconds, action_repeat))


class BikeBalanceVectorEnv(_BicycleVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeBalanceEnv` (same arguments)."""

    dynamics_class = BalanceDynamics


class BikeRideVectorEnv(_BicycleVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeRideEnv` (same arguments)."""

    dynamics_class = RideDynamics
