"""The wheel holds every module and experiment, and a non-editable install works on its own."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = {"rl_lab": "rl_lab", "envs": "rl_lab/envs", "agents": "rl_lab/agents",
                  "experiments": "rl_lab/experiments"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
         str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("rl_lab-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_every_module_and_experiment(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, package_path in SOURCE_FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                expected.add(f"{package_path}/{path.relative_to(ROOT / folder).as_posix()}")
    assert expected - names == set()
    assert not {n for n in names if n.startswith(("envs/", "agents/", "experiments/", "tests/"))}


@pytest.mark.slow
def test_non_editable_install_lists_and_trains(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    # The fresh virtualenv borrows only the dependencies (torch, SB3...) of the test environment,
    # through a path entry whose own .pth files (the editable install's finder) are NOT run.
    (target,) = (env_dir / "lib").glob("python3*/site-packages")
    (target / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env_dir / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    where = subprocess.run([str(python), "-c", "import rl_lab; print(rl_lab.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert str(target) in where.stdout, where.stdout + where.stderr
    listed = subprocess.run([str(env_dir / "bin" / "rl-lab"), "list"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    for name in (p.stem for p in (ROOT / "experiments").glob("*.toml")):
        assert f"  {name}\n" in listed.stdout
    trained = subprocess.run(
        [str(env_dir / "bin" / "rl-lab"), "train", "bike_balance_ppo", "--timesteps", "256", "--no-video",
         "--no-progress", "--set", "eval.freq=128", "--set", "eval.episodes=1",
         "--set", "env.eval_kwargs.max_seconds=2.0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert (tmp_path / "runs" / "bike_balance_ppo" / "0" / "summary.json").is_file()


@pytest.mark.slow
def test_a_checkout_imports_without_the_editable_finder(tmp_path: Path) -> None:
    # -S skips site-packages' .pth files (the editable install's finder); the checkout alone is enough.
    env = {"PYTHONPATH": f"{ROOT}:{sysconfig.get_paths()['purelib']}", "PATH": "/usr/bin:/bin"}
    code = ("import rl_lab.envs.bicycle.env, rl_lab.agents.features\n"
            "from rl_lab.config import list_experiments\n"
            "print(rl_lab.envs.__file__, len(list_experiments()))")
    done = subprocess.run([sys.executable, "-S", "-c", code], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    envs_file, count = done.stdout.split()
    assert envs_file == str(ROOT / "envs" / "__init__.py")
    assert int(count) == len(list((ROOT / "experiments").glob("*.toml")))
