"""Config -> environments -> two-network agent -> ``learn`` with callbacks -> run directory.

Everything that can fail on the user's input (the config, the environments, the model) is built
BEFORE the run directory is touched.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import stable_baselines3
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from rl_lab.agents.two_network import TwoNetworkAgent
from rl_lab.config import ExperimentConfig
from rl_lab.config.validation import validate_experiment
from rl_lab.runs import atomic, layout
from rl_lab.runs.lock import RunLock
from rl_lab.runs.staging import Staging, recover
from rl_lab.training.batch_film import BatchFilm
from rl_lab.training.callbacks import CheckpointCallback, EpisodeMetricsCallback, PeriodicEvalCallback
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.evaluation import MAX_EVAL_ENVS, EvalResult, evaluate
from rl_lab.training.model_factory import build_model
from rl_lab.training.resume import adopt_interrupted, discard_unresumable, latest_checkpoint
from rl_lab.training.run_logger import run_logger
from rl_lab.training.seeding import seed_everything
from rl_lab.training.tensorboard_gif import log_gif
from rl_lab.training.training_state import checkpoint_timesteps, load_training_state, save_training_state
from rl_lab.watching.play import frames_per_second, play
from rl_lab.watching.video import write_video

EVAL_SEED_OFFSET = 10_000  # evaluation episodes never reuse the training seeds
TENSORBOARD_GIF_FRAMES = 48  # a short animation per evaluation, small enough for a browser
TENSORBOARD_GIF_FPS = 12.0


@dataclass
class RunResult:
    """What a finished training run produced."""

    run_dir: Path
    summary: dict[str, Any]
    video: Path | None


def eval_env_count(episodes: int) -> int:
    """Environments for an evaluation of ``episodes`` episodes: one round when it fits."""
    return min(episodes, MAX_EVAL_ENVS)


def library_versions() -> dict[str, str]:
    """The versions a run's numbers depend on, for its summary."""
    return {"python": platform.python_version(), "torch": torch.__version__,
            "stable_baselines3": stable_baselines3.__version__, "gymnasium": gymnasium.__version__,
            "numpy": np.__version__}


def record_episode(model: BaseAlgorithm, config: ExperimentConfig, seed: int, max_frames: int,
                   every: int, annotate: bool = True):
    """Play one evaluation episode with rendering: (its frames, the env instance's frame rate).
    A native env is filmed from a one-copy batch (no per-step rendering bookkeeping)."""
    batch = make_vec_env(config, 1, seed, for_eval=True)
    film = BatchFilm.of(batch, max_frames, every, model if annotate else None, config.frame_stack > 1)
    try:
        if film is not None:
            evaluate(model, batch, 1, config.eval.deterministic, watchers=[film])
            return film.episode, film.fps
    finally:
        batch.close()
        if film is not None:
            film.close()
    venv = make_vec_env(config, 1, seed, for_eval=True, render_mode="rgb_array")
    try:
        episode = play(model, venv, 1, max_frames, every, stacked_frames=config.frame_stack > 1,
                       deterministic=config.eval.deterministic, annotate=annotate)[0]
        return episode, frames_per_second(venv)
    finally:
        venv.close()


class StopAt(BaseCallback):
    """Stops training at the first rollout start at or past ``timesteps`` (for tests and drills)."""

    def __init__(self, timesteps: int) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.stop = False

    def _on_rollout_start(self) -> None:
        self.stop = self.num_timesteps >= self.timesteps

    def _on_step(self) -> bool:
        return not self.stop


def train(
    config: ExperimentConfig,
    runs_dir: Path = Path("runs"),
    seed: int | None = None,
    timesteps: int | None = None,
    progress_bar: bool = True,
    record_video: bool | None = None,
    log=print,
    resume: bool = False,
    overwrite: bool = False,
    stop_at: int | None = None,
    on_evaluation=None,
) -> RunResult | None:
    """Train ``config`` with ``seed`` into ``runs_dir/<experiment>/<seed>/`` and evaluate it.

    The config, environments and model are built before anything touches disk. The run trains in
    a staging directory under the run's lock and takes its final place only when finished; a
    finished run there is refused unless ``overwrite`` (then kept as ``<seed>.replaced-<time>``).
    ``resume`` continues an interrupted run from its newest checkpoint, bit-exactly as if it had
    never stopped. ``stop_at`` stops at the first rollout at or past that many timesteps and leaves
    the run interrupted (it returns None): what a kill does, minus the kill. ``on_evaluation``
    (see :class:`PeriodicEvalCallback`) hears each periodic evaluation; False stops likewise.
    """
    seed = config.seed if seed is None else seed
    config = replace(config, seed=seed, total_timesteps=timesteps or config.total_timesteps)
    validate_experiment(config, f"experiment '{config.name}'")
    final = layout.run_path(runs_dir, config.name, seed)
    seed_everything(seed, config.torch_threads)
    venv = make_vec_env(config, config.n_envs, seed)
    eval_venv = make_vec_env(config, eval_env_count(config.eval.episodes), seed + EVAL_SEED_OFFSET,
                             for_eval=True)
    model = build_model(config, venv, seed)
    try:
        with RunLock(final):
            recover(final)
            if resume:
                work_dir = adopt_interrupted(final, overwrite)
                checkpoint = latest_checkpoint(work_dir, config)
                atomic.remove_stale_temps(work_dir)
                staged = Staging(final)
            else:
                discard_unresumable(final)
                staged = Staging.create(final, overwrite)
                work_dir, checkpoint = staged.path, None
                layout.start_run(work_dir, config)
            summary = _train_into(work_dir, final, config, model, venv, eval_venv, checkpoint,
                                  progress_bar, record_video, stop_at, log, on_evaluation)
            if summary is None:
                return None
            staged.promote(overwrite, log)
    finally:
        venv.close()
        eval_venv.close()
    video = Path(summary["video"]) if summary["video"] else None
    return RunResult(final, summary, video)


def _train_into(
    work_dir: Path, final: Path, config: ExperimentConfig, model: BaseAlgorithm, venv, eval_venv,
    checkpoint: Path | None, progress_bar: bool, record_video: bool | None, stop_at: int | None, log,
    on_evaluation=None,
) -> dict[str, Any] | None:
    """Train (or continue from ``checkpoint``) into ``work_dir``, evaluate, record; the summary,
    or None when ``stop_at`` stopped it early. Paths in the summary name the run's ``final`` place."""
    seed = config.seed
    resumed_at = checkpoint_timesteps(checkpoint) if checkpoint else None
    model.set_logger(run_logger(work_dir, resumed_at))
    counts = TwoNetworkAgent(model).parameter_counts()
    log(
        f"{config.name} (seed {seed}): {config.algo.upper()} on {config.env.id}, "
        f"{config.n_envs} envs, {config.total_timesteps:,} steps; "
        f"policy network {counts['policy_params']:,} params, value network {counts['value_params']:,} params"
    )

    # Films of the evaluation in progress (copy 0 of a native batch): TensorBoard's animated
    # episode at every evaluation, and the run's video at the final one.
    films: dict[str, BatchFilm | None] = {}
    wants_video = False  # read by run_evaluation when it runs: set before the final evaluation

    def run_evaluation() -> EvalResult:
        films.clear()
        if config.eval.video:
            films["gif"] = BatchFilm.of(eval_venv, TENSORBOARD_GIF_FRAMES, every=None)
        if wants_video:
            films["video"] = BatchFilm.of(eval_venv, config.eval.video_max_steps, config.eval.video_every,
                                          model, config.frame_stack > 1)
        try:
            return evaluate(
                model, eval_venv, config.eval.episodes, config.eval.deterministic,
                config.success_metric, config.success_threshold,
                watchers=[film for film in films.values() if film is not None],
            )
        finally:
            for film in films.values():
                if film is not None:
                    film.close()

    def show_episode(timesteps: int) -> None:
        film = films.get("gif")
        if film is not None and film.frames:
            frames = film.frames
        else:  # not a native batch: play an evaluation episode again, rendered
            frames = record_episode(model, config, seed + EVAL_SEED_OFFSET, TENSORBOARD_GIF_FRAMES,
                                    config.eval.video_every, annotate=False)[0].frames
        log_gif(model.logger, "eval/episode", frames, TENSORBOARD_GIF_FPS, timesteps)

    # The evaluation training stopped at (the criterion met, or the seconds spent): the final one.
    stopped_at: list[EvalResult] = []

    def hear(evaluator: PeriodicEvalCallback, result: EvalResult) -> bool:
        if on_evaluation is not None and on_evaluation(evaluator, result) is False:
            return False
        learned = config.eval.stop_at_criterion and evaluator.criterion_timesteps is not None
        limit = config.eval.stop_after_seconds
        if learned or (limit and evaluator.train_seconds >= limit):
            stopped_at.append(result)
            return False
        return True

    metrics = EpisodeMetricsCallback()
    evaluator = PeriodicEvalCallback(
        run_evaluation, config.eval.freq, work_dir / layout.EVAL, metrics, config.eval.criterion_success_rate,
        show_episode if config.eval.video else None, hear,
    )
    venvs = {"train": venv, "eval": eval_venv}

    def save_checkpoint(timesteps: int) -> None:
        directory = work_dir / layout.CHECKPOINTS / str(timesteps)
        atomic.write_with(directory / layout.MODEL, model.save)
        save_training_state(directory, model, venvs, stateful)

    checkpoints = CheckpointCallback(config.checkpoint_freq, save_checkpoint)
    stateful = {"metrics": metrics, "evaluator": evaluator, "checkpoints": checkpoints}
    callbacks = [metrics, evaluator, checkpoints, *([StopAt(stop_at)] if stop_at is not None else [])]
    if checkpoint is not None:
        load_training_state(checkpoint, model, venvs, stateful)
        log(f"resuming {final} from its checkpoint at {resumed_at:,} timesteps")
    started = time.perf_counter()
    model.learn(config.total_timesteps - model.num_timesteps, callback=callbacks, progress_bar=progress_bar,
                reset_num_timesteps=checkpoint is None)
    if model.num_timesteps < config.total_timesteps and not stopped_at:
        return None
    wall_seconds = time.perf_counter() - started
    train_seconds = evaluator.train_seconds
    atomic.write_with(work_dir / layout.MODEL, model.save)

    eval_started = time.perf_counter()
    wants_video = config.eval.video if record_video is None else record_video
    if stopped_at:  # that evaluation is the final one (the same policy)
        final_eval, films["video"] = stopped_at[0], None
    else:
        final_eval = evaluator.evaluate_now()
    video_started = time.perf_counter()
    filmed = films.get("video")
    drawing_seconds = filmed.seconds if filmed is not None else 0.0  # drawn during the evaluation
    video = None
    if wants_video:
        if filmed is not None and filmed.frames:
            frames, fps = filmed.frames, filmed.fps
        else:  # play an evaluation episode again, rendered
            episode, fps = record_episode(model, config, seed + EVAL_SEED_OFFSET, config.eval.video_max_steps,
                                          config.eval.video_every)
            frames = episode.frames
        write_video(work_dir / layout.VIDEOS / "eval.mp4", frames, fps)
        video = final / layout.VIDEOS / "eval.mp4"
    finished = time.perf_counter()
    summary = {
        "experiment": config.name,
        "env_id": config.env.id,
        "algo": config.algo,
        "seed": seed,
        "timesteps": int(model.num_timesteps),
        "episodes": metrics.episodes,
        "wall_seconds": round(wall_seconds, 2),
        "train_seconds": round(train_seconds, 2),  # wall_seconds minus periodic evaluations
        # Where a run's wall-clock went: training, evaluations (periodic and final), the video.
        "eval_seconds": round(wall_seconds - train_seconds + video_started - eval_started - drawing_seconds,
                              2),
        "video_seconds": round(finished - video_started + drawing_seconds, 2),
        "torch_threads": torch.get_num_threads(),
        **counts,
        **final_eval.summary(),
        "criterion_success_rate": config.eval.criterion_success_rate,
        "criterion_timesteps": evaluator.criterion_timesteps,
        "criterion_episodes": evaluator.criterion_episodes,
        "criterion_train_seconds": evaluator.criterion_train_seconds,
        "video": str(video) if video else None,
        "versions": library_versions(),
    }
    layout.write_summary(work_dir, summary)
    return summary
