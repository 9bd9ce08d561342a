"""The run lock: one writer per run, refused in one line, freed by any exit of the holder (kill -9 too)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rl_lab.errors import LabError
from rl_lab.runs.lock import RunLock, lock_path

REPO = Path(__file__).resolve().parent.parent


def start_holder(run_dir: Path, fork_worker: bool = False) -> tuple[subprocess.Popen, int | None]:
    """A real second process that takes the lock (optionally forks a worker), then stops itself.

    Returns the process and the worker's pid. The process is stopped (SIGSTOP), holding the lock,
    when this returns: the synchronisation is the kernel's, no sleeps.
    """
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from rl_lab.runs.lock import RunLock

        lock = RunLock(Path({str(run_dir)!r}))
        lock.acquire()
        if {fork_worker!r}:
            worker = os.fork()
            if worker == 0:  # a SubprocVecEnv-like worker that outlives its parent
                os.kill(os.getpid(), signal.SIGSTOP)
                os._exit(0)
            print(worker, flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    worker = int(holder.stdout.readline()) if fork_worker else None
    _, status = os.waitpid(holder.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status)
    if worker is not None:
        _wait_until_stopped(worker)  # it stops itself after its fork hook closed the lock
    return holder, worker


def _wait_until_stopped(pid: int, timeout: float = 60.0) -> None:
    """Wait until ``pid`` (not our child: no waitpid) is stopped, as /proc tells. On a loaded
    machine a freshly forked worker may not have run yet when its parent is already stopped."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, f"process {pid} did not stop"
        time.sleep(0.01)


def kill_9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def test_second_process_is_refused_then_lock_is_free_after_kill_9(tmp_path: Path) -> None:
    run_dir = tmp_path / "cartpole" / "0"
    holder, _ = start_holder(run_dir)
    try:
        with pytest.raises(LabError) as error:
            RunLock(run_dir).acquire()
        message = str(error.value)
        assert "\n" not in message
        assert message.startswith(f"{run_dir}: another rl-lab process (pid {holder.pid} on ")
        assert message.endswith(" UTC) is training into this run")
    finally:
        kill_9(holder)
    assert lock_path(run_dir).exists()  # the dead holder's file is still there ...
    with RunLock(run_dir) as lock:  # ... and does not block
        assert lock.held
        assert lock.stale is not None and lock.stale.pid == holder.pid
    assert not lock_path(run_dir).exists()  # a clean release removes the file
    assert not run_dir.exists()  # the lock never creates the run directory itself


def test_forked_worker_does_not_keep_a_killed_run_locked(tmp_path: Path) -> None:
    run_dir = tmp_path / "exp" / "1"
    holder, worker = start_holder(run_dir, fork_worker=True)
    assert worker is not None
    try:
        kill_9(holder)
        with RunLock(run_dir) as lock:  # the worker is alive but closed its inherited lock
            assert lock.stale is not None and lock.stale.pid == holder.pid
    finally:
        os.kill(worker, signal.SIGKILL)


def test_same_process_second_lock_is_refused_and_release_frees(tmp_path: Path) -> None:
    run_dir = tmp_path / "exp" / "2"
    with RunLock(run_dir) as first:
        with pytest.raises(LabError, match=rf"pid {os.getpid()} on .* is training into this run$"):
            RunLock(run_dir).acquire()
        with pytest.raises(LabError, match="already held by this process"):
            first.acquire()
        assert first.stale is None
    assert not first.held
    with RunLock(run_dir) as again:
        assert again.stale is None  # the clean release left no trace to report
    again.release()  # releasing twice is harmless


def test_other_runs_are_independent(tmp_path: Path) -> None:
    with RunLock(tmp_path / "exp" / "0"), RunLock(tmp_path / "exp" / "1"), RunLock(tmp_path / "other" / "0"):
        assert sorted(p.name for p in (tmp_path / "exp").iterdir()) == [".0.lock", ".1.lock"]


def test_planted_symlink_or_fifo_is_refused_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    run_dir = tmp_path / "exp" / "0"
    run_dir.parent.mkdir()
    lock_path(run_dir).symlink_to(victim)
    with pytest.raises(LabError, match=r"lock file is a symbolic link; remove it$"):
        RunLock(run_dir).acquire()
    assert victim.read_text() == "keep me"
    lock_path(run_dir).unlink()
    os.mkfifo(lock_path(run_dir))
    with pytest.raises(LabError, match=r"lock file is not a regular file; remove it$"):
        RunLock(run_dir).acquire()


def test_garbled_lock_file_still_gives_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "exp" / "0"
    run_dir.parent.mkdir()
    lock_path(run_dir).write_bytes(b"\xff not json")
    with RunLock(run_dir) as lock:
        assert lock.stale is None
        lock_path(run_dir).write_bytes(b'["garbled"]')  # what a second process would then read
        with pytest.raises(LabError, match=r"another rl-lab process \(pid unknown\) is training"):
            RunLock(run_dir).acquire()


def test_experiment_dir_that_cannot_exist_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("a file where the runs directory should be")
    with pytest.raises(LabError) as error:
        RunLock(tmp_path / "runs" / "exp" / "0").acquire()
    assert (
        str(error.value)
        == f"{tmp_path / 'runs' / 'exp'}: cannot create the experiment directory (Not a directory)"
    )
