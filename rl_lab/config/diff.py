"""Which settings of two experiment configs differ in what training does.

Reusing a finished run (``bench --reuse``) and averaging seeds (``rl-lab report``) both need runs
trained the same way. Settings that only describe or present a run (its description, the seed
list for benches, checkpoint frequency, the video) do not change the learned weights or the
evaluations, so editing them must not cost a retraining or split a report.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rl_lab.config import ExperimentConfig

PRESENTATION_KEYS = frozenset({
    "description", "seeds", "checkpoint_freq", "eval.video", "eval.video_every", "eval.video_max_steps",
})


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(key), b.get(key), f"{prefix}{key}.")]
    return [] if a == b else [prefix.rstrip(".")]


def training_differences(a: ExperimentConfig, b: ExperimentConfig, ignore_seed: bool = True) -> list[str]:
    """Dotted keys where ``a`` and ``b`` differ, leaving out presentation settings (and the seed)."""
    ignored = PRESENTATION_KEYS | ({"seed"} if ignore_seed else set())
    return [key for key in _differences(asdict(a), asdict(b)) if key not in ignored]
