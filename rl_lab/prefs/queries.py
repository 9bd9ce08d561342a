"""Which clips a label is asked about, and the true-order accuracy of r̂ on held-out clips."""

from __future__ import annotations

import numpy as np

from rl_lab.prefs.clips import Clip
from rl_lab.prefs.reward_net import RewardNet, group_scores


def sample_groups(clips: list[Clip], n_groups: int, k: int, rng: np.random.Generator) -> list[list[Clip]]:
    """``n_groups`` groups of ``k`` distinct clips drawn uniformly from ``clips`` (Christiano et al.
    asked instead about the pairs an ensemble of reward models disagreed on most)."""
    if len(clips) < k:
        return []
    return [[clips[i] for i in rng.choice(len(clips), size=k, replace=False)] for _ in range(n_groups)]


def true_order_accuracy(net: RewardNet, clips: list[Clip], pairs: int, rng: np.random.Generator) -> float:
    """Over up to ``pairs`` random pairs of ``clips`` whose true returns differ: the fraction that
    r̂'s clip sums order as the true returns do (ties in r̂ count one half). NaN if no such pair."""
    if len(clips) < 2:
        return float("nan")
    i = rng.integers(len(clips), size=pairs)
    j = rng.integers(len(clips), size=pairs)
    returns = np.array([c.true_return for c in clips])
    keep = returns[i] != returns[j]
    i, j = i[keep], j[keep]
    if not len(i):
        return float("nan")
    obs = np.stack([c.obs for c in clips])[None]
    actions = np.stack([c.actions for c in clips])[None]
    mask = (np.arange(clips[0].steps)[None, :] < np.array([c.length for c in clips])[:, None])[None]
    scores = group_scores(net, obs, actions, mask)[0]
    agree = np.sign(scores[i] - scores[j]) * np.sign(returns[i] - returns[j])
    return float(np.mean(np.where(agree > 0, 1.0, np.where(agree < 0, 0.0, 0.5))))
