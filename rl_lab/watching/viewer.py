"""Show played frames in a pygame window, when the machine has a display."""

from __future__ import annotations

import os
import sys

import numpy as np


def has_display() -> bool:
    """True when a window can be opened (X11/Wayland on Linux; always on macOS and Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def show_in_window(frames: list[np.ndarray], fps: float, title: str) -> None:
    """Play ``frames`` at ``fps`` in a window; closing the window stops early."""
    import pygame

    pygame.display.init()
    pygame.display.set_caption(title)
    clock = pygame.time.Clock()
    screen = None
    try:
        for image in frames:
            if any(event.type == pygame.QUIT for event in pygame.event.get()):
                return
            if screen is None:
                screen = pygame.display.set_mode((image.shape[1], image.shape[0]))
            screen.blit(pygame.surfarray.make_surface(image.transpose(1, 0, 2)), (0, 0))
            pygame.display.flip()
            clock.tick(fps)
    finally:
        pygame.display.quit()
