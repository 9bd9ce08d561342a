"""Which interrupted run a ``--resume`` continues, from which checkpoint, and whether it may.

An interrupted run is a staging directory ``<experiment>/.<seed>.partial-<pid>`` left by a
process that stopped before promoting its run (:mod:`rl_lab.runs.staging`); the one with the
newest complete checkpoint is adopted by renaming it to this process's staging directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rl_lab.config import ExperimentConfig
from rl_lab.config.diff import training_differences
from rl_lab.errors import LabError
from rl_lab.runs import layout, staging
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
    """The newest checkpoint of the unfinished run in ``run_dir``, trained with ``config``, or a
    LabError saying why it cannot be resumed."""
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


def adopt_interrupted(final: Path, overwrite: bool) -> Path:
    """Take over the interrupted run of ``final`` with the newest checkpoint (call under the run's
    lock): rename its staging directory to this process's and return that path."""
    mine = staging.staging_path(final)
    # This process's own staging directory counts too (a run stopped earlier in the same process).
    interrupted = [*staging.leftovers(final), *([mine] if mine.is_dir() else [])]
    candidates = {path: max(checkpoints(path), default=-1) for path in interrupted}
    if not candidates or max(candidates.values()) < 0:
        if (final / layout.SUMMARY).is_file():
            raise LabError(f"{final}: this run has finished; nothing to resume")
        raise LabError(f"{final}: no interrupted run with a checkpoint to resume")
    staging.check_can_start(final, overwrite)  # the resumed run will take final's place
    newest = max(candidates, key=candidates.__getitem__)
    if newest == mine:
        return mine
    try:
        newest.rename(mine)
    except OSError as error:
        raise LabError(f"{newest}: cannot take over the interrupted run ({error.strerror})") from None
    return mine


def discard_unresumable(final: Path) -> None:
    """Delete interrupted runs of ``final`` that reached no checkpoint (call under the run's lock):
    they hold nothing to resume, and no process is writing them."""
    for path in staging.leftovers(final):
        if not checkpoints(path):
            shutil.rmtree(path, ignore_errors=True)
