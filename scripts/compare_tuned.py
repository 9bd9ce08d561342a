"""Tuned vs hand-set: two configs of one task, each trained on the same seeds, compared with the
statistics of Agarwal et al. (NeurIPS 2021): IQM with a stratified-bootstrap 95 % interval per
config, and the probability that a run of the tuned config beats a run of the hand-set one.

    python scripts/compare_tuned.py HAND_RUNS TUNED_RUNS [--at-steps N]

Each folder holds one run per seed (``<seed>/summary.json``, ``<seed>/eval.npz``), as
``rl-lab train EXP --seeds ...`` writes them. Prints a Markdown block. Everything is read from the
periodic evaluations in ``eval.npz`` up to the first one at or past ``--at-steps`` (default: the
run's end), so runs trained for different budgets compare on the same one (a run with a constant
learning rate is the same, step for step, whatever its total budget). Steps and seconds to the
criterion: lower is better; a run that had not reached it by then counts as that evaluation's steps
plus one evaluation period (a lower bound on its true cost: the comparison favours it, never the other).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rl_lab.reports.statistics import (
    format_interval,
    iqm,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)

REPS = 10_000  # bootstrap resamples; seed 0: the same figures every time


def _setting(config: str, table: str, key: str) -> float:
    """``[table] key = value`` of a run's config.toml."""
    section = ""
    for line in config.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == table and line.split("=")[0].strip() == key:
            return float(line.split("=", 1)[1].split("#")[0])
    raise SystemExit(f"config.toml: no [{table}] {key}")


def _runs(folder: Path, at_steps: int | None) -> list[dict]:
    """Per seed: steps and training seconds to the criterion, and the mean return, all as of the first
    evaluation at or past ``at_steps`` (None: the last, the run's final evaluation)."""
    runs = []
    for summary in sorted(folder.glob("*/summary.json"), key=lambda p: int(p.parent.name)):
        config = (summary.parent / "config.toml").read_text()
        freq, criterion = _setting(config, "eval", "freq"), _setting(config, "eval", "criterion_success_rate")
        data = np.load(summary.parent / "eval.npz")
        steps, rates = data["timesteps"], data["success_rate"]
        last = len(steps) - 1 if at_steps is None else int(np.argmax(steps >= at_steps))
        if at_steps is not None and steps[last] < at_steps:
            raise SystemExit(f"{summary.parent}: trained {steps[-1]:,} steps, fewer than "
                             f"--at-steps {at_steps:,}")
        reached = np.flatnonzero(rates[: last + 1] >= criterion)
        first = int(reached[0]) if reached.size else None
        runs.append({
            "seed": int(summary.parent.name),
            "steps": float(steps[first]) if first is not None else float(steps[last] + freq),
            "seconds": float(data["train_seconds"][first if first is not None else last]),
            "return": float(data["results"][last].mean()),
            "reached": first is not None,
            "at": int(steps[last]),
        })
    if len(runs) < 2:
        raise SystemExit(f"{folder}: needs at least 2 finished runs (<seed>/summary.json), found {len(runs)}")
    return runs


METRICS = {  # name: (label, higher is better, decimals)
    "steps": ("steps to criterion", False, 0),
    "seconds": ("training wall s to criterion", False, 1),
    "return": ("eval return", True, 2),
}


def _each(values: np.ndarray, digits: int) -> str:
    return ", ".join(f"{v:,.{digits}f}" for v in values)


def compare(hand: Path, tuned: Path, at_steps: int | None = None) -> str:
    runs_h, runs_t = _runs(hand, at_steps), _runs(tuned, at_steps)
    at = sorted({r["at"] for r in runs_h + runs_t})
    seeds_h = [r["seed"] for r in runs_h]
    seeds_t = [r["seed"] for r in runs_t]
    lines = [
        f"Hand-set: `{hand}` (seeds {seeds_h}); tuned: `{tuned}` (seeds {seeds_t}). "
        f"IQM [95 % stratified-bootstrap percentile interval, {REPS:,} resamples, seed 0]; "
        "P(tuned better) = P(a tuned run beats a hand-set run), ties count one half, with its "
        "95 % interval (runs resampled independently per config). Read at the evaluation at "
        f"{', '.join(f'{a:,}' for a in at)} steps.",
        "",
        "| metric | hand-set IQM [95 % CI] | tuned IQM [95 % CI] | P(tuned better) [95 % CI] "
        "| hand-set per seed | tuned per seed |",
        "|---|---|---|---|---|---|",
    ]
    for name, (label, higher, digits) in METRICS.items():
        h = np.array([r[name] for r in runs_h])
        t = np.array([r[name] for r in runs_t])
        ci_h = stratified_bootstrap_ci(h[:, None], iqm, reps=REPS, seed=0)
        ci_t = stratified_bootstrap_ci(t[:, None], iqm, reps=REPS, seed=0)
        sign = 1.0 if higher else -1.0  # P(X > Y) on scores where higher is better
        p = probability_of_improvement_ci(sign * t[:, None], sign * h[:, None], reps=REPS, seed=0)
        cells = [format_interval(*ci_h, digits=digits), format_interval(*ci_t, digits=digits),
                 format_interval(*p, digits=2), _each(h, digits), _each(t, digits)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    reached_h = sum(r["reached"] for r in runs_h)
    reached_t = sum(r["reached"] for r in runs_t)
    lines += ["", f"Criterion reached: hand-set {reached_h}/{len(runs_h)} seeds, "
                  f"tuned {reached_t}/{len(runs_t)}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hand", type=Path, help="the hand-set config's runs (one folder per seed)")
    parser.add_argument("tuned", type=Path, help="the tuned config's runs (one folder per seed)")
    parser.add_argument("--at-steps", type=int, default=None,
                        help="read every run at its first evaluation at or past this many steps")
    args = parser.parse_args()
    print(compare(args.hand, args.tuned, args.at_steps))


if __name__ == "__main__":
    main()
