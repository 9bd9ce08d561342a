"""The run directory ``runs/<experiment>/<seed>/``: its files, where a run lives, reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rl_lab.config import (
    ExperimentConfig,
    as_dict,
    parse_dataclass,
    read_toml,
    toml_writer,
    validate_experiment,
)
from rl_lab.config.validation import check_name
from rl_lab.errors import LabError
from rl_lab.runs import atomic

CONFIG = "config.toml"
MODEL = "model.zip"
SUMMARY = "summary.json"
EVAL = "eval.npz"
CHECKPOINTS = "checkpoints"
VIDEOS = "videos"
RLHF_KIND = "rlhf"  # config.toml's [run] kind (and summary.json "kind") of an `rl-lab rlhf` run


def is_rlhf_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` was written by ``rl-lab rlhf`` (its config.toml's [run] kind says so)."""
    try:
        run = read_toml(Path(run_dir) / CONFIG).get("run")
    except LabError:
        return False
    return isinstance(run, dict) and run.get("kind") == RLHF_KIND


def run_path(runs_dir: Path, experiment: str, seed: int) -> Path:
    """Where a run of ``experiment`` with ``seed`` lives: always inside ``runs_dir``."""
    check_name(experiment, "name", "run directory")
    if not isinstance(seed, int) or seed < 0:
        raise LabError(f"run directory: the seed must be an integer >= 0, got {seed!r}")
    return runs_dir / experiment / str(seed)


def start_run(run_dir: Path, config: ExperimentConfig) -> None:
    """Lay out a new run in the (new, empty) staging directory ``run_dir`` and write its resolved
    config."""
    (run_dir / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    (run_dir / VIDEOS).mkdir(exist_ok=True)
    atomic.write_text(run_dir / CONFIG, toml_writer.dumps(as_dict(config)))


def load_run_config(run_dir: Path) -> ExperimentConfig:
    """The resolved config a run was trained with."""
    if not run_dir.is_dir():
        raise LabError(f"{run_dir}: no such run directory")
    path = run_dir / CONFIG
    if not path.is_file():
        raise LabError(f"{run_dir}: not a run directory (no {CONFIG})")
    if is_rlhf_run(run_dir):
        raise LabError(f"{run_dir}: an RLHF run; `rl-lab rlhf sample {run_dir}` shows what its policies do")
    config = parse_dataclass(ExperimentConfig, read_toml(path), str(path))
    validate_experiment(config, str(path))
    return config


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
