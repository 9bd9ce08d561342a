"""Atomic file writes: a temp file in the same directory, then ``os.replace``.

A run interrupted mid-write leaves the previous file intact, never half of a new one:

- the temp file is removed on any exception, Ctrl-C (``KeyboardInterrupt``) and ``SystemExit``
  included; only a kill that runs no Python code (SIGKILL, power loss) can leave one behind, and
  its name carries the writer's pid so :func:`remove_stale_temps` can clear it later;
- the data is flushed to disk (``fsync``) before the rename and the directory after it, so a
  crash of the machine leaves the old file or the new one, not an empty one;
- an ``OSError`` (full disk, unwritable directory) is one :class:`LabError` line naming the file;
- the final file gets the permissions any new file would get (``0o666`` minus the umask), not the
  ``0o600`` of :func:`tempfile.mkstemp`, so a shared ``runs/`` stays readable by others.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from rl_lab.errors import LabError

_PROC_STATUS = Path("/proc/self/status")
_UMASK_LOCK = threading.Lock()
# ".<name>.tmp-<pid>-<mkstemp's 8 random characters><suffix>"
_TEMP_NAME = re.compile(r"^\..+\.tmp-(?P<pid>\d+)-[a-z0-9_]{8}(?:\.[^.]*)?$")


def current_umask() -> int:
    """The process umask, read without changing it.

    Reading it with ``os.umask`` means setting it twice, which for a moment gives every other
    thread a wrong umask; Linux publishes it in ``/proc/self/status`` instead. Elsewhere the
    two-step read is serialised at least against other callers of this function.
    """
    try:
        for line in _PROC_STATUS.read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def fsync_directory(path: Path) -> None:
    """Flush ``path``'s entries (a rename or a new file in it) to disk, where the filesystem allows."""
    _fsync(path, directory=True)


def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError:
        if not directory:  # some filesystems cannot fsync a directory; the file itself must be synced
            raise
    finally:
        os.close(fd)


def _write_error(path: Path, error: OSError) -> LabError:
    return LabError(f"{path}: cannot write it ({error.strerror or type(error).__name__})")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    Any ``OSError`` on the way (an unwritable directory, a full disk, also one the caller's
    writer raises) becomes a one-line :class:`LabError` naming ``path``.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.tmp-{os.getpid()}-", suffix=path.suffix, dir=path.parent
        )
    except OSError as error:
        raise _write_error(path, error) from None
    tmp = Path(tmp_name)
    try:  # try/finally runs on KeyboardInterrupt and SystemExit too: no temp file is left behind
        os.close(fd)
        yield tmp
        os.chmod(tmp, 0o666 & ~current_umask())
        _fsync(tmp)
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as error:
        raise _write_error(path, error) from None
    finally:
        with suppress(OSError):  # never hide the error that got us here
            tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_with(path: Path, writer: Callable[[Path], None]) -> None:
    """Atomically write ``path`` with a writer that takes a file path (``model.save``, ``np.savez``)."""
    with atomic_path(path) as tmp:
        writer(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temps(directory: Path) -> list[Path]:
    """Remove the temp files that killed writers left in ``directory``; return what was removed.

    Only regular files named like this module's temp files whose writer's pid no longer exists
    are removed. Pids are per machine: call this while holding the run's lock, so that no writer
    on another machine sharing the directory can be at work in it.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or int(match["pid"]) == os.getpid() or _alive(int(match["pid"])):
            continue
        with suppress(OSError):
            if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed
