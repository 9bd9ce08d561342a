"""Staging and promotion: kill -9 at any step never damages a finished run; nothing is deleted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rl_lab.errors import LabError
from rl_lab.runs.lock import RunLock
from rl_lab.runs.staging import (
    JOURNAL,
    Staging,
    check_can_start,
    leftovers,
    recover,
    seed_dirs,
    staging_path,
)

REPO = Path(__file__).resolve().parent.parent
OLD = {"model.zip": "old model", "summary.json": '{"run": "old"}', "checkpoints/model_8.zip": "old ckpt"}
NEW = {"model.zip": "new model", "summary.json": '{"run": "new"}', "checkpoints/model_16.zip": "new ckpt"}


def write_run(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)


def read_run(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != JOURNAL
    }


# The child: a whole "train" of one run with --overwrite; it stops itself (SIGSTOP) at STOP so the
# test can SIGKILL it exactly there. rename calls are counted to stop between the two renames.
CHILD = """
import os, signal, sys
from pathlib import Path
from rl_lab.runs.lock import RunLock
from rl_lab.runs.staging import Staging

final, stop = Path(sys.argv[1]), sys.argv[2]
real_rename = os.rename
renames = []

def rename(source, target):
    if stop == f"before rename {len(renames) + 1}":
        os.kill(os.getpid(), signal.SIGSTOP)
    real_rename(source, target)
    renames.append(target)

os.rename = rename
with RunLock(final):
    staging = Staging.create(final, overwrite=True)
    (staging.path / "checkpoints").mkdir()
    (staging.path / "checkpoints" / "model_16.zip").write_text("new ckpt")
    with open(staging.path / "model.zip", "w") as half:
        half.write("new")
        half.flush()
        if stop == "mid-write":
            os.kill(os.getpid(), signal.SIGSTOP)
        half.write(" model")
    (staging.path / "summary.json").write_text('{"run": "new"}')
    real_unlink = Path.unlink
    def unlink(path, *args, **kwargs):
        if stop == "before journal removal" and path.name == ".promote":
            os.kill(os.getpid(), signal.SIGSTOP)
        real_unlink(path, *args, **kwargs)
    Path.unlink = unlink
    staging.promote(overwrite=True)
    print("promoted", flush=True)
"""

STOPS = ["mid-write", "before rename 1", "before rename 2", "before journal removal", "never"]


@pytest.mark.parametrize("stop", STOPS)
def test_kill_9_at_any_step_keeps_the_finished_run(tmp_path: Path, stop: str) -> None:
    final = tmp_path / "exp" / "0"
    write_run(final, OLD)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(final), stop],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status = os.waitpid(child.pid, os.WUNTRACED)
    if stop == "never":
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert child.stdout.read() == "promoted\n"
    else:
        assert os.WIFSTOPPED(status)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL

    # Right after the kill: the old run is whole under one name, and <seed>, if present, is whole.
    runs = {p.name: read_run(p) for p in (tmp_path / "exp").iterdir() if p.is_dir()}
    old_homes = [name for name, files in runs.items() if files == OLD]
    assert len(old_homes) == 1 and (old_homes[0] == "0" or old_homes[0].startswith("0.replaced-"))
    if final.exists():
        assert read_run(final) in (OLD, NEW)

    # The next command takes the lock and recovers: a journaled promotion is finished.
    with RunLock(final):
        recover(final)
        after = {p.name: read_run(p) for p in (tmp_path / "exp").iterdir() if p.is_dir()}
        if stop == "mid-write":  # killed while training: the finished run is untouched, the partial kept
            assert read_run(final) == OLD
            assert leftovers(final) == [staging_path(final, child.pid)]
        else:
            assert read_run(final) == NEW and not (final / JOURNAL).exists()
            (aside,) = [name for name in after if name.startswith("0.replaced-")]
            assert after[aside] == OLD
            assert leftovers(final) == []
    assert sum(files == OLD for files in after.values()) == 1  # never deleted, never duplicated


def test_new_run_without_previous_is_promoted_in_place(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "3"
    staging = Staging.create(final, overwrite=False)
    assert staging.path.name == f".3.partial-{os.getpid()}" and not final.exists()
    write_run(staging.path, NEW)
    assert staging.promote(overwrite=False) is None
    assert read_run(final) == NEW
    assert sorted(p.name for p in final.parent.iterdir()) == ["3"]


def test_existing_run_is_refused_without_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    write_run(final, OLD)
    with pytest.raises(LabError) as error:
        Staging.create(final, overwrite=False)
    assert str(error.value) == (
        f"{final}: a run already exists here; pass --resume to continue it or --overwrite to replace it "
        "(the old one is kept as 0.replaced-<time>)"
    )
    assert not staging_path(final).exists()


def test_run_that_appears_during_training_is_not_replaced_without_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    staging = Staging.create(final, overwrite=False)
    write_run(staging.path, NEW)
    write_run(final, OLD)  # e.g. a run copied in by hand meanwhile
    with pytest.raises(LabError, match="a run already exists here"):
        staging.promote(overwrite=False)
    assert read_run(final) == OLD and read_run(staging.path) == NEW


def test_overwrite_twice_keeps_both_old_runs(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    write_run(final, OLD)
    first = Staging.create(final, overwrite=True)
    write_run(first.path, NEW)
    aside_1 = first.promote(overwrite=True)
    second = Staging.create(final, overwrite=True)
    write_run(second.path, {"model.zip": "newest"})
    aside_2 = second.promote(overwrite=True)
    assert aside_1 is not None and aside_2 is not None and aside_1 != aside_2  # same second: a counter
    assert read_run(aside_1) == OLD and read_run(aside_2) == NEW
    assert read_run(final) == {"model.zip": "newest"}


def test_empty_leftover_directory_is_not_a_finished_run(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    final.mkdir(parents=True)
    check_can_start(final, overwrite=False)
    staging = Staging.create(final, overwrite=False)
    write_run(staging.path, NEW)
    assert staging.promote(overwrite=False) is None
    assert read_run(final) == NEW


def test_a_file_in_the_runs_place_is_refused(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    final.parent.mkdir()
    final.write_text("not a run")
    with pytest.raises(LabError, match="expected a run directory here, found a file"):
        Staging.create(final, overwrite=True)


def test_discard_removes_only_the_staging_directory(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    write_run(final, OLD)
    staging = Staging.create(final, overwrite=True)
    write_run(staging.path, NEW)
    staging.discard()
    assert not staging.path.exists() and read_run(final) == OLD


def test_recover_ignores_foreign_or_garbled_journals(tmp_path: Path) -> None:
    final = tmp_path / "exp" / "0"
    write_run(final, OLD)
    for pid, journal in [(1, "{not json"), (2, json.dumps({"final": "../../etc", "aside": None}))]:
        staging = staging_path(final, pid)
        write_run(staging, NEW)
        (staging / JOURNAL).write_text(journal)
    assert recover(final) is None
    assert read_run(final) == OLD
    assert recover(tmp_path / "exp" / "9") is None  # nothing to do


def test_seed_dirs_lists_only_runs(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    for name in ("10", "2", ".2.partial-77", "2.replaced-20261201T130551Z", "notes", "٣"):
        (experiment / name).mkdir(parents=True)
    (experiment / ".2.lock").write_text("{}")
    (experiment / "7").write_text("a file, not a run")
    assert [p.name for p in seed_dirs(experiment)] == ["2", "10"]
    assert seed_dirs(tmp_path / "missing") == []
