"""The settings of the bicycle environments: one typed, checked object per environment.

The single env, the batch and the lab's config validator all read these classes, so each setting
has one name, one default and one check. Construct one with keywords; a bad value raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from rl_lab.envs.bicycle.physics import D_MAX, DT

SHAPINGS = ("distance", "randlov")


def _number(name: str, value: object, low: float | None = None, *, strict: bool = False) -> None:
    """Require a finite real number (not a bool), ``> low`` if strict else ``>= low``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if not ok:
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class BikeParams:
    """Settings shared by ``BikeBalance-v0`` and ``BikeRide-v0``."""

    noise: float = D_MAX
    """Largest random displacement added to the rider's lean d, in metres (Randløv: 0.02); 0 turns
    the noise off exactly."""
    continuous: bool = False
    """``Box(−1, 1)`` actions (torque, lean[, acceleration]) instead of ``Discrete(9)`` (or 27)."""
    pedal_brake: bool = False
    """The action also brakes, keeps or pedals (±1 m/s²); speed becomes state, below 1 m/s a fall."""
    action_repeat: int = 1
    """Physics steps of 0.01 s per agent step (1 = the paper)."""
    max_seconds: float = 1000.0
    """Time limit in simulated seconds (the paper's 1000 s criterion)."""

    def __post_init__(self) -> None:
        _number("noise", self.noise, 0.0)
        _flag("continuous", self.continuous)
        _flag("pedal_brake", self.pedal_brake)
        repeat = self.action_repeat
        if isinstance(repeat, bool) or not isinstance(repeat, numbers.Integral) or repeat < 1:
            raise ValueError(f"action_repeat must be an integer >= 1, got {self.action_repeat!r}")
        _number("max_seconds", self.max_seconds, 0.0, strict=True)

    @property
    def max_episode_steps(self) -> int:
        """Agent steps in ``max_seconds`` of simulated time (rounded up, at least 1)."""
        return max(1, math.ceil(round(self.max_seconds / (DT * self.action_repeat), 9)))


@dataclass(frozen=True)
class BikeBalanceParams(BikeParams):
    """Settings of ``rl_lab/BikeBalance-v0``."""

    alive_reward: float = 1.0
    """Reward for every agent step that ends upright."""
    fall_penalty: float = 0.0
    """Subtracted on the step of a fall (``alive_reward=0, fall_penalty=1`` is the paper's reward)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _number("alive_reward", self.alive_reward)
        _number("fall_penalty", self.fall_penalty)


@dataclass(frozen=True)
class BikeRideParams(BikeParams):
    """Settings of ``rl_lab/BikeRide-v0``."""

    shaping: str = "distance"
    """``"distance"``: potential-based shaping on the distance to the goal (Ng et al. 1999);
    ``"randlov"``: the paper's reward."""
    gamma: float = 0.99
    """Discount of the distance potential; should equal the agent's discount per agent step."""
    distance_scale: float = 100.0
    """Metres per unit of potential: Φ = −distance / distance_scale."""
    goal_bonus: float = 1.0
    """Added on reaching the goal (distance shaping)."""
    fall_penalty: float = 1.0
    """Subtracted on the step of a fall (distance shaping)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.shaping not in SHAPINGS:
            raise ValueError(f"shaping must be one of {SHAPINGS}, got {self.shaping!r}")
        _number("gamma", self.gamma, 0.0)
        if self.gamma > 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma!r}")
        _number("distance_scale", self.distance_scale, 0.0, strict=True)
        _number("goal_bonus", self.goal_bonus)
        _number("fall_penalty", self.fall_penalty)
