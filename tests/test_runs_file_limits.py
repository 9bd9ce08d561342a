"""Reading user-named files: FIFOs, devices, directories and huge files are refused in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rl_lab.errors import LabError
from rl_lab.runs.file_limits import open_regular_file, read_regular_bytes, read_regular_file

REPO = Path(__file__).resolve().parent.parent


def one_line(error: pytest.ExceptionInfo[LabError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_reads_text_and_strips_a_bom(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("héllo\n", encoding="utf-8")
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfh\xc3\xa9llo\n")
    assert read_regular_file(plain, 100, "ranked data") == "héllo\n"
    assert read_regular_file(bom, 100, "ranked data") == "héllo\n"


def test_refuses_non_utf8_naming_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"ok\nca\xe9\n")
    with pytest.raises(LabError) as error:
        read_regular_file(path, 100, "ranked data")
    assert one_line(error) == f"{path}: the ranked data file is not UTF-8 text (byte 5, line 2)"


def test_refuses_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 101)
    with pytest.raises(LabError) as error:
        read_regular_bytes(path, 100, "config")
    assert one_line(error) == f"{path}: the config file is 101 bytes, more than the 100 allowed"
    assert read_regular_bytes(path, 101, "config") == b"x" * 101


def test_refuses_directory(tmp_path: Path) -> None:
    with pytest.raises(LabError) as error:
        read_regular_file(tmp_path, 100, "config")
    assert one_line(error) == f"{tmp_path}: the config file must be a regular file, not a directory"


def test_refuses_dev_zero() -> None:
    with pytest.raises(LabError) as error:
        read_regular_bytes(Path("/dev/zero"), 1 << 20, "ranked data")
    assert one_line(error) == "/dev/zero: the ranked data file must be a regular file, not a character device"


def test_refuses_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(LabError) as error:
            read_regular_bytes(path, 100, "config")
    assert one_line(error).endswith("must be a regular file, not a socket")


def test_missing_and_unreadable_and_nul(tmp_path: Path) -> None:
    with pytest.raises(LabError) as error:
        read_regular_bytes(tmp_path / "nope.toml", 100, "config")
    assert one_line(error) == f"{tmp_path / 'nope.toml'}: no such config file"
    with pytest.raises(LabError) as error:
        read_regular_bytes(Path("a\0b"), 100, "config")
    assert "not a valid path" in one_line(error)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.toml"
        locked.write_text("x")
        locked.chmod(0)
        with pytest.raises(LabError) as error:
            read_regular_bytes(locked, 100, "config")
        assert one_line(error) == f"{locked}: cannot read the config file (permission denied)"


def test_follows_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("data")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert read_regular_file(link, 10, "config") == "data"
    fifo_link = tmp_path / "fifo_link"
    os.mkfifo(tmp_path / "fifo")
    fifo_link.symlink_to(tmp_path / "fifo")
    with pytest.raises(LabError, match="not a named pipe"):
        open_regular_file(fifo_link, 10, "config")


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    """In a subprocess with a timeout: a regression that blocks on the FIFO fails instead of hanging."""
    fifo = tmp_path / "ranked.fifo"
    os.mkfifo(fifo)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from rl_lab.errors import LabError
        from rl_lab.runs.file_limits import read_regular_file
        try:
            read_regular_file(Path({str(fifo)!r}), 100, "ranked data")
        except LabError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO, check=True
    )
    assert result.stdout == f"{fifo}: the ranked data file must be a regular file, not a named pipe (FIFO)\n"


def test_fifo_swapped_in_after_stat_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: stat sees a regular file, then a FIFO takes its place before open."""
    path = tmp_path / "data.txt"
    path.write_text("x")
    real_stat = os.stat

    def stat_then_swap(target, *args, **kwargs):
        result = real_stat(target, *args, **kwargs)
        if Path(target) == path:
            path.unlink()
            os.mkfifo(path)
        return result

    monkeypatch.setattr(os, "stat", stat_then_swap)
    with pytest.raises(LabError) as error:  # O_NONBLOCK: opening a FIFO with no writer returns at once
        read_regular_bytes(path, 100, "ranked data")
    assert one_line(error).endswith("must be a regular file, not a named pipe (FIFO)")
