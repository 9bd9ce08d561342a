"""The lean policy forward used by evaluation and videos chooses exactly SB3's ``predict`` actions."""

from __future__ import annotations

import numpy as np
import pytest

from rl_lab.agents.acting import policy_actions
from rl_lab.config import load_experiment
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.model_factory import build_model

CASES = [
    ("bike_balance_ppo", []),  # discrete actor-critic
    ("bike_balance_dqn", []),  # greedy over Q
    ("bike_ride_sac_continuous", []),  # squashed Gaussian, rescaled to the action space
    ("bike_balance_ppo", ["env.kwargs.continuous=true"]),  # Gaussian actor-critic, clipped
    ("paddle_pixels_ppo", ["n_envs=2"]),  # image observations, transposed and scaled by SB3
]


@pytest.mark.parametrize(("name", "overrides"), CASES)
@pytest.mark.parametrize("deterministic", [True, False])
def test_lean_actions_equal_sb3_predict(name: str, overrides: list[str], deterministic: bool) -> None:
    import torch

    config = load_experiment(name, overrides)
    venv = make_vec_env(config, 4, seed=0)
    model = build_model(config, venv, seed=0)
    model.policy.set_training_mode(False)
    observations = venv.reset()
    for _ in range(5):
        torch.manual_seed(1)
        np.random.seed(1)
        model.action_space.seed(1)
        expected, _ = model.predict(observations, deterministic=deterministic)
        torch.manual_seed(1)
        np.random.seed(1)
        model.action_space.seed(1)
        actions = policy_actions(model, observations, deterministic)
        assert actions.dtype == expected.dtype and np.array_equal(actions, expected)
        observations, *_ = venv.step(actions)
    venv.close()


def test_categorical_mode_equals_torch_on_near_ties() -> None:
    """The shortcut (argmax of the raw logits where the best clearly leads) and the exact path for
    near-ties choose what ``torch.distributions.Categorical(logits).mode`` chooses."""
    import torch

    from rl_lab.agents.acting import _categorical_mode

    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 30.0, 1e4):
        logits = rng.normal(0, scale, (400, 9)).astype(np.float32)
        best = logits.argmax(axis=1)
        runner_up = (best + 1 + rng.integers(0, 8, 400)) % 9
        gaps = scale * np.array([0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-3], np.float32)
        rows = np.arange(400)
        logits[rows, runner_up] = logits[rows, best] - gaps[rows % len(gaps)]
        tensor = torch.as_tensor(logits)
        expected = torch.distributions.Categorical(logits=tensor).mode.numpy()
        assert np.array_equal(_categorical_mode(tensor), expected)
        one_row = tensor[5:6]  # a clear leader alone takes the shortcut
        assert np.array_equal(_categorical_mode(one_row), expected[5:6])
