"""Which checkpoint a resumed run continues from, and whether it may."""

from __future__ import annotations

from pathlib import Path

from rl_lab.config import ExperimentConfig
from rl_lab.config.diff import training_differences
from rl_lab.errors import LabError
from rl_lab.runs import layout
from rl_lab.training.training_state import STATE_JSON


def checkpoints(run_dir: Path) -> dict[int, Path]:
    """The run's complete checkpoints by timestep (a checkpoint whose state file is missing was
    cut short by a kill and does not count)."""
    found = {}
    folder = run_dir / layout.CHECKPOINTS
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name.isdigit() and (path / STATE_JSON).is_file():
            found[int(path.name)] = path
    return found


def latest_checkpoint(run_dir: Path, config: ExperimentConfig) -> Path:
    """The newest checkpoint of an unfinished run trained with ``config``, or a LabError saying
    why the run cannot be resumed."""
    if (run_dir / layout.SUMMARY).is_file():
        raise LabError(f"{run_dir}: this run has finished; nothing to resume")
    saved = layout.load_run_config(run_dir)
    differing = training_differences(saved, config, ignore_seed=False)
    if differing:
        raise LabError(f"{run_dir}: cannot resume with another '{differing[0]}' than the run started with")
    found = checkpoints(run_dir)
    if not found:
        raise LabError(f"{run_dir}: no complete checkpoint to resume from yet "
                       f"(one is written every {config.checkpoint_freq:,} timesteps)")
    return found[max(found)]
