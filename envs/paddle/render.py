"""Pictures of one game for people: an RGB array (headless numpy) and a pygame window.

pygame is imported only when a window is opened. The score is drawn into the picture itself with
a tiny bitmap font, so videos recorded from ``rgb_array`` show it too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rl_lab.envs.paddle.court import Court

COURT_PX = 320  # side of the court in the picture
WALL_PX = 8
BAR_PX = 36  # score bar above the court
BACKGROUND = (18, 22, 38)
WALL = (150, 150, 165)
PADDLE = (235, 235, 235)
BALL = (255, 196, 60)
TRAIL = (120, 92, 40)
TEXT = (235, 235, 235)

_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", "/": "001001010100100", " ": "000000000000000",
}


def _draw_text(image: np.ndarray, text: str, top: int, left: int, scale: int) -> None:
    """Write ``text`` (digits, '/', space) in a 3x5 bitmap font."""
    for i, char in enumerate(text):
        glyph = np.array([int(b) for b in _GLYPHS[char]], dtype=bool).reshape(5, 3)
        block = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        x0 = left + i * 4 * scale
        region = image[top : top + block.shape[0], x0 : x0 + block.shape[1]]
        region[block[: region.shape[0], : region.shape[1]]] = TEXT


def draw_rgb(
    court: Court,
    paddle_y: float,
    ball_x: float,
    ball_y: float,
    prev_x: float,
    prev_y: float,
    score: int,
    max_score: int,
) -> np.ndarray:
    """The game as an ``(H, W, 3)`` uint8 picture: walls on three sides, score above."""
    height = BAR_PX + 2 * WALL_PX + COURT_PX
    width = WALL_PX + COURT_PX + WALL_PX
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    top = BAR_PX + WALL_PX  # first row of the court
    image[BAR_PX:top, :] = WALL
    image[top + COURT_PX :, :] = WALL
    image[BAR_PX:, :WALL_PX] = WALL

    def box(x0: float, x1: float, y0: float, y1: float, color: tuple[int, int, int]) -> None:
        """Fill court rectangle [x0, x1] x [y0, y1] (court units, y up)."""
        c0, c1 = WALL_PX + round(x0 * COURT_PX), WALL_PX + round(x1 * COURT_PX)
        r0, r1 = top + round((1.0 - y1) * COURT_PX), top + round((1.0 - y0) * COURT_PX)
        image[max(r0, top) : min(r1, top + COURT_PX), max(c0, WALL_PX) : c1] = color

    r, h = court.ball_radius, court.paddle_half
    box(prev_x - r, prev_x + r, prev_y - r, prev_y + r, TRAIL)
    box(court.paddle_face, court.paddle_face + court.paddle_width, paddle_y - h, paddle_y + h, PADDLE)
    box(ball_x - r, ball_x + r, ball_y - r, ball_y + r, BALL)
    _draw_text(image, f"{score}/{max_score}", top=8, left=WALL_PX + 4, scale=4)
    return image


class HumanWindow:
    """A pygame window showing pictures from :func:`draw_rgb` at the env's frame rate."""

    def __init__(self, fps: int, title: str = "rl-lab PaddleBall") -> None:
        self.fps, self.title = fps, title
        self._pygame: Any = None
        self._screen: Any = None
        self._clock: Any = None

    def show(self, image: np.ndarray, caption: str = "") -> None:
        if self._pygame is None:
            import pygame  # lazily: only people watching need it

            pygame.init()
            pygame.display.init()
            self._pygame = pygame
            self._screen = pygame.display.set_mode((image.shape[1], image.shape[0]))
            self._clock = pygame.time.Clock()
        pygame = self._pygame
        pygame.event.pump()
        pygame.display.set_caption(f"{self.title}  {caption}".strip())
        surface = pygame.surfarray.make_surface(np.transpose(image, (1, 0, 2)))
        self._screen.blit(surface, (0, 0))
        pygame.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._pygame is not None:
            self._pygame.display.quit()
            self._pygame.quit()
            self._pygame = None
