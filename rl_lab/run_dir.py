"""The run directory ``runs/<experiment>/<seed>/`` and how to read a finished run back."""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab import atomic, toml_writer
from rl_lab.algorithms import algorithm_class
from rl_lab.config import ExperimentConfig, parse_dataclass, read_toml, validate_experiment
from rl_lab.errors import LabError

CONFIG = "config.toml"
MODEL = "model.zip"
SUMMARY = "summary.json"
EVAL = "eval.npz"
CHECKPOINTS = "checkpoints"
VIDEOS = "videos"


def run_path(runs_dir: Path, experiment: str, seed: int) -> Path:
    """Where a run of ``experiment`` with ``seed`` lives."""
    return runs_dir / experiment / str(seed)


def start_run(run_dir: Path, config: ExperimentConfig) -> None:
    """Empty ``run_dir`` of any previous run of the same experiment and seed, then write the
    resolved config (so a half-finished run is never mistaken for a finished one)."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    (run_dir / CHECKPOINTS).mkdir(parents=True)
    (run_dir / VIDEOS).mkdir()
    atomic.write_text(run_dir / CONFIG, toml_writer.dumps(asdict(config)))


def load_run_config(run_dir: Path) -> ExperimentConfig:
    """The resolved config a run was trained with."""
    if not run_dir.is_dir():
        raise LabError(f"{run_dir}: no such run directory")
    path = run_dir / CONFIG
    if not path.is_file():
        raise LabError(f"{run_dir}: not a run directory (no {CONFIG})")
    config = parse_dataclass(ExperimentConfig, read_toml(path), str(path))
    validate_experiment(config, str(path))
    return config


def load_model(run_dir: Path, config: ExperimentConfig, checkpoint: Path | None = None) -> BaseAlgorithm:
    """Load the trained model (or a checkpoint), with one clear error if missing or corrupt."""
    path = checkpoint or run_dir / MODEL
    if not path.is_file():
        raise LabError(f"{path}: no model file (has training finished?)")
    try:
        return algorithm_class(config.algo).load(path, device="cpu")
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, RuntimeError, OSError) as error:
        raise LabError(f"{path}: corrupt or incompatible model file ({type(error).__name__})") from None


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    """Write ``summary.json`` atomically."""
    atomic.write_json(run_dir / SUMMARY, summary)


def read_summary(run_dir: Path) -> dict[str, Any]:
    """Read ``summary.json``, with one clear error if missing or malformed."""
    path = run_dir / SUMMARY
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LabError(f"{path}: no summary (has training finished?)") from None
    except json.JSONDecodeError as error:
        raise LabError(f"{path}: malformed JSON at line {error.lineno}") from None
    except UnicodeDecodeError:
        raise LabError(f"{path}: not UTF-8 text") from None
