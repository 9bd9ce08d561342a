"""Draw what the two networks think beside the environment's picture.

The panel shows the policy network's action probabilities (or Q values / mean action) as bars,
the value network's estimate, the return so far, and, for pixel agents, the observation the
networks actually receive. Drawn with pygame's software surfaces: no display is needed.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from rl_lab.agents.two_network import NetworkReadout

PANEL_WIDTH = 280
_BACKGROUND = (24, 26, 32)
_TEXT = (230, 230, 230)
_BAR = (90, 170, 250)
_BAR_CHOSEN = (250, 190, 60)
_NEGATIVE = (240, 110, 90)


def _pygame():  # imported lazily: only watching and video recording need it
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():  # first use, or pygame.quit() since: cached fonts are dead
        pygame.font.init()
        _font.cache_clear()
        _text.cache_clear()
    return pygame


@lru_cache(maxsize=8)
def _font(size: int):
    return _pygame().font.Font(None, size)


@lru_cache(maxsize=4096)
def _text(line: str, colour: tuple[int, int, int], size: int = 20):
    """A rendered line; a video's panel repeats its labels and most numbers frame after frame,
    and rendering text is most of the panel's cost. Call :func:`_pygame` first (it empties this
    cache when pygame was shut down)."""
    return _font(size).render(line, True, colour)


def _surface(image: np.ndarray):
    """An (H, W, 3) uint8 picture as a pygame surface, copied row by row as it lies in memory
    (``surfarray`` would walk it column-major)."""
    height, width = image.shape[:2]
    return _pygame().image.frombuffer(np.ascontiguousarray(image).tobytes(), (width, height), "RGB")


def tile_frames(observation: np.ndarray, stacked_frames: bool = False) -> np.ndarray:
    """An observation as one RGB picture: an RGB frame as it is; grayscale channels (with
    ``stacked_frames``, ``VecFrameStack``'s frames, oldest first) tiled left to right, top to
    bottom."""
    image = observation if observation.ndim == 3 else observation[..., None]
    height, width, channels = image.shape
    if channels == 3 and not stacked_frames:
        return image
    columns = int(np.ceil(np.sqrt(channels)))
    rows = int(np.ceil(channels / columns))
    grid = np.zeros((rows * height, columns * width), dtype=image.dtype)
    for index in range(channels):
        row, column = divmod(index, columns)
        grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = image[..., index]
    return np.repeat(grid[..., None], 3, axis=2)


def compose(
    frame: np.ndarray,
    readout: NetworkReadout,
    chosen_action: int | None,
    episode_return: float,
    step: int,
    observation_image: np.ndarray | None = None,
    stacked_frames: bool = False,
    legend: tuple[str, ...] = (),
) -> np.ndarray:
    """Return ``frame`` (H, W, 3 uint8) with the networks' panel attached on the right; ``legend``
    (the env's ``picture_legend``) explains the picture and the action names at the bottom."""
    pygame = _pygame()
    rows = len(readout.action_labels)
    obs_height = 0 if observation_image is None else PANEL_WIDTH - 20
    height = max(frame.shape[0], 110 + 18 * rows + obs_height + 20 + 16 * len(legend))
    surface = pygame.Surface((frame.shape[1] + PANEL_WIDTH, height))
    surface.fill(_BACKGROUND)
    surface.blit(_surface(frame), (0, 0))
    x0, y = frame.shape[1] + 10, 8

    def text(line: str, colour: tuple[int, int, int] = _TEXT) -> None:
        nonlocal y
        surface.blit(_text(line, colour), (x0, y))
        y += 18

    kind = "action probabilities" if readout.values_are_probabilities else "action values"
    text(f"policy network: {kind}")
    scale = 1.0 if readout.values_are_probabilities else max(float(np.abs(readout.action_values).max()), 1e-6)
    for index, (label, value) in enumerate(zip(readout.action_labels, readout.action_values, strict=True)):
        colour = _BAR_CHOSEN if index == chosen_action else (_BAR if value >= 0 else _NEGATIVE)
        width = int(150 * min(abs(float(value)) / scale, 1.0))
        surface.blit(_text(label[:10], _TEXT), (x0, y))
        pygame.draw.rect(surface, colour, (x0 + 70, y + 3, max(width, 1), 11))
        surface.blit(_text(f"{value:+.2f}", _TEXT), (x0 + 225, y))
        y += 18
    y += 6
    text(f"value network: {readout.value_label} = {readout.value:+.2f}")
    text(f"return so far: {episode_return:+.2f}")
    text(f"step: {step}")
    if observation_image is not None:
        text("what the networks see" + (" (oldest frame first):" if stacked_frames else ":"))
        side = PANEL_WIDTH - 40
        image = tile_frames(observation_image, stacked_frames)
        scale = side / max(image.shape[:2])  # keep the aspect of a 1x2 or 2x3 grid
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        scaled = pygame.transform.scale(_surface(image), size)
        surface.blit(scaled, (x0, y))
    for index, line in enumerate(legend):
        surface.blit(_text(line, _TEXT, 17), (x0, height - 16 * (len(legend) - index) - 4))
    rgb = pygame.image.tobytes(surface, "RGB")
    return np.frombuffer(rgb, np.uint8).reshape(height, surface.get_width(), 3).copy()
