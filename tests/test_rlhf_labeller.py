"""Simulated labellers (rl_lab.rlhf.labeller): Plackett-Luce pairs and the Bayes ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.labeller import Labeller, bayes_ceiling, make_ranked_set, ranking_accuracy


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
