"""The synthetic labeller: ranks K clips by their true return, with Plackett-Luce noise.

The utility of a clip is its true return (the sum of the env's rewards over its steps; nothing
after an episode's end). At temperature T > 0 the ranking is Plackett-Luce over ``utility / T``
(the RLHF toy's :class:`rl_lab.rlhf.labeller.Labeller`): clips whose returns differ by Δ are put in
the right order with probability σ(Δ / T). Units are the env's reward: on BikeBalance one step
upright (0.05 s), on PaddleBall one return. The default T = 0.5 orders such a difference of 1
right 88 % of the time and a difference of 3 right 99.8 %. At T = 0 it ranks exactly by true
return, ties in random order. (Christiano et al.'s synthetic labeller was noise-free.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl_lab.prefs.clips import Clip
from rl_lab.rlhf.labeller import Labeller

DEFAULT_TEMPERATURE = 0.5


@dataclass(frozen=True)
class ClipLabeller:
    """Ranks groups of clips by true return, Plackett-Luce at ``temperature`` (0: exact)."""

    temperature: float = DEFAULT_TEMPERATURE

    def rank(self, returns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Rankings (..., K) of the clips whose true returns are ``returns`` (..., K): best first."""
        returns = np.asarray(returns, dtype=np.float64)
        if self.temperature > 0:
            return Labeller(temperature=self.temperature).rank(returns, rng)
        # Exact order; a random permutation first so that ties come out in random order.
        shuffle = np.argsort(rng.random(returns.shape), axis=-1)
        order = np.argsort(-np.take_along_axis(returns, shuffle, -1), axis=-1, kind="stable")
        return np.take_along_axis(shuffle, order, -1)

    def rank_clips(self, groups: list[list[Clip]], rng: np.random.Generator) -> list[np.ndarray]:
        """A ranking of each group of clips (the groups may differ in size)."""
        return [self.rank(np.array([c.true_return for c in group]), rng) for group in groups]
