"""rl-lab for experiment scripts and notebooks: the command line's verbs as functions.

Each function takes what its ``rl-lab`` verb takes and returns data instead of printing; a user's
mistake raises :class:`rl_lab.errors.LabError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab.config import ExperimentConfig, list_experiments, load_experiment
from rl_lab.runs import layout
from rl_lab.training import trainer
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.evaluation import EvalResult
from rl_lab.training.evaluation import evaluate as evaluate_model
from rl_lab.training.restore import load_model
from rl_lab.training.trainer import EVAL_SEED_OFFSET, RunResult, eval_env_count, record_episode

WATCH_SEED = 20_000  # episodes no training or evaluation run has seen

__all__ = [
    "LoadedRun", "Watched", "compare", "evaluate", "list_experiments", "load_experiment", "load_run",
    "report", "train", "train_many", "watch",
]


@dataclass
class LoadedRun:
    """A run directory read back: its resolved config, trained model and summary."""

    path: Path
    config: ExperimentConfig
    model: BaseAlgorithm
    summary: dict[str, Any]


def train(
    experiment: str | Path | ExperimentConfig,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    runs_dir: str | Path = "runs",
    timesteps: int | None = None,
    progress_bar: bool = False,
    video: bool | None = None,
    resume: bool = False,
    overwrite: bool = False,
) -> RunResult:
    """Train an experiment (a shipped name, a TOML path or a config) into
    ``runs_dir/<experiment>/<seed>/``; ``overrides`` are ``--set`` strings (``"n_envs=4"``).
    ``resume`` continues an interrupted run from its last checkpoint; ``overwrite`` replaces a
    finished run (which is kept aside as ``<seed>.replaced-<time>``)."""
    if isinstance(experiment, ExperimentConfig):
        config = experiment
    else:
        config = load_experiment(str(experiment), list(overrides))
    return trainer.train(config, Path(runs_dir), seed, timesteps, progress_bar=progress_bar,
                         record_video=video, resume=resume, overwrite=overwrite)


def train_many(
    experiment: str | Path | ExperimentConfig,
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    runs_dir: str | Path = "runs",
    timesteps: int | None = None,
    workers: int | None = None,
    address: str | None = None,
    video: bool | None = None,
    resume: bool = False,
    overwrite: bool = False,
    log=print,
):
    """Train one run per seed in parallel on Ray (see :mod:`rl_lab.cluster.jobs`): the same runs,
    bit for bit, as :func:`train` per seed. Finished runs are kept (unless ``overwrite``); a failed
    run is one line in the outcomes and the others go on. Returns the outcomes in seed order."""
    from rl_lab.bench.learning import check_seeds
    from rl_lab.cluster.jobs import Job, is_finished, run_jobs

    check_seeds(list(seeds))
    config = experiment if isinstance(experiment, ExperimentConfig) else load_experiment(
        str(experiment), list(overrides))
    if timesteps:
        config = replace(config, total_timesteps=timesteps)
    jobs = [Job(config, seed, Path(runs_dir), resume, overwrite, video) for seed in seeds]
    kept = [job for job in jobs if not (overwrite or resume) and is_finished(job)]
    for job in kept:
        log(f"kept the finished run of {job.label} (--overwrite trains it again)")
    return run_jobs([job for job in jobs if job not in kept], workers, address, desc=config.name)


def load_run(path: str | Path, checkpoint: int | None = None, trust_pickle: bool = False) -> LoadedRun:
    """Read a finished run: its ``config.toml``, ``model.zip`` (or the checkpoint at ``checkpoint``
    timesteps) and ``summary.json``. Nothing in the files is unpickled unless ``trust_pickle``."""
    run_dir = Path(path)
    config = layout.load_run_config(run_dir)
    # The run's own thread count: tiny forward passes on more threads than cores are free wait
    # milliseconds for each other (and results are reproducible per thread count only).
    torch.set_num_threads(config.torch_threads)
    model = load_model(run_dir, config, checkpoint, trust_pickle)
    return LoadedRun(run_dir, config, model, layout.read_summary(run_dir))


def evaluate(run: str | Path | LoadedRun, episodes: int | None = None, progress: bool = False) -> EvalResult:
    """Evaluate a run's model on the evaluation seeds (``eval.episodes`` episodes by default);
    ``progress`` shows a bar of finished episodes."""
    loaded = run if isinstance(run, LoadedRun) else load_run(run)
    config = loaded.config
    episodes = episodes or config.eval.episodes
    venv = make_vec_env(config, eval_env_count(episodes), config.seed + EVAL_SEED_OFFSET, for_eval=True)
    try:
        return evaluate_model(loaded.model, venv, episodes, config.eval.deterministic,
                              config.success_metric, config.success_threshold, progress=progress)
    finally:
        venv.close()


@dataclass
class Watched:
    """What :func:`watch` showed: each episode's return and length, and the video if one was written."""

    returns: list[float]
    lengths: list[int]
    video: Path | None


def watch(run: str | Path | LoadedRun, episodes: int = 1, video: str | Path | None = None,
          max_steps: int = 2_000) -> Watched:
    """Play ``episodes`` episodes of the run's agent with the networks' panel: in a window when
    there is a display and no ``video`` path, otherwise as an MP4 (default
    ``<run>/videos/watch.mp4``)."""
    from rl_lab.watching.video import write_video
    from rl_lab.watching.viewer import has_display, show_in_window

    loaded = run if isinstance(run, LoadedRun) else load_run(run)
    if video is not None:
        check_writable(Path(video))
    played, fps = [], 30.0
    for index in range(episodes):
        episode, fps = record_episode(loaded.model, loaded.config, WATCH_SEED + index, max_steps,
                                      loaded.config.eval.video_every)
        played.append(episode)
    frames = [frame for episode in played for frame in episode.frames]
    path = None
    if video is None and has_display():
        show_in_window(frames, fps, f"rl-lab: {loaded.config.name}")
    else:
        path = write_video(Path(video) if video else loaded.path / layout.VIDEOS / "watch.mp4", frames, fps)
    return Watched([e.episode_return for e in played], [e.length for e in played], path)


def check_writable(path: Path) -> None:
    """One clear error before any work when ``path`` cannot be written as a file."""
    from rl_lab.errors import LabError

    if path.is_dir():
        raise LabError(f"{path}: is a directory; give a file name such as {path / 'watch.mp4'}")
    if path.exists() and not path.is_file():
        raise LabError(f"{path}: not a regular file (a pipe or a device); give a file name ending in .mp4")
    if path.suffix.lower() != ".mp4":
        raise LabError(f"{path}: the video is written as MP4; name it *.mp4")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise LabError(f"{path}: the folder {parent} does not exist")


def report(targets: Sequence[str | Path], runs_dir: str | Path = "runs", output: str | Path | None = None):
    """Multi-seed report of finished runs (see ``rl-lab report``): (report.md path, curves.png path,
    the Markdown text)."""
    from rl_lab.reports.tables import write_report

    return write_report([str(t) for t in targets], Path(runs_dir), Path(output) if output else None)


def compare(targets_a: Sequence[str | Path], targets_b: Sequence[str | Path], metric: str = "return",
            runs_dir: str | Path = "runs", output: str | Path | None = None):
    """Two configs of one task compared (see ``rl-lab report A --compare B``): (compare.md path,
    profile.png path, the Markdown text). ``metric``: return, success_rate, criterion_steps,
    criterion_episodes or criterion_seconds."""
    from rl_lab.reports.compare import write_comparison

    return write_comparison([str(t) for t in targets_a], [str(t) for t in targets_b], Path(runs_dir), metric,
                            Path(output) if output else None)
