"""``rl-lab bench --end-to-end``: what ``make run`` costs, split into training, evaluation and video.

It trains the default experiment as ``make run`` does (into a temporary runs folder, so no run of
the user's is touched), reads the split the run records in its ``summary.json`` and writes it,
with the goal rate and the load average, as a section of the benchmarks file.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from rl_lab.config import load_experiment
from rl_lab.reports.markdown import markdown_table, update_section
from rl_lab.training.trainer import train

DEFAULT_EXPERIMENT = "bike_ride_ppo"
QUICK_OVERRIDES = ["total_timesteps=4096", "eval.freq=2048", "eval.episodes=2", "env.kwargs.max_seconds=5.0",
                   "eval.video_max_steps=20"]


def run_end_to_end(output: Path, quick: bool = False, experiment: str = DEFAULT_EXPERIMENT) -> str:
    """Train ``experiment`` once as ``make run`` does and write its wall-clock split to ``output``."""
    config = load_experiment(experiment, QUICK_OVERRIDES if quick else [])
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rl-lab-e2e-") as runs:
        summary = train(config, Path(runs), progress_bar=False, log=lambda _: None).summary
    process = time.perf_counter() - started
    rows = [[
        experiment,
        f"{summary['timesteps']:,}",
        f"{summary['train_seconds']:.1f}",
        f"{summary['eval_seconds']:.1f}",
        f"{summary['video_seconds']:.1f}",
        f"{process:.1f}",
        f"{summary.get('eval_success_rate', float('nan')):.0%}",
        f"{load_before:.1f}",
    ]]
    table = markdown_table(["experiment", "steps", "training s", "evaluation s", "video s",
                            "whole run s", "final success", "load before"], rows)
    section = (
        "## `make run`, end to end\n\n"
        f"`rl-lab bench --end-to-end{' --quick' if quick else ''}` trains `{experiment}` as `make run` does "
        "(set-up and the first numba compile excluded) and splits its wall-clock: training (periodic "
        "evaluations excluded), evaluation (periodic, with TensorBoard's animated episode, and final) and "
        "the video with the networks' panel. 'whole run' also counts building the envs and the model.\n\n"
        + table
    )
    update_section(output, "end-to-end", section)
    return section
