"""Reading a user-named file without hanging or exhausting memory.

A path from the command line or a config can name a FIFO (``open`` blocks until a writer
appears), ``/dev/zero`` (``read`` never ends), a directory or a socket. These helpers look at the
file before reading it (``stat``), open it with ``O_NONBLOCK`` so that even a FIFO swapped in
after the check cannot block the open, check the opened descriptor again (``fstat``), and read at
most ``max_bytes``. Every refusal is a one-line :class:`LabError` naming the path and what it was
meant to be.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from rl_lab.errors import LabError

_KINDS = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "special file"


def _os_error(path: Path, what: str, error: OSError) -> LabError:
    if error.errno == errno.ENOENT:
        return LabError(f"{path}: no such {what} file")
    if error.errno in (errno.EACCES, errno.EPERM):
        return LabError(f"{path}: cannot read the {what} file (permission denied)")
    return LabError(f"{path}: cannot read the {what} file ({error.strerror or type(error).__name__})")


def _check(path: Path, st: os.stat_result, max_bytes: int, what: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise LabError(f"{path}: the {what} file must be a regular file, not a {_kind(st.st_mode)}")
    if st.st_size > max_bytes:
        raise LabError(f"{path}: the {what} file is {st.st_size} bytes, more than the {max_bytes} allowed")


def open_regular_file(path: Path, max_bytes: int, what: str) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file of at most ``max_bytes`` bytes.

    ``what`` names the file for messages ("ranked data", "model"). Symbolic links are followed
    (a link to a regular file is fine); the opened descriptor is checked again, so a file swapped
    for a FIFO or a device between the check and the open is refused too.
    """
    path = Path(path)
    try:
        before = os.stat(path)
    except ValueError:  # a NUL byte in the path
        raise LabError(f"{str(path)!r}: not a valid path for the {what} file") from None
    except OSError as error:
        raise _os_error(path, what, error) from None
    _check(path, before, max_bytes, what)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise _os_error(path, what, error) from None
    try:
        after = os.fstat(fd)
        _check(path, after, max_bytes, what)
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise LabError(f"{path}: the {what} file changed while it was being opened; try again")
        os.set_blocking(fd, True)  # a regular file never blocks; plain reads are simpler to reason about
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_bytes(path: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path`` (a regular file of at most ``max_bytes`` bytes), or one-line LabError."""
    with open_regular_file(path, max_bytes, what) as file:
        try:
            data = file.read(max_bytes + 1)  # +1: a file that grew past the cap after fstat is caught
        except OSError as error:
            raise _os_error(Path(path), what, error) from None
    if len(data) > max_bytes:
        raise LabError(f"{path}: the {what} file is larger than the {max_bytes} bytes allowed")
    return data


def read_regular_file(path: Path, max_bytes: int, what: str) -> str:
    """The text of ``path``: a regular file of at most ``max_bytes`` bytes in UTF-8 (a BOM is allowed)."""
    data = read_regular_bytes(path, max_bytes, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        where = f"byte {error.start}, line {line}"
        raise LabError(f"{path}: the {what} file is not UTF-8 text ({where})") from None
