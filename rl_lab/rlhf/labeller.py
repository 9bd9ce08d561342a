"""Labellers who rank K responses to a prompt, and the Bayes ceiling of pairwise accuracy.

A labeller sees ``utility = gold + length_bias * length`` and ranks by Plackett-Luce at a
temperature T: the best response is drawn with probability ∝ exp(utility / T), then the best of the
rest, and so on (sampled exactly with the Gumbel trick). Under Plackett-Luce the probability that
response i is ranked above response j is σ((u_i - u_j) / T), so the best any reward model can do
on a pair is to pick the higher utility, and be right with probability σ(|u_i - u_j| / T): the mean
of that over the pairs of a data set is the Bayes ceiling of pairwise accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import TextWorld


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class Labeller:
    """A noisy ranker: Plackett-Luce over ``gold + length_bias * length`` at ``temperature``."""

    temperature: float = 0.7
    length_bias: float = 0.0

    def utility(self, world: TextWorld, prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        """What this labeller values in each response (N,)."""
        return gold_reward(world, prompts, responses) + self.length_bias * world.lengths(responses)

    def rank(self, utilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Plackett-Luce rankings of utilities (..., K): indices, best first."""
        gumbel = rng.gumbel(size=utilities.shape)
        return np.argsort(-(utilities / self.temperature + gumbel), axis=-1, kind="stable")

    def pair_probability(self, u_i: np.ndarray, u_j: np.ndarray) -> np.ndarray:
        """P(this labeller ranks i above j)."""
        return _sigmoid((np.asarray(u_i) - np.asarray(u_j)) / self.temperature)


def all_pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The C(k, 2) index pairs (i < j)."""
    i, j = np.triu_indices(k, 1)
    return i, j


def bayes_ceiling(labeller: Labeller, utilities: list[np.ndarray]) -> float:
    """Expected pairwise accuracy of the best possible predictor over all pairs of each group.

    ``utilities[g]`` are the labeller's utilities of group g's responses; ties count one half.
    """
    total, count = 0.0, 0
    for u in utilities:
        i, j = all_pairs(len(u))
        diff = np.abs(u[i] - u[j])
        total += float(np.where(diff == 0, 0.5, _sigmoid(diff / labeller.temperature)).sum())
        count += len(i)
    return total / max(count, 1)


def expected_accuracy(labeller: Labeller, utilities: list[np.ndarray], scores: list[np.ndarray]) -> float:
    """Expected pairwise agreement of ``scores`` with the labeller's (random) rankings of each group.

    A pair scored equal counts one half. Equals :func:`bayes_ceiling` when scores order as utilities.
    """
    total, count = 0.0, 0
    for u, s in zip(utilities, scores, strict=True):
        i, j = all_pairs(len(u))
        p_i_first = labeller.pair_probability(u[i], u[j])
        sign = np.sign(s[i] - s[j])
        total += float(np.where(sign > 0, p_i_first, np.where(sign < 0, 1 - p_i_first, 0.5)).sum())
        count += len(i)
    return total / max(count, 1)


def ranking_accuracy(rankings: list[np.ndarray], scores: list[np.ndarray]) -> float:
    """Fraction of the pairs implied by ``rankings`` (best first) that ``scores`` order the same way."""
    total, count = 0.0, 0
    for ranking, s in zip(rankings, scores, strict=True):
        ordered = np.asarray(s)[np.asarray(ranking)]
        i, j = all_pairs(len(ordered))
        diff = ordered[i] - ordered[j]  # i is ranked above j
        total += float(np.where(diff > 0, 1.0, np.where(diff < 0, 0.0, 0.5)).sum())
        count += len(i)
    return total / max(count, 1)


@dataclass
class RankedSet:
    """Groups of K responses to one prompt each, with a labeller's rankings (best first)."""

    prompts: np.ndarray  # (G,) prompt ids
    responses: list[np.ndarray]  # G arrays (K_g, max_len) of padded responses, K_g >= 2
    rankings: list[np.ndarray]  # G permutations of range(K_g), best first

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, index: np.ndarray) -> RankedSet:
        """The groups at ``index``."""
        return RankedSet(
            self.prompts[index], [self.responses[i] for i in index], [self.rankings[i] for i in index]
        )


def make_ranked_set(
    world: TextWorld, labeller: Labeller, n_groups: int, k: int, rng: np.random.Generator
) -> RankedSet:
    """``n_groups`` prompts with ``k`` responses each from the hidden language, ranked by ``labeller``."""
    prompts = world.sample_prompts(n_groups, rng)
    flat = world.sample_responses(np.repeat(prompts, k), rng)
    responses = flat.reshape(n_groups, k, world.max_len)
    utilities = labeller.utility(world, np.repeat(prompts, k), flat).reshape(n_groups, k)
    rankings = labeller.rank(utilities, rng)
    return RankedSet(prompts, list(responses), list(rankings))
