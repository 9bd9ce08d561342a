"""One writer per run: an OS file lock held for a training run's whole life.

``RunLock(run_dir)`` takes an exclusive ``flock`` on ``<experiment>/.<seed>.lock``, a hidden file
beside the run directory (not inside it: the run directory may not exist yet, be staged under
another name, or be renamed into place while the lock is held). The kernel drops a ``flock``
when its holder exits in any way, SIGKILL and crashes included, so a lock file left behind by a
dead process never blocks; the next holder reports it as :attr:`RunLock.stale`, which says that
the previous run was interrupted. The holder writes its pid, host and start time into the file,
so a refusal names who holds the run.

The lock file is removed on a clean release. Removal is safe against a concurrent acquirer: an
acquirer that locked a file which was meanwhile unlinked notices that the path now names another
inode (or none) and starts over.

Processes forked while the lock is held (e.g. ``SubprocVecEnv`` workers with the ``fork`` start
method) close their inherited copy, so an orphaned worker cannot keep a killed run locked.
``flock`` is per machine: on a network filesystem it protects only as far as that filesystem
implements it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from rl_lab.errors import LabError

_HELD_FDS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD_FDS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_FDS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a run's lock, as written in the lock file."""

    pid: int | None
    host: str | None
    started: str | None

    def describe(self) -> str:
        """E.g. ``pid 4242 on lab-1, started 2026-12-01 13:05:51 UTC``."""
        parts = [f"pid {self.pid}" if self.pid is not None else "pid unknown"]
        if self.host:
            parts[0] += f" on {self.host}"
        if self.started:
            parts.append(f"started {self.started}")
        return ", ".join(parts)


def lock_path(run_dir: Path) -> Path:
    """The lock file of ``run_dir``: ``<experiment>/.<seed>.lock``."""
    return run_dir.parent / f".{run_dir.name}.lock"


def _read_holder(fd: int) -> LockHolder | None:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # empty, or being written at this instant
    if not isinstance(info, dict):
        return None
    pid, host, started = info.get("pid"), info.get("host"), info.get("started")
    return LockHolder(
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        host=host if isinstance(host, str) else None,
        started=started if isinstance(started, str) else None,
    )


class RunLock:
    """An exclusive lock on one run directory; use as ``with RunLock(run_dir): ...``.

    A second holder, in this or another process, gets a one-line :class:`LabError`.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = lock_path(self.run_dir)
        #: Set by :meth:`acquire` when the lock file names a previous holder that never released
        #: it: that process died (killed, crashed) while it held the run.
        self.stale: LockHolder | None = None
        self._fd: int | None = None
        self._owner_pid: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock (in this process)."""
        return self._fd is not None and self._owner_pid == os.getpid()

    def acquire(self) -> None:
        """Take the lock without waiting, or raise LabError naming the process that holds it."""
        if self.held:
            raise LabError(f"{self.run_dir}: this run's lock is already held by this process")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LabError(
                f"{self.path.parent}: cannot create the experiment directory ({error.strerror})"
            ) from None
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                holder = _read_holder(fd)
                os.close(fd)
                if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                    raise LabError(f"{self.path}: cannot lock the run ({error.strerror})") from None
                who = holder.describe() if holder else "pid unknown"
                raise LabError(
                    f"{self.run_dir}: another rl-lab process ({who}) is training into this run"
                ) from None
            if self._still_at_path(fd):
                break
            os.close(fd)  # the previous holder released (and unlinked) it between our open and flock
        self.stale = _read_holder(fd)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        except OSError as error:
            os.close(fd)
            raise LabError(f"{self.path}: cannot write the run's lock file ({error.strerror})") from None
        self._fd, self._owner_pid = fd, os.getpid()
        _HELD_FDS.add(fd)

    def _open(self) -> int:
        # O_NOFOLLOW: a planted symlink must not make us truncate its target; O_NONBLOCK: nor a FIFO hang us.
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags, 0o666)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise LabError(f"{self.path}: the run's lock file is a symbolic link; remove it") from None
            raise LabError(f"{self.path}: cannot open the run's lock file ({error.strerror})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LabError(f"{self.path}: the run's lock file is not a regular file; remove it")
        return fd

    def _still_at_path(self, fd: int) -> bool:
        try:
            current = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_dev, mine.st_ino) == (current.st_dev, current.st_ino)

    def release(self) -> None:
        """Release the lock and remove its file (only in the process that acquired it)."""
        if not self.held:
            return
        fd, self._fd = self._fd, None
        assert fd is not None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # while still locked, so no acquirer can be holding this inode
        _HELD_FDS.discard(fd)
        os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
