"""The settings of ``rl_lab/PaddleBall-v0``: one typed, checked object that the single env, the
batch and the lab's config validator all read (one name, one default, one check per setting)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

OBS_MODES = ("vector", "pixels")
MIN_FRAME_SIZE = 36  # SB3's NatureCNN needs images of at least 36x36


@dataclass(frozen=True)
class PaddleParams:
    """Settings of ``rl_lab/PaddleBall-v0``; a bad value raises ``ValueError`` naming it."""

    obs_mode: str = "vector"
    """``"vector"``: paddle and ball state in [-1, 1]; ``"pixels"``: a grayscale frame."""
    frame_size: int = 84
    """Side of the square frame in pixels (``pixels`` mode), at least 36; the lab trains at 40."""
    continuous: bool = False
    """``Box(-1, 1, (1,))`` paddle velocity instead of ``Discrete(3)`` (stay, up, down)."""
    max_episode_steps: int = 500
    """Time limit in steps; a game without a miss scores ``Court.max_score(max_episode_steps)``."""
    trail: bool = True
    """Draw the ball one step earlier (grey) so that one frame shows its motion."""

    def __post_init__(self) -> None:
        if self.obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {self.obs_mode!r}")
        size = self.frame_size
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < MIN_FRAME_SIZE:
            raise ValueError(
                f"frame_size must be an integer >= {MIN_FRAME_SIZE} (SB3's CNNs need at least "
                f"{MIN_FRAME_SIZE}x{MIN_FRAME_SIZE} images), got {size!r}"
            )
        steps = self.max_episode_steps
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"max_episode_steps must be an integer >= 1, got {steps!r}")
        for name in ("continuous", "trail"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
