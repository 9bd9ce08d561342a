"""N paddle-ball games as one Gymnasium ``VectorEnv`` (same-step autoreset), for fast training."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium.vector import AutoresetMode

from rl_lab.envs.batch import BatchVectorEnv
from rl_lab.envs.paddle.court import COURT
from rl_lab.envs.paddle.dynamics import PaddleDynamics
from rl_lab.envs.paddle.env import DEFAULT_MAX_EPISODE_STEPS, RENDER_FPS
from rl_lab.envs.paddle.render import draw_rgb


class PaddleBallVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`rl_lab.envs.paddle.env.PaddleBallEnv` stepped as arrays.

    Copy ``i`` seeded with ``seed + i`` plays exactly the game a single env seeded ``seed + i``
    plays. Finished copies restart in the same step; ``infos["final_obs"]`` and
    ``infos["episode_metrics"]`` hold their last observation and measures where
    ``infos["_final_obs"]``. Same arguments as the single env, plus ``num_envs``; ``render_mode``
    ``"rgb_array"`` renders every copy.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "autoreset_mode": AutoresetMode.SAME_STEP,
        "render_modes": ["rgb_array"],
        "render_fps": RENDER_FPS,
    }

    def __init__(
        self,
        num_envs: int = 1,
        render_mode: str | None = None,
        obs_mode: str = "vector",
        frame_size: int = 84,
        continuous: bool = False,
        max_episode_steps: int = DEFAULT_MAX_EPISODE_STEPS,
        trail: bool = True,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        dynamics = PaddleDynamics(num_envs, obs_mode, frame_size, continuous, trail, max_episode_steps, COURT)
        super().__init__(dynamics, max_episode_steps)
        self.dynamics: PaddleDynamics = dynamics
        self.render_mode = render_mode

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
