"""Bring a trained model back from a run directory (the final model or a checkpoint), without
unpickling anything: the model is rebuilt from the run's own ``config.toml`` and only its weights
are read (:func:`rl_lab.runs.safe_model.load_model_safely`)."""

from __future__ import annotations

from pathlib import Path

from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab.config import ExperimentConfig
from rl_lab.errors import LabError
from rl_lab.runs.layout import CHECKPOINTS, MODEL
from rl_lab.runs.safe_model import load_model_safely
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.model_factory import build_model


def model_path(run_dir: Path, checkpoint: int | None = None) -> Path:
    """The run's final ``model.zip`` or the one of its checkpoint at ``checkpoint`` timesteps."""
    if checkpoint is None:
        path = run_dir / MODEL
        if not path.is_file():
            raise LabError(f"{path}: no model file (has training finished?)")
        return path
    path = run_dir / CHECKPOINTS / str(checkpoint) / MODEL
    if not path.is_file():
        folder = run_dir / CHECKPOINTS
        steps = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []
        known = ", ".join(f"{s:,}" for s in steps) or "none"
        raise LabError(f"{run_dir}: no checkpoint at {checkpoint:,} timesteps (checkpoints: {known})")
    return path


def load_model(run_dir: Path, config: ExperimentConfig, checkpoint: int | None = None,
               trust_pickle: bool = False) -> BaseAlgorithm:
    """The run's model (or checkpoint), its weights loaded into a model built from ``config``."""
    path = model_path(run_dir, checkpoint)

    def fresh() -> BaseAlgorithm:
        return build_model(config, make_vec_env(config, config.n_envs, config.seed), config.seed)

    return load_model_safely(path, fresh, trust_pickle=trust_pickle)
