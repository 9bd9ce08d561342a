"""Gymnasium environments ``rl_lab/BikeBalance-v0`` and ``rl_lab/BikeRide-v0`` (one bicycle)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rl_lab.envs.batch import SingleEnv
from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.bicycle.balance import BalanceDynamics
from rl_lab.envs.bicycle.dynamics import max_episode_steps
from rl_lab.envs.bicycle.render import HumanWindow, draw_frame
from rl_lab.envs.bicycle.ride import GOAL_RADIUS, GOAL_X, GOAL_Y, RideDynamics
from rl_lab.envs.bicycle.tracks import TrackHistory


class _BicycleEnv(SingleEnv):
    """Shared plumbing: time limit in seconds, render modes, the track history."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    goal: tuple[float, float, float] | None = None

    def __init__(self, dynamics, max_seconds: float, render_mode: str | None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        super().__init__(dynamics, max_episode_steps(max_seconds, dynamics.action_repeat))
        self.render_mode = render_mode
        self.max_seconds = float(max_seconds)
        # Real time: one agent step lasts action_repeat·0.01 s (capped at 100 frames per second).
        self.metadata = {
            **self.metadata,
            "render_fps": min(100, round(1.0 / (ph.DT * dynamics.action_repeat))),
        }
        self.tracks = TrackHistory()
        self._window: HumanWindow | None = None
        self._fallen = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        self.tracks.clear()
        self._fallen = False
        if self.render_mode is not None:
            self._record()
        if self.render_mode == "human":
            self.render()
        return obs, info

    def step(self, action: Any):
        if self.render_mode is None:
            return super().step(action)
        mode, self.render_mode = self.render_mode, None  # record first, then draw
        try:
            obs, reward, terminated, truncated, info = super().step(action)
        finally:
            self.render_mode = mode
        self._record()
        self._fallen = bool(self.dynamics.fell[0])
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, info

    @property
    def action_labels(self) -> list[str] | None:
        """Names of the 9 discrete actions, "T+ d-" = torque +2 N·m, lean −2 cm (for displays)."""
        if self.action_space.shape != () or self.action_space.n != 9:
            return None
        signs = ("-", "0", "+")
        return [f"T{signs[a // 3]} d{signs[a % 3]}" for a in range(9)]

    def _record(self) -> None:
        p = self.dynamics.phys
        self.tracks.add(float(p.x_f[0]), float(p.y_f[0]), float(p.x_b[0]), float(p.y_b[0]))

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        p = self.dynamics.phys
        front, back = self.tracks.front_back()
        if front.shape[0] == 0:
            front = np.array([[p.x_f[0], p.y_f[0]]])
            back = np.array([[p.x_b[0], p.y_b[0]]])
        frame = draw_frame(front, back, float(p.omega[0]), float(p.theta[0]), self.goal, self._fallen)
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = HumanWindow(self.metadata["render_fps"])
        self._window.show(frame)
        return None

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None


class BikeBalanceEnv(_BicycleEnv):
    """
    ## Description

    Balance a bicycle riding at 10 km/h: Randløv & Alstrøm's bicycle ("Learning to Drive a Bicycle
    using Reinforcement Learning and Shaping", ICML 1998), with the constants and equations of their
    C simulator (dt = 0.01 s, g = 9.82, c = 0.66 m, d_CM = 0.30 m, h = 0.94 m, l = 1.11 m, r = 0.34 m,
    M_c = 15 kg, M_d = 1.7 kg, M_p = 60 kg). The agent turns the handlebar by a torque T and shifts
    the rider's centre of mass sideways by d, which is disturbed by uniform noise of up to 2 cm.
    The paper's success criterion is 1000 s (100,000 physics steps) without falling.

    ## Action Space

    ``Discrete(9)``: T = 2·(a // 3 − 1) N·m ∈ {−2, 0, 2}, d = 0.02·(a % 3 − 1) m ∈ {−0.02, 0, 0.02}
    (the paper's nine actions). With ``continuous=True``: ``Box(−1, 1, (2,))``, T = 2·a[0] N·m and
    d = 0.02·a[1] m (out-of-range values are clipped). With ``pedal_brake=True`` the action also sets
    the acceleration: ``Discrete(27)``, a // 9 ∈ {0: brake, 1: keep, 2: pedal} (−1, 0, +1 m/s²) and
    a % 9 the nine actions above; continuous: a third component a[2]·1 m/s². The speed then is state,
    bounded to [0, 20 km/h], and falling below 1 m/s counts as a fall.

    ## Observation Space

    ``Box(float32)`` of the physical state divided by a scale and clipped to ±2:

    | Num | Observation                          | Scale       |
    |-----|--------------------------------------|-------------|
    | 0   | handlebar angle θ                    | 1.3963 rad  |
    | 1   | handlebar angular velocity θ̇         | 5 rad/s     |
    | 2   | tilt from vertical ω                 | π/15 rad    |
    | 3   | tilt angular velocity ω̇              | 1 rad/s     |
    | 4   | tilt angular acceleration ω̈          | 5 rad/s²    |
    | 5   | speed v (``pedal_brake`` only)        | 20 km/h, in [0, 1] |

    ## Rewards

    ``alive_reward`` (default 1.0) for every agent step that ends upright, ``−fall_penalty``
    (default 0.0) for the step of a fall. ``alive_reward=0, fall_penalty=1`` is the paper's reward
    (−1 on a fall, 0 otherwise).

    ## Starting State

    Upright and straight (all angles and rates 0), back tyre at (0, 0), front tyre at (0, 1.11) m:
    heading along +y, at 10 km/h. The only randomness is the noise on d, drawn per physics step from
    a counter-based stream keyed at reset from ``np_random``.

    ## Episode End

    Terminated when the bicycle falls: |ω| > π/15 (12°) after any physics step (the remaining
    sub-steps of that agent step are skipped), or, with ``pedal_brake``, speed below 1 m/s.
    Truncated after ``max_seconds`` of simulated time (``ceil(max_seconds / (0.01·action_repeat))``
    agent steps).

    ## Info

    Every step: ``omega``, ``omega_dot``, ``theta``, ``theta_dot`` (rad, rad/s), ``x_front``,
    ``y_front``, ``x_back``, ``y_back`` (m), ``psi`` (heading, rad, 0 = +y, positive to the left),
    plus ``speed`` (m/s) with ``pedal_brake``. On the last step, ``episode_metrics``: ``fall_rate``
    (1.0 if the episode ended in a fall) and ``mean_abs_omega`` (rad, mean |ω| over the agent steps).

    ## Arguments

    ```python
    gymnasium.make("rl_lab/BikeBalance-v0", render_mode=None, noise=0.02, continuous=False,
                   pedal_brake=False, action_repeat=1, max_seconds=1000.0, alive_reward=1.0,
                   fall_penalty=0.0)
    ```

    * ``noise``: the largest random displacement added to d, in metres (the paper: 0.02);
      0 turns the noise off exactly.
    * ``action_repeat``: physics steps of 0.01 s per agent step (1 = the paper).
    * ``max_seconds``: time limit in simulated seconds (default the paper's 1000 s criterion).
    * ``render_mode``: "rgb_array" (a 600×400×3 frame: top view of the tyre tracks, rear view of the
      tilt and the handlebar) or "human" (the same in a pygame window).
    """

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        noise: float = ph.D_MAX,
        continuous: bool = False,
        pedal_brake: bool = False,
        action_repeat: int = 1,
        max_seconds: float = 1000.0,
        alive_reward: float = 1.0,
        fall_penalty: float = 0.0,
    ) -> None:
        dynamics = BalanceDynamics(
            1,
            noise=noise,
            continuous=continuous,
            pedal_brake=pedal_brake,
            action_repeat=action_repeat,
            alive_reward=alive_reward,
            fall_penalty=fall_penalty,
        )
        super().__init__(dynamics, max_seconds, render_mode)


class BikeRideEnv(_BicycleEnv):
    """
    ## Description

    Ride Randløv & Alstrøm's bicycle (ICML 1998; same physics and constants as ``BikeBalance-v0``)
    from the origin, heading +y, to a goal at (1000, 0) m with radius 10 m: 90° to the right of the
    start heading and about 990 m away. The paper shaped the reward with the angle to the goal,
    and its agents learned to ride in circles to farm it; this environment shapes by default with a
    potential on the distance (Ng, Harada & Russell 1999), which cannot be farmed.

    ## Action Space

    As ``BikeBalance-v0``: ``Discrete(9)`` (T = 2·(a // 3 − 1) N·m, d = 0.02·(a % 3 − 1) m), or
    ``Box(−1, 1, (2,))`` with ``continuous=True``; ``pedal_brake=True`` adds brake/keep/pedal.

    ## Observation Space

    ``Box(float32)``: the five (with ``pedal_brake`` six) scaled bicycle observations of
    ``BikeBalance-v0``, then

    | Num  | Observation                                                        | Range   |
    |------|--------------------------------------------------------------------|---------|
    | -3   | sin of the goal direction relative to the heading (> 0: goal left)  | [−1, 1] |
    | -2   | cos of the goal direction relative to the heading (1: straight at it) | [−1, 1] |
    | -1   | distance from the front tyre to the goal centre / 1000 m            | [0, 2]  |

    ## Rewards

    ``shaping="distance"`` (default): γ·Φ(s') − Φ(s) per agent step with Φ = −distance / 100 m
    (``distance_scale``), plus ``goal_bonus`` (1.0) on reaching the goal and ``−fall_penalty``
    (1.0) on a fall. ``gamma`` should equal the agent's discount per agent step: then the shaping
    leaves the optimal policy unchanged (Ng et al.), and a loop back to the same place earns
    nothing. Note that with γ < 1 each step also pays (1 − γ)·distance / scale; ``gamma=1.0`` gives
    the plain progress reward (metres gained / scale), which is not policy-invariant for a
    discounting agent but rewards progress most directly. Φ is taken at the actual last state also
    when the episode ends (not set to 0), so a fall never pays out the potential.
    ``shaping="randlov"``: the paper's reward from Randløv's C code, −1 on a fall, +0.01 at the goal,
    else (0.95 − ψ_g²)·10⁻⁴ per physics step (ψ_g ∈ [−2, 2] their pseudo-angle to the goal, 1 − cos
    of the angle, signed), i.e. ×``action_repeat`` per agent step.

    ## Starting State

    As ``BikeBalance-v0``: upright, back tyre at (0, 0), front tyre at (0, 1.11) m, 10 km/h.

    ## Episode End

    Terminated on a fall (as ``BikeBalance-v0``) or on reaching the goal (front tyre within 10 m of
    (1000, 0)), a success. Truncated after ``max_seconds`` (default 1000 s: the straight ride takes
    about 360 s at 10 km/h, so the limit allows detours, not hours of circling).

    ## Info

    As ``BikeBalance-v0``, plus ``distance_to_goal`` (m, front tyre to the goal centre) and
    ``reached_goal`` (bool). ``episode_metrics`` adds ``distance_to_goal`` (final, m),
    ``goal_reach_rate`` (1.0 on success), ``path_length`` (m rolled by the back tyre) and
    ``straight_line`` (990 m: from the back tyre's start to the goal's edge) to compare it with.

    ## Arguments

    ```python
    gymnasium.make("rl_lab/BikeRide-v0", render_mode=None, noise=0.02, continuous=False,
                   pedal_brake=False, action_repeat=1, max_seconds=1000.0, shaping="distance",
                   gamma=0.99, distance_scale=100.0, goal_bonus=1.0, fall_penalty=1.0)
    ```
    """

    goal = (GOAL_X, GOAL_Y, GOAL_RADIUS)

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        noise: float = ph.D_MAX,
        continuous: bool = False,
        pedal_brake: bool = False,
        action_repeat: int = 1,
        max_seconds: float = 1000.0,
        shaping: str = "distance",
        gamma: float = 0.99,
        distance_scale: float = 100.0,
        goal_bonus: float = 1.0,
        fall_penalty: float = 1.0,
    ) -> None:
        dynamics = RideDynamics(
            1,
            noise=noise,
            continuous=continuous,
            pedal_brake=pedal_brake,
            action_repeat=action_repeat,
            shaping=shaping,
            gamma=gamma,
            distance_scale=distance_scale,
            goal_bonus=goal_bonus,
            fall_penalty=fall_penalty,
        )
        super().__init__(dynamics, max_seconds, render_mode)
