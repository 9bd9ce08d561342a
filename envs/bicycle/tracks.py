"""A bounded history of the tyre tracks for rendering: the whole episode, thinned as it grows."""

from __future__ import annotations

import numpy as np


class TrackHistory:
    """Keeps at most ``capacity`` samples of (front x, front y, back x, back y). When full it drops
    every second sample and records half as often, so the picture always covers the whole episode."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self.points = np.zeros((capacity, 4))
        self.count = 0
        self.stride = 1
        self._calls = 0
        self._last = (0.0, 0.0, 0.0, 0.0)

    def clear(self) -> None:
        self.count, self.stride, self._calls = 0, 1, 0

    def add(self, x_f: float, y_f: float, x_b: float, y_b: float) -> None:
        self._calls += 1
        if (self._calls - 1) % self.stride and self.count:
            self._last = (x_f, y_f, x_b, y_b)
            return
        if self.count == self.capacity:
            kept = self.points[::2].copy()
            self.count = kept.shape[0]
            self.points[: self.count] = kept
            self.stride *= 2
        self.points[self.count] = (x_f, y_f, x_b, y_b)
        self.count += 1
        self._last = (x_f, y_f, x_b, y_b)

    def front_back(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays (K, 2) of the front and back tracks, ending at the latest position."""
        pts = self.points[: self.count]
        if self.count and tuple(pts[-1]) != self._last:
            pts = np.vstack([pts, self._last])
        return pts[:, :2], pts[:, 2:]
