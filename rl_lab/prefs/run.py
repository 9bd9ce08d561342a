"""``rl-lab prefs train``: a preference-learning run in an ordinary run directory.

The run lives in ``runs/<experiment>_prefs<labels>/<seed>/`` (``_prefs_file`` with a labels
file) with the training runs' rules: everything (experiment, settings, labels file, envs, model)
is checked and built before anything touches disk; the run is written in a staging directory under
the run's lock and promoted when finished; a finished run is refused unless ``overwrite`` (then
kept aside). Files: ``config.toml`` (the resolved experiment: ``rl-lab eval`` and ``watch`` work on
the run), ``model.zip``, ``reward_model.pt`` (plain tensors: ``torch.load(weights_only=True)``),
``prefs.json`` (the settings, the labels file and its SHA-256), ``summary.json`` (the final
evaluation on the TRUE reward, the labels used and when the criterion was first reached, every
round), TensorBoard events and ``progress.csv``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch

from rl_lab.config import ExperimentConfig, load_experiment
from rl_lab.config.validation import validate_experiment
from rl_lab.errors import LabError
from rl_lab.prefs.clips import ClipRecorder
from rl_lab.prefs.dataset import RankedClips
from rl_lab.prefs.labels_file import read_labels
from rl_lab.prefs.loop import run_loop
from rl_lab.prefs.reward_net import RewardNet, save_reward_net
from rl_lab.prefs.reward_wrapper import LearnedRewardVecEnv
from rl_lab.prefs.settings import PrefsSettings, validate_settings
from rl_lab.runs import atomic, layout
from rl_lab.runs.lock import RunLock
from rl_lab.runs.staging import Staging, recover
from rl_lab.training.env_factory import env_kwargs, make_vec_env
from rl_lab.training.evaluation import evaluate
from rl_lab.training.model_factory import build_model
from rl_lab.training.run_logger import run_logger
from rl_lab.training.seeding import seed_everything
from rl_lab.training.trainer import EVAL_SEED_OFFSET, eval_env_count, library_versions

REWARD_MODEL = "reward_model.pt"
PREFS = "prefs.json"


def check_experiment(config: ExperimentConfig) -> None:
    """Preference learning here is PPO on a flat vector observation."""
    if config.algo != "ppo":
        raise LabError(f"prefs: experiment '{config.name}' uses {config.algo}; preference learning is PPO")
    if config.frame_stack > 1 or config.normalize_reward:
        raise LabError(f"prefs: experiment '{config.name}': frame_stack and normalize_reward are unsupported")


def split_labels(ranked: RankedClips, fraction: float, seed: int,
                 path: Path) -> tuple[RankedClips, RankedClips]:
    """Train and held-out rankings of a labels file (at least one of each)."""
    n = len(ranked)
    held = round(n * fraction)
    if n < 2 or held < 1:
        raise LabError(f"{path}: {n} ranking(s); at least 4 are needed (a quarter is held out to measure r̂)")
    order = np.random.default_rng(seed).permutation(n)
    parts = []
    for index in (order[held:], order[:held]):
        part = RankedClips()
        part.add([ranked.groups[i] for i in index], [ranked.rankings[i] for i in index])
        parts.append(part)
    return parts[0], parts[1]


def train_prefs(experiment: str | ExperimentConfig, settings: PrefsSettings, seed: int | None = None,
                runs_dir: Path = Path("runs"), overrides: list[str] | None = None,
                timesteps: int | None = None,
                labels_file: Path | None = None, overwrite: bool = False, log=print,
                progress_bar: bool = False) -> tuple[Path, dict[str, Any]]:
    """Train PPO from clip rankings (synthetic, or a person's ``labels_file``); (run dir, summary)."""
    validate_settings(settings)
    if not isinstance(experiment, ExperimentConfig):
        experiment = load_experiment(experiment, overrides)
    config = experiment
    seed = config.seed if seed is None else seed
    suffix = "_prefs_file" if labels_file is not None else f"_prefs{settings.labels}"
    config = replace(config, seed=seed, total_timesteps=timesteps or config.total_timesteps,
                     name=config.name + suffix)
    validate_experiment(config, f"experiment '{config.name}'")
    check_experiment(config)
    final = layout.run_path(runs_dir, config.name, seed)
    fixed = None
    if labels_file is not None:
        ranked = read_labels(labels_file, config.env.id)
        fixed = split_labels(ranked, settings.heldout_fraction, seed, labels_file)
        settings = replace(settings, labels=len(fixed[0]), clip_steps=fixed[0].groups[0][0].steps)
    seed_everything(seed, config.torch_threads)
    venv = make_vec_env(config, config.n_envs, seed)
    eval_venv = make_vec_env(config, eval_env_count(config.eval.episodes), seed + EVAL_SEED_OFFSET,
                             for_eval=True)
    try:
        obs_space, action_space = venv.observation_space, venv.action_space
        if not isinstance(obs_space, gymnasium.spaces.Box) or len(obs_space.shape) != 1:
            raise LabError(f"prefs: experiment '{config.name}' observes {obs_space}; r̂ needs a flat vector")
        discrete = isinstance(action_space, gymnasium.spaces.Discrete)
        action_dim = int(action_space.n) if discrete else int(np.prod(action_space.shape))
        net = RewardNet(obs_space.shape[0], action_dim, discrete)
        recorder = ClipRecorder(config.n_envs, settings.clip_steps, config.env.id, env_kwargs(config),
                                [seed + i for i in range(config.n_envs)], capacity=settings.pool)
        env = LearnedRewardVecEnv(venv, net, recorder)
        model = build_model(config, env, seed)
        with RunLock(final):
            recover(final)
            staged = Staging.create(final, overwrite)
            layout.start_run(staged.path, config)
            atomic.write_json(staged.path / PREFS, _prefs_record(settings, labels_file))
            model.set_logger(run_logger(staged.path, None))
            started = time.perf_counter()

            def run_eval():
                return evaluate(model, eval_venv, config.eval.episodes, config.eval.deterministic,
                                config.success_metric, config.success_threshold)

            state = run_loop(config, settings, model, env, recorder, net, run_eval, seed, log, fixed,
                             progress_bar)
            atomic.write_with(staged.path / layout.MODEL, model.save)
            save_reward_net(staged.path / REWARD_MODEL, net)
            summary = _summary(config, model, state, time.perf_counter() - started)
            layout.write_summary(staged.path, summary)
            staged.promote(overwrite, log)
    finally:
        venv.close()
        eval_venv.close()
    return final, summary


def _prefs_record(settings: PrefsSettings, labels_file: Path | None) -> dict[str, Any]:
    record: dict[str, Any] = {"settings": asdict(settings), "labels_file": None}
    if labels_file is not None:
        digest = hashlib.sha256(Path(labels_file).read_bytes()).hexdigest()
        record["labels_file"] = {"path": str(Path(labels_file).resolve()), "sha256": digest}
    return record


def _summary(config: ExperimentConfig, model, state, wall_seconds: float) -> dict[str, Any]:
    last = state.history[-1]
    crit = state.criterion
    return {
        "experiment": config.name, "kind": "prefs", "env_id": config.env.id, "algo": config.algo,
        "seed": config.seed, "timesteps": int(model.num_timesteps), "wall_seconds": round(wall_seconds, 2),
        "labels": state.labels, "pairs": last["pairs"], "extra_env_steps": state.extra_steps,
        **{k: v for k, v in last.items() if k.startswith("eval_")},
        "rhat_accuracy": last["rhat_accuracy"],
        "untrained_eval_mean_return": state.untrained["eval_mean_return"],
        "criterion_success_rate": config.eval.criterion_success_rate,
        "criterion_labels": crit["labels"] if crit else None,
        "criterion_timesteps": crit["timesteps"] if crit else None,
        "rounds": state.history, "torch_threads": torch.get_num_threads(),
        "versions": library_versions(),
    }
