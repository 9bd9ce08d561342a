"""Compiled line drawing into RGB pictures (the bicycle's frames draw thousands of track points).

The kernel paints exactly the pixels of the numpy formulation it replaced: each segment sampled
at ``min(ceil(max(|dx|, |dy|)), 2000) + 1`` evenly spaced points, each rounded half to even and
stamped as a ``width`` x ``width`` square, clipped to the picture.
"""

from __future__ import annotations

import math

import numpy as np

from rl_lab.envs._numba import njit

MAX_SAMPLES_PER_SEGMENT = 2000


@njit
def _stamp(img: np.ndarray, x: float, y: float, color: np.ndarray, width: int) -> None:
    px0, py0 = int(np.rint(x)), int(np.rint(y))
    half = width // 2
    h, w = img.shape[0], img.shape[1]
    for dy in range(-half, width - half):
        py = py0 + dy
        if py < 0 or py >= h:
            continue
        for dx in range(-half, width - half):
            px = px0 + dx
            if 0 <= px < w:
                img[py, px, 0] = color[0]
                img[py, px, 1] = color[1]
                img[py, px, 2] = color[2]


@njit
def draw_polyline(img: np.ndarray, xs: np.ndarray, ys: np.ndarray, color: np.ndarray, width: int) -> None:
    """Paint the connected segments through pixel points (xs, ys) into ``img`` (H, W, 3) uint8."""
    n = xs.shape[0]
    if n == 1:
        _stamp(img, xs[0], ys[0], color, width)
    for i in range(n - 1):
        dx, dy = xs[i + 1] - xs[i], ys[i + 1] - ys[i]
        count = min(math.ceil(max(abs(dx), abs(dy))), MAX_SAMPLES_PER_SEGMENT) + 1
        last = max(count - 1, 1)
        for j in range(count):
            fraction = j / last
            _stamp(img, xs[i] + fraction * dx, ys[i] + fraction * dy, color, width)
