"""Where the court's objects fall in an observation frame, and drawing frames outside an env.

The frames themselves are drawn by the compiled kernel (:func:`.kernel.draw_one`) into the env's
preallocated uint8 buffer: grey levels background 0, trail 80, paddle 170, ball 255. The trail
(MinAtar-style) is the ball where it was one step earlier, so a single frame shows which way and
how fast the ball moves; with ``trail=False`` use ``VecFrameStack`` instead.
"""

from __future__ import annotations

import numpy as np

from rl_lab.envs.paddle import kernel as kn
from rl_lab.envs.paddle.court import Court

BALL, PADDLE, TRAIL = kn.BALL, kn.PADDLE, kn.TRAIL


def frame_layout(frame_size: int, court: Court) -> dict[int, float]:
    """The kernel settings (``P`` slots) of a ``frame_size`` frame: sprite sizes and the paddle's
    column. Court ``x`` maps to columns (paddle on the right), court ``y`` to rows (top on row 0)."""
    s = frame_size
    paddle_w_px = max(1, round(court.paddle_width * s))
    return {
        kn.P_FRAME: s,
        kn.P_BALL_PX: max(1, round(2 * court.ball_radius * s)),
        kn.P_PADDLE_H_PX: max(1, round(2 * court.paddle_half * s)),
        kn.P_PADDLE_W_PX: paddle_w_px,
        kn.P_PADDLE_COL: min(round(court.paddle_face * s), s - paddle_w_px),
    }


def court_settings(court: Court) -> dict[int, float]:
    """The kernel settings (``P`` slots) of ``court``'s geometry and speeds."""
    c = court
    return {
        kn.P_BALL_RADIUS: c.ball_radius, kn.P_PADDLE_HALF: c.paddle_half, kn.P_PADDLE_FACE: c.paddle_face,
        kn.P_PADDLE_SPEED: c.paddle_speed, kn.P_BALL_SPEED: c.ball_speed, kn.P_SPEED_STEP: c.speed_step,
        kn.P_MAX_SPEED: c.max_speed, kn.P_DEFLECTION: c.deflection, kn.P_MAX_SLOPE: c.max_slope,
        kn.P_LAUNCH_SLOPE: c.launch_slope, kn.P_LAUNCH_X: c.launch_x, kn.P_LAUNCH_Y_LOW: c.launch_y_low,
        kn.P_LAUNCH_Y_HIGH: c.launch_y_high, kn.P_HIT_REACH: c.hit_reach, kn.P_MAX_VY: c.max_vy,
    }  # fmt: skip


class PixelDrawer:
    """Draws ``num_envs`` games' frames from given states (the env draws its own in the kernel)."""

    def __init__(self, num_envs: int, frame_size: int, court: Court, trail: bool = True) -> None:
        self.num_envs, self.frame_size = num_envs, frame_size
        self._P = np.zeros(kn.NP)
        for slot, value in {**court_settings(court), **frame_layout(frame_size, court)}.items():
            self._P[slot] = value
        self._P[kn.P_TRAIL] = trail

    def draw(
        self,
        paddle_y: np.ndarray,
        ball_x: np.ndarray,
        ball_y: np.ndarray,
        prev_x: np.ndarray,
        prev_y: np.ndarray,
    ) -> np.ndarray:
        """Fresh frames ``(N, S, S, 1)`` uint8 of the given states."""
        F = np.zeros((self.num_envs, kn.NF))
        F[:, kn.PADDLE_Y], F[:, kn.BALL_X], F[:, kn.BALL_Y] = paddle_y, ball_x, ball_y
        F[:, kn.PREV_X], F[:, kn.PREV_Y] = prev_x, prev_y
        frames = np.zeros((self.num_envs, self.frame_size, self.frame_size, 1), np.uint8)
        kn.draw_frames(F, self._P, frames)
        return frames
