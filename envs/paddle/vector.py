"""N paddle-ball games as one Gymnasium ``VectorEnv`` (same-step autoreset), for fast training."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium.vector import AutoresetMode

from rl_lab.envs.compiled import KernelVectorEnv
from rl_lab.envs.paddle.env import RENDER_FPS, PaddleBallEnv
from rl_lab.envs.paddle.render import draw_rgb


class PaddleBallVectorEnv(KernelVectorEnv):
    """``num_envs`` copies of :class:`rl_lab.envs.paddle.env.PaddleBallEnv` stepped by one kernel.

    Copy ``i`` seeded with ``seed + i`` plays exactly the game a single env seeded ``seed + i``
    plays. Finished copies restart in the same step; ``infos["final_obs"]`` and
    ``infos["episode_metrics"]`` hold their last observation and measures where
    ``infos["_final_obs"]``. Same keywords as the single env, plus ``num_envs`` and ``parallel``
    (True / False / None = automatic from 512 copies on a multi-core machine); ``render_mode``
    ``"rgb_array"`` renders every copy.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "autoreset_mode": AutoresetMode.SAME_STEP,
        "render_modes": ["rgb_array"],
        "render_fps": RENDER_FPS,
    }
    single_env_class = PaddleBallEnv

    @property
    def max_score(self) -> int:
        """Score of a game without a miss within ``max_episode_steps``: the most reachable."""
        return self.dynamics.max_score

    def render(self) -> tuple[np.ndarray, ...] | None:
        if self.render_mode is None:
            return None
        d = self.dynamics
        images = []
        for i in range(self.num_envs):
            state = (d.paddle_y[i], d.ball_x[i], d.ball_y[i], d.prev_x[i], d.prev_y[i])
            images.append(draw_rgb(d.court, *map(float, state), int(d.score[i]), d.max_score))
        return tuple(images)
