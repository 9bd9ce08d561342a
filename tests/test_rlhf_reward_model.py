"""The reward model: grouped loss by hand, learning from rankings, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rl_lab.agents.reward_model import grouped_ranking_loss, pairwise_loss
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.labeller import Labeller, make_ranked_set
from rl_lab.rlhf.reward_training import (
    heldout_accuracy,
    make_reward_model,
    score_responses,
    train_reward_model,
)

torch.set_num_threads(1)


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x))


def test_grouped_loss_equals_hand_computed_value() -> None:
    # Group 1: three responses scored 1, 0, 2, ranked 2 > 0 > 1 (ranks 1, 2, 0).
    # Group 2: two responses (third is padding) scored 0.5, -0.5, ranked 1 > 0.
    scores = torch.tensor([[1.0, 0.0, 2.0], [0.5, -0.5, 9.0]])
    ranks = torch.tensor([[1, 2, 0], [1, 0, 2]])
    valid = torch.tensor([[True, True, True], [True, True, False]])
    group1 = -(_log_sigmoid(2 - 1) + _log_sigmoid(2 - 0) + _log_sigmoid(1 - 0)) / 3
    group2 = -_log_sigmoid(-0.5 - 0.5)
    loss = grouped_ranking_loss(scores, ranks, valid)
    assert float(loss) == pytest.approx((group1 + group2) / 2, rel=1e-6)
    assert float(pairwise_loss(torch.tensor([2.0]), torch.tensor([1.0]))) == pytest.approx(-_log_sigmoid(1.0))


def _train(seed: int, groups: int = 300) -> tuple[object, TextWorld]:
    torch.manual_seed(seed)
    world = TextWorld()
    ranked = make_ranked_set(world, Labeller(0.7), groups, 6, np.random.default_rng(seed))
    rm = make_reward_model(world)
    train_reward_model(rm, ranked, world, epochs=6, lr=3e-3, batch_size=32, seed=seed)
    return rm, world


def test_reward_model_beats_chance_on_heldout_rankings() -> None:
    rm, world = _train(0)
    heldout = make_ranked_set(world, Labeller(0.7), 300, 6, np.random.default_rng(99))
    assert heldout_accuracy(rm, heldout, world) > 0.62


def test_pairs_mode_trains_too() -> None:
    torch.manual_seed(0)
    world = TextWorld()
    ranked = make_ranked_set(world, Labeller(0.7), 100, 4, np.random.default_rng(0))
    rm = make_reward_model(world)
    losses = train_reward_model(rm, ranked, world, epochs=2, lr=3e-3, batch_size=64, seed=0, mode="pairs")
    assert losses[-1] < losses[0]


def test_normalise_gives_mean_zero_and_same_seed_same_weights() -> None:
    a, world = _train(3, groups=60)
    b, _ = _train(3, groups=60)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    rng = np.random.default_rng(1)
    prompts = world.sample_prompts(200, rng)
    responses = world.sample_responses(prompts, rng)
    a.normalise(torch.as_tensor(prompts), torch.as_tensor(world.with_eos(responses)))
    assert abs(score_responses(a, world, prompts, responses).mean()) < 1e-5
