"""The compiled line drawing paints exactly the expected pixels."""

from __future__ import annotations

import numpy as np

from rl_lab.envs.raster import draw_polyline

RED = np.array([255, 0, 0], np.uint8)


def _painted(xs: list[float], ys: list[float], width: int = 1, size: int = 10) -> set[tuple[int, int]]:
    img = np.zeros((size, size, 3), np.uint8)
    draw_polyline(img, np.array(xs, float), np.array(ys, float), RED, width)
    assert set(map(tuple, img.reshape(-1, 3).tolist())) <= {(0, 0, 0), (255, 0, 0)}
    return {(int(x), int(y)) for y, x in np.argwhere(img[..., 0] == 255)}


def test_segments_paint_their_pixels_only() -> None:
    assert _painted([2, 7], [3, 3]) == {(x, 3) for x in range(2, 8)}
    assert _painted([1, 4], [1, 4]) == {(i, i) for i in range(1, 5)}
    assert _painted([2, 4], [5, 5], width=3) == {(x, y) for x in range(1, 6) for y in range(4, 7)}
    assert _painted([5, 5, 8], [1, 3, 3]) == {(5, 1), (5, 2), (5, 3), (6, 3), (7, 3), (8, 3)}


def test_points_round_half_to_even_and_clip_to_the_picture() -> None:
    assert _painted([2.5], [3.5]) == {(2, 4)}
    assert _painted([-3, 2], [0, 0]) == {(0, 0), (1, 0), (2, 0)}
    assert _painted([8, 30], [9, 9], width=2) == {(x, y) for x in (7, 8, 9) for y in (8, 9)}  # even: up-left
    assert _painted([50], [50], width=5) == set()
