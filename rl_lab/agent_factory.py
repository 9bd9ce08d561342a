"""Build an experiment's SB3 model with the lab's two separate networks."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.agents.features import features_extractor_class
from rl_lab.agents.two_network import policy_kwargs_for
from rl_lab.algorithms import algorithm_class
from rl_lab.config import ExperimentConfig
from rl_lab.errors import LabError
from rl_lab.schedules import resolve_schedules


def is_image_space(space: spaces.Space) -> bool:
    """True for uint8 (H, W, C) boxes: what SB3's CNN policies take."""
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3


def build_model(config: ExperimentConfig, venv: VecEnv, seed: int) -> BaseAlgorithm:
    """The SB3 algorithm named by ``config.algo`` on ``venv``, seeded, with separate networks."""
    cls = algorithm_class(config.algo)
    image = is_image_space(venv.observation_space)
    features = config.networks.features
    if image and features == "flatten":
        features = "nature_cnn"
    try:
        policy_kwargs = policy_kwargs_for(
            config.algo,
            config.networks.policy,
            config.networks.value,
            config.networks.activation,
            features_extractor_class(features),
        )
        return cls(
            "CnnPolicy" if image else "MlpPolicy",
            venv,
            policy_kwargs=policy_kwargs,
            seed=seed,
            verbose=0,
            device="cpu",
            **resolve_schedules(config.algo_kwargs),
        )
    except (ValueError, TypeError, AssertionError) as error:
        raise LabError(f"experiment '{config.name}': cannot build {config.algo}: {error}") from None
