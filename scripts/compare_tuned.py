"""Tuned vs hand-set: two configs of one task, each trained on the same seeds, compared with the
statistics of Agarwal et al. (NeurIPS 2021): IQM with a stratified-bootstrap 95 % interval per
config, and the probability that a run of the tuned config beats a run of the hand-set one.

    python scripts/compare_tuned.py runs/compare/bike_ride_ppo runs/compare/bike_ride_ppo_tuned

Each folder holds one run per seed (``<seed>/summary.json``, ``<seed>/eval.npz``), as
``rl-lab train EXP --seeds ...`` writes them. Prints a Markdown block. Steps and seconds to the
criterion: lower is better; a run that never reached it counts as its total steps plus one
evaluation period (a lower bound on its true cost: the comparison then favours it, never the other).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rl_lab.reports.statistics import (
    format_interval,
    iqm,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)

REPS = 10_000  # bootstrap resamples; seed 0: the same figures every time


def _runs(folder: Path) -> list[dict]:
    runs = []
    for summary in sorted(folder.glob("*/summary.json"), key=lambda p: int(p.parent.name)):
        data = json.loads(summary.read_text())
        config = (summary.parent / "config.toml").read_text()
        freq = next(int(line.split("=")[1]) for line in config.splitlines() if line.startswith("freq"))
        data["freq"] = freq
        runs.append(data)
    if len(runs) < 2:
        sys.exit(f"{folder}: needs at least 2 finished runs (<seed>/summary.json), found {len(runs)}")
    return runs


def _metric(runs: list[dict], name: str) -> np.ndarray:
    if name == "return":
        return np.array([r["eval_mean_return"] for r in runs])
    if name == "steps":
        return np.array([r["criterion_timesteps"] if r.get("criterion_timesteps") is not None
                         else r["timesteps"] + r["freq"] for r in runs], dtype=float)
    # Training seconds (evaluations excluded); a run that never got there: all its training seconds.
    return np.array([r["criterion_train_seconds"] if r.get("criterion_train_seconds") is not None
                     else r["train_seconds"] for r in runs], dtype=float)


METRICS = {  # name: (label, higher is better, decimals)
    "steps": ("steps to criterion", False, 0),
    "seconds": ("training wall s to criterion", False, 1),
    "return": ("final eval return", True, 2),
}


def _each(values: np.ndarray, digits: int) -> str:
    return ", ".join(f"{v:,.{digits}f}" for v in values)


def compare(hand: Path, tuned: Path) -> str:
    runs_h, runs_t = _runs(hand), _runs(tuned)
    seeds_h = [r["seed"] for r in runs_h]
    seeds_t = [r["seed"] for r in runs_t]
    lines = [
        f"Hand-set: `{hand}` (seeds {seeds_h}); tuned: `{tuned}` (seeds {seeds_t}). "
        f"IQM [95 % stratified-bootstrap percentile interval, {REPS:,} resamples, seed 0]; "
        "P(tuned better) = P(a tuned run beats a hand-set run), ties count one half, with its "
        "95 % interval (runs resampled independently per config).",
        "",
        "| metric | hand-set IQM [95 % CI] | tuned IQM [95 % CI] | P(tuned better) [95 % CI] "
        "| hand-set per seed | tuned per seed |",
        "|---|---|---|---|---|---|",
    ]
    for name, (label, higher, digits) in METRICS.items():
        h, t = _metric(runs_h, name), _metric(runs_t, name)
        ci_h = stratified_bootstrap_ci(h[:, None], iqm, reps=REPS, seed=0)
        ci_t = stratified_bootstrap_ci(t[:, None], iqm, reps=REPS, seed=0)
        sign = 1.0 if higher else -1.0  # P(X > Y) on scores where higher is better
        p = probability_of_improvement_ci(sign * t[:, None], sign * h[:, None], reps=REPS, seed=0)
        cells = [format_interval(*ci_h, digits=digits), format_interval(*ci_t, digits=digits),
                 format_interval(*p, digits=2), _each(h, digits), _each(t, digits)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    reached_h = sum(r.get("criterion_timesteps") is not None for r in runs_h)
    reached_t = sum(r.get("criterion_timesteps") is not None for r in runs_t)
    lines += ["", f"Criterion reached: hand-set {reached_h}/{len(runs_h)} seeds, "
                  f"tuned {reached_t}/{len(runs_t)}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hand", type=Path, help="the hand-set config's runs (one folder per seed)")
    parser.add_argument("tuned", type=Path, help="the tuned config's runs (one folder per seed)")
    args = parser.parse_args()
    print(compare(args.hand, args.tuned))


if __name__ == "__main__":
    main()
