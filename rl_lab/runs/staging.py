"""Never destroy a finished run: a new run is staged beside it and promoted when it is done.

The rule, for a run directory ``<experiment>/<seed>`` (all of it under the run's
:class:`~rl_lab.runs.lock.RunLock`):

1. A new run is written into a hidden sibling ``<experiment>/.<seed>.partial-<pid>``. While it
   trains, a finished run at ``<experiment>/<seed>`` is not touched, not even read.
2. Starting is refused up front (:func:`check_can_start`) when a finished run exists and
   ``--overwrite`` was not given, naming ``--overwrite`` and ``--resume``.
3. At the end, :meth:`Staging.promote` first writes a journal ``.promote`` into the staging
   directory (the overwrite decision and the name the old run will get), then renames:
   with no finished run, the staging directory to ``<seed>`` (one atomic rename); with
   ``overwrite``, the finished run to ``<seed>.replaced-<UTC time>`` first, then the staging
   directory to ``<seed>``; then removes the journal.
4. Nothing here ever deletes a finished run: one replaced by ``--overwrite`` stays beside it
   under its ``.replaced-`` name until the user removes it.

Why a kill -9 at any moment leaves every finished run whole: each step is a single
``rename(2)``, atomic on a local filesystem, so at every instant the old run exists complete
under ``<seed>`` or ``<seed>.replaced-<time>`` and the new one complete in its staging
directory or under ``<seed>``. The one state a kill can leave unusual is "between the two
renames": no ``<seed>``, the old run aside, the new one staged with its journal.
:func:`recover` (call it right after taking the lock) finishes any journaled promotion, so the
next command sees the new run in place. A staging directory without a journal is a run killed
while training: :func:`leftovers` lists them (for resume or for the user to delete).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from rl_lab.errors import LabError
from rl_lab.runs import atomic

JOURNAL = ".promote"


def staging_path(final: Path, pid: int | None = None) -> Path:
    """The hidden directory a new run of ``final`` is written into by process ``pid`` (default: this one)."""
    return final.parent / f".{final.name}.partial-{os.getpid() if pid is None else pid}"


def _is_finished(final: Path) -> bool:
    if final.is_symlink() or final.is_file():
        raise LabError(f"{final}: expected a run directory here, found a file; move it away first")
    try:
        return final.is_dir() and any(final.iterdir())
    except OSError as error:
        raise LabError(f"{final}: cannot read the run directory ({error.strerror})") from None


def check_can_start(final: Path, overwrite: bool) -> None:
    """Refuse (one line) to start a new run over a finished one unless ``overwrite``."""
    if _is_finished(final) and not overwrite:
        raise LabError(
            f"{final}: a run already exists here; pass --resume to continue it or --overwrite to "
            f"replace it (the old one is kept as {final.name}.replaced-<time>)"
        )


def _aside_name(final: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = final.parent / f"{final.name}.replaced-{stamp}"
    counter = 1
    while aside.exists() or aside.is_symlink():
        counter += 1
        aside = final.parent / f"{final.name}.replaced-{stamp}-{counter}"
    return aside


def _rename(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)  # never shutil.move: no copying, atomic or refused
    except OSError as error:
        raise LabError(f"{source}: cannot move it to {target.name} ({error.strerror})") from None
    atomic.fsync_directory(target.parent)


def _finish(staging: Path, journal: dict) -> Path | None:
    """Carry out a journaled promotion from wherever a kill interrupted it; return the aside path."""
    final = staging.parent / journal["final"]
    aside = staging.parent / journal["aside"] if journal["aside"] else None
    if _is_finished(final):
        if aside is None:
            raise LabError(f"{final}: a run appeared here while {staging.name} was being promoted")
        _rename(final, aside)
    _rename(staging, final)
    (final / JOURNAL).unlink()
    return aside if aside is not None and aside.exists() else None


class Staging:
    """A new run being written in its hidden staging directory until :meth:`promote`."""

    def __init__(self, final: Path) -> None:
        self.final = Path(final)
        self.path = staging_path(self.final)

    @classmethod
    def create(cls, final: Path, overwrite: bool) -> Staging:
        """Check that the run may start, then make its empty staging directory."""
        check_can_start(final, overwrite)
        staging = cls(final)
        try:
            staging.path.mkdir(parents=True)
        except FileExistsError:
            raise LabError(f"{staging.path}: a staging directory of this process already exists") from None
        except OSError as error:
            raise LabError(f"{staging.path}: cannot create the run directory ({error.strerror})") from None
        return staging

    def promote(self, overwrite: bool, log: Callable[[str], None] | None = None) -> Path | None:
        """Move the finished new run into place; return where the replaced old run now is, if any
        (and tell ``log`` where it is kept).

        Without ``overwrite`` a run that appeared at the final place meanwhile is refused in
        one line and the staging directory is left as it is.
        """
        if not self.path.is_dir():
            raise LabError(f"{self.path}: no staging directory to promote")
        check_can_start(self.final, overwrite)
        finished = _is_finished(self.final)
        journal = {"final": self.final.name, "aside": _aside_name(self.final).name if finished else None}
        atomic.write_text(self.path / JOURNAL, json.dumps(journal) + "\n")
        replaced = _finish(self.path, journal)
        if replaced is not None and log is not None:
            log(f"the previous run of {self.final} is kept as {replaced}")
        return replaced

    def discard(self) -> None:
        """Delete this staging directory (a new run that failed); never touches a finished run."""
        shutil.rmtree(self.path, ignore_errors=True)


def _read_journal(staging: Path) -> dict | None:
    try:
        journal = json.loads((staging / JOURNAL).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(journal, dict) or not isinstance(journal.get("final"), str):
        return None
    aside = journal.get("aside")
    if aside is not None and (not isinstance(aside, str) or "/" in aside or aside in ("", ".", "..")):
        return None
    return journal if "/" not in journal["final"] else None


def recover(final: Path) -> Path | None:
    """Finish a promotion of ``final`` that a kill interrupted; return the promoted path, if any.

    Call it while holding the run's lock, before anything else looks at the run.
    """
    final = Path(final)
    if (final / JOURNAL).is_file():  # killed after the last rename: only the journal is left
        (final / JOURNAL).unlink()
        return None
    for staging in sorted(final.parent.glob(f".{glob.escape(final.name)}.partial-*")):
        journal = _read_journal(staging)
        if journal is not None and journal["final"] == final.name:
            _finish(staging, journal)
            return final
    return None


def leftovers(final: Path) -> list[Path]:
    """Staging directories of ``final`` left by runs killed while training (not this process's)."""
    mine = staging_path(final)
    return sorted(
        path
        for path in final.parent.glob(f".{glob.escape(final.name)}.partial-*")
        if path != mine and path.is_dir() and not (path / JOURNAL).exists()
    )


def seed_dirs(experiment_dir: Path) -> list[Path]:
    """The run directories of an experiment, in seed order: ``<seed>`` names only.

    Staging directories (``.<seed>.partial-<pid>``), replaced runs (``<seed>.replaced-<time>``)
    and lock files (``.<seed>.lock``) live beside them and are not runs; a bare ``glob("*")``
    would include them (pathlib matches hidden names too).
    """
    try:
        entries = list(Path(experiment_dir).iterdir())
    except OSError:
        return []
    seeds = [p for p in entries if re.fullmatch(r"[0-9]+", p.name) and p.is_dir() and not p.is_symlink()]
    return sorted(seeds, key=lambda p: int(p.name))
