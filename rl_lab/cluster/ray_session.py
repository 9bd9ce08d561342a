"""One Ray session for one command: an embedded local cluster sized to the machine, or a connection
to a running cluster (``--address HOST:PORT|auto`` or ``RAY_ADDRESS``), shut down on every exit path.

Ray is an optional extra (``pip install "rl-lab[cluster]"``): without it, a clear one-line error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from types import ModuleType

from rl_lab.errors import LabError

CONNECT_TIMEOUT_S = 5.0  # an address that does not answer in this long is reported, not waited on
INSTALL_HINT = 'pip install "rl-lab[cluster]"'


def import_ray() -> ModuleType:
    """The ``ray`` module, or a LabError saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise LabError(f"Ray is not installed ({error}); install it with: {INSTALL_HINT}") from None
    return ray


def default_workers(torch_threads: int) -> int:
    """Jobs at once by default: the machine's cores divided by each job's torch threads."""
    return max(1, (os.cpu_count() or 1) // max(1, torch_threads))


def _check_reachable(address: str) -> None:
    """Fail in one line, within seconds, when HOST:PORT does not accept connections (Ray itself
    retries for a long time)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise LabError(f"--address {address!r}: expected HOST:PORT or 'auto'")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or error
        raise LabError(f"--address {address}: no Ray cluster answers there ({reason})") from None


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[ModuleType]:
    """Yield ``ray`` connected to a cluster; always shut down (Ctrl-C included) what this call started.

    Without ``address`` (and no ``RAY_ADDRESS``) an embedded cluster of ``num_cpus`` CPUs (default:
    the machine's cores) is started for the command and stopped with it. A session the caller
    already opened (a notebook, a test fixture) is used as is and left running.
    """
    ray = import_ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and address != "auto":
        _check_reachable(address.removeprefix("ray://"))
    if ray.is_initialized():
        yield ray
        return
    options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        ray.shutdown()
        where = f"--address {address}" if address else "local Ray cluster"
        raise LabError(f"{where}: cannot start or join Ray: {str(error).splitlines()[0]}") from None
    try:
        yield ray
    finally:
        ray.shutdown()
