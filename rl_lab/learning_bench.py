"""``rl-lab bench --learning EXPERIMENT``: train several seeds and write their results to the docs.

The figures in ``docs/benchmarks.md`` come from here, never from hand-typed numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm import tqdm

from rl_lab.config import load_experiment
from rl_lab.markdown_sections import markdown_table, update_section
from rl_lab.training import train


def _fmt(value: Any) -> str:
    if value is None:
        return "not reached"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def learning_table(summaries: list[dict[str, Any]]) -> str:
    """One row a seed: final evaluation, when the criterion was first met, and cost."""
    extra = sorted({k for s in summaries for k in s if k.startswith("eval_") and k not in _BASE_KEYS})
    header = [
        "seed", "eval return (mean ± std)", "success rate", "criterion at steps", "criterion at episodes",
        "steps", "episodes", "wall s", *[k.removeprefix("eval_") for k in extra],
    ]
    rows = []
    for s in summaries:
        rows.append([
            str(s["seed"]),
            f"{s['eval_mean_return']:.2f} ± {s['eval_std_return']:.2f}",
            _fmt(s.get("eval_success_rate")),
            _fmt(s.get("criterion_timesteps")),
            _fmt(s.get("criterion_episodes")),
            _fmt(s["timesteps"]),
            _fmt(s["episodes"]),
            _fmt(s["wall_seconds"]),
            *[_fmt(s.get(k)) for k in extra],
        ])
    return markdown_table(header, rows)


_BASE_KEYS = {"eval_mean_return", "eval_std_return", "eval_success_rate", "eval_episodes"}


def run_learning_bench(
    experiment: str, seeds: list[int], output: Path, runs_dir: Path, overrides: list[str]
) -> str:
    """Train ``experiment`` once per seed and write its section of ``output``; return the table."""
    config = load_experiment(experiment, overrides)
    summaries = []
    for seed in tqdm(seeds, desc=f"{config.name} seeds", unit="seed"):
        result = train(config, runs_dir, seed, progress_bar=False, record_video=False, log=tqdm.write)
        summaries.append(result.summary)
    table = learning_table(summaries)
    set_args = "".join(f" --set {o}" for o in overrides)
    section = (
        f"## Learning: {config.name}\n\n{config.description}\n\n"
        f"Command: `rl-lab bench --learning {experiment} --seeds {' '.join(map(str, seeds))}{set_args}` "
        f"({config.algo.upper()}, {config.n_envs} envs, {config.total_timesteps:,} steps, "
        f"{config.eval.episodes} eval episodes, criterion: eval success rate ≥ "
        f"{config.eval.criterion_success_rate:.0%} on `{config.success_metric or 'n/a'}`).\n\n{table}"
    )
    update_section(output, f"learning:{config.name}", section)
    return table
