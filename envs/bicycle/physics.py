"""Randløv & Alstrøm's bicycle (ICML 1998), one physics step for N bicycles at once.

Constants and equations as in Randløv's own C simulator (REFERENCE.md §1), without the bugs of
public ports: ``atan(d / h)`` (not ``atan(d)/h``), ``I_dv = 3/2·M_d·r²``, tyres advanced by
``v·dt``, and θ̇ read from its own slot. Everything is float64 numpy, written with ``out=``
buffers so that one bicycle (N = 1) and a batch run the very same operations, element by
element, and so give bitwise-identical results.
"""

from __future__ import annotations

import math

import numpy as np

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

# Rows of the state array S (shape (NROWS, N)). Pairs that are updated together sit side by side.
OMEGA, THETA, OMEGA_DOT, THETA_DOT, OMEGA_DDOT, THETA_DDOT = 0, 1, 2, 3, 4, 5
X_F, Y_F, X_B, Y_B, PSI, V = 6, 7, 8, 9, 10, 11
NROWS = 12


def _c(value: float) -> np.ndarray:
    """A 0-d array constant: numpy ufuncs take these faster than Python floats."""
    return np.array(value)


_K = {
    name: _c(value)
    for name, value in {
        "dt": DT,
        "half": 0.5,
        "one": 1.0,
        "h": H,
        "r": R,
        "l": L,
        "lc2": _LC2,
        "mdr": _MDR,
        "mh": _MH,
        "hmg": _HMG,
        "i_bc": I_BC,
        "i_dc": I_DC,
        "i_dv": I_DV,
        "i_dl": I_DL,
        "tmax": THETA_MAX,
        "tmin": -THETA_MAX,
        "tol": WHEELBASE_TOL,
        "big": STRAIGHT_RADIUS,
    }.items()
}


class BicyclePhysics:
    """State of N bicycles in one (NROWS, N) float64 array ``S`` and the in-place physics step.

    ``v`` is a state row so that the pedal/brake option can change it; ``set_speed`` must be called
    after changing it (it refreshes the speed-dependent factors σ̇ = v/r, v², v·dt). Ufuncs are
    called with positional ``out`` buffers and 0-d constants: at N = 1 the cost is per call.
    """

    def __init__(self, num_envs: int) -> None:
        n = num_envs
        self.num_envs = n
        self.S = np.zeros((NROWS, n))
        S = self.S
        self.omega, self.theta = S[OMEGA], S[THETA]
        self.omega_dot, self.theta_dot = S[OMEGA_DOT], S[THETA_DOT]
        self.omega_ddot, self.theta_ddot = S[OMEGA_DDOT], S[THETA_DDOT]
        self.x_f, self.y_f, self.x_b, self.y_b = S[X_F], S[Y_F], S[X_B], S[Y_B]
        self.psi, self.v = S[PSI], S[V]
        self.angles, self.rates, self.accels = S[0:2], S[2:4], S[4:6]
        self.front, self.back = S[X_F : Y_F + 1], S[X_B : Y_B + 1]  # (2, N): x, y
        self.xs, self.ys = S[X_F : Y_B + 1 : 2], S[Y_F : Y_B + 1 : 2]  # (2, N): front, back
        # Speed-dependent factors (refreshed by set_speed).
        self.sdot = np.empty(n)  # σ̇ = v / r
        self.idc_sdot = np.empty(n)  # I_dc·σ̇
        self.v2 = np.empty(n)  # v·v
        self.vdt = np.empty(n)  # v·dt
        self.half_vdt = np.empty(n)  # v·dt / 2
        # Scratch buffers and their views.
        self._trig = np.empty((3, n))  # |sin θ|, |tan θ|, tan²θ  -> r_f, r_b, r_CM
        self._trig2 = self._trig[:2]
        self._num = np.array([L, L, L * L])[:, None]
        self._straight = np.empty(n, dtype=bool)
        self._a, self._b, self._c, self._phi = (np.empty(n) for _ in range(4))
        self._p, self._q, self._s = (np.empty((2, n)) for _ in range(3))
        self._big = np.empty(n, dtype=bool)

    def reset(self, index: np.ndarray) -> None:
        """Upright at the origin heading +y: back tyre (0, 0), front tyre (0, l), speed 10 km/h."""
        self.S[:, index] = 0.0
        self.S[Y_F, index] = L
        self.S[V, index] = V0
        self.set_speed()

    def set_speed(self) -> None:
        """Refresh σ̇ = v/r, I_dc·σ̇, v², v·dt and v·dt/2 from the state's speed row."""
        k = _K
        np.divide(self.v, k["r"], self.sdot)
        np.multiply(k["i_dc"], self.sdot, self.idc_sdot)
        np.multiply(self.v, self.v, self.v2)
        np.multiply(self.v, k["dt"], self.vdt)
        np.multiply(self.vdt, k["half"], self.half_vdt)

    def step(self, torque: np.ndarray, disp: np.ndarray) -> None:
        """One physics step of dt = 0.01 s with handlebar torque T (N·m) and displacement d (m),
        both arrays (N,) (d already including the noise). Updates ``S`` in place."""
        k = _K
        theta, trig, a, b, c, phi = self.theta, self._trig, self._a, self._b, self._c, self._phi
        straight = self._straight
        # Radii of the front tyre, back tyre and centre of mass; 1e7 when going straight (θ = 0).
        np.sin(theta, trig[0])
        np.tan(theta, trig[1])
        np.multiply(trig[1], trig[1], trig[2])
        np.absolute(self._trig2, self._trig2)
        # θ = 0 (or so tiny, |θ| < 1e-154, that tan²θ underflows to 0): straight ahead.
        np.equal(trig[2], 0.0, straight)
        any_straight = straight[0] if self.num_envs == 1 else straight.any()
        if any_straight:
            np.copyto(trig, 1.0, where=straight)
        np.divide(self._num, trig, trig)  # l/|sin θ|, l/|tan θ|, l²/tan²θ
        np.add(trig[2], k["lc2"], trig[2])
        np.sqrt(trig[2], trig[2])
        if any_straight:
            np.copyto(trig, k["big"], where=straight)
        r_cm = trig[2]
        # φ = ω + atan(d / h): total tilt of the centre of mass.
        np.divide(disp, k["h"], phi)
        np.arctan(phi, phi)
        np.add(self.omega, phi, phi)
        # ω̈ = (h·M·g·sin φ − cos φ·(I_dc·σ̇·θ̇ + sign(θ)·v²·(M_d·r·(1/r_f + 1/r_b) + M·h/r_CM))) / I_bc
        inv = self._q
        np.divide(k["one"], self._trig2, inv)
        np.add(inv[0], inv[1], a)
        np.multiply(k["mdr"], a, a)
        np.divide(k["mh"], r_cm, b)
        np.add(a, b, a)
        np.sign(theta, c)
        np.multiply(c, self.v2, c)
        np.multiply(c, a, a)
        np.multiply(self.idc_sdot, self.theta_dot, b)
        np.add(b, a, a)
        np.cos(phi, b)
        np.multiply(b, a, a)
        np.sin(phi, b)
        np.multiply(k["hmg"], b, b)
        np.subtract(b, a, a)
        np.divide(a, k["i_bc"], self.omega_ddot)
        # θ̈ = (T − I_dv·ω̇·σ̇) / I_dl
        np.multiply(k["i_dv"], self.omega_dot, a)
        np.multiply(a, self.sdot, a)
        np.subtract(torque, a, a)
        np.divide(a, k["i_dl"], self.theta_ddot)
        # Semi-implicit Euler, then the 80° handlebar stop.
        p = self._p
        np.multiply(self.accels, k["dt"], p)
        np.add(self.rates, p, self.rates)
        np.multiply(self.rates, k["dt"], p)
        np.add(self.angles, p, self.angles)
        np.minimum(theta, k["tmax"], out=theta)
        np.maximum(theta, k["tmin"], out=theta)
        # Tyres: each moves v·dt along its direction, front ψ + θ + t, back ψ + t,
        # t = sign(ψ + θ or ψ)·asin(v·dt / (2 r)); v·dt/(2r) <= 1 always (v <= l/dt), so no π/2 case.
        ang, q, s = p, self._q, self._s
        np.add(self.psi, theta, ang[0])
        np.copyto(ang[1], self.psi)
        np.divide(self.half_vdt, self._trig2, q)
        np.arcsin(q, q)
        np.sign(ang, s)
        np.multiply(s, q, q)
        np.add(ang, q, ang)
        np.sin(ang, q)
        np.multiply(q, self.vdt, q)
        np.subtract(self.xs, q, self.xs)  # x += v·dt·(−sin(...))
        np.cos(ang, q)
        np.multiply(q, self.vdt, q)
        np.add(self.ys, q, self.ys)
        # Wheelbase drift: move the back tyre along the frame to restore l.
        diff = p
        np.subtract(self.front, self.back, diff)  # xf − xb, yf − yb
        np.multiply(diff, diff, q)
        length = a
        np.add(q[0], q[1], length)
        np.sqrt(length, length)
        np.subtract(k["l"], length, b)
        np.absolute(b, c)
        np.greater(c, k["tol"], self._big)
        if self._big[0] if self.num_envs == 1 else self._big.any():
            np.multiply(diff, b, q)  # (xf − xb)·(l − |fb|) = −(xb − xf)·(l − |fb|)
            np.divide(q, length, q)
            np.subtract(self.back, q, self.back, where=self._big)
            np.subtract(self.front, self.back, diff)
        # Heading ψ from the contact points: atan2(x_b − x_f, y_f − y_b), every quadrant.
        np.negative(diff[0], diff[0])
        np.arctan2(diff[0], diff[1], self.psi)
