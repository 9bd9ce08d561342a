"""numba's on-disk kernel cache: never stale, always somewhere writable."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rl_lab.envs import _numba

KERNEL_MODULES = {
    "noise.py": "rl_lab.envs.noise",
    "raster.py": "rl_lab.envs.raster",
    "bicycle/physics.py": "rl_lab.envs.bicycle.physics",
    "bicycle/kernel.py": "rl_lab.envs.bicycle.kernel",
    "paddle/kernel.py": "rl_lab.envs.paddle.kernel",
}


def _module_file(module: str) -> str:
    """``rl_lab.envs.a.b`` -> ``a/b.py`` (the path inside the envs package)."""
    return module.removeprefix("rl_lab.envs.").replace(".", "/") + ".py"


def test_every_file_a_kernel_reads_is_in_the_cache_key() -> None:
    """A kernel's cached machine code holds the constants and helper kernels it reads; numba checks
    only the kernel's own file, so every file they come from must be in the cache key."""
    assert set(KERNEL_MODULES) | {"_numba.py"} == set(_numba.KERNEL_SOURCES)
    for name in KERNEL_MODULES:
        tree = ast.parse((_numba.PACKAGE_DIR / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rl_lab.envs"):
                assert _module_file(node.module) in _numba.KERNEL_SOURCES, (name, node.module)


def _copy_envs(tmp_path: Path) -> Path:
    package = tmp_path / "rl_lab"
    shutil.copytree(_numba.PACKAGE_DIR, package / "envs", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    return package / "envs"


def test_an_edit_to_any_kernel_source_selects_a_fresh_cache(tmp_path: Path) -> None:
    envs = _copy_envs(tmp_path)
    before = _numba.source_digest(envs)
    assert before == _numba.source_digest(_numba.PACKAGE_DIR)
    physics = envs / "bicycle" / "physics.py"
    physics.write_text(physics.read_text().replace("G = 9.82", "G = 9.81"))  # a constant elsewhere
    assert _numba.source_digest(envs) != before
    physics.write_text(physics.read_text().replace("G = 9.81", "G = 9.82"))
    assert _numba.source_digest(envs) == before
    env = envs / "bicycle" / "env.py"  # not compiled: editing it costs no recompilation
    env.write_text(env.read_text() + "\n# an edit\n")
    assert _numba.source_digest(envs) == before


def test_kernels_run_from_a_read_only_package(tmp_path: Path) -> None:
    envs = _copy_envs(tmp_path)
    # As root, permissions do not stop writes; a file where the cache directory would go does.
    (envs / "__pycache__").write_text("")
    for path in [*envs.rglob("*"), envs]:
        path.chmod(path.stat().st_mode & ~0o222)
    cache_home = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(tmp_path), XDG_CACHE_HOME=str(cache_home), PYTHONDONTWRITEBYTECODE="1")
    script = "\n".join([
        "import rl_lab.envs._numba as n",
        "from rl_lab.envs.paddle.vector import PaddleBallVectorEnv",
        f"assert n.__file__.startswith({str(tmp_path)!r}), n.__file__",
        "obs, _ = PaddleBallVectorEnv(2).reset(seed=0)",  # compiles (and caches) the reset kernel
        "print(n.CACHE_DIR, obs.shape)",
    ])  # fmt: skip
    try:
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
    finally:
        for path in [*envs.rglob("*"), envs]:
            path.chmod(path.stat().st_mode | 0o200)
    assert result.returncode == 0, result.stderr[-2000:]
    cache_dir, shape = result.stdout.split(" ", 1)
    assert Path(cache_dir) == cache_home / "rl_lab" / "numba" / _numba.source_digest(envs)
    assert shape.strip() == "(2, 5)"
    assert list(Path(cache_dir).rglob("*.nbi")), "the kernels were cached in the user cache"


@pytest.mark.parametrize("user_root", [True, False])
def test_cache_root_respects_numba_cache_dir(monkeypatch, tmp_path: Path, user_root: bool) -> None:
    if user_root:
        monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
        assert _numba.cache_roots()[0] == tmp_path / "mine" / "rl_lab"
    else:
        monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
        assert _numba.cache_roots()[0] == _numba.PACKAGE_DIR / "__pycache__" / "numba"
