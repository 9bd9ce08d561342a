"""Paddle-ball as compiled kernels over N games: the paddle, the ball's bounces, returns and misses,
the time limit, resets, same-step autoreset, and the observation (a vector, or a grayscale frame
drawn into a preallocated uint8 buffer).

One row per game in ``F`` (float64: paddle and ball, :data:`NF` columns), ``I`` (int64 counters,
:data:`NI`) and ``K`` (uint64: seed, episode key). Every number of the court's geometry and the
frame's layout arrives in ``P`` (float64 settings, built by :mod:`.dynamics` from the
:class:`~rl_lab.envs.paddle.court.Court`), so no constant is baked into the compiled code except
the grey levels and the action table below.
"""

# ruff: noqa: E741  (F, I, K, P: the names of the state arrays throughout the kernels)
from __future__ import annotations

import numpy as np

from rl_lab.envs._numba import njit, prange
from rl_lab.envs.noise import episode_key, uniform_at

BALL, PADDLE, TRAIL = 255, 170, 80  # grey levels of the frame (background 0)
MOVE_STAY, MOVE_UP, MOVE_DOWN = 0.0, 1.0, -1.0  # discrete actions 0, 1, 2

PADDLE_Y, BALL_X, BALL_Y, BALL_VX, BALL_VY, PREV_X, PREV_Y = 0, 1, 2, 3, 4, 5, 6
NF = 7
EPISODE, STEPS, SCORE, MISSED = 0, 1, 2, 3
NI = 4
SEED, KEY = 0, 1
# Settings: the court (see Court), derived sizes, the frame's layout, flags; autoreset last.
(P_BALL_RADIUS, P_PADDLE_HALF, P_PADDLE_FACE, P_PADDLE_SPEED, P_BALL_SPEED, P_SPEED_STEP, P_MAX_SPEED,
 P_DEFLECTION, P_MAX_SLOPE, P_LAUNCH_SLOPE, P_LAUNCH_X, P_LAUNCH_Y_LOW, P_LAUNCH_Y_HIGH, P_HIT_REACH,
 P_MAX_VY, P_CONTINUOUS, P_PIXELS, P_TRAIL, P_FRAME, P_BALL_PX, P_PADDLE_H_PX, P_PADDLE_W_PX, P_PADDLE_COL,
 P_MAX_STEPS, P_MAX_SCORE, P_AUTORESET) = range(26)  # fmt: skip
NP = 26
INFO_KEYS = ("score", "ball_x", "ball_y", "paddle_y", "returns_in_a_row")
METRIC_KEYS = ("score", "score_fraction", "returns_in_a_row", "miss_rate")


@njit(inline="always")
def _clip_int(x: float, low: int, high: int) -> int:
    return int(min(max(np.rint(x), low), high))


@njit(inline="always")
def ball_corner(P: np.ndarray, x: float, y: float) -> tuple[int, int]:
    """Top-left (row, col) pixel of the ball sprite centred at court ``(x, y)``."""
    s, r = P[P_FRAME], P[P_BALL_RADIUS]
    last = int(P[P_FRAME] - P[P_BALL_PX])
    return _clip_int((1.0 - y - r) * s, 0, last), _clip_int((x - r) * s, 0, last)


@njit(inline="always")
def paddle_row(P: np.ndarray, paddle_y: float) -> int:
    """Top pixel row of the paddle centred at court height ``paddle_y``."""
    s = P[P_FRAME]
    return _clip_int((1.0 - paddle_y - P[P_PADDLE_HALF]) * s, 0, int(s - P[P_PADDLE_H_PX]))


@njit(inline="always")
def _fill(flat: np.ndarray, size: int, row: int, col: int, height: int, width: int, grey: int) -> None:
    """Paint a ``height`` x ``width`` block from (row, col) in a flat ``size`` x ``size`` frame."""
    for r in range(row, row + height):
        for c in range(col, col + width):
            flat[r * size + c] = grey


@njit
def draw_one(F: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    """Draw game ``i``'s frame into ``out[i]`` (S, S, 1): trail, paddle, then ball on top."""
    flat = out[i].reshape(-1)  # a contiguous view: clearing it is one memset
    for k in range(flat.size):
        flat[k] = 0
    size, ball = int(P[P_FRAME]), int(P[P_BALL_PX])
    if P[P_TRAIL] != 0.0:
        row, col = ball_corner(P, F[i, PREV_X], F[i, PREV_Y])
        _fill(flat, size, row, col, ball, ball, TRAIL)
    _fill(flat, size, paddle_row(P, F[i, PADDLE_Y]), int(P[P_PADDLE_COL]), int(P[P_PADDLE_H_PX]),
          int(P[P_PADDLE_W_PX]), PADDLE)  # fmt: skip
    row, col = ball_corner(P, F[i, BALL_X], F[i, BALL_Y])
    _fill(flat, size, row, col, ball, ball, BALL)


@njit
def observe_one(F: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    """Game ``i``'s observation into ``out[i]``: a frame (``out`` (N, S, S, 1) uint8), or the
    scaled state vector in [-1, 1] (``out`` (N, 5) float32)."""
    if out.ndim == 4:  # a constant to numba: each kind of buffer compiles only its own branch
        draw_one(F, P, out, i)
        return
    # Positions [0, 1] -> [-1, 1]; velocities by their largest magnitude.
    out[i, 0] = min(max(F[i, PADDLE_Y] * 2.0 + -1.0, -1.0), 1.0)
    out[i, 1] = min(max(F[i, BALL_X] * 2.0 + -1.0, -1.0), 1.0)
    out[i, 2] = min(max(F[i, BALL_Y] * 2.0 + -1.0, -1.0), 1.0)
    out[i, 3] = min(max(F[i, BALL_VX] * (1.0 / P[P_MAX_SPEED]) + 0.0, -1.0), 1.0)
    out[i, 4] = min(max(F[i, BALL_VY] * (1.0 / P[P_MAX_VY]) + 0.0, -1.0), 1.0)


@njit(inline="always")
def info_one(F: np.ndarray, I: np.ndarray, out: np.ndarray, i: int) -> None:
    out[i, 0] = I[i, SCORE]
    out[i, 1] = F[i, BALL_X]
    out[i, 2] = F[i, BALL_Y]
    out[i, 3] = F[i, PADDLE_Y]
    out[i, 4] = I[i, SCORE]  # a miss ends the episode, so the current streak is the whole score


@njit(inline="always")
def metrics_one(I: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    score = float(I[i, SCORE])
    out[i, 0] = score
    out[i, 1] = score / max(P[P_MAX_SCORE], 1.0)
    out[i, 2] = score
    out[i, 3] = float(I[i, MISSED])


@njit(inline="always")
def reset_one(F: np.ndarray, I: np.ndarray, K: np.ndarray, P: np.ndarray, i: int) -> None:
    """Start game ``i``'s next episode: paddle centred, the ball at mid-court flying to the paddle,
    its height and slope drawn from the episode's key (draw 0 of streams 0 and 1)."""
    key = episode_key(K[i, SEED], I[i, EPISODE])
    K[i, KEY] = key
    low, high = P[P_LAUNCH_Y_LOW], P[P_LAUNCH_Y_HIGH]
    y = low + (high - low) * uniform_at(key, 0, 0)
    slope = -P[P_LAUNCH_SLOPE] + 2.0 * P[P_LAUNCH_SLOPE] * uniform_at(key, 0, 1)
    F[i, PADDLE_Y] = 0.5
    F[i, BALL_X] = P[P_LAUNCH_X]
    F[i, BALL_Y] = y
    F[i, BALL_VX] = P[P_BALL_SPEED]
    F[i, BALL_VY] = slope * P[P_BALL_SPEED]
    F[i, PREV_X] = F[i, BALL_X] - F[i, BALL_VX]
    F[i, PREV_Y] = F[i, BALL_Y] - F[i, BALL_VY]
    I[i, STEPS] = 0
    I[i, SCORE] = 0
    I[i, MISSED] = 0


@njit(inline="always")
def step_one(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated, i):
    """One step of game ``i``: move the paddle, fly the ball (walls mirror it), return or miss at
    the paddle's plane; the time limit, info; at the end the measures and, with autoreset, the
    last frame kept and a new game started."""
    if P[P_CONTINUOUS] != 0.0:
        move = act_f[i, 0]
    else:
        a = act_i[i]
        move = MOVE_STAY if a == 0 else (MOVE_UP if a == 1 else MOVE_DOWN)
    half, r = P[P_PADDLE_HALF], P[P_BALL_RADIUS]
    F[i, PADDLE_Y] = min(max(F[i, PADDLE_Y] + move * P[P_PADDLE_SPEED], half), 1.0 - half)
    x, y, vx, vy = F[i, BALL_X], F[i, BALL_Y], F[i, BALL_VX], F[i, BALL_VY]
    F[i, PREV_X], F[i, PREV_Y] = x, y
    x += vx
    y += vy
    top, bottom = 1.0 - r, r  # top and bottom walls: mirror the overshoot and flip vy
    if y > top:
        y, vy = 2.0 * top - y, -vy
    if y < bottom:
        y, vy = 2.0 * bottom - y, -vy
    if x < r:  # back wall
        x, vx = 2.0 * r - x, -vx
    reward, term = 0.0, False
    front = P[P_PADDLE_FACE] - r
    if x > front:  # the paddle's plane: a return if the paddle is there, else a miss
        offset = (y - F[i, PADDLE_Y]) / P[P_HIT_REACH]
        if abs(offset) <= 1.0:
            incoming = vx
            speed = min(incoming + P[P_SPEED_STEP], P[P_MAX_SPEED])
            x, vx = 2.0 * front - x, -speed
            # A mirror bounce keeps the incoming slope; where the ball meets the paddle bends it
            # (the centre not at all, the edges by up to +-deflection), within +-max_slope.
            slope = vy / incoming + P[P_DEFLECTION] * offset
            slope = min(max(slope, -P[P_MAX_SLOPE]), P[P_MAX_SLOPE])
            vy = speed * slope
            I[i, SCORE] += 1
            reward = 1.0
        else:
            I[i, MISSED] = 1
            term = True
    F[i, BALL_X], F[i, BALL_Y], F[i, BALL_VX], F[i, BALL_VY] = x, y, vx, vy
    I[i, STEPS] += 1
    trunc = not term and I[i, STEPS] >= P[P_MAX_STEPS]
    rewards[i], terminated[i], truncated[i] = reward, term, trunc
    info_one(F, I, info, i)
    observe_one(F, P, obs, i)
    if term or trunc:
        metrics_one(I, P, metrics, i)
        if P[P_AUTORESET] != 0.0:
            last, kept = obs[i].reshape(-1), final_obs[i].reshape(-1)  # flat: copied as one memcpy
            for k in range(last.size):
                kept[k] = last[k]
            I[i, EPISODE] += 1
            reset_one(F, I, K, P, i)
            observe_one(F, P, obs, i)


@njit
def step_serial(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated):
    """:func:`step_one` over every game, in order."""
    for i in range(F.shape[0]):
        step_one(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated, i)


@njit(parallel=True)
def step_parallel(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated):
    """:func:`step_one` over every game, the games shared among numba's threads."""
    for i in prange(F.shape[0]):
        step_one(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated, i)


@njit
def reset_where(F, I, K, P, mask, obs, info):
    """Start a new game in the copies where ``mask``; write their observations and info."""
    for i in range(F.shape[0]):
        if mask[i]:
            reset_one(F, I, K, P, i)
            observe_one(F, P, obs, i)
            info_one(F, I, info, i)


@njit
def draw_frames(F: np.ndarray, P: np.ndarray, out: np.ndarray) -> None:
    """Draw every game's frame into ``out`` (N, S, S, 1) (for tools and tests)."""
    for i in range(F.shape[0]):
        draw_one(F, P, out, i)
