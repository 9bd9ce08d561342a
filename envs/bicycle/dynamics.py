"""N bicycles as :class:`~rl_lab.envs.compiled.KernelDynamics`: the arrays, spaces and settings that
the compiled kernels of :mod:`.kernel` step (balance and ride alike)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from rl_lab.envs.bicycle import kernel as kn
from rl_lab.envs.bicycle.params import BikeBalanceParams, BikeParams, BikeRideParams
from rl_lab.envs.compiled import KernelDynamics


class BicycleDynamics(KernelDynamics):
    """``num_envs`` bicycles with the settings ``params`` (a :class:`BikeBalanceParams` or a
    :class:`BikeRideParams`, which also picks the task)."""

    kernels = (kn.step_serial, kn.step_parallel, kn.reset_where)

    def __init__(self, params: BikeParams, num_envs: int, parallel: bool | None = None) -> None:
        super().__init__(num_envs, parallel)
        self.params = params
        ride = isinstance(params, BikeRideParams)
        pedal = params.pedal_brake
        self.action_repeat = params.action_repeat
        self.max_episode_steps = params.max_episode_steps
        if params.continuous:
            self.action_space = gym.spaces.Box(-1.0, 1.0, (3 if pedal else 2,), np.float32)
        else:
            self.action_space = gym.spaces.Discrete(27 if pedal else 9)
        low, high = [-kn.OBS_BOUND] * 5, [kn.OBS_BOUND] * 5
        if pedal:
            low, high = [*low, 0.0], [*high, 1.0]
        if ride:  # sin and cos of the goal direction relative to the heading, distance / 1000 m
            low, high = [*low, -1.0, -1.0, 0.0], [*high, 1.0, 1.0, 2.0]
        self.observation_space = gym.spaces.Box(np.array(low, np.float32), np.array(high, np.float32))
        self.info_keys = (
            kn.INFO_KEYS + (kn.PEDAL_INFO_KEYS if pedal else ()) + (kn.RIDE_INFO_KEYS if ride else ())
        )
        self.bool_info_keys = frozenset({"reached_goal"}) if ride else frozenset()
        self.metric_keys = kn.METRIC_KEYS + (kn.RIDE_METRIC_KEYS if ride else ())
        n = self.num_envs
        self.F = np.zeros((n, kn.NF))
        self.I = np.zeros((n, kn.NI), np.int64)
        self.K = np.zeros((n, 2), np.uint64)
        self.P = np.zeros(kn.NP)
        P = self.P
        P[kn.P_NOISE_AMP] = 2.0 * params.noise  # d += 2·noise·(0.5 − u): 0.04·(0.5 − u) by default
        P[kn.P_REPEAT] = params.action_repeat
        P[kn.P_CONTINUOUS] = params.continuous
        P[kn.P_PEDAL] = pedal
        P[kn.P_MAX_STEPS] = self.max_episode_steps
        P[kn.P_FALL_PENALTY] = params.fall_penalty
        if ride:
            P[kn.P_RIDE] = 1.0
            P[kn.P_RANDLOV] = params.shaping == "randlov"
            P[kn.P_GAMMA], P[kn.P_SCALE] = params.gamma, params.distance_scale
            P[kn.P_BONUS] = params.goal_bonus
        else:
            assert isinstance(params, BikeBalanceParams)
            P[kn.P_ALIVE] = params.alive_reward
        self._allocate(action_width=3)

    @property
    def fell(self) -> np.ndarray:
        """Whether each copy's current episode ended in a fall."""
        return self.I[:, kn.FELL] != 0
