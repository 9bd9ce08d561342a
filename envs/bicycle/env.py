"""Gymnasium environments ``rl_lab/BikeBalance-v0`` and ``rl_lab/BikeRide-v0`` (one bicycle)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.bicycle.dynamics import BicycleDynamics
from rl_lab.envs.bicycle.kernel import GOAL_RADIUS, GOAL_X, GOAL_Y, METRIC_KEYS, RIDE_METRIC_KEYS
from rl_lab.envs.bicycle.params import BikeBalanceParams, BikeParams, BikeRideParams
from rl_lab.envs.bicycle.render import HumanWindow, draw_frame
from rl_lab.envs.bicycle.tracks import TrackHistory
from rl_lab.envs.compiled import KernelEnv


class _BicycleEnv(KernelEnv):
    """Shared plumbing: time limit in seconds, render modes, the track history, the key map."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    goal: tuple[float, float, float] | None = None

    @staticmethod
    def _make_dynamics(params: BikeParams, num_envs: int, parallel: bool | None) -> BicycleDynamics:
        return BicycleDynamics(params, num_envs, parallel)

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(render_mode, **kwargs)
        self.max_seconds = float(self.params.max_seconds)
        # Real time: one agent step lasts action_repeat·0.01 s (capped at 100 frames per second).
        self.metadata = {
            **self.metadata,
            "render_fps": min(100, round(1.0 / (ph.DT * self.params.action_repeat))),
        }
        self.tracks = TrackHistory()
        self._window: HumanWindow | None = None
        self._fallen = False

    @property
    def state(self) -> np.ndarray:
        """The bicycle's state row (float64; columns as in :mod:`rl_lab.envs.bicycle.physics`),
        a view: writing it moves the bicycle (tests and demonstrations do)."""
        return self.dynamics.F[0]

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

    #: What the picture and the action names mean, for displays that show them (the watch panel).
    picture_legend = (
        "top: from above, tyre tracks, goal",
        "bottom left: from behind, lean x3",
        "  (grey: the 12 deg fall limits)",
        "bottom right: handlebar from above",
        "  (grey: the 80 deg stops)",
        "T-/T0/T+: torque -2/0/+2 N m",
        "d-/d0/d+: rider's lean -2/0/+2 cm",
    )

    @property
    def action_labels(self) -> list[str] | None:
        """Names of the 9 discrete actions, "T+ d-" = torque +2 N·m, lean −2 cm (for displays)."""
        if self.action_space.shape != () or self.action_space.n != 9:
            return None
        signs = ("-", "0", "+")
        return [f"T{signs[a // 3]} d{signs[a % 3]}" for a in range(9)]

    def get_keys_to_action(self) -> dict[tuple[int, ...], int]:
        """Keys for ``gymnasium.utils.play`` (the discrete bicycle without pedal/brake): the left /
        right arrows turn the handlebar (torque ±2 N·m), ``a`` / ``d`` lean left / right (±2 cm),
        and a turn and a lean combine. Play with ``noop=4`` (no torque, no lean) so that no key
        rides on, e.g. ``play(gymnasium.make("rl_lab/BikeBalance-v0", render_mode="rgb_array",
        action_repeat=5), noop=4)``."""
        if self.action_space.shape != () or self.action_space.n != 9:
            raise ValueError("keyboard play needs the discrete bicycle without pedal_brake")
        import pygame  # lazily: only people playing need it

        torque_keys = {pygame.K_LEFT: 2, pygame.K_RIGHT: 0}  # index 2 = +2 N·m, turns left
        lean_keys = {pygame.K_a: 2, pygame.K_d: 0}  # index 2 = +2 cm, leans left
        mapping: dict[tuple[int, ...], int] = {}
        for torque_key, torque in [(None, 1), *torque_keys.items()]:
            for lean_key, lean in [(None, 1), *lean_keys.items()]:
                keys = tuple(sorted(k for k in (torque_key, lean_key) if k is not None))
                if keys:
                    mapping[keys] = 3 * torque + lean
        return mapping

    def _took_state(self, new_episode: bool) -> None:
        if new_episode:
            self.tracks.clear()
        self._record()
        self._fallen = bool(self.dynamics.fell[0])

    def _record(self) -> None:
        F = self.dynamics.F
        self.tracks.add(float(F[0, ph.X_F]), float(F[0, ph.Y_F]), float(F[0, ph.X_B]), float(F[0, ph.Y_B]))

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        F = self.dynamics.F
        front, back = self.tracks.front_back()
        if front.shape[0] == 0:
            front = np.array([[F[0, ph.X_F], F[0, ph.Y_F]]])
            back = np.array([[F[0, ph.X_B], F[0, ph.Y_B]]])
        frame = draw_frame(front, back, float(F[0, ph.OMEGA]), float(F[0, ph.THETA]), self.goal, self._fallen)
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
    heading along +y, at 10 km/h. The only randomness is the noise on d: draw t of an episode is a
    hash of (seed, episode number, t) (:mod:`rl_lab.envs.noise`). ``reset(seed=s)`` starts episode
    0 of seed s, each later ``reset()`` the next episode; copy i of a batch reset with seed s rides
    exactly like a single env reset with seed s + i.

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

    The keywords are the fields of :class:`~rl_lab.envs.bicycle.params.BikeBalanceParams` (each
    documented and checked there; ``params_class``), plus

    * ``render_mode``: "rgb_array" (a 600×400×3 frame: top view of the tyre tracks, rear view of the
      tilt and the handlebar) or "human" (the same in a pygame window).

    ``gymnasium.utils.play.play(env, noop=4)`` works with :meth:`get_keys_to_action` (arrows: torque;
    a / d: lean).
    """

    params_class = BikeBalanceParams
    #: The measures ``info["episode_metrics"]`` reports (what an experiment's ``success_metric`` may name).
    episode_metric_names = METRIC_KEYS


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

    The keywords are the fields of :class:`~rl_lab.envs.bicycle.params.BikeRideParams`.
    """

    goal = (GOAL_X, GOAL_Y, GOAL_RADIUS)
    params_class = BikeRideParams
    episode_metric_names = METRIC_KEYS + RIDE_METRIC_KEYS
