"""Ranked groups of clips as the arrays the reward model trains on, and its accuracy on them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rl_lab.prefs.clips import Clip
from rl_lab.prefs.reward_net import RewardNet, group_scores
from rl_lab.rlhf.labeller import ranking_accuracy


@dataclass
class RankedClips:
    """Groups of clips, each with a ranking (indices into the group, best first)."""

    groups: list[list[Clip]] = field(default_factory=list)
    rankings: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.groups)

    def add(self, groups: list[list[Clip]], rankings: list[np.ndarray]) -> None:
        self.groups += groups
        self.rankings += [np.asarray(r) for r in rankings]

    @property
    def pairs(self) -> int:
        """The pairwise comparisons the rankings imply: C(K, 2) per group."""
        return sum(len(g) * (len(g) - 1) // 2 for g in self.groups)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """obs (G, K, k, d), actions (G, K, k[, a]), mask (G, K, k), ranks (G, K) (-1: no clip)."""
        k_max = max(len(g) for g in self.groups)
        first = self.groups[0][0]
        g_n, steps = len(self.groups), first.steps
        obs = np.zeros((g_n, k_max, steps, *first.obs.shape[1:]), np.float32)
        actions = np.zeros((g_n, k_max, steps, *first.actions.shape[1:]), first.actions.dtype)
        mask = np.zeros((g_n, k_max, steps), bool)
        ranks = np.full((g_n, k_max), -1, np.int64)
        for g, (group, ranking) in enumerate(zip(self.groups, self.rankings, strict=True)):
            for c, clip in enumerate(group):
                obs[g, c], actions[g, c] = clip.obs, clip.actions
                mask[g, c, : clip.length] = True
            ranks[g, ranking] = np.arange(len(ranking))
        return obs, actions, mask, ranks

    def accuracy(self, net: RewardNet) -> float:
        """Fraction of the rankings' pairs that the net's clip scores order the same way."""
        if not self.groups:
            return float("nan")
        obs, actions, mask, _ = self.arrays()
        scores = group_scores(net, obs, actions, mask)
        return ranking_accuracy(self.rankings, [scores[g, : len(grp)] for g, grp in enumerate(self.groups)])


def step_samples(clips: list[Clip]) -> tuple[np.ndarray, np.ndarray]:
    """Every real step of ``clips``: observations and actions (for the reward's scale)."""
    obs = np.concatenate([c.obs[: c.length] for c in clips])
    actions = np.concatenate([c.actions[: c.length] for c in clips])
    return obs, actions
