"""The bicycle as :class:`~rl_lab.envs.batch.ArrayDynamics`: actions, noise, sub-steps and falls.

:class:`BicycleDynamics` turns agent actions into handlebar torque T, rider displacement d (and,
with ``pedal_brake``, an acceleration), adds Randløv's noise on d, runs ``action_repeat`` physics
steps (stopping a copy's sub-steps at its fall) and keeps the episode's measures. The tasks
(:mod:`.balance`, :mod:`.ride`) add rewards and observations.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

from rl_lab.envs import noise as noise_lib
from rl_lab.envs.batch import ArrayDynamics
from rl_lab.envs.bicycle import physics as ph

# Pedal/brake option: speed limits (m/s) and the largest acceleration (m/s²).
V_MIN = 1.0  # below 3.6 km/h the rider cannot stay up: a fall
V_MAX = 20.0 / 3.6
ACCEL_MAX = 1.0

# Observation scales: physical value / scale is about unit range in typical (random) riding.
OBS_SCALES = (ph.THETA_MAX, 5.0, ph.FALL_ANGLE, 1.0, 5.0)  # θ, θ̇, ω, ω̇, ω̈
OBS_BOUND = 2.0  # observations are clipped to ±2 (θ/θ_max stays in ±1, ω/12° in about ±1)


_A = np.arange(27)
_TORQUES = 2.0 * ((_A % 9) // 3 - 1)  # T = 2·(a // 3 − 1) N·m (a % 9 with pedal_brake)
_DISPS = 0.02 * ((_A % 9) % 3 - 1)  # d = 0.02·(a % 3 − 1) m
_ACCELS = ACCEL_MAX * (_A // 9 - 1.0)  # a // 9: 0 brake, 1 keep, 2 pedal


def max_episode_steps(max_seconds: float, action_repeat: int) -> int:
    """Agent steps in ``max_seconds`` of simulated time (rounded up, at least 1)."""
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0, got {max_seconds}")
    return max(1, math.ceil(round(max_seconds / (ph.DT * action_repeat), 9)))


class BicycleDynamics(ArrayDynamics):
    """N bicycles under agent control. Subclasses set ``extra_obs`` and define ``_reward`` / ``_goal``.

    Args:
        num_envs: number of bicycles.
        noise: max displacement noise on d in metres (Randløv: 0.02); 0 turns noise off exactly.
        continuous: Box(−1, 1) actions instead of Discrete(9).
        pedal_brake: the action also accelerates or brakes (speed becomes state).
        action_repeat: physics steps of 0.01 s per agent step.
    """

    extra_obs: int = 0
    extra_low: tuple[float, ...] = ()
    extra_high: tuple[float, ...] = ()

    def __init__(
        self,
        num_envs: int,
        *,
        noise: float = ph.D_MAX,
        continuous: bool = False,
        pedal_brake: bool = False,
        action_repeat: int = 1,
    ) -> None:
        super().__init__(num_envs)
        if not (isinstance(action_repeat, (int, np.integer)) and action_repeat >= 1):
            raise ValueError(f"action_repeat must be an integer >= 1, got {action_repeat!r}")
        if not (math.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise must be a finite number of metres >= 0, got {noise!r}")
        self.noise = float(noise)
        self.continuous = bool(continuous)
        self.pedal_brake = bool(pedal_brake)
        self.action_repeat = int(action_repeat)
        n = num_envs
        if continuous:
            self.action_space = gym.spaces.Box(-1.0, 1.0, (3 if pedal_brake else 2,), np.float32)
        else:
            self.action_space = gym.spaces.Discrete(27 if pedal_brake else 9)
        n_obs = 5 + int(pedal_brake) + self.extra_obs
        high = np.full(n_obs, OBS_BOUND, np.float32)
        low = -high
        if pedal_brake:
            low[5], high[5] = 0.0, 1.0
        low[n_obs - self.extra_obs :] = self.extra_low
        high[n_obs - self.extra_obs :] = self.extra_high
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)
        self._obs_low, self._obs_high = low[:, None].astype(np.float64), high[:, None].astype(np.float64)
        self.phys = ph.BicyclePhysics(n)
        self.keys = np.zeros(n, np.uint64)  # episode noise keys
        self.counter = np.zeros(n, np.int64)  # physics steps in the episode (the noise counter)
        self.abs_omega_sum = np.zeros(n)
        self.agent_steps = np.zeros(n, np.int64)
        self.fell = np.zeros(n, bool)
        self.path_length = np.zeros(n)
        self._repeat = np.arange(self.action_repeat, dtype=np.int64)[:, None]
        self._amp = np.array(2.0 * self.noise)  # d += 2·noise·(0.5 − u): 0.04·(0.5 − u) by default
        self._torque, self._disp, self._accel = np.zeros(n), np.zeros(n), np.zeros(n)
        self._fallen = np.zeros(n, bool)
        self._hit = np.zeros(n, bool)
        self._sub_done = np.zeros(n, np.int64)
        self._tmp = np.zeros(n)
        self._saved = np.zeros_like(self.phys.S)
        self._obs = np.zeros((n_obs, n))
        self._scales = np.array(OBS_SCALES)[:, None]

    # --- ArrayDynamics ------------------------------------------------------------------------
    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """As the contract's, but non-numbers (strings, None) are a ValueError too, not a TypeError."""
        actions = np.asarray(actions)
        if actions.dtype.kind not in "biuf":
            raise ValueError(f"invalid action {actions.tolist()!r}: expected numbers for {self.action_space}")
        return super().check_actions(actions)

    def reset_envs(self, index: np.ndarray, rngs: list[np.random.Generator]) -> None:
        index = np.asarray(index, dtype=np.int64)
        self.phys.reset(index)
        for k, i in enumerate(index):
            self.keys[i] = noise_lib.draw_keys(rngs[k])[0]
        self.counter[index] = 0
        self.abs_omega_sum[index] = 0.0
        self.agent_steps[index] = 0
        self.fell[index] = False
        self.path_length[index] = 0.0
        self._reset_task(index)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._decode(actions)
        self._before_step()
        phys, fallen, hit, sub_done = self.phys, self._fallen, self._hit, self._sub_done
        k, single = self.action_repeat, self.num_envs == 1
        noisy = self.noise > 0.0
        if noisy:  # d + 2·noise·(0.5 − u) for each sub-step, u keyed by (episode, physics step)
            u = noise_lib.uniform(self.keys[None, :], self.counter[None, :] + self._repeat)
            np.subtract(0.5, u, u)
            np.multiply(self._amp, u, u)
            np.add(u, self._disp, u)
        fallen.fill(False)
        sub_done.fill(k)
        any_fallen = False
        for j in range(k):
            if any_fallen:  # freeze the fallen copies: their episode ends at the fall
                if fallen.all():
                    break
                np.copyto(self._saved, phys.S)
            if self.pedal_brake:
                self._speed_step()
                np.add(self.path_length, phys.vdt, self.path_length, where=~fallen)
            phys.step(self._torque, u[j] if noisy else self._disp)
            if any_fallen:
                np.copyto(phys.S, self._saved, where=fallen)
                if self.pedal_brake:
                    phys.set_speed()
            np.absolute(phys.omega, self._tmp)
            np.greater(self._tmp, ph.FALL_ANGLE, hit)
            if self.pedal_brake:
                np.logical_or(hit, phys.v < V_MIN, hit)
            if hit[0] if single else hit.any():
                np.copyto(sub_done, j + 1, where=hit & ~fallen)
                np.logical_or(fallen, hit, fallen)
                any_fallen = True
        self.counter += k
        if not self.pedal_brake:
            np.multiply(phys.vdt, sub_done, self._tmp)
            np.add(self.path_length, self._tmp, self.path_length)
        np.logical_or(self.fell, fallen, self.fell)
        self.agent_steps += 1
        np.absolute(phys.omega, self._tmp)
        np.add(self.abs_omega_sum, self._tmp, self.abs_omega_sum)
        return self._reward(fallen)

    def observe(self) -> np.ndarray:
        obs, phys = self._obs, self.phys
        obs[0] = phys.theta
        obs[1] = phys.theta_dot
        obs[2] = phys.omega
        obs[3] = phys.omega_dot
        obs[4] = phys.omega_ddot
        np.divide(obs[:5], self._scales, obs[:5])
        if self.pedal_brake:
            np.divide(phys.v, V_MAX, obs[5])
        self._observe_task(obs[5 + int(self.pedal_brake) :])
        np.minimum(obs, self._obs_high, out=obs)
        np.maximum(obs, self._obs_low, out=obs)
        return obs.T.astype(np.float32)

    def step_info(self) -> dict[str, np.ndarray]:
        S = self.phys.S.copy()  # one fresh copy; its rows are not views of the state
        info = {
            "omega": S[ph.OMEGA],
            "omega_dot": S[ph.OMEGA_DOT],
            "theta": S[ph.THETA],
            "theta_dot": S[ph.THETA_DOT],
            "x_front": S[ph.X_F],
            "y_front": S[ph.Y_F],
            "x_back": S[ph.X_B],
            "y_back": S[ph.Y_B],
            "psi": S[ph.PSI],
        }
        if self.pedal_brake:
            info["speed"] = S[ph.V]
        return info

    def episode_metrics(self) -> dict[str, np.ndarray]:
        return {
            "fall_rate": self.fell.astype(np.float64),
            "mean_abs_omega": self.abs_omega_sum / np.maximum(self.agent_steps, 1),
        }

    # --- helpers -------------------------------------------------------------------------------
    def _decode(self, actions: np.ndarray) -> None:
        """Actions -> torque T (N·m), displacement d (m) and acceleration (m/s², pedal_brake)."""
        if self.continuous:
            np.multiply(actions[:, 0], ph.T_MAX, self._torque)
            np.multiply(actions[:, 1], ph.D_MAX, self._disp)
            if self.pedal_brake:
                np.multiply(actions[:, 2], ACCEL_MAX, self._accel)
        else:  # table look-ups of T = 2·(a // 3 − 1), d = 0.02·(a % 3 − 1), brake/keep/pedal
            np.take(_TORQUES, actions, out=self._torque)
            np.take(_DISPS, actions, out=self._disp)
            if self.pedal_brake:
                np.take(_ACCELS, actions, out=self._accel)

    def _speed_step(self) -> None:
        p = self.phys
        p.v += self._accel * ph.DT
        np.minimum(p.v, V_MAX, out=p.v)
        np.maximum(p.v, 0.0, out=p.v)
        p.set_speed()

    # --- task hooks (overridden by the balance and ride tasks) ---------------------------------
    def _reset_task(self, index: np.ndarray) -> None:
        """Reset the task's own per-copy state for copies ``index``."""

    def _before_step(self) -> None:
        """Called before the physics of each agent step (e.g. to remember a potential)."""

    def _observe_task(self, out: np.ndarray) -> None:
        """Write the task's extra observation rows (``extra_obs`` of them) into ``out``."""

    def _reward(self, fallen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rewards (N,) and terminated (N,) after an agent step; ``fallen`` marks this step's falls."""
        raise NotImplementedError
