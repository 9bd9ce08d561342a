"""The settings of a preference-learning run, their defaults and their one validation pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl_lab.errors import LabError
from rl_lab.prefs.labeller import DEFAULT_TEMPERATURE

MAX_CLIPS_PER_RANKING = 9  # one key per clip in `prefs label`


@dataclass(frozen=True)
class PrefsSettings:
    """How labels are asked for and r̂ is trained (``rl-lab prefs train`` flags)."""

    labels: int  # rankings asked for in the whole run (each of ``clips_per_ranking`` clips)
    clips_per_ranking: int = 2  # K; 2 = one pairwise comparison per label, as Christiano et al.
    clip_steps: int = 25  # agent steps per clip (1.25 s on the bicycle, which acts every 0.05 s)
    temperature: float = DEFAULT_TEMPERATURE  # the synthetic labeller's Plackett-Luce noise
    reward_steps: int = 300  # Adam steps on r̂ after each batch of labels
    pool: int = 400  # labels are asked about clips among the newest this many
    heldout_fraction: float = 0.25  # of a labels file; synthetic runs label fresh held-out clips


def validate_settings(s: PrefsSettings) -> None:
    """One line naming the flag that is out of range."""
    for flag, value, low, high in (
        ("--labels", s.labels, 1, 1_000_000),
        ("--clips", s.clips_per_ranking, 2, MAX_CLIPS_PER_RANKING),
        ("--clip-steps", s.clip_steps, 1, 10_000),
        ("--reward-steps", s.reward_steps, 1, 1_000_000),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise LabError(f"prefs: {flag} must be a whole number in [{low}, {high}], got {value!r}")
    if not (np.isfinite(s.temperature) and s.temperature >= 0):
        raise LabError(f"prefs: --temperature must be a finite number >= 0, got {s.temperature!r}")


def label_schedule(labels: int, rounds: int) -> list[int]:
    """Labels asked for before each of ``rounds`` training chunks: ∝ 1/(r + 1), more early
    (the policy, hence the clips, changes most at the start), summing to ``labels``."""
    weights = 1.0 / np.arange(1, rounds + 1)
    exact = labels * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    for r in np.argsort(-(exact - counts), kind="stable")[: labels - counts.sum()]:
        counts[r] += 1
    return counts.tolist()
