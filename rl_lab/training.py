"""Config -> environments -> two-network agent -> ``learn`` with callbacks -> run directory."""

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
from stable_baselines3.common.logger import Image, configure

from rl_lab import atomic
from rl_lab import run_dir as runs
from rl_lab.agent_factory import build_model
from rl_lab.agents.two_network import TwoNetworkAgent
from rl_lab.callbacks import AtomicCheckpointCallback, EpisodeMetricsCallback, PeriodicEvalCallback
from rl_lab.config import ExperimentConfig
from rl_lab.env_factory import make_vec_env, render_fps
from rl_lab.evaluation import EvalResult, evaluate
from rl_lab.recording import image_strip, play, write_video
from rl_lab.seeding import seed_everything

EVAL_SEED_OFFSET = 10_000  # evaluation episodes never reuse the training seeds
MAX_EVAL_ENVS = 16


@dataclass
class RunResult:
    """What a finished training run produced."""

    run_dir: Path
    summary: dict[str, Any]
    video: Path | None


def train(
    config: ExperimentConfig,
    runs_dir: Path = Path("runs"),
    seed: int | None = None,
    timesteps: int | None = None,
    progress_bar: bool = True,
    record_video: bool | None = None,
    log=print,
) -> RunResult:
    """Train ``config`` with ``seed`` into ``runs_dir/<experiment>/<seed>/`` and evaluate it."""
    seed = config.seed if seed is None else seed
    config = replace(config, seed=seed, total_timesteps=timesteps or config.total_timesteps)
    run_dir = runs.run_path(runs_dir, config.name, seed)
    runs.start_run(run_dir, config)
    seed_everything(seed, config.torch_threads)

    venv = make_vec_env(config, config.n_envs, seed)
    eval_envs = min(config.eval.episodes, MAX_EVAL_ENVS)
    eval_venv = make_vec_env(config, eval_envs, seed + EVAL_SEED_OFFSET, for_eval=True)
    model = build_model(config, venv, seed)
    model.set_logger(configure(str(run_dir), ["tensorboard", "csv"]))
    counts = TwoNetworkAgent(model).parameter_counts()
    log(
        f"{config.name} (seed {seed}): {config.algo.upper()} on {config.env.id}, "
        f"{config.n_envs} envs, {config.total_timesteps:,} steps; "
        f"policy network {counts['policy_params']:,} params, value network {counts['value_params']:,} params"
    )

    def run_evaluation() -> EvalResult:
        return evaluate(
            model, eval_venv, config.eval.episodes, config.eval.deterministic,
            config.success_metric, config.success_threshold,
        )

    metrics = EpisodeMetricsCallback()
    evaluator = PeriodicEvalCallback(
        run_evaluation, config.eval.freq, run_dir / runs.EVAL, metrics, config.eval.criterion_success_rate
    )
    checkpoints = AtomicCheckpointCallback(config.checkpoint_freq, run_dir / runs.CHECKPOINTS)
    started = time.perf_counter()
    model.learn(config.total_timesteps, callback=[metrics, evaluator, checkpoints], progress_bar=progress_bar)
    wall_seconds = time.perf_counter() - started
    train_seconds = evaluator.train_seconds
    atomic.write_with(run_dir / runs.MODEL, model.save)

    final = evaluator.evaluate_now()
    video = None
    if config.eval.video if record_video is None else record_video:
        video = _record(model, config, run_dir, seed)
    summary = {
        "experiment": config.name,
        "env_id": config.env.id,
        "algo": config.algo,
        "seed": seed,
        "timesteps": int(model.num_timesteps),
        "episodes": metrics.episodes,
        "wall_seconds": round(wall_seconds, 2),
        "train_seconds": round(train_seconds, 2),  # wall_seconds minus periodic evaluations
        "torch_threads": torch.get_num_threads(),
        **counts,
        **final.summary(),
        "criterion_success_rate": config.eval.criterion_success_rate,
        "criterion_timesteps": evaluator.criterion_timesteps,
        "criterion_episodes": evaluator.criterion_episodes,
        "criterion_train_seconds": evaluator.criterion_train_seconds,
        "video": str(video) if video else None,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "stable_baselines3": stable_baselines3.__version__,
            "gymnasium": gymnasium.__version__,
            "numpy": np.__version__,
        },
    }
    runs.write_summary(run_dir, summary)
    venv.close()
    eval_venv.close()
    return RunResult(run_dir, summary, video)


def _record(model: Any, config: ExperimentConfig, run_dir: Path, seed: int) -> Path:
    """One evaluation episode as ``videos/eval.mp4`` and an image strip in TensorBoard."""
    eval_seed = seed + EVAL_SEED_OFFSET
    played = play(model, config, 1, eval_seed, config.eval.video_max_steps, config.eval.video_every)
    frames = [f.image for f in played]
    video = write_video(run_dir / runs.VIDEOS / "eval.mp4", frames, render_fps(config))
    model.logger.record("eval/frames", Image(image_strip(frames), "HWC"), exclude=("stdout", "log", "csv"))
    model.logger.dump(model.num_timesteps)
    return video
