"""The watch panel shows stacked frames as the network receives them: all of them, oldest first."""

from __future__ import annotations

import numpy as np

from rl_lab.watching.overlay import tile_frames


def test_four_stacked_frames_tile_two_by_two_oldest_first() -> None:
    stack = np.stack([np.full((5, 7), 10 * k, np.uint8) for k in range(4)], axis=-1)  # (5, 7, 4)
    tiled = tile_frames(stack, stacked_frames=True)
    assert tiled.shape == (10, 14, 3)
    assert (tiled[..., 0] == tiled[..., 2]).all()  # grey: the same value in R, G and B
    quadrants = [tiled[:5, :7, 0], tiled[:5, 7:, 0], tiled[5:, :7, 0], tiled[5:, 7:, 0]]
    assert [int(q.mean()) for q in quadrants] == [0, 10, 20, 30]


def test_three_stacked_frames_are_not_mistaken_for_rgb() -> None:
    stack = np.full((4, 4, 3), 200, np.uint8)
    assert tile_frames(stack) is stack  # an RGB frame is shown as it is
    tiled = tile_frames(stack, stacked_frames=True)
    assert tiled.shape == (8, 8, 3) and tiled[:4].min() == 200 and tiled[4:, 4:].max() == 0  # one empty cell
    pair = tile_frames(np.full((4, 4, 2), 200, np.uint8), stacked_frames=True)
    assert pair.shape == (4, 8, 3) and pair.min() == 200
    single = tile_frames(np.full((4, 4), 9, np.uint8))
    assert single.shape == (4, 4, 3) and (single == 9).all()
