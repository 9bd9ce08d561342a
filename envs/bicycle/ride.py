"""The ride task: ride to a goal 1000 m to the side (Randløv & Alstrøm 1998, their second task)."""

from __future__ import annotations

import numpy as np

from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.bicycle.dynamics import BicycleDynamics

GOAL_X, GOAL_Y, GOAL_RADIUS = 1000.0, 0.0, 10.0  # m, Randløv & Alstrøm's goal (90° right of the start)
DISTANCE_OBS_SCALE = 1000.0  # m; the distance observation is distance / 1000, clipped to [0, 2]
STRAIGHT_LINE = float(np.hypot(GOAL_X, GOAL_Y)) - GOAL_RADIUS  # back tyre's start to the goal's edge
# Randløv's C code: −1 on a fall, +0.01 at the goal, else (0.95 − ψ_g²)·1e-4 per physics step.
RANDLOV_FALL, RANDLOV_GOAL, RANDLOV_FACTOR, RANDLOV_OFFSET = -1.0, 0.01, 1e-4, 0.95
SHAPINGS = ("distance", "randlov")


def randlov_goal_angle(x_f: np.ndarray, y_f: np.ndarray, x_b: np.ndarray, y_b: np.ndarray) -> np.ndarray:
    """Randløv's pseudo-angle to the goal in [−2, 2] (``calc_angle_to_goal``): ±(1 − cos α),
    0 heading at the goal, ±1 at 90°, ±2 away; negative when the goal is to the right."""
    gx, gy = GOAL_X - x_f, GOAL_Y - y_f
    scalar = ((x_f - x_b) * gx + (y_f - y_b) * gy) / (ph.L * np.sqrt(gx * gx + gy * gy))
    side = (y_b - y_f) * gx + (x_f - x_b) * gy
    return np.where(side <= 0, scalar - 1.0, np.abs(scalar - 1.0))


class RideDynamics(BicycleDynamics):
    """N bicycles riding to the goal at (1000, 0) m, radius 10 m.

    ``shaping="distance"``: reward = γ·Φ(s') − Φ(s) with Φ = −distance_to_goal / distance_scale
    (Ng, Harada & Russell 1999), + ``goal_bonus`` on reaching the goal, − ``fall_penalty`` on a fall.
    ``shaping="randlov"``: the paper's reward (see ``RANDLOV_*``), held for the agent step's
    ``action_repeat`` physics steps.
    """

    extra_obs = 3  # sin and cos of the goal direction relative to the heading, distance / 1000
    extra_low = (-1.0, -1.0, 0.0)
    extra_high = (1.0, 1.0, 2.0)

    def __init__(
        self,
        num_envs: int,
        *,
        shaping: str = "distance",
        gamma: float = 0.99,
        distance_scale: float = 100.0,
        goal_bonus: float = 1.0,
        fall_penalty: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(num_envs, **kwargs)
        if shaping not in SHAPINGS:
            raise ValueError(f"shaping must be one of {SHAPINGS}, got {shaping!r}")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
        if not distance_scale > 0:
            raise ValueError(f"distance_scale must be > 0, got {distance_scale!r}")
        self.shaping = shaping
        self.gamma = float(gamma)
        self.distance_scale = float(distance_scale)
        self.goal_bonus = float(goal_bonus)
        self.fall_penalty = float(fall_penalty)
        self.distance = np.zeros(num_envs)
        self.reached = np.zeros(num_envs, bool)
        self._prev_distance = np.zeros(num_envs)

    def _update_distance(self) -> None:
        p = self.phys
        gx, gy = GOAL_X - p.x_f, GOAL_Y - p.y_f
        np.sqrt(gx * gx + gy * gy, self.distance)

    def _reset_task(self, index: np.ndarray) -> None:
        self._update_distance()
        self.reached[index] = False

    def _before_step(self) -> None:
        np.copyto(self._prev_distance, self.distance)

    def _reward(self, fallen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._update_distance()
        np.less_equal(self.distance, GOAL_RADIUS, self.reached)
        self.reached &= ~fallen
        if self.shaping == "distance":
            # γ·Φ(s') − Φ(s), Φ = −distance / scale (Φ of the actual last state, also at the end).
            rewards = (self._prev_distance - self.gamma * self.distance) / self.distance_scale
            rewards += np.where(self.reached, self.goal_bonus, 0.0)
            rewards -= np.where(fallen, self.fall_penalty, 0.0)
        else:
            p = self.phys
            psi_g = randlov_goal_angle(p.x_f, p.y_f, p.x_b, p.y_b)
            rewards = (RANDLOV_OFFSET - psi_g * psi_g) * (RANDLOV_FACTOR * self.action_repeat)
            rewards = np.where(self.reached, RANDLOV_GOAL, rewards)
            rewards = np.where(fallen, RANDLOV_FALL, rewards)
        return rewards, fallen | self.reached

    def _observe_task(self, out: np.ndarray) -> None:
        p = self.phys
        hx, hy = p.x_f - p.x_b, p.y_f - p.y_b  # heading (frame) vector
        gx, gy = GOAL_X - p.x_f, GOAL_Y - p.y_f  # goal vector from the front tyre
        norm = np.maximum(np.sqrt((hx * hx + hy * hy) * (gx * gx + gy * gy)), 1e-12)
        np.divide(hx * gy - hy * gx, norm, out[0])  # sin: > 0 when the goal is to the left
        np.divide(hx * gx + hy * gy, norm, out[1])  # cos: 1 when heading straight at the goal
        np.divide(self.distance, DISTANCE_OBS_SCALE, out[2])

    def step_info(self) -> dict[str, np.ndarray]:
        info = super().step_info()
        info["distance_to_goal"] = self.distance.copy()
        info["reached_goal"] = self.reached.copy()
        return info

    def episode_metrics(self) -> dict[str, np.ndarray]:
        metrics = super().episode_metrics()
        metrics["distance_to_goal"] = self.distance.copy()
        metrics["goal_reach_rate"] = self.reached.astype(np.float64)
        metrics["path_length"] = self.path_length.copy()
        metrics["straight_line"] = np.full(self.num_envs, STRAIGHT_LINE)
        return metrics
