"""The bicycle under agent control as compiled kernels over N copies: actions, noise, sub-steps,
falls, the two tasks' rewards, observations, the time limit, resets and same-step autoreset.

One row per bicycle in three arrays: ``F`` (float64 state, :data:`NF` columns: the physics'
columns of :mod:`.physics`, then the episode's measures), ``I`` (int64 counters, :data:`NI`) and
``K`` (uint64: the copy's seed and its episode's noise key). ``P`` (float64, :data:`NP`) holds the
settings. :func:`step_serial` and :func:`step_parallel` run :func:`step_one` over every copy
(``prange`` in the parallel one): the same code for one bicycle or thousands, so a batch and N
single environments give bitwise-identical trajectories, and so do the two loops.
"""

# ruff: noqa: E741  (F, I, K, P: the names of the state arrays throughout the kernels)
from __future__ import annotations

import numpy as np

from rl_lab.envs._numba import njit, prange
from rl_lab.envs.bicycle.physics import (
    D_MAX,
    DT,
    FALL_ANGLE,
    NPHYS,
    OMEGA,
    OMEGA_DDOT,
    OMEGA_DOT,
    PSI,
    T_MAX,
    THETA,
    THETA_DOT,
    THETA_MAX,
    X_B,
    X_F,
    Y_B,
    Y_F,
    L,
    V,
    physics_step,
    reset_bicycle,
)
from rl_lab.envs.noise import episode_key, uniform_at

# Pedal/brake option: speed limits (m/s) and the largest acceleration (m/s²).
V_MIN = 1.0  # below 3.6 km/h the rider cannot stay up: a fall
V_MAX = 20.0 / 3.6
ACCEL_MAX = 1.0
# Observation scales: physical value / scale is about unit range in typical (random) riding.
OBS_SCALES = (THETA_MAX, 5.0, FALL_ANGLE, 1.0, 5.0)  # θ, θ̇, ω, ω̇, ω̈
OBS_BOUND = 2.0  # observations are clipped to ±2 (θ/θ_max stays in ±1, ω/12° in about ±1)
# The ride: Randløv & Alstrøm's goal, 90° right of the start heading.
GOAL_X, GOAL_Y, GOAL_RADIUS = 1000.0, 0.0, 10.0  # m
DISTANCE_OBS_SCALE = 1000.0  # m; the distance observation is distance / 1000, clipped to [0, 2]
STRAIGHT_LINE = float(np.hypot(GOAL_X, GOAL_Y)) - GOAL_RADIUS  # back tyre's start to the goal's edge
# Randløv's C code: −1 on a fall, +0.01 at the goal, else (0.95 − ψ_g²)·1e-4 per physics step.
RANDLOV_FALL, RANDLOV_GOAL, RANDLOV_FACTOR, RANDLOV_OFFSET = -1.0, 0.01, 1e-4, 0.95

# Columns of F after the physics' own, of I, of K, and the slots of P.
ABS_OMEGA_SUM, PATH_LENGTH, DISTANCE, PREV_DISTANCE = NPHYS, NPHYS + 1, NPHYS + 2, NPHYS + 3
NF = NPHYS + 4
EPISODE, STEPS, COUNTER, FELL, REACHED = 0, 1, 2, 3, 4  # COUNTER: physics steps (the noise's)
NI = 5
SEED, KEY = 0, 1
P_NOISE_AMP, P_REPEAT, P_CONTINUOUS, P_PEDAL, P_RIDE, P_RANDLOV = 0, 1, 2, 3, 4, 5
P_GAMMA, P_SCALE, P_BONUS, P_FALL_PENALTY, P_ALIVE, P_MAX_STEPS, P_AUTORESET = 6, 7, 8, 9, 10, 11, 12
NP = 13
# Rows of the info and metrics buffers, in this order (the optional ones only when they apply).
INFO_KEYS = ("omega", "omega_dot", "theta", "theta_dot", "x_front", "y_front", "x_back", "y_back", "psi")
PEDAL_INFO_KEYS = ("speed",)
RIDE_INFO_KEYS = ("distance_to_goal", "reached_goal")
METRIC_KEYS = ("fall_rate", "mean_abs_omega")
RIDE_METRIC_KEYS = ("distance_to_goal", "goal_reach_rate", "path_length", "straight_line")


@njit(inline="always")
def _clip(x: float, low: float, high: float) -> float:
    return max(min(x, high), low)


@njit(inline="always")
def reset_one(F: np.ndarray, I: np.ndarray, K: np.ndarray, P: np.ndarray, i: int) -> None:
    """Start bicycle ``i``'s next episode: the episode number picks its noise key."""
    reset_bicycle(F, i)
    F[i, ABS_OMEGA_SUM] = 0.0
    F[i, PATH_LENGTH] = 0.0
    gx, gy = GOAL_X - F[i, X_F], GOAL_Y - F[i, Y_F]
    F[i, DISTANCE] = np.sqrt(gx * gx + gy * gy)
    F[i, PREV_DISTANCE] = F[i, DISTANCE]
    I[i, COUNTER] = 0
    I[i, STEPS] = 0
    I[i, FELL] = 0
    I[i, REACHED] = 0
    K[i, KEY] = episode_key(K[i, SEED], I[i, EPISODE])


@njit(inline="always")
def observe_one(F: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    """Write bicycle ``i``'s observation (scaled, clipped, float32) into ``out[i]``."""
    out[i, 0] = _clip(F[i, THETA] / OBS_SCALES[0], -OBS_BOUND, OBS_BOUND)
    out[i, 1] = _clip(F[i, THETA_DOT] / OBS_SCALES[1], -OBS_BOUND, OBS_BOUND)
    out[i, 2] = _clip(F[i, OMEGA] / OBS_SCALES[2], -OBS_BOUND, OBS_BOUND)
    out[i, 3] = _clip(F[i, OMEGA_DOT] / OBS_SCALES[3], -OBS_BOUND, OBS_BOUND)
    out[i, 4] = _clip(F[i, OMEGA_DDOT] / OBS_SCALES[4], -OBS_BOUND, OBS_BOUND)
    col = 5
    if P[P_PEDAL] != 0.0:
        out[i, col] = _clip(F[i, V] / V_MAX, 0.0, 1.0)
        col += 1
    if P[P_RIDE] != 0.0:
        hx, hy = F[i, X_F] - F[i, X_B], F[i, Y_F] - F[i, Y_B]  # heading (frame) vector
        gx, gy = GOAL_X - F[i, X_F], GOAL_Y - F[i, Y_F]  # goal vector from the front tyre
        norm = max(np.sqrt((hx * hx + hy * hy) * (gx * gx + gy * gy)), 1e-12)
        out[i, col] = _clip((hx * gy - hy * gx) / norm, -1.0, 1.0)  # sin: > 0 when the goal is left
        out[i, col + 1] = _clip((hx * gx + hy * gy) / norm, -1.0, 1.0)  # cos: 1 heading at the goal
        out[i, col + 2] = _clip(F[i, DISTANCE] / DISTANCE_OBS_SCALE, 0.0, 2.0)


@njit(inline="always")
def info_one(F: np.ndarray, I: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    """Write bicycle ``i``'s per-step info values into row ``i`` of ``out`` (columns: the keys)."""
    out[i, 0], out[i, 1], out[i, 2] = F[i, OMEGA], F[i, OMEGA_DOT], F[i, THETA]  # as INFO_KEYS
    out[i, 3], out[i, 4], out[i, 5] = F[i, THETA_DOT], F[i, X_F], F[i, Y_F]
    out[i, 6], out[i, 7], out[i, 8] = F[i, X_B], F[i, Y_B], F[i, PSI]
    row = len(INFO_KEYS)
    if P[P_PEDAL] != 0.0:
        out[i, row] = F[i, V]
        row += 1
    if P[P_RIDE] != 0.0:
        out[i, row] = F[i, DISTANCE]
        out[i, row + 1] = float(I[i, REACHED])


@njit(inline="always")
def metrics_one(F: np.ndarray, I: np.ndarray, P: np.ndarray, out: np.ndarray, i: int) -> None:
    """Write bicycle ``i``'s episode measures into row ``i`` of ``out``."""
    out[i, 0] = float(I[i, FELL])
    out[i, 1] = F[i, ABS_OMEGA_SUM] / max(I[i, STEPS], 1)
    if P[P_RIDE] != 0.0:
        out[i, 2] = F[i, DISTANCE]
        out[i, 3] = float(I[i, REACHED])
        out[i, 4] = F[i, PATH_LENGTH]
        out[i, 5] = STRAIGHT_LINE


@njit(inline="always")
def randlov_goal_angle(x_f: float, y_f: float, x_b: float, y_b: float) -> float:
    """Randløv's pseudo-angle to the goal in [−2, 2] (``calc_angle_to_goal``): ±(1 − cos α),
    0 heading at the goal, ±1 at 90°, ±2 away; negative when the goal is to the right."""
    gx, gy = GOAL_X - x_f, GOAL_Y - y_f
    scalar = ((x_f - x_b) * gx + (y_f - y_b) * gy) / (L * np.sqrt(gx * gx + gy * gy))
    side = (y_b - y_f) * gx + (x_f - x_b) * gy
    return scalar - 1.0 if side <= 0 else abs(scalar - 1.0)


@njit(inline="always")
def _reward(F: np.ndarray, I: np.ndarray, P: np.ndarray, i: int, fallen: bool) -> tuple[float, bool]:
    """The task's reward for the agent step that just ended, and whether it terminated."""
    if P[P_RIDE] == 0.0:  # balance
        return (-P[P_FALL_PENALTY] if fallen else P[P_ALIVE]), fallen
    gx, gy = GOAL_X - F[i, X_F], GOAL_Y - F[i, Y_F]
    distance = np.sqrt(gx * gx + gy * gy)
    F[i, DISTANCE] = distance
    reached = distance <= GOAL_RADIUS and not fallen
    I[i, REACHED] = reached
    if P[P_RANDLOV] == 0.0:
        # γ·Φ(s') − Φ(s), Φ = −distance / scale (Φ of the actual last state, also at the end).
        reward = (F[i, PREV_DISTANCE] - P[P_GAMMA] * distance) / P[P_SCALE]
        reward = reward + (P[P_BONUS] if reached else 0.0)
        reward = reward - (P[P_FALL_PENALTY] if fallen else 0.0)
    elif fallen:
        reward = RANDLOV_FALL
    elif reached:
        reward = RANDLOV_GOAL
    else:
        psi_g = randlov_goal_angle(F[i, X_F], F[i, Y_F], F[i, X_B], F[i, Y_B])
        reward = (RANDLOV_OFFSET - psi_g * psi_g) * (RANDLOV_FACTOR * P[P_REPEAT])
    return reward, fallen or reached


@njit(inline="always")
def step_one(
    F: np.ndarray,
    I: np.ndarray,
    K: np.ndarray,
    P: np.ndarray,
    act_i: np.ndarray,
    act_f: np.ndarray,
    obs: np.ndarray,
    final_obs: np.ndarray,
    info: np.ndarray,
    metrics: np.ndarray,
    rewards: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    i: int,
) -> None:
    """One agent step of bicycle ``i``: ``action_repeat`` physics steps (stopping at a fall), the
    reward, the time limit, info; at an episode's end its measures, its last observation and, with
    autoreset, the next episode's start."""
    pedal = P[P_PEDAL] != 0.0
    if P[P_CONTINUOUS] != 0.0:
        torque, disp, accel = act_f[i, 0] * T_MAX, act_f[i, 1] * D_MAX, act_f[i, 2] * ACCEL_MAX
    else:  # T = 2·(a // 3 − 1), d = 0.02·(a % 3 − 1), a // 9: brake / keep / pedal
        a = act_i[i]
        torque = 2.0 * ((a % 9) // 3 - 1)
        disp = 0.02 * ((a % 9) % 3 - 1)
        accel = ACCEL_MAX * (a // 9 - 1.0)
    F[i, PREV_DISTANCE] = F[i, DISTANCE]
    repeat = int(P[P_REPEAT])
    amp = P[P_NOISE_AMP]
    key, counter = K[i, KEY], I[i, COUNTER]
    fallen, sub_done = False, repeat
    for j in range(repeat):
        if pedal:
            F[i, V] = max(min(F[i, V] + accel * DT, V_MAX), 0.0)
            F[i, PATH_LENGTH] += F[i, V] * DT
        d = disp
        if amp > 0.0:  # d + 2·noise·(0.5 − u), u keyed by (episode, physics step)
            d = amp * (0.5 - uniform_at(key, counter + j, 0)) + disp
        physics_step(F, i, torque, d)
        if abs(F[i, OMEGA]) > FALL_ANGLE or (pedal and F[i, V] < V_MIN):
            fallen, sub_done = True, j + 1
            break
    I[i, COUNTER] = counter + repeat
    if not pedal:
        F[i, PATH_LENGTH] += (F[i, V] * DT) * sub_done
    if fallen:
        I[i, FELL] = 1
    I[i, STEPS] += 1
    F[i, ABS_OMEGA_SUM] += abs(F[i, OMEGA])
    reward, term = _reward(F, I, P, i, fallen)
    trunc = not term and I[i, STEPS] >= P[P_MAX_STEPS]
    rewards[i], terminated[i], truncated[i] = reward, term, trunc
    info_one(F, I, P, info, i)
    observe_one(F, P, obs, i)
    if term or trunc:
        metrics_one(F, I, P, metrics, i)
        if P[P_AUTORESET] != 0.0:
            final_obs[i] = obs[i]
            I[i, EPISODE] += 1
            reset_one(F, I, K, P, i)
            observe_one(F, P, obs, i)


@njit(inline="always")
def step_serial(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated):
    """:func:`step_one` over every copy, in order."""
    for i in range(F.shape[0]):
        step_one(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated, i)


@njit(parallel=True)
def step_parallel(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated):
    """:func:`step_one` over every copy, the copies shared among numba's threads."""
    for i in prange(F.shape[0]):
        step_one(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated, i)


@njit(inline="always")
def reset_where(F, I, K, P, mask, obs, info):
    """Start a new episode in the copies where ``mask``; write their observations and info."""
    for i in range(F.shape[0]):
        if mask[i]:
            reset_one(F, I, K, P, i)
            observe_one(F, P, obs, i)
            info_one(F, I, P, info, i)
