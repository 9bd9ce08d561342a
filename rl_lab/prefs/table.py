"""A Markdown table of preference-learning runs from their ``summary.json`` (for docs/prefs.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.reports.markdown import markdown_table
from rl_lab.runs.layout import read_summary


def _mean_std(values: list[float], fmt: str) -> str:
    return f"{format(np.mean(values), fmt)} ± {format(np.std(values), fmt)}" if values else "-"


def first_round(summary: dict[str, Any], target_return: float | None) -> dict[str, Any] | None:
    """The first evaluation reaching the target: mean true return >= ``target_return`` if given,
    else the experiment's criterion (success rate)."""
    if target_return is None:
        rate = summary["criterion_success_rate"]
        return next((r for r in summary["rounds"] if r.get("eval_success_rate", -1) >= rate), None)
    # A rounding margin: 90 % of 13 is 11.700000000000001 in floating point, and 11.7 reaches it.
    return next((r for r in summary["rounds"] if r["eval_mean_return"] >= target_return - 1e-9), None)


def prefs_table(run_dirs: list[Path], max_score: float | None = None, fraction: float = 0.9) -> str:
    """One row per run and a mean ± std row: final true return (with ``max_score``: as a fraction of
    it, the target being ``fraction`` of it; else the experiment's success criterion), labels and
    steps when the target was first reached, r̂'s held-out accuracy."""
    target = fraction * max_score if max_score else None
    header = ["seed", "labels (pairs)", "final true return", "final success rate",
              "target first reached with", "at steps", "r̂ held-out accuracy", "wall s"]
    summaries = [read_summary(Path(d)) for d in run_dirs]
    firsts = [first_round(s, target) for s in summaries]
    rows = []
    for s, first in zip(summaries, firsts, strict=True):
        ret = f"{s['eval_mean_return']:,.2f}"
        if max_score:
            ret += f" ({s['eval_mean_return'] / max_score:.1%})"
        rate = f"{s.get('eval_success_rate', 0):.0%}"
        rows.append([str(s["seed"]), f"{s['labels']} ({s['pairs']})", ret, rate,
                     f"{first['labels']} labels" if first else "not reached",
                     f"{first['timesteps']:,}" if first else "-", f"{s['rhat_accuracy']:.3f}",
                     f"{s['wall_seconds']:.0f}"])
    reached = [f for f in firsts if f]
    rows.append([
        "mean ± std", "", _mean_std([s["eval_mean_return"] for s in summaries], ",.2f"),
        _mean_std([100 * s.get("eval_success_rate", 0) for s in summaries], ".0f") + " %",
        f"{_mean_std([f['labels'] for f in reached], '.0f')} labels ({len(reached)}/{len(summaries)} seeds)",
        _mean_std([f["timesteps"] for f in reached], ",.0f"),
        _mean_std([s["rhat_accuracy"] for s in summaries], ".3f"), "",
    ])
    return markdown_table(header, rows)
