"""Discrete actions carry names for the watch panel, matching the action mappings."""

from __future__ import annotations

import gymnasium as gym

import rl_lab  # noqa: F401  (registers the ids)


def test_bicycle_labels_follow_the_paper_mapping() -> None:
    env = gym.make("rl_lab/BikeBalance-v0", noise=0.0)
    labels = env.unwrapped.action_labels
    assert labels[6] == "T+ d-" and labels[4] == "T0 d0"
    env.reset(seed=0)
    _, _, _, _, info = env.step(labels.index("T+ d0"))
    assert info["theta_dot"] > 0  # positive torque turns the handlebar positively
    assert gym.make("rl_lab/BikeBalance-v0", continuous=True).unwrapped.action_labels is None


def test_paddle_labels_name_up_and_down() -> None:
    env = gym.make("rl_lab/PaddleBall-v0")
    labels = env.unwrapped.action_labels
    env.reset(seed=0)
    _, _, _, _, before = env.step(labels.index("stay"))
    _, _, _, _, after = env.step(labels.index("up"))
    assert after["paddle_y"] > before["paddle_y"]
    assert len(labels) == env.action_space.n
