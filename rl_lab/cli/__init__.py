"""The ``rl-lab`` command line. Anything a user can get wrong ends in one line and exit code 2."""

from __future__ import annotations

import os
import signal
import sys

from rl_lab.cli.commands import COMMANDS
from rl_lab.cli.parser import EXIT_USER_ERROR, _parser
from rl_lab.errors import LabError

__all__ = ["EXIT_USER_ERROR", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rl-lab`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so half-written temp files are removed.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        COMMANDS[args.command](args)
    except LabError as error:
        print(f"rl-lab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError as error:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader of our output went away (`rl-lab ... | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        print(f"rl-lab: error: a pipe closed while writing ({error.strerror})", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("rl-lab: interrupted (an interrupted `train` continues with --resume from its last checkpoint)",
              file=sys.stderr)
        return 130
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
