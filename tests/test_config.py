"""Experiments load, validate and override; every mistake names the key and the file."""

from __future__ import annotations

import pytest
from conftest import TINY_CARTPOLE

from rl_lab.config import apply_overrides, list_experiments, load_experiment
from rl_lab.errors import LabError


def test_shipped_experiments_all_load() -> None:
    names = list_experiments()
    assert {"bike_balance_ppo", "bike_ride_ppo", "bike_balance_dqn", "bike_ride_sac_continuous"} <= set(names)
    for name in (n for n in names if not n.startswith("rlhf")):
        config = load_experiment(name)
        assert config.name == name
        assert config.total_timesteps > 0


def test_tiny_experiment_loads_with_types(write_experiment) -> None:
    config = load_experiment(str(write_experiment(TINY_CARTPOLE)))
    assert config.name == "tiny"
    assert config.networks.policy == [16]
    assert config.eval.episodes == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('algo = "ppo"', 'algo = "ppo"\nbogus_key = 1', "unknown key 'bogus_key'"),
        ("[eval]\nfreq = 256", "[eval]\nfreq = 'often'", "'eval.freq' must be an integer"),
        ("policy = [16]", "policy = 'big'", "'networks.policy' must be a list"),
        ("policy = [16]", "policy = [16, 'x']", r"'networks.policy\[1\]' must be an integer"),
        ("policy = [16]", "policy = [16]\nwidth = 3", "unknown key 'networks.width'"),
        ('algo = "ppo"', 'algo = "ppg"', "'algo' must be one of ppo, a2c, dqn, sac"),
        ("n_envs = 2", "n_envs = 0", "'n_envs' must be >= 1"),
    ],
)
def test_bad_keys_and_types_name_key_and_file(write_experiment, old: str, new: str, message: str) -> None:
    path = write_experiment(TINY_CARTPOLE.replace(old, new, 1))
    with pytest.raises(LabError, match=message) as info:
        load_experiment(str(path))
    assert str(path) in str(info.value)


def test_unknown_algorithm_kwarg_is_named(write_experiment) -> None:
    path = write_experiment(TINY_CARTPOLE.replace("n_epochs = 2", "n_epochs = 2\nlearning_rat = 0.1"))
    with pytest.raises(LabError, match=r"unknown key 'algo_kwargs.learning_rat'"):
        load_experiment(str(path))


def test_algorithm_kwarg_of_wrong_type(write_experiment) -> None:
    path = write_experiment(TINY_CARTPOLE.replace("n_epochs = 2", "n_epochs = 'two'"))
    with pytest.raises(LabError, match=r"'algo_kwargs.n_epochs' must be an integer"):
        load_experiment(str(path))


def test_unknown_env_id_and_env_kwarg(write_experiment) -> None:
    with pytest.raises(LabError, match=r"unknown 'env\.id' 'Nope-v0'"):
        load_experiment(str(write_experiment(TINY_CARTPOLE.replace("CartPole-v1", "Nope-v0"))))
    with_kwargs = TINY_CARTPOLE.replace('id = "CartPole-v1"', 'id = "CartPole-v1"\nkwargs = {wind = 2}')
    with pytest.raises(LabError, match=r"unknown key 'env\.kwargs\.wind'"):
        path = write_experiment(with_kwargs)
        load_experiment(str(path))


def test_rlhf_pipeline_is_pointed_to_its_command() -> None:
    with pytest.raises(LabError, match="run `rl-lab rlhf rlhf_toy`"):
        load_experiment("rlhf_toy")


def test_unknown_experiment_lists_known_ones() -> None:
    with pytest.raises(LabError, match=r"unknown experiment 'nope' \(known: .*bike_ride_ppo"):
        load_experiment("nope")


def test_invalid_toml_names_file(write_experiment) -> None:
    path = write_experiment("algo = ")
    with pytest.raises(LabError, match="not valid TOML") as info:
        load_experiment(str(path))
    assert str(path) in str(info.value)


def test_overrides_parse_toml_values_and_validate(write_experiment) -> None:
    path = str(write_experiment(TINY_CARTPOLE))
    config = load_experiment(path, ["algo_kwargs.learning_rate=3e-4", "networks.policy=[8, 8]", "seed=5"])
    assert config.algo_kwargs["learning_rate"] == pytest.approx(3e-4)
    assert config.networks.policy == [8, 8]
    assert config.seed == 5
    with pytest.raises(LabError, match="'seed' must be an integer"):
        load_experiment(path, ["seed=five"])
    with pytest.raises(LabError, match="expected key=value"):
        load_experiment(path, ["seed"])


def test_apply_overrides_creates_tables() -> None:
    assert apply_overrides({}, ["env.kwargs.noise=0"]) == {"env": {"kwargs": {"noise": 0}}}


@pytest.mark.parametrize(
    ("value", "message"),
    [("'fast'", "expected a number or 'lin_<number>'"), ("'lin_x'", "is not 'lin_<number>'"),
     ("'lin_0'", "must be > 0"), ("'lin_inf'", "must be > 0")],
)
def test_bad_schedule_string_is_named(write_experiment, value: str, message: str) -> None:
    path = write_experiment(TINY_CARTPOLE.replace("n_epochs = 2", f"n_epochs = 2\nlearning_rate = {value}"))
    with pytest.raises(LabError, match=rf"'algo_kwargs.learning_rate': .*{message}"):
        load_experiment(str(path))


def test_linear_schedule_decays_to_zero_over_training(write_experiment) -> None:
    from rl_lab.training.env_factory import make_vec_env
    from rl_lab.training.model_factory import build_model

    path = write_experiment(TINY_CARTPOLE.replace("n_epochs = 2", "n_epochs = 2\nlearning_rate = 'lin_1e-3'"))
    config = load_experiment(str(path))
    model = build_model(config, make_vec_env(config, config.n_envs, 0), 0)
    # SB3 calls the schedule with the remaining progress: 1 at the start, 0 at the end.
    assert model.lr_schedule(1.0) == pytest.approx(1e-3)
    assert model.lr_schedule(0.25) == pytest.approx(2.5e-4)
    assert model.lr_schedule(0.0) == 0.0
