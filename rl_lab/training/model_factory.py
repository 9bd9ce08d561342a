"""Build an experiment's SB3 model: every SB3 keyword the lab sets is written here, in one function.

Following a config key to SB3: ``networks.policy`` -> ``net_arch["pi"]`` (below), ``networks.value``
-> ``net_arch["vf"]`` / ``["qf"]`` / DQN's ``net_arch``, ``algo_kwargs.*`` -> the algorithm's own
keyword arguments (``lin_`` schedule strings turned into schedules).
"""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.agents.features import ACTIVATIONS, features_extractor_class, is_image_space
from rl_lab.config import ExperimentConfig
from rl_lab.config.algorithms import algorithm_class
from rl_lab.config.schedules import resolve_schedules
from rl_lab.errors import LabError


def policy_kwargs(config: ExperimentConfig, image: bool) -> dict[str, Any]:
    """SB3 ``policy_kwargs`` giving the algorithm a separate policy and value network."""
    nets = config.networks
    kwargs: dict[str, Any] = {"activation_fn": ACTIVATIONS[nets.activation]}
    if config.algo in ("ppo", "a2c"):
        kwargs.update(net_arch={"pi": nets.policy, "vf": nets.value}, share_features_extractor=False)
    elif config.algo == "sac":
        kwargs.update(net_arch={"pi": nets.policy, "qf": nets.value}, share_features_extractor=False)
    else:  # DQN: one Q network; the policy is greedy over it
        kwargs.update(net_arch=nets.value)
    features = "nature_cnn" if image and nets.features == "flatten" else nets.features
    extractor = features_extractor_class(features)
    if extractor is not None:
        kwargs["features_extractor_class"] = extractor
    return kwargs


def build_model(config: ExperimentConfig, venv: VecEnv, seed: int) -> BaseAlgorithm:
    """The SB3 algorithm named by ``config.algo`` on ``venv``, seeded, with separate networks."""
    image = is_image_space(venv.observation_space)
    try:
        return algorithm_class(config.algo)(
            "CnnPolicy" if image else "MlpPolicy",
            venv,
            policy_kwargs=policy_kwargs(config, image),
            seed=seed,
            verbose=0,
            device="cpu",
            **resolve_schedules(config.algo_kwargs),
        )
    except (ValueError, TypeError, AssertionError) as error:
        raise LabError(f"experiment '{config.name}': cannot build {config.algo}: {error}") from None
