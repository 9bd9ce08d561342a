"""The bicycle's physics: Randløv's equations checked by hand, and invariants."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.bicycle import physics as ph


def reference_step(s: dict[str, float], T: float, d: float) -> dict[str, float]:
    """Randløv & Alstrøm (1998), one step, written out with scalar ``math`` as in Randløv's C code."""
    dt, v, g, c, d_cm, h, l, r = 0.01, 10.0 / 3.6, 9.82, 0.66, 0.30, 0.94, 1.11, 0.34  # noqa: E741
    m_c, m_d, m_p = 15.0, 1.7, 60.0
    m = m_c + m_p
    sigma_dot = v / r
    i_bc = 13.0 / 3.0 * m_c * h**2 + m_p * (h + d_cm) ** 2
    i_dc, i_dv, i_dl = m_d * r**2, 1.5 * m_d * r**2, 0.5 * m_d * r**2
    sign = lambda x: (x > 0) - (x < 0)  # noqa: E731
    om, omd, th, thd = s["omega"], s["omega_dot"], s["theta"], s["theta_dot"]
    xf, yf, xb, yb, psi = s["xf"], s["yf"], s["xb"], s["yb"], s["psi"]
    if th == 0:
        r_cm = r_f = r_b = 1e7
    else:
        r_cm = math.sqrt((l - c) ** 2 + l**2 / math.tan(th) ** 2)
        r_f = l / abs(math.sin(th))
        r_b = l / abs(math.tan(th))
    phi = om + math.atan(d / h)
    omdd = (
        h * m * g * math.sin(phi)
        - math.cos(phi)
        * (i_dc * sigma_dot * thd + sign(th) * v**2 * (m_d * r * (1 / r_f + 1 / r_b) + m * h / r_cm))
    ) / i_bc
    thdd = (T - i_dv * sigma_dot * omd) / i_dl
    omd += omdd * dt
    om += omd * dt
    thd += thdd * dt
    th += thd * dt
    th = max(-1.3963, min(1.3963, th))
    t = v * dt / (2 * r_f)
    t = sign(psi + th) * (math.pi / 2 if t > 1 else math.asin(t))
    xf += -v * dt * math.sin(psi + th + t)
    yf += v * dt * math.cos(psi + th + t)
    t = v * dt / (2 * r_b)
    t = sign(psi) * (math.pi / 2 if t > 1 else math.asin(t))
    xb += -v * dt * math.sin(psi + t)
    yb += v * dt * math.cos(psi + t)
    length = math.sqrt((xf - xb) ** 2 + (yf - yb) ** 2)
    if abs(length - l) > 0.01:
        xb += (xb - xf) * (l - length) / length
        yb += (yb - yf) * (l - length) / length
    dy = yf - yb
    if xf == xb and dy < 0:
        psi = math.pi
    elif dy > 0:
        psi = math.atan((xb - xf) / dy)
    else:
        psi = sign(xb - xf) * math.pi / 2 - math.atan(dy / (xb - xf))
    return dict(omega=om, omega_dot=omd, theta=th, theta_dot=thd, xf=xf, yf=yf, xb=xb, yb=yb, psi=psi)


_COLUMNS = {"omega": ph.OMEGA, "omega_dot": ph.OMEGA_DOT, "theta": ph.THETA, "theta_dot": ph.THETA_DOT,
            "xf": ph.X_F, "yf": ph.Y_F, "xb": ph.X_B, "yb": ph.Y_B, "psi": ph.PSI}  # fmt: skip


def _bicycles(n: int) -> np.ndarray:
    """The physics state of ``n`` bicycles at the start (rows as the kernels keep them)."""
    F = np.zeros((n, ph.NPHYS))
    for i in range(n):
        ph.reset_bicycle(F, i)
    return F


def _load(F: np.ndarray, s: dict[str, float]) -> None:
    for key, col in _COLUMNS.items():
        F[0, col] = s[key]


def _state(F: np.ndarray) -> dict[str, float]:
    return {key: float(F[0, col]) for key, col in _COLUMNS.items()}


@pytest.mark.parametrize(
    "state, T, d",
    [
        # turning left, heading up-left
        (dict(omega=0.05, omega_dot=-0.1, theta=0.3, theta_dot=0.5, psi=0.2), 2.0, -0.013),
        # turning right while heading down (ψ beyond ±π/2: the other quadrants of the heading)
        (dict(omega=-0.1, omega_dot=0.4, theta=-0.7, theta_dot=-2.0, psi=2.9), -2.0, 0.031),
        # straight ahead, θ = 0 (the 1e7 radius case), heading right
        (dict(omega=0.01, omega_dot=0.02, theta=0.0, theta_dot=0.0, psi=-1.5), 0.0, 0.02),
        # at the handlebar stop
        (dict(omega=0.0, omega_dot=0.0, theta=1.39, theta_dot=3.0, psi=-0.4), 2.0, 0.0),
    ],
)
def test_one_step_matches_a_scalar_reference(state: dict[str, float], T: float, d: float) -> None:
    psi = state["psi"]
    s = dict(state, xb=3.0, yb=-2.0)
    s["xf"], s["yf"] = s["xb"] - ph.L * math.sin(psi), s["yb"] + ph.L * math.cos(psi)
    F = _bicycles(1)
    _load(F, s)
    ph.physics_step(F, 0, T, d)  # the compiled kernel, called from Python
    want, got = reference_step(s, T, d), _state(F)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-12, rel=0), key


def test_constants_are_randlovs() -> None:
    assert pytest.approx(1.5 * 1.7 * 0.34**2) == ph.I_DV  # not M_d·r² (a port's bug)
    assert pytest.approx(13 / 3 * 15 * 0.94**2 + 60 * 1.24**2) == ph.I_BC
    assert pytest.approx(2.7778, abs=1e-4) == ph.V0
    assert pytest.approx(math.radians(12)) == ph.FALL_ANGLE


@pytest.mark.slow
def test_wheelbase_stays_within_a_centimetre_over_a_long_random_ride() -> None:
    F = _bicycles(4)
    rng = np.random.default_rng(0)
    worst, travelled = 0.0, np.zeros(4)
    front, back = [ph.X_F, ph.Y_F], [ph.X_B, ph.Y_B]
    for _ in range(20000):
        before = F[:, back].copy()
        ph.physics_steps(F, rng.choice([-2.0, 0.0, 2.0], 4), rng.uniform(-0.04, 0.04, 4))
        F[:, ph.OMEGA] = np.clip(F[:, ph.OMEGA], -0.2, 0.2)  # keep it riding: only the tyres matter
        F[:, ph.OMEGA_DOT] = np.clip(F[:, ph.OMEGA_DOT], -1.0, 1.0)
        worst = max(worst, float(np.max(np.abs(np.hypot(*(F[:, front] - F[:, back]).T) - ph.L))))
        travelled += np.hypot(*(F[:, back] - before).T)
    assert worst <= 0.01 + 1e-9
    # It rode on (the back tyre slows when the front one turns hard), turning all the while.
    assert np.all(travelled > 50.0)
    assert np.ptp(F[:, ph.PSI]) > 0  # the four rides went different ways


def _ride(actions: list[int], noise: float = 0.0) -> np.ndarray:
    env = gym.make("rl_lab/BikeBalance-v0", noise=noise)
    env.reset(seed=0)
    rows = []
    for a in actions:
        _, _, terminated, _, info = env.step(a)
        rows.append([info[k] for k in ("omega", "omega_dot", "theta", "theta_dot", "x_front", "y_front",
                                        "x_back", "y_back", "psi")])  # fmt: skip
        if terminated:
            break
    return np.array(rows)


def test_mirrored_actions_give_mirrored_trajectories() -> None:
    rng = np.random.default_rng(1)
    # Mostly "do nothing" with a few pushes, so the ride lasts a while before falling.
    actions = [int(a) if rng.random() < 0.3 else 4 for a in rng.integers(0, 9, 400)]
    left = _ride(actions)
    right = _ride([8 - a for a in actions])  # (T, d) -> (−T, −d)
    assert len(left) == len(right) > 50
    mirror = np.array([-1, -1, -1, -1, -1, 1, -1, 1, -1])  # ω, ω̇, θ, θ̇, x_f, y_f, x_b, y_b, ψ
    np.testing.assert_allclose(right, left * mirror, atol=1e-9)
    assert np.abs(left[:, 4]).max() > 0.01  # it really turned


def test_no_action_no_noise_stays_upright_for_the_whole_episode() -> None:
    env = gym.make("rl_lab/BikeBalance-v0", noise=0.0, action_repeat=10, max_seconds=100.0)
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, info = env.step(4)  # T = 0, d = 0
        steps += 1
        assert info["omega"] == 0.0 and info["theta"] == 0.0 and info["x_front"] == 0.0
        if terminated or truncated:
            break
    assert truncated and not terminated and steps == 1000
    assert info["y_back"] == pytest.approx(100.0 * ph.V0)
    assert info["episode_metrics"] == {"fall_rate": 0.0, "mean_abs_omega": 0.0}


def test_a_fall_is_terminated_not_truncated() -> None:
    env = gym.make("rl_lab/BikeBalance-v0", noise=0.0)
    env.reset(seed=0)
    for step in range(10_000):  # noqa: B007
        _, reward, terminated, truncated, info = env.step(0)  # T = −2, d = −0.02: down it goes
        if terminated or truncated:
            break
    assert terminated and not truncated and step < 1000
    assert abs(info["omega"]) > math.pi / 15
    assert info["episode_metrics"]["fall_rate"] == 1.0
    assert reward == 0.0  # default: +1 alive, 0 on the fall


def test_a_fall_stops_the_sub_steps() -> None:
    """With action_repeat the episode ends at the physics step of the fall, not after the repeat."""
    env1 = gym.make("rl_lab/BikeBalance-v0", noise=0.0, action_repeat=1)
    env7 = gym.make("rl_lab/BikeBalance-v0", noise=0.0, action_repeat=8)
    env1.reset(seed=0)
    env7.reset(seed=0)
    n1 = 0
    while True:
        n1 += 1
        _, _, terminated, _, info1 = env1.step(0)
        if terminated:
            break
    while True:
        _, _, terminated, _, info7 = env7.step(0)
        if terminated:
            break
    info1.pop("episode_metrics")
    info7.pop("episode_metrics")  # (mean |ω| is sampled per agent step, so differs)
    assert info7 == info1  # the same physics step, the same state
    assert n1 % 8 != 0  # (the fall came inside an agent step of env7)
