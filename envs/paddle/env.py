"""``rl_lab/PaddleBall-v0``: keep the ball in the box with a paddle, from state or from pixels."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rl_lab.envs.compiled import KernelEnv
from rl_lab.envs.paddle.dynamics import PaddleDynamics
from rl_lab.envs.paddle.kernel import METRIC_KEYS
from rl_lab.envs.paddle.params import PaddleParams
from rl_lab.envs.paddle.render import HumanWindow, draw_rgb

RENDER_FPS = 30


class PaddleBallEnv(KernelEnv):
    """
    ## Description

    A square box; the ball bounces off the top, bottom and back (left) walls; a vertical paddle
    guards the right side and moves up and down. Each return scores a point; a ball that gets past
    the paddle ends the game. The paddle returns the ball like a mirror, bent by where the ball
    meets it: the centre keeps the ball's slope (vy / vx), the edges bend it by up to +-1, and it
    stays within +-1 (45 degrees), so a player can flatten a steep ball or steepen a flat one. Each return
    adds 0.003 to the ball's horizontal speed (0.03 at launch, capped at 0.05 court widths per
    step); the paddle moves at 0.04 per step, slower than the fastest vertical ball, so the
    paddle must be where the ball *will* be, not chase where it is.

    Court units: the box is the unit square, ``x`` from the back wall (0) to the paddle side (1),
    ``y`` from the bottom (0) to the top (1). The paddle's face is at ``x = 0.92``, it is 0.2 tall,
    and the ball is a square of side 0.05 (:class:`rl_lab.envs.paddle.court.Court`).

    ## Action Space

    ``Discrete(3)``: 0 stay, 1 up, 2 down. With ``continuous=True``: ``Box(-1, 1, (1,), float32)``,
    the paddle's velocity as a fraction of its top speed (positive is up; values outside are
    clipped).

    ## Observation Space

    ``obs_mode="vector"``: ``Box(-1, 1, (5,), float32)``: paddle y, ball x, ball y (each mapped
    from [0, 1] to [-1, 1]), ball vx / 0.05 and ball vy / 0.05.

    ``obs_mode="pixels"``: ``Box(0, 255, (frame_size, frame_size, 1), uint8)``, the court in
    grayscale, channel-last (the paddle on the right edge, 170; the ball 255). A MinAtar-style
    trail (the ball one step earlier, grey 80) makes the ball's motion visible in a single frame,
    so no frame stacking is needed; ``trail=False`` removes it (then stack frames with SB3's
    ``VecFrameStack``). Drawn by the compiled kernel into a preallocated buffer, never with pygame.

    ## Rewards

    +1 for each return. The episode's reward is its score.

    ## Starting State

    Paddle centred; the ball at mid-court (``x = 0.5``), height uniform in [0.25, 0.75], flying
    towards the paddle at horizontal speed 0.03 with a slope uniform in [-0.75, 0.75]. Both are
    hashes of (seed, episode number) (:mod:`rl_lab.envs.noise`): ``reset(seed=s)`` starts episode 0
    of seed s, each later ``reset()`` the next episode; copy i of a batch reset with seed s plays
    exactly the games of a single env reset with seed s + i.

    ## Episode End

    Terminated when the ball gets past the paddle (a miss). Truncated after ``max_episode_steps``
    steps. The ball's left-right motion does not depend on the player's angles, so a game without
    a miss scores exactly ``max_score`` (13 for the default 500 steps; 16 for 600, 27 for 1000;
    :meth:`Court.max_score` replays the ball's horizontal motion): report results as
    ``score / max_score``. For scale: random play scores 3% of it, standing still 5%, and chasing
    the ball's current height 70% (the paddle is too slow to react late).

    ``info`` every step: ``score``, ``ball_x``, ``ball_y``, ``paddle_y`` (court units) and
    ``returns_in_a_row``. On the last step of an episode, ``info["episode_metrics"]``: ``score``,
    ``score_fraction`` (score / max_score), ``returns_in_a_row`` (the longest streak; a miss ends
    the game, so it equals the score) and ``miss_rate`` (1.0 if the game ended with a miss, else
    0.0).

    ## Arguments

    ```python
    gymnasium.make("rl_lab/PaddleBall-v0", render_mode=None, obs_mode="vector", frame_size=84,
                   continuous=False, max_episode_steps=500, trail=True)
    ```

    The keywords are the fields of :class:`~rl_lab.envs.paddle.params.PaddleParams` (each
    documented and checked there; ``params_class``). ``frame_size`` (pixels mode) must be at least
    36; 40 is the lab's choice for training. ``gymnasium.utils.play.play`` works with
    :meth:`get_keys_to_action` (up / down arrows or w / s).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array"], "render_fps": RENDER_FPS}

    params_class = PaddleParams
    #: The measures ``info["episode_metrics"]`` reports (what an experiment's ``success_metric`` may name).
    episode_metric_names = METRIC_KEYS
    _window: HumanWindow | None = None

    @staticmethod
    def _make_dynamics(params: PaddleParams, num_envs: int, parallel: bool | None) -> PaddleDynamics:
        return PaddleDynamics(params, num_envs, parallel)

    #: What the picture means, for displays that show it (the watch panel).
    picture_legend = (
        "paddle: the right wall's guard",
        "a return scores 1, a miss ends it",
    )

    @property
    def action_labels(self) -> list[str] | None:
        """Names of the discrete actions (for displays), None for continuous control."""
        return None if self.dynamics.continuous else ["stay", "up", "down"]

    @property
    def max_score(self) -> int:
        """Score of a game without a miss within ``max_episode_steps``: the most reachable."""
        return self.dynamics.max_score

    def get_keys_to_action(self) -> dict[tuple[int, ...], int | np.ndarray]:
        """Keys for ``gymnasium.utils.play``: up / down arrows (or w / s) move the paddle, both
        together stay; no key plays ``play``'s ``noop`` (0 = stay, the default, for the discrete
        game; pass ``noop=numpy.zeros(1, numpy.float32)`` for ``continuous=True``, where the keys
        mean full speed up or down)."""
        import pygame  # lazily: only people playing need it

        if self.dynamics.continuous:
            up, down, stay = (np.array([v], np.float32) for v in (1.0, -1.0, 0.0))
        else:
            up, down, stay = 1, 2, 0
        mapping: dict[tuple[int, ...], int | np.ndarray] = {}
        for up_key, down_key in ((pygame.K_UP, pygame.K_DOWN), (pygame.K_w, pygame.K_s)):
            mapping[(up_key,)] = up
            mapping[(down_key,)] = down
            mapping[tuple(sorted((up_key, down_key)))] = stay
        return mapping

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        result = super().reset(seed=seed, options=options)
        if self.render_mode == "human":
            self.render()
        return result

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        d: PaddleDynamics = self.dynamics
        image = draw_rgb(
            d.court, float(d.paddle_y[0]), float(d.ball_x[0]), float(d.ball_y[0]),
            float(d.prev_x[0]), float(d.prev_y[0]), int(d.score[0]), d.max_score,
        )  # fmt: skip
        if self.render_mode == "rgb_array":
            return image
        if self._window is None:
            self._window = HumanWindow(self.metadata["render_fps"])
        self._window.show(image, f"score {int(d.score[0])}/{d.max_score}")
        return None

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None
