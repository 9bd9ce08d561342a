"""The watch panel shows stacked frames as the network receives them: all of them, oldest first."""

from __future__ import annotations

import numpy as np

from rl_lab.overlay import tile_frames


def test_four_stacked_frames_tile_two_by_two_oldest_first() -> None:
    stack = np.stack([np.full((5, 7), 10 * k, np.uint8) for k in range(4)], axis=-1)  # (5, 7, 4)
    tiled = tile_frames(stack)
    assert tiled.shape == (10, 14, 3)
    assert (tiled[..., 0] == tiled[..., 2]).all()  # grey: the same value in R, G and B
    quadrants = [tiled[:5, :7, 0], tiled[:5, 7:, 0], tiled[5:, :7, 0], tiled[5:, 7:, 0]]
    assert [int(q.mean()) for q in quadrants] == [0, 10, 20, 30]


def test_three_frames_leave_the_last_cell_empty_and_rgb_passes_through() -> None:
    stack = np.full((4, 4, 3), 200, np.uint8)
    assert tile_frames(stack) is stack  # three channels are an RGB frame, shown as it is
    tiled = tile_frames(np.full((4, 4, 2), 200, np.uint8))
    assert tiled.shape == (4, 8, 3) and tiled.min() == 200
    single = tile_frames(np.full((4, 4), 9, np.uint8))
    assert single.shape == (4, 4, 3) and (single == 9).all()
