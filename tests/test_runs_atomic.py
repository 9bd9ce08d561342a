"""Atomic writes: normal permissions under the umask, no temp file left by any interruption."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from rl_lab.errors import LabError
from rl_lab.runs import atomic

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for one test, restoring it afterwards."""
    original = os.umask(0o022)
    os.umask(original)
    yield os.umask
    os.umask(original)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_final_file_mode_follows_umask(tmp_path: Path, umask, mask: int, mode: int) -> None:
    umask(mask)
    assert atomic.current_umask() == mask
    atomic.write_text(tmp_path / "summary.json", "{}")
    atomic.write_with(tmp_path / "eval.npz", lambda tmp: np.savez(tmp, x=np.arange(3)))
    assert stat_mode(tmp_path / "summary.json") == mode
    assert stat_mode(tmp_path / "eval.npz") == mode
    assert np.load(tmp_path / "eval.npz")["x"].tolist() == [0, 1, 2]


def test_umask_fallback_without_proc(tmp_path: Path, umask, monkeypatch: pytest.MonkeyPatch) -> None:
    umask(0o027)
    monkeypatch.setattr(atomic, "_PROC_STATUS", tmp_path / "missing")
    assert atomic.current_umask() == 0o027
    assert os.umask(0o027) == 0o027  # the fallback left the umask as it found it
    atomic.write_bytes(tmp_path / "model.zip", b"m")
    assert stat_mode(tmp_path / "model.zip") == 0o640


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize("exception", [RuntimeError("disk full"), KeyboardInterrupt(), SystemExit(3)])
def test_interrupted_writer_keeps_old_file_and_leaves_no_temp(tmp_path: Path, exception) -> None:
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")

    def failing_writer(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise exception

    with pytest.raises(type(exception)):
        atomic.write_with(target, failing_writer)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def test_write_json_replaces_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "summary.json"
    atomic.write_json(target, {"a": 1})
    atomic.write_json(target, {"a": 2})
    assert target.read_text() == '{\n  "a": 2\n}\n'
    assert [p.name for p in target.parent.iterdir()] == ["summary.json"]


def test_kill_9_mid_write_keeps_old_file_and_the_temp_is_removable(tmp_path: Path) -> None:
    """A real writer killed with SIGKILL while its temp file is half written."""
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from rl_lab.runs import atomic

        def writer(tmp):
            tmp.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGSTOP)  # the parent kills us here

        atomic.write_with(Path({str(target)!r}), writer)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    _, status = os.waitpid(child.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=60) == -signal.SIGKILL
    temps = [p for p in tmp_path.iterdir() if p.name != "model.zip"]
    assert len(temps) == 1 and temps[0].name.startswith(f".model.zip.tmp-{child.pid}-")
    assert target.read_bytes() == b"old"

    mine = tmp_path / f".other.tmp-{os.getpid()}-abcdefgh.zip"  # a live writer's temp (ours): kept
    mine.write_bytes(b"")
    assert atomic.remove_stale_temps(tmp_path) == temps
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.zip", mine.name])


def test_full_disk_is_one_line_and_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")

    def full_disk(tmp: Path) -> None:
        tmp.write_bytes(b"ha")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(LabError) as error:
        atomic.write_with(target, full_disk)
    assert str(error.value) == f"{target}: cannot write it (No space left on device)"
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def test_unwritable_place_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("a file where a directory should be")
    target = tmp_path / "runs" / "exp" / "summary.json"
    with pytest.raises(LabError) as error:
        atomic.write_json(target, {})
    assert str(error.value) == f"{target}: cannot write it (Not a directory)"
