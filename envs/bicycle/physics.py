"""Randløv & Alstrøm's bicycle (ICML 1998), one physics step for N bicycles at once.

Constants and equations as in Randløv's own C simulator, without the bugs of public ports:
``atan(d / h)`` (not ``atan(d)/h``), ``I_dv = 3/2·M_d·r²``, tyres advanced by ``v·dt``, and θ̇ read
from its own slot. The step is a compiled scalar kernel for one bicycle (a row of the state
array), which the agent-level kernel (:mod:`.kernel`) loops over N bicycles: one bicycle and a
batch run the very same code and so give bitwise-identical results.
"""

from __future__ import annotations

import math

import numpy as np

from rl_lab.envs._numba import njit

# --- Randløv & Alstrøm (1998), as in their C code ---------------------------------------------
DT = 0.01  # s, one physics step
V0 = 10.0 / 3.6  # m/s, the paper's constant speed (10 km/h)
G = 9.82  # m/s²
C = 0.66  # m, horizontal distance from the front tyre's contact point to the centre of mass
D_CM = 0.30  # m, vertical distance between the centres of mass of bicycle and rider
H = 0.94  # m, height of the centre of mass of bicycle + rider
L = 1.11  # m, wheelbase (distance between the tyres' contact points)
R = 0.34  # m, tyre radius
M_C = 15.0  # kg, bicycle
M_D = 1.7  # kg, tyre
M_P = 60.0  # kg, rider
M = M_C + M_P
I_BC = 13.0 / 3.0 * M_C * H * H + M_P * (H + D_CM) * (H + D_CM)  # bicycle + rider about the tyre line
I_DC = M_D * R * R
I_DV = 3.0 / 2.0 * M_D * R * R
I_DL = 1.0 / 2.0 * M_D * R * R
THETA_MAX = 1.3963  # rad, the handlebar turns at most 80°
FALL_ANGLE = math.pi / 15.0  # rad, |ω| beyond 12° is a fall
STRAIGHT_RADIUS = 1e7  # m, "just a large number" for θ = 0
WHEELBASE_TOL = 0.01  # m, drift of |front - back| tolerated before the back tyre is moved
T_MAX = 2.0  # N·m, the largest handlebar torque
D_MAX = 0.02  # m, the largest displacement of the rider's centre of mass (also the max noise)

# Derived, grouped in the order the C code multiplies them (left to right).
_HMG = H * M * G
_MDR = M_D * R
_MH = M * H
_L2 = L * L
_LC2 = (L - C) ** 2

# Columns of the state array F (shape (N, NF), one row per bicycle); the agent-level kernel
# (:mod:`.kernel`) adds its own columns after these.
OMEGA, THETA, OMEGA_DOT, THETA_DOT, OMEGA_DDOT, THETA_DDOT = 0, 1, 2, 3, 4, 5
X_F, Y_F, X_B, Y_B, PSI, V = 6, 7, 8, 9, 10, 11
NPHYS = 12


@njit(inline="always")
def sign(x: float) -> float:
    """numpy's sign: −1, 0 or 1."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x


@njit(inline="always")
def reset_bicycle(F: np.ndarray, i: int) -> None:
    """Upright at the origin heading +y: back tyre (0, 0), front tyre (0, l), speed 10 km/h."""
    for col in range(NPHYS):
        F[i, col] = 0.0
    F[i, Y_F] = L
    F[i, V] = V0


@njit(inline="always")
def physics_step(F: np.ndarray, i: int, torque: float, disp: float) -> None:
    """One physics step of dt = 0.01 s of bicycle ``i`` (row of ``F``) with handlebar torque T (N·m)
    and displacement d (m, noise included). The operations are those of Randløv's C code, in the
    same order as the lab's earlier numpy version, so the results are the same to the bit."""
    v = F[i, V]
    sdot = v / R  # σ̇
    idc_sdot = I_DC * sdot
    v2 = v * v
    vdt = v * DT
    half_vdt = vdt * 0.5
    theta = F[i, THETA]
    # Radii of the front tyre, back tyre and centre of mass; 1e7 when going straight (θ = 0, or
    # so tiny, |θ| < 1e-154, that tan²θ underflows to 0).
    sin_t = math.sin(theta)
    tan_t = math.tan(theta)
    tan2 = tan_t * tan_t
    if tan2 == 0.0:
        r_f = r_b = r_cm = STRAIGHT_RADIUS
    else:
        r_f = L / abs(sin_t)
        r_b = L / abs(tan_t)
        r_cm = math.sqrt(_L2 / tan2 + _LC2)
    # φ = ω + atan(d / h): total tilt of the centre of mass.
    phi = F[i, OMEGA] + math.atan(disp / H)
    # ω̈ = (h·M·g·sin φ − cos φ·(I_dc·σ̇·θ̇ + sign(θ)·v²·(M_d·r·(1/r_f + 1/r_b) + M·h/r_CM))) / I_bc
    a = _MDR * (1.0 / r_f + 1.0 / r_b) + _MH / r_cm
    a = (sign(theta) * v2) * a
    a = idc_sdot * F[i, THETA_DOT] + a
    a = math.cos(phi) * a
    omega_ddot = (_HMG * math.sin(phi) - a) / I_BC
    # θ̈ = (T − I_dv·ω̇·σ̇) / I_dl
    theta_ddot = (torque - I_DV * F[i, OMEGA_DOT] * sdot) / I_DL
    # Semi-implicit Euler, then the 80° handlebar stop.
    omega_dot = F[i, OMEGA_DOT] + omega_ddot * DT
    theta_dot = F[i, THETA_DOT] + theta_ddot * DT
    F[i, OMEGA_DDOT], F[i, THETA_DDOT] = omega_ddot, theta_ddot
    F[i, OMEGA_DOT], F[i, THETA_DOT] = omega_dot, theta_dot
    F[i, OMEGA] = F[i, OMEGA] + omega_dot * DT
    theta = theta + theta_dot * DT
    theta = min(theta, THETA_MAX)
    theta = max(theta, -THETA_MAX)
    F[i, THETA] = theta
    # Tyres: each moves v·dt along its direction, front ψ + θ + t, back ψ + t,
    # t = sign(ψ + θ or ψ)·asin(v·dt / (2 r)); v·dt/(2r) <= 1 always (v <= l/dt), so no π/2 case.
    psi = F[i, PSI]
    ang_f = psi + theta
    ang_b = psi
    ang_f = ang_f + sign(ang_f) * math.asin(half_vdt / r_f)
    ang_b = ang_b + sign(ang_b) * math.asin(half_vdt / r_b)
    x_f = F[i, X_F] - math.sin(ang_f) * vdt
    x_b = F[i, X_B] - math.sin(ang_b) * vdt
    y_f = F[i, Y_F] + math.cos(ang_f) * vdt
    y_b = F[i, Y_B] + math.cos(ang_b) * vdt
    # Wheelbase drift: move the back tyre along the frame to restore l.
    dx = x_f - x_b
    dy = y_f - y_b
    length = math.sqrt(dx * dx + dy * dy)
    b = L - length
    if abs(b) > WHEELBASE_TOL:
        x_b = x_b - dx * b / length  # (xf − xb)·(l − |fb|) = −(xb − xf)·(l − |fb|)
        y_b = y_b - dy * b / length
        dx = x_f - x_b
        dy = y_f - y_b
    F[i, X_F], F[i, Y_F], F[i, X_B], F[i, Y_B] = x_f, y_f, x_b, y_b
    # Heading ψ from the contact points: atan2(x_b − x_f, y_f − y_b), every quadrant.
    F[i, PSI] = math.atan2(-dx, dy)


@njit
def physics_steps(F: np.ndarray, torques: np.ndarray, disps: np.ndarray) -> None:
    """One physics step of every bicycle (row of ``F``): the physics alone, without actions, noise,
    rewards or observations (for tests, and for the bench to show what bounds a batch's speed)."""
    for i in range(F.shape[0]):
        physics_step(F, i, torques[i], disps[i])
