"""``rl-lab bench --learning EXPERIMENT``: train several seeds and write their report to the docs.

The figures in ``docs/benchmarks.md`` come from here (and from ``bench --suite``, which calls it
for each experiment of the suite), never from hand-typed numbers: the section is
``rl-lab report``'s table of the seeds plus their learning-curve PNG in ``docs/figures/``.
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from rl_lab import run_dir as runs
from rl_lab.config import ExperimentConfig, load_experiment
from rl_lab.markdown_sections import update_section
from rl_lab.report import build_report, format_report, load_run
from rl_lab.report_plot import plot_learning_curves
from rl_lab.training import train

FIGURES = "figures"  # beside the benchmarks document


def train_seeds(
    config: ExperimentConfig,
    seeds: list[int],
    runs_dir: Path,
    reuse: bool = False,
    progress: tqdm | None = None,
) -> list[Path]:
    """Train ``config`` once per seed (or, with ``reuse``, keep a finished run of that seed)."""
    run_dirs = []
    for seed in seeds:
        run_dir = runs.run_path(runs_dir, config.name, seed)
        if progress is not None:
            progress.set_postfix_str(f"{config.name} seed {seed}")
        if not (reuse and (run_dir / runs.SUMMARY).is_file()):
            log = progress.write if progress is not None else tqdm.write
            train(config, runs_dir, seed, progress_bar=False, record_video=False, log=log)
        run_dirs.append(run_dir)
        if progress is not None:
            progress.update(1)
    return run_dirs


def learning_section(config: ExperimentConfig, run_dirs: list[Path], command: str, output: Path) -> str:
    """Write the seeds' learning curves beside ``output`` and their section into it; return it."""
    records = [load_run(run_dir) for run_dir in run_dirs]
    report = build_report(records)
    figure = Path(FIGURES) / f"{config.name}.png"
    criterion = report.criteria[0] if len(report.criteria) == 1 else None
    title = f"{config.name}: {config.algo.upper()} on {config.env.id}, {len(records)} seeds"
    plot_learning_curves(records, output.parent / figure, title, criterion=criterion)
    intro = (
        f"{config.description}\n\nCommand: `{command}` ({config.n_envs} envs, {config.total_timesteps:,} "
        f"steps, {config.eval.episodes} eval episodes every {config.eval.freq:,} steps, "
        f"torch threads {config.torch_threads})."
    )
    section = format_report(report, intro) + f"\n![{config.name} learning curves]({figure.as_posix()})\n"
    update_section(output, f"learning:{config.name}", section)
    return section


def run_learning_bench(
    experiment: str,
    seeds: list[int],
    output: Path,
    runs_dir: Path,
    overrides: list[str],
    reuse: bool = False,
) -> str:
    """Train ``experiment`` once per seed and write its section of ``output``; return the section."""
    config = load_experiment(experiment, overrides)
    with tqdm(total=len(seeds), desc="learning bench", unit="run") as progress:
        run_dirs = train_seeds(config, seeds, runs_dir, reuse, progress)
    set_args = "".join(f" --set {o}" for o in overrides)
    command = f"rl-lab bench --learning {experiment} --seeds {' '.join(map(str, seeds))}{set_args}"
    return learning_section(config, run_dirs, command, output)
