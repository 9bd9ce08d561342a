"""Batches of bicycles as Gymnasium ``VectorEnv`` s (same-step autoreset), for fast training.

Copy i of a batch reset with seed s follows exactly the trajectory of a single env reset with
seed s + i (same array code, same counter-based noise)."""

from __future__ import annotations

from rl_lab.envs.batch import BatchVectorEnv
from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.bicycle.balance import BalanceDynamics
from rl_lab.envs.bicycle.dynamics import max_episode_steps
from rl_lab.envs.bicycle.ride import RideDynamics


class BikeBalanceVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeBalanceEnv` (same arguments)."""

    def __init__(
        self,
        num_envs: int = 1,
        *,
        noise: float = ph.D_MAX,
        continuous: bool = False,
        pedal_brake: bool = False,
        action_repeat: int = 1,
        max_seconds: float = 1000.0,
        alive_reward: float = 1.0,
        fall_penalty: float = 0.0,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError("the batched bicycle does not render; use the single env (gymnasium.make)")
        dynamics = BalanceDynamics(
            num_envs,
            noise=noise,
            continuous=continuous,
            pedal_brake=pedal_brake,
            action_repeat=action_repeat,
            alive_reward=alive_reward,
            fall_penalty=fall_penalty,
        )
        super().__init__(dynamics, max_episode_steps(max_seconds, action_repeat))


class BikeRideVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`~rl_lab.envs.bicycle.env.BikeRideEnv` (same arguments)."""

    def __init__(
        self,
        num_envs: int = 1,
        *,
        noise: float = ph.D_MAX,
        continuous: bool = False,
        pedal_brake: bool = False,
        action_repeat: int = 1,
        max_seconds: float = 1000.0,
        shaping: str = "distance",
        gamma: float = 0.99,
        distance_scale: float = 100.0,
        goal_bonus: float = 1.0,
        fall_penalty: float = 1.0,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError("the batched bicycle does not render; use the single env (gymnasium.make)")
        dynamics = RideDynamics(
            num_envs,
            noise=noise,
            continuous=continuous,
            pedal_brake=pedal_brake,
            action_repeat=action_repeat,
            shaping=shaping,
            gamma=gamma,
            distance_scale=distance_scale,
            goal_bonus=goal_bonus,
            fall_penalty=fall_penalty,
        )
        super().__init__(dynamics, max_episode_steps(max_seconds, action_repeat))
