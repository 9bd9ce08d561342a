"""The RLHF toy world: the text env's checks, the gold reward, encoding."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.text.env import TextResponseEnv
from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import EOS, TextWorld


def test_text_env_passes_gymnasium_and_sb3_checks() -> None:
    env = gym.make("rl_lab/TextResponse-v0")
    check_env(env.unwrapped)
    sb3_check_env(TextResponseEnv(), warn=True)


def test_text_env_episode_and_reward_fn() -> None:
    calls = []

    def reward_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        calls.append((prompts.copy(), responses.copy()))
        return np.full(len(prompts), 7.0)

    env = TextResponseEnv(reward_fn=reward_fn)
    obs, _ = env.reset(seed=3)
    world = env.world
    assert obs.dtype == np.float32 and obs[1:].tolist() == [world.pad_id] * world.max_len
    sun, rain = world.word_id["sun"], world.word_id["rain"]
    assert env.step(sun)[1:3] == (0.0, False)
    obs, reward, terminated, truncated, info = env.step(rain)
    assert obs[1:3].tolist() == [sun, rain] and reward == 0.0
    obs, reward, terminated, truncated, info = env.step(EOS)
    assert (reward, terminated, truncated) == (7.0, True, False)
    assert info["episode_metrics"] == {"length": 2.0, "score": 7.0}
    assert world.decode(calls[0][1][0]) == "sun rain"


def test_text_env_length_limit_ends_the_episode() -> None:
    env = TextResponseEnv(max_len=3)
    env.reset(seed=0)
    results = [env.step(1) for _ in range(3)]
    assert [r[2] for r in results] == [False, False, True]


@pytest.mark.parametrize("action", [27, -1, 2.5])
def test_text_env_rejects_invalid_actions(action: float) -> None:
    env = TextResponseEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(action)


def test_gold_reward_prefers_fluent_relevant_responses() -> None:
    world = TextWorld()
    weather = world.prompt_id["weather"]
    texts = ["the sun is the rain", "ball goal", "rain rain rain rain rain", ""]
    responses = np.stack([world.encode(t) for t in texts])
    gold = gold_reward(world, np.full(len(texts), weather), responses)
    assert gold[0] == pytest.approx(3.5)
    assert gold[0] > gold[1] and gold[0] > gold[2] and gold[0] > gold[3]


def test_world_encode_decode_round_trip() -> None:
    world = TextWorld()
    rng = np.random.default_rng(0)
    responses = world.sample_responses(world.sample_prompts(50, rng), rng)
    for r in responses:
        assert np.array_equal(world.encode(world.decode(r)), r)
    with pytest.raises(ValueError, match="unknown word"):
        world.encode("the cat")
