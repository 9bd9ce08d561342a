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


def test_the_panel_prints_the_envs_legend_below_the_networks() -> None:
    import gymnasium

    import rl_lab  # noqa: F401
    from rl_lab.agents.two_network import NetworkReadout
    from rl_lab.watching.overlay import PANEL_WIDTH, compose

    env = gymnasium.make("rl_lab/BikeBalance-v0", render_mode="rgb_array")
    env.reset(seed=0)
    legend = env.unwrapped.picture_legend
    assert any("T-/T0/T+" in line for line in legend) and any("from behind" in line for line in legend)
    readout = NetworkReadout(env.unwrapped.action_labels, np.full(9, 1 / 9), True, 0.5, "V(s)")
    plain = compose(env.render(), readout, 4, 0.0, 0)
    with_legend = compose(env.render(), readout, 4, 0.0, 0, legend=legend)
    assert plain.shape == with_legend.shape  # the bicycle's 600 px frame has room for it
    bottom = slice(plain.shape[0] - 16 * len(legend) - 4, plain.shape[0])
    panel = slice(plain.shape[1] - PANEL_WIDTH, plain.shape[1])
    assert (plain[bottom, panel] != with_legend[bottom, panel]).any()  # text where the legend goes
    assert (plain[: bottom.start, :] == with_legend[: bottom.start, :]).all()  # nothing else moved
    import pygame

    from rl_lab.watching.overlay import _pygame

    _pygame()
    font = pygame.font.Font(None, 17)
    paddle = gymnasium.make("rl_lab/PaddleBall-v0").unwrapped.picture_legend
    for line in (*legend, *paddle):
        assert font.size(line)[0] <= PANEL_WIDTH - 20, line  # every line fits the panel


def test_panel_survives_pygame_being_shut_down_between_videos(monkeypatch) -> None:
    """A window closing calls pygame.quit(); the panel's cached fonts must not outlive it (a
    font of a shut-down pygame crashes the process when it renders)."""
    import pygame

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")

    from rl_lab.agents.two_network import NetworkReadout
    from rl_lab.watching.overlay import compose

    readout = NetworkReadout(["a", "b"], np.array([0.25, 0.75]), True, 0.5, "V(s)")
    frame = np.zeros((60, 40, 3), np.uint8)
    before = compose(frame, readout, 1, 0.0, 0)
    pygame.init()
    pygame.display.set_mode((8, 8))  # a window opened and closed, as `rl-lab watch` does
    pygame.quit()
    after = compose(frame, readout, 1, 0.0, 1)  # "step: 1" is a new line of text to render
    assert after.shape == before.shape and not np.array_equal(after, before)
