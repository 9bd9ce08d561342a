"""Observation frames of N games drawn at once with numpy: no pygame, no loop over games.

Each object is a fixed-size sprite, so drawing a batch is one fancy-index write per object into a
fresh zeroed ``(N, S, S, 1)`` uint8 array. Grey levels: background 0, trail 80, paddle 170,
ball 255. The trail (MinAtar-style) is the ball where it was one step earlier, so a single frame
shows which way and how fast the ball moves; with ``trail=False`` use ``VecFrameStack`` instead.
"""

from __future__ import annotations

import numpy as np

from rl_lab.envs.paddle.court import Court

BALL, PADDLE, TRAIL = 255, 170, 80


def _sprite_offsets(height: int, width: int, frame_size: int) -> np.ndarray:
    """Flat offsets of a ``height x width`` block from its top-left pixel."""
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return (rows * frame_size + cols).ravel()


class PixelDrawer:
    """Draws the court of ``num_envs`` games as ``frame_size`` x ``frame_size`` grayscale frames.

    Court ``x`` maps to columns (paddle on the right), court ``y`` to rows (top wall on row 0).
    """

    def __init__(self, num_envs: int, frame_size: int, court: Court, trail: bool = True) -> None:
        s = frame_size
        self.num_envs, self.frame_size, self.court, self.trail = num_envs, s, court, trail
        self.ball_px = max(1, round(2 * court.ball_radius * s))
        self.paddle_h_px = max(1, round(2 * court.paddle_half * s))
        paddle_w_px = max(1, round(court.paddle_width * s))
        self.paddle_col = min(round(court.paddle_face * s), s - paddle_w_px)
        self._base = (np.arange(num_envs, dtype=np.int64) * s * s)[:, None]
        self._ball_offsets = _sprite_offsets(self.ball_px, self.ball_px, s)[None, :]
        self._paddle_offsets = _sprite_offsets(self.paddle_h_px, paddle_w_px, s)[None, :]

    def ball_corner(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top-left (row, col) pixel of the ball sprite centred at court ``(x, y)``."""
        s, r, last = self.frame_size, self.court.ball_radius, self.frame_size - self.ball_px
        row = np.clip(np.rint((1.0 - y - r) * s), 0, last).astype(np.int64)
        col = np.clip(np.rint((x - r) * s), 0, last).astype(np.int64)
        return row, col

    def paddle_row(self, paddle_y: np.ndarray) -> np.ndarray:
        """Top pixel row of the paddle centred at court height ``paddle_y``."""
        s, h = self.frame_size, self.court.paddle_half
        return np.clip(np.rint((1.0 - paddle_y - h) * s), 0, s - self.paddle_h_px).astype(np.int64)

    def draw(
        self,
        paddle_y: np.ndarray,
        ball_x: np.ndarray,
        ball_y: np.ndarray,
        prev_x: np.ndarray,
        prev_y: np.ndarray,
    ) -> np.ndarray:
        """Fresh frames ``(N, S, S, 1)`` uint8 of the given states."""
        s = self.frame_size
        frames = np.zeros((self.num_envs, s, s, 1), dtype=np.uint8)
        flat = frames.reshape(-1)
        if self.trail:
            row, col = self.ball_corner(prev_x, prev_y)
            flat[self._base + (row * s + col)[:, None] + self._ball_offsets] = TRAIL
        corner = self.paddle_row(paddle_y) * s + self.paddle_col
        flat[self._base + corner[:, None] + self._paddle_offsets] = PADDLE
        row, col = self.ball_corner(ball_x, ball_y)
        flat[self._base + (row * s + col)[:, None] + self._ball_offsets] = BALL
        return frames
