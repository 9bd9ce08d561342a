"""Drawing the bicycle with numpy (headless): a top view of the tyre tracks and the goal above a
rear view of the tilt ω and a top view of the handlebar angle θ. ``HumanWindow`` shows the same
frame in a pygame window (pygame imported lazily)."""

from __future__ import annotations

import math

import numpy as np

from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.raster import draw_polyline

Color = tuple[int, int, int]
WIDTH, HEIGHT, TOP = 400, 600, 400  # frame size; the top view is the upper 400×400 square
BACKGROUND = (250, 250, 245)
GRID = (225, 225, 220)
FRONT_TRACK = (40, 110, 220)
BACK_TRACK = (220, 70, 50)
GOAL = (40, 170, 70)
INK = (30, 30, 30)
FALLEN = (200, 40, 40)


_BLANK = np.full((HEIGHT, WIDTH, 3), BACKGROUND, np.uint8)


def polyline(
    img: np.ndarray, xs: np.ndarray, ys: np.ndarray, color: tuple[int, int, int], width: int = 1
) -> None:
    """Draw the connected segments through pixel points (xs, ys)."""
    xs, ys = np.asarray(xs, np.float64).ravel(), np.asarray(ys, np.float64).ravel()
    if xs.size:
        draw_polyline(img, xs, ys, np.asarray(color, np.uint8), width)


def segment(
    img: np.ndarray, x0: float, y0: float, x1: float, y1: float, color: Color, width: int = 1
) -> None:
    """Draw one straight segment between pixel points."""
    polyline(img, np.array([x0, x1]), np.array([y0, y1]), color, width)


def circle(
    img: np.ndarray, cx: float, cy: float, radius: float, color: tuple[int, int, int], width: int = 2
) -> None:
    """Draw a circle outline (at least a dot) centred at pixel (cx, cy)."""
    n = max(16, int(2 * math.pi * radius))
    a = np.linspace(0.0, 2 * math.pi, n + 1)
    polyline(img, cx + radius * np.cos(a), cy + radius * np.sin(a), color, width)


def draw_frame(
    front: np.ndarray,
    back: np.ndarray,
    omega: float,
    theta: float,
    goal: tuple[float, float, float] | None = None,
    fallen: bool = False,
) -> np.ndarray:
    """A (600, 400, 3) uint8 frame.

    Args:
        front, back: track histories (K, 2) of the front and back tyres' contact points in metres,
            the last row being the current position.
        omega, theta: tilt and handlebar angle (rad).
        goal: (x, y, radius) in metres, or None.
        fallen: draw the rear view in red.
    """
    img = _BLANK.copy()  # filling with a colour tuple broadcasts slowly: ~5 ms a frame
    _top_view(img[:TOP], front, back, goal)
    img[TOP, :] = INK
    _rear_view(img[TOP + 1 :], omega, theta, fallen)
    return img


def _top_view(
    img: np.ndarray, front: np.ndarray, back: np.ndarray, goal: tuple[float, float, float] | None
) -> None:
    pts = np.concatenate([front, back])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if goal is not None:
        gx, gy, gr = goal
        lo = np.minimum(lo, [gx - gr, gy - gr])
        hi = np.maximum(hi, [gx + gr, gy + gr])
    span = max(float(np.max(hi - lo)), 5.0) * 1.1  # at least 5 m across
    centre = (lo + hi) / 2
    size = img.shape[0]
    scale = size / span  # pixels per metre

    def to_px(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (p[..., 0] - centre[0]) * scale + size / 2, size / 2 - (p[..., 1] - centre[1]) * scale

    step = 10.0 ** math.floor(math.log10(span / 2))  # grid lines every 1, 10, 100 ... m
    for k in np.arange(math.ceil((centre[0] - span / 2) / step), (centre[0] + span / 2) / step + 1):
        x = (k * step - centre[0]) * scale + size / 2
        polyline(img, np.array([x, x]), np.array([0, size - 1]), GRID)
    for k in np.arange(math.ceil((centre[1] - span / 2) / step), (centre[1] + span / 2) / step + 1):
        y = size / 2 - (k * step - centre[1]) * scale
        polyline(img, np.array([0, size - 1]), np.array([y, y]), GRID)
    if goal is not None:
        gx, gy, gr = goal
        cx, cy = to_px(np.array([gx, gy]))
        circle(img, float(cx), float(cy), max(gr * scale, 3.0), GOAL, 3)
    polyline(img, *to_px(back), BACK_TRACK, 1)
    polyline(img, *to_px(front), FRONT_TRACK, 1)
    frame = np.stack([back[-1], front[-1]])
    polyline(img, *to_px(frame), INK, 3)  # the bicycle itself, back -> front


def _rear_view(img: np.ndarray, omega: float, theta: float, fallen: bool) -> None:
    h, w = img.shape[:2]
    ground = h - 20
    polyline(img, np.array([10, w / 2 - 10]), np.array([ground, ground]), INK, 2)
    # Rear view: the bicycle + rider leaning by ω (drawn 3× exaggerated so 12° is visible).
    lean = 3.0 * omega
    length = ground - 30
    x0 = w / 4
    tip = (x0 + length * math.sin(lean), ground - length * math.cos(lean))
    color = FALLEN if fallen else INK
    polyline(img, np.array([x0, tip[0]]), np.array([ground, tip[1]]), color, 5)
    circle(img, tip[0], tip[1], 10, color, 3)
    for limit in (-ph.FALL_ANGLE, ph.FALL_ANGLE):  # fall limits (±12°, exaggerated likewise)
        a = 3.0 * limit
        polyline(
            img,
            np.array([x0, x0 + length * math.sin(a)]),
            np.array([ground, ground - length * math.cos(a)]),
            GRID,
            1,
        )
    # Handlebar seen from above: a bar turned by θ, with the ±80° stops.
    cx, cy, r = 3 * w / 4, h / 2, min(w / 4, h / 2) - 15
    circle(img, cx, cy, r, GRID, 1)
    for limit in (-ph.THETA_MAX, ph.THETA_MAX):
        polyline(
            img, np.array([cx, cx - r * math.sin(limit)]), np.array([cy, cy - r * math.cos(limit)]), GRID, 1
        )
    dx, dy = r * math.cos(theta), r * math.sin(theta)
    polyline(img, np.array([cx - dx, cx + dx]), np.array([cy + dy, cy - dy]), INK, 5)  # the bar
    polyline(
        img,
        np.array([cx, cx - 0.8 * r * math.sin(theta)]),
        np.array([cy, cy - 0.8 * r * math.cos(theta)]),
        FRONT_TRACK,
        3,
    )


class HumanWindow:
    """A pygame window showing frames (pygame is imported only when the window opens)."""

    def __init__(self, fps: float) -> None:
        import pygame

        self.pygame = pygame
        pygame.init()
        pygame.display.init()
        self.screen = pygame.display.set_mode((WIDTH, HEIGHT))
        pygame.display.set_caption("rl-lab bicycle")
        self.clock = pygame.time.Clock()
        self.fps = fps

    def show(self, frame: np.ndarray) -> None:
        pg = self.pygame
        pg.event.pump()
        surface = pg.surfarray.make_surface(np.transpose(frame, (1, 0, 2)))
        self.screen.blit(surface, (0, 0))
        pg.display.flip()
        self.clock.tick(self.fps)

    def close(self) -> None:
        self.pygame.display.quit()
        self.pygame.quit()
