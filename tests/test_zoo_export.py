"""RL Zoo export: the YAML Zoo reads carries each experiment's settings, and Zoo trains on it."""

from __future__ import annotations

import importlib
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import pytest
import yaml
from torch import nn

from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.model_factory import build_model
from rl_lab.zoo.export import ZOO_EXPERIMENTS, export_zoo, zoo_commands, zoo_hyperparams


def _get_class_by_name(name: str) -> type:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


# Zoo evals policy_kwargs in its exp_manager module's globals; the exported strings use two of
# those names (the slow test checks them against Zoo's own; importing Zoo here costs seconds).
ZOO_EVAL_NAMES: dict[str, Any] = {"nn": nn, "get_class_by_name": _get_class_by_name}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    directory = tmp_path_factory.mktemp("zoo")
    paths = export_zoo(directory)
    assert sorted(p.name for p in paths) == ["dqn.yml", "ppo.yml", "sac.yml"]
    return {p.stem: yaml.safe_load(p.read_text()) for p in paths}


def test_every_env_id_but_the_text_env_is_exported(exported: dict[str, dict[str, Any]]) -> None:
    ids = {env_id for entries in exported.values() for env_id in entries}
    assert ids == {"rl_lab/BikeBalance-v0", "rl_lab/BikeRide-v0", "rl_lab/PaddleBall-v0"}
    assert set(exported["ppo"]) == ids


@pytest.mark.parametrize("name", ZOO_EXPERIMENTS)
def test_entry_carries_the_experiment(name: str, exported: dict[str, dict[str, Any]]) -> None:
    config = load_experiment(name)
    entry = dict(exported[config.algo][config.env.id])
    assert entry["n_envs"] == config.n_envs
    assert entry["n_timesteps"] == config.total_timesteps
    assert entry["env_kwargs"] == config.env.kwargs
    for key, value in config.algo_kwargs.items():
        assert entry[key] == value, key  # "lin_5e-4" stays a string: Zoo's own schedule syntax

    # The evaluated policy_kwargs and policy class are those of the model the lab itself builds.
    venv = make_vec_env(config, 1, seed=0)
    model = build_model(config, venv, seed=0)
    venv.close()
    built = {k: v for k, v in model.policy_kwargs.items() if k != "use_sde"}  # SAC adds use_sde itself
    assert eval(entry["policy_kwargs"], ZOO_EVAL_NAMES) == built
    assert type(model).policy_aliases[entry["policy"]] is model.policy_class


def test_pixel_paddle_exports_its_keypoint_cnn_and_frame_stack() -> None:
    config = load_experiment("paddle_pixels_ppo")
    entry = zoo_hyperparams(("paddle_pixels_ppo",))["ppo"]["rl_lab/PaddleBall-v0"]
    kwargs = eval(entry["policy_kwargs"], ZOO_EVAL_NAMES)
    assert kwargs["features_extractor_class"].__name__ == "KeypointCNN"
    assert kwargs["net_arch"] == {"pi": config.networks.policy, "vf": config.networks.value}
    assert kwargs["activation_fn"] is nn.ReLU
    assert (entry["policy"], entry["frame_stack"]) == ("CnnPolicy", 4)


def test_two_experiments_for_one_algo_and_env_id_are_refused() -> None:
    with pytest.raises(LabError, match=r"paddle_pixels_ppo.*paddle_vector_ppo.*one entry per env id"):
        zoo_hyperparams(("paddle_vector_ppo", "paddle_pixels_ppo"))


def _env_kwargs_after(flag: str, command: str) -> dict[str, Any]:
    """``--env-kwargs``-style arguments read back as Zoo's StoreDict reads them (value eval'd)."""
    words = shlex.split(command)
    start = words.index(flag) + 1
    end = next((i for i in range(start, len(words)) if words[i].startswith("--")), len(words))
    return {w.split(":", 1)[0]: eval(w.split(":", 1)[1]) for w in words[start:end]}


@pytest.mark.parametrize("name", ["paddle_vector_ppo", "bike_ride_sac_continuous"])
def test_commands_pass_env_kwargs_where_zoo_ignores_the_file(name: str) -> None:
    config = load_experiment(name)
    train, enjoy, video = zoo_commands(name, Path("zoo"))
    assert f"-conf zoo/{config.algo}.yml" in train and "--gym-packages rl_lab" in enjoy
    assert _env_kwargs_after("--eval-env-kwargs", train) == config.env.kwargs
    assert _env_kwargs_after("--env-kwargs", video) == config.env.kwargs
    assert video.startswith("python -m rl_lab.zoo.record_video ")


@pytest.mark.slow
def test_zoo_trains_enjoys_and_records_bike_balance(tmp_path: Path) -> None:
    pytest.importorskip("rl_zoo3")
    pytest.importorskip("moviepy")
    zoo_globals = vars(importlib.import_module("rl_zoo3.exp_manager"))
    assert zoo_globals["nn"] is nn
    keypoint_cnn = zoo_globals["get_class_by_name"]("rl_lab.agents.keypoint_cnn.KeypointCNN")
    assert keypoint_cnn.__name__ == "KeypointCNN"
    export_zoo(tmp_path / "zoo")
    train, enjoy, video = zoo_commands("bike_balance_ppo", Path("zoo"))
    tiny = " --n-timesteps 256 --eval-freq -1"

    def run(command: str) -> str:
        words = shlex.split(command)
        assert words[:2] == ["python", "-m"]
        done = subprocess.run(
            [sys.executable, *words[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run(train.split(" --eval-freq")[0] + tiny)
    run_dir = tmp_path / "logs" / "ppo" / "rl_lab-BikeBalance-v0_1"
    assert (run_dir / "rl_lab-BikeBalance-v0.zip").is_file()
    assert "action_repeat: 5" in (run_dir / "rl_lab-BikeBalance-v0" / "config.yml").read_text()
    assert "Mean episode length" in run(enjoy.split(" -n ")[0] + " -n 200")
    run(video.replace("-n 600", "-n 30"))
    (mp4,) = (run_dir / "videos").glob("*.mp4")
    assert len(iio.imread(mp4, index=None)) >= 30
