"""N paddle-ball games as :class:`~rl_lab.envs.compiled.KernelDynamics`: the arrays, spaces and
settings that the compiled kernels of :mod:`.kernel` step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from rl_lab.envs.compiled import KernelDynamics
from rl_lab.envs.paddle import kernel as kn
from rl_lab.envs.paddle.court import COURT, Court
from rl_lab.envs.paddle.params import PaddleParams
from rl_lab.envs.paddle.pixels import court_settings, frame_layout

VECTOR_FEATURES = ("paddle_y", "ball_x", "ball_y", "ball_vx", "ball_vy")


class PaddleDynamics(KernelDynamics):
    """``num_envs`` paddle-ball games (see :class:`rl_lab.envs.paddle.env.PaddleBallEnv`)."""

    kernels = (kn.step_serial, kn.step_parallel, kn.reset_where)
    info_keys = kn.INFO_KEYS
    int_info_keys = frozenset({"score", "returns_in_a_row"})
    metric_keys = kn.METRIC_KEYS

    def __init__(
        self, params: PaddleParams, num_envs: int, parallel: bool | None = None, court: Court = COURT
    ) -> None:
        super().__init__(num_envs, parallel)
        self.params, self.court = params, court
        self.continuous = params.continuous
        self.max_episode_steps = params.max_episode_steps
        self.max_score = court.max_score(params.max_episode_steps)
        if params.continuous:
            self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        else:
            self.action_space = gym.spaces.Discrete(3)
        s = params.frame_size
        if params.obs_mode == "pixels":
            self.observation_space = gym.spaces.Box(0, 255, (s, s, 1), np.uint8)
        else:
            self.observation_space = gym.spaces.Box(-1.0, 1.0, (len(VECTOR_FEATURES),), np.float32)
        n = self.num_envs
        self.F = np.zeros((n, kn.NF))
        self.I = np.zeros((n, kn.NI), np.int64)
        self.K = np.zeros((n, 2), np.uint64)
        self.P = np.zeros(kn.NP)
        for slot, value in {**court_settings(court), **frame_layout(s, court)}.items():
            self.P[slot] = value
        self.P[kn.P_CONTINUOUS] = params.continuous
        self.P[kn.P_PIXELS] = params.obs_mode == "pixels"
        self.P[kn.P_TRAIL] = params.trail
        self.P[kn.P_MAX_STEPS] = params.max_episode_steps
        self.P[kn.P_MAX_SCORE] = self.max_score
        self._allocate(action_width=1)

    # Views of the state columns (writable: tests and demonstrations set up situations with them).
    paddle_y = property(lambda self: self.F[:, kn.PADDLE_Y])
    ball_x = property(lambda self: self.F[:, kn.BALL_X])
    ball_y = property(lambda self: self.F[:, kn.BALL_Y])
    ball_vx = property(lambda self: self.F[:, kn.BALL_VX])
    ball_vy = property(lambda self: self.F[:, kn.BALL_VY])
    prev_x = property(lambda self: self.F[:, kn.PREV_X])
    prev_y = property(lambda self: self.F[:, kn.PREV_Y])
    score = property(lambda self: self.I[:, kn.SCORE])
