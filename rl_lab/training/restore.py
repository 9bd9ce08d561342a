"""Bring a trained model back from a run directory (the final model or a checkpoint)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab.config import ExperimentConfig
from rl_lab.config.algorithms import algorithm_class
from rl_lab.errors import LabError
from rl_lab.runs.layout import MODEL


def load_model(run_dir: Path, config: ExperimentConfig, checkpoint: Path | None = None) -> BaseAlgorithm:
    """Load the trained model (or a checkpoint), with one clear error if missing or corrupt."""
    path = checkpoint or run_dir / MODEL
    if not path.is_file():
        raise LabError(f"{path}: no model file (has training finished?)")
    try:
        return algorithm_class(config.algo).load(path, device="cpu")
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, RuntimeError, OSError) as error:
        raise LabError(f"{path}: corrupt or incompatible model file ({type(error).__name__})") from None
