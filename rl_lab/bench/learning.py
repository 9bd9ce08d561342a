"""``rl-lab bench --learning EXPERIMENT``: train several seeds and write their report to the docs.

The figures in ``docs/benchmarks.md`` come from here (and from ``bench --suite``, which calls it
for each experiment of the suite), never from hand-typed numbers: the section is
``rl-lab report``'s table of the seeds plus their learning-curve PNG in ``docs/figures/``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from rl_lab.config import ExperimentConfig, load_experiment
from rl_lab.config.diff import training_differences
from rl_lab.errors import LabError
from rl_lab.reports.markdown import update_section
from rl_lab.reports.plot import plot_learning_curves
from rl_lab.reports.tables import Report, build_report, format_report, load_run, report_title
from rl_lab.runs import layout
from rl_lab.training.trainer import train

FIGURES = "figures"  # beside the benchmarks document


def check_seeds(seeds: list[int]) -> None:
    """At least one seed, none twice (a repeated seed would count the same run twice)."""
    if not seeds:
        raise LabError("--seeds: give at least one seed")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise LabError(f"--seeds repeats {', '.join(map(str, repeated))}")


def _reuse_verdict(run_dir: Path, config: ExperimentConfig) -> str | None:
    """None if the run in ``run_dir`` is finished and was trained as ``config`` (whose seed is
    the run's) would train it; otherwise why it must be trained (again)."""
    if not (run_dir / layout.SUMMARY).is_file():
        return "not finished"
    try:
        saved = layout.load_run_config(run_dir)
    except LabError as error:
        return f"unreadable ({error})"
    differing = training_differences(saved, config, ignore_seed=False)
    return f"trained with another '{differing[0]}'" if differing else None


def needs_training(config: ExperimentConfig, seed: int, runs_dir: Path, reuse: bool, log) -> bool:
    """Whether ``seed`` must be trained: always without ``reuse``; with it, unless a finished run of
    that seed was trained with the same config."""
    if not reuse:
        return True
    run_dir = layout.run_path(runs_dir, config.name, seed)
    verdict = _reuse_verdict(run_dir, replace(config, seed=seed))
    if verdict is not None and verdict != "not finished":
        log(f"{run_dir}: {verdict}; training it again")
    return verdict is not None


def train_seeds(
    config: ExperimentConfig,
    seeds: list[int],
    runs_dir: Path,
    reuse: bool = False,
    progress: tqdm | None = None,
) -> list[Path]:
    """Train ``config`` once per seed (or, with ``reuse``, keep a finished run of that seed that
    was trained with the same config)."""
    run_dirs = []
    log = progress.write if progress is not None else tqdm.write
    for seed in seeds:
        run_dir = layout.run_path(runs_dir, config.name, seed)
        if progress is not None:
            progress.set_postfix_str(f"{config.name} seed {seed}")
        if needs_training(config, seed, runs_dir, reuse, log):
            train(config, runs_dir, seed, progress_bar=False, record_video=False, log=log, overwrite=True)
        run_dirs.append(run_dir)
        if progress is not None:
            progress.update(1)
    return run_dirs


def train_seeds_parallel(
    configs: list[ExperimentConfig], seeds: list[int], runs_dir: Path, reuse: bool,
    workers: int | None, address: str | None,
) -> dict[str, list[Path]]:
    """Every config's seeds as Ray jobs at once (what :func:`train_seeds` does one at a time): the
    run directories of each experiment whose seeds all finished; a failed run is one line."""
    from rl_lab.cluster.jobs import Job, run_jobs

    jobs = [Job(config, seed, runs_dir, overwrite=True, record_video=False)
            for config in configs for seed in seeds
            if needs_training(config, seed, runs_dir, reuse, tqdm.write)]
    failed = {o.job.config.name for o in run_jobs(jobs, workers, address, desc="benchmark runs") if o.error}
    for name in sorted(failed):
        tqdm.write(f"{name}: a seed failed; its section is left as it was")
    return {config.name: [layout.run_path(runs_dir, config.name, seed) for seed in seeds]
            for config in configs if config.name not in failed}


def learning_section(
    config: ExperimentConfig, run_dirs: list[Path], command: str, output: Path
) -> tuple[Report, str]:
    """Write the seeds' learning curves beside ``output`` and their section into it; return the
    seeds' report and the section."""
    records = [load_run(run_dir) for run_dir in run_dirs]
    report = build_report(records)
    figure = Path(FIGURES) / f"{config.name}.png"
    plot_learning_curves(records, output.parent / figure, report_title(report), criterion=report.criterion)
    intro = (
        f"{config.description}\n\nCommand: `{command}` ({config.n_envs} envs, {config.total_timesteps:,} "
        f"steps, {config.eval.episodes} eval episodes every {config.eval.freq:,} steps, "
        f"torch threads {config.torch_threads})."
    )
    section = format_report(report, intro) + f"\n![{config.name} learning curves]({figure.as_posix()})\n"
    update_section(output, f"learning:{config.name}", section)
    return report, section


def run_learning_bench(
    experiment: str,
    seeds: list[int] | None,
    output: Path,
    runs_dir: Path,
    overrides: list[str],
    reuse: bool = False,
    workers: int | None = None,
    address: str | None = None,
) -> str:
    """Train ``experiment`` once per seed (default: the experiment's ``seeds``; on Ray when
    ``workers`` or ``address`` is given) and write its section of ``output``; return the section."""
    config = load_experiment(experiment, overrides)
    seeds = config.seeds if seeds is None else seeds
    check_seeds(seeds)
    if workers or address:
        done = train_seeds_parallel([config], seeds, runs_dir, reuse, workers, address)
        if config.name not in done:
            raise LabError(f"{experiment}: a run failed (see above); no section written")
        run_dirs = done[config.name]
    else:
        with tqdm(total=len(seeds), desc="learning bench", unit="run") as progress:
            run_dirs = train_seeds(config, seeds, runs_dir, reuse, progress)
    set_args = "".join(f" --set {o}" for o in overrides)
    command = f"rl-lab bench --learning {experiment} --seeds {' '.join(map(str, seeds))}{set_args}"
    return learning_section(config, run_dirs, command, output)[1]
