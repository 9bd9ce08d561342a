"""Where numba keeps the compiled kernels, chosen before any kernel compiles.

numba's on-disk cache (``cache=True``) checks only the timestamp of the file that defines a
kernel, so a constant or a helper kernel imported from another file would be baked in stale
after an edit there. The cache directory is therefore keyed on a digest of every file that
kernels are compiled from (:data:`KERNEL_SOURCES`): any edit to any of them selects a fresh
directory. The directory sits in ``envs/__pycache__`` when the package is writable, else in the
user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``rl_lab/numba``), else in the temporary
directory; a ``NUMBA_CACHE_DIR`` set by the user is used as the root instead.

Kernels are decorated with :func:`njit` from here (never numba's directly), so the directory is
set before any kernel's cache is located (numba fixes it when a kernel is decorated).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Files whose code or constants end up inside compiled kernels (relative to the envs package).
KERNEL_SOURCES = (
    "_numba.py", "noise.py", "raster.py", "bicycle/physics.py", "bicycle/kernel.py", "paddle/kernel.py",
)


def source_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """A short digest of the kernel sources under ``package_dir`` (changes with any edit)."""
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        path = package_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def cache_roots(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """Candidate cache roots, best first."""
    user_root = os.environ.get("NUMBA_CACHE_DIR")
    if user_root:
        return [Path(user_root) / "rl_lab"]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [
        package_dir / "__pycache__" / "numba",
        Path(xdg) / "rl_lab" / "numba",
        Path(tempfile.gettempdir()) / f"rl_lab-numba-{os.getuid() if hasattr(os, 'getuid') else 0}",
    ]


def choose_cache_dir(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The first writable ``<root>/<digest>`` directory, or None (then kernels are not cached)."""
    digest = source_digest(package_dir)
    for root in cache_roots(package_dir):
        if _writable(root / digest):
            return root / digest
    return None


CACHE_DIR = choose_cache_dir()

import numba  # noqa: E402  (numba reads no cache setting at import; kernels read it when decorated)

if CACHE_DIR is not None:
    # Set on numba's config, not in the environment, so child processes choose for themselves.
    numba.config.CACHE_DIR = str(CACHE_DIR)

CACHE = CACHE_DIR is not None


def njit(*args, **kwargs):
    """``numba.njit`` with the on-disk cache on (when a writable directory was found) and numpy's
    division semantics (x / 0 is inf or nan, as in the numpy code the kernels replace, and no
    zero check on every division)."""
    kwargs.setdefault("cache", CACHE)
    kwargs.setdefault("error_model", "numpy")
    return numba.njit(*args, **kwargs)


prange = numba.prange
