"""Paddle-ball physics over arrays: N independent games stepped together, in place."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from rl_lab.envs.batch import ArrayDynamics
from rl_lab.envs.paddle.court import COURT, Court
from rl_lab.envs.paddle.pixels import PixelDrawer

OBS_MODES = ("vector", "pixels")
MIN_FRAME_SIZE = 36  # SB3's NatureCNN needs images of at least 36x36
VECTOR_FEATURES = ("paddle_y", "ball_x", "ball_y", "ball_vx", "ball_vy")
DISCRETE_MOVES = np.array([0.0, 1.0, -1.0])  # stay, up, down


class PaddleDynamics(ArrayDynamics):
    """``num_envs`` paddle-ball games (see :class:`rl_lab.envs.paddle.env.PaddleBallEnv`)."""

    def __init__(
        self,
        num_envs: int,
        obs_mode: str = "vector",
        frame_size: int = 84,
        continuous: bool = False,
        trail: bool = True,
        max_episode_steps: int = 1000,
        court: Court = COURT,
    ) -> None:
        super().__init__(num_envs)
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if obs_mode == "pixels" and (not isinstance(frame_size, int) or frame_size < MIN_FRAME_SIZE):
            raise ValueError(
                f"frame_size must be an integer >= {MIN_FRAME_SIZE} (SB3's CNNs need at least "
                f"{MIN_FRAME_SIZE}x{MIN_FRAME_SIZE} images), got {frame_size!r}"
            )
        self.obs_mode = obs_mode
        self.continuous = continuous
        self.court = court
        self.max_score = court.max_score(max_episode_steps)
        if continuous:
            self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        else:
            self.action_space = gym.spaces.Discrete(3)
        self.drawer: PixelDrawer | None = None
        if obs_mode == "pixels":
            self.drawer = PixelDrawer(num_envs, frame_size, court, trail)
            self.observation_space = gym.spaces.Box(0, 255, (frame_size, frame_size, 1), np.uint8)
        else:
            self.observation_space = gym.spaces.Box(-1.0, 1.0, (len(VECTOR_FEATURES),), np.float32)
        # Observation scaling: positions [0, 1] -> [-1, 1]; velocities by their largest magnitude.
        self._obs_scale = np.array([2.0, 2.0, 2.0, 1.0 / court.max_speed, 1.0 / court.max_vy])
        self._obs_shift = np.array([-1.0, -1.0, -1.0, 0.0, 0.0])
        n = num_envs
        self.paddle_y = np.full(n, 0.5)
        self.ball_x = np.full(n, court.launch_x)
        self.ball_y = np.full(n, 0.5)
        self.ball_vx = np.full(n, court.ball_speed)
        self.ball_vy = np.zeros(n)
        self.prev_x = self.ball_x.copy()  # where the ball was one step ago (the pixel trail)
        self.prev_y = self.ball_y.copy()
        self.score = np.zeros(n, dtype=np.int64)
        self.missed = np.zeros(n, dtype=bool)
        self._mask = np.empty(n, dtype=bool)

    def reset_envs(self, index: np.ndarray, rngs: list[np.random.Generator]) -> None:
        c = self.court
        for k, i in enumerate(index):
            rng = rngs[k]
            y = float(rng.uniform(c.launch_y_low, c.launch_y_high))
            slope = float(rng.uniform(-c.launch_slope, c.launch_slope))
            self.ball_y[i] = y
            self.ball_vy[i] = slope * c.ball_speed
        self.paddle_y[index] = 0.5
        self.ball_x[index] = c.launch_x
        self.ball_vx[index] = c.ball_speed
        self.prev_x[index] = self.ball_x[index] - self.ball_vx[index]
        self.prev_y[index] = self.ball_y[index] - self.ball_vy[index]
        self.score[index] = 0
        self.missed[index] = False

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.court
        x, y, vx, vy, mask = self.ball_x, self.ball_y, self.ball_vx, self.ball_vy, self._mask
        move = actions[:, 0] if self.continuous else DISCRETE_MOVES[actions]
        self.paddle_y += move * c.paddle_speed
        np.clip(self.paddle_y, c.paddle_half, 1.0 - c.paddle_half, out=self.paddle_y)
        self.prev_x[:] = x
        self.prev_y[:] = y
        x += vx
        y += vy
        # Top and bottom walls: mirror the overshoot and flip vy.
        top, bottom = 1.0 - c.ball_radius, c.ball_radius
        for wall, beyond in ((top, np.greater), (bottom, np.less)):
            beyond(y, wall, out=mask)
            if mask.any():
                y[mask] = 2.0 * wall - y[mask]
                vy[mask] = -vy[mask]
        # Back wall.
        np.less(x, c.ball_radius, out=mask)
        if mask.any():
            x[mask] = 2.0 * c.ball_radius - x[mask]
            vx[mask] = -vx[mask]
        # Paddle plane: a return if the paddle is there, else a miss (the episode ends).
        front = c.paddle_face - c.ball_radius
        np.greater(x, front, out=mask)
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, dtype=bool)
        if mask.any():
            crossing = np.flatnonzero(mask)
            offset = (y[crossing] - self.paddle_y[crossing]) / c.hit_reach
            hit = np.abs(offset) <= 1.0
            returned, missed = crossing[hit], crossing[~hit]
            incoming = vx[returned]
            speed = np.minimum(incoming + c.speed_step, c.max_speed)
            x[returned] = 2.0 * front - x[returned]
            vx[returned] = -speed
            # A mirror bounce keeps the incoming slope; where the ball meets the paddle bends it
            # (the centre not at all, the edges by up to +-deflection), within +-max_slope.
            slope = np.clip(vy[returned] / incoming + c.deflection * offset[hit], -c.max_slope, c.max_slope)
            vy[returned] = speed * slope
            self.score[returned] += 1
            rewards[returned] = 1.0
            self.missed[missed] = True
            terminated[missed] = True
        return rewards, terminated

    def observe(self) -> np.ndarray:
        if self.drawer is not None:
            return self.drawer.draw(self.paddle_y, self.ball_x, self.ball_y, self.prev_x, self.prev_y)
        obs = np.stack([self.paddle_y, self.ball_x, self.ball_y, self.ball_vx, self.ball_vy], axis=1)
        obs *= self._obs_scale
        obs += self._obs_shift
        np.clip(obs, -1.0, 1.0, out=obs)
        return obs.astype(np.float32)

    def step_info(self) -> dict[str, np.ndarray]:
        return {
            "score": self.score.copy(),
            "ball_x": self.ball_x.copy(),
            "ball_y": self.ball_y.copy(),
            "paddle_y": self.paddle_y.copy(),
            # A miss ends the episode, so the current streak is the whole score.
            "returns_in_a_row": self.score.copy(),
        }

    def episode_metrics(self) -> dict[str, np.ndarray]:
        score = self.score.astype(np.float64)
        return {
            "score": score,
            "score_fraction": score / max(self.max_score, 1),
            "returns_in_a_row": score.copy(),
            "miss_rate": self.missed.astype(np.float64),
        }
