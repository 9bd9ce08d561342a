"""The small CNN for pixel PaddleBall: output size, and use as PPO's two separate extractors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import PPO

from rl_lab.agents.cnn import SmallCNN
from rl_lab.envs.paddle.env import PaddleBallEnv

SHAPES = [((1, 40, 40), 64), ((4, 36, 36), 32), ((1, 84, 84), 128)]


@pytest.mark.parametrize(("shape", "features_dim"), SHAPES)
def test_outputs_features_dim_for_a_batch(shape: tuple[int, int, int], features_dim: int) -> None:
    cnn = SmallCNN(spaces.Box(0, 255, shape, np.uint8), features_dim=features_dim)
    out = cnn(torch.rand(7, *shape))
    assert out.shape == (7, features_dim) and cnn.features_dim == features_dim
    assert torch.isfinite(out).all()


def test_small_enough_for_a_two_core_cpu() -> None:
    cnn = SmallCNN(spaces.Box(0, 255, (1, 40, 40), np.uint8))
    assert 5_000 < sum(p.numel() for p in cnn.parameters()) < 100_000


def test_rejects_non_image_spaces() -> None:
    with pytest.raises(ValueError, match="image observations"):
        SmallCNN(spaces.Box(-1, 1, (5,), np.float32))


def test_ppo_gets_separate_policy_and_value_cnns() -> None:
    env = PaddleBallEnv(obs_mode="pixels", frame_size=40)
    model = PPO(
        "CnnPolicy", env, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu",
        policy_kwargs={"features_extractor_class": SmallCNN, "share_features_extractor": False,
                       "net_arch": {"pi": [64], "vf": [64]}},
    )  # fmt: skip
    policy = model.policy
    assert isinstance(policy.pi_features_extractor, SmallCNN)
    assert isinstance(policy.vf_features_extractor, SmallCNN)
    assert policy.pi_features_extractor is not policy.vf_features_extractor
    model.learn(32)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(int(action))
