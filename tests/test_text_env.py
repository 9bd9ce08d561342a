"""The RLHF toy world: the text env's checks, the gold reward, the labellers and the Bayes ceiling."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.text.env import TextResponseEnv
from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.labeller import Labeller, bayes_ceiling, make_ranked_set, ranking_accuracy
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


def test_plackett_luce_rankings_have_bradley_terry_pairs() -> None:
    labeller = Labeller(temperature=0.5)
    utilities = np.array([1.0, 0.4, 0.0])
    rankings = labeller.rank(np.tile(utilities, (40_000, 1)), np.random.default_rng(0))
    first_above_second = np.mean(np.argmax(rankings == 0, axis=1) < np.argmax(rankings == 1, axis=1))
    assert first_above_second == pytest.approx(float(labeller.pair_probability(1.0, 0.4)), abs=0.01)


def test_bayes_ceiling_matches_monte_carlo() -> None:
    world = TextWorld()
    labeller = Labeller(temperature=0.7)
    rng = np.random.default_rng(1)
    ranked = make_ranked_set(world, labeller, 200, 5, rng)
    pairs = zip(ranked.prompts, ranked.responses, strict=True)
    utilities = [labeller.utility(world, np.full(len(g), p), g) for p, g in pairs]
    ceiling = bayes_ceiling(labeller, utilities)
    # Monte-Carlo: rank the same groups many times; score the gold ordering against each ranking.
    stacked = np.stack(utilities)
    accuracies = [ranking_accuracy(list(labeller.rank(stacked, rng)), utilities) for _ in range(40)]
    assert np.mean(accuracies) == pytest.approx(ceiling, abs=0.006)
    assert 0.6 < ceiling < 0.9
