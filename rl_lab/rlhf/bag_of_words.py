"""A Bradley-Terry model over bag-of-words features: an evaluator fitted on held-out rankings only.

It judges the policies of a run with a user's own held-out rankings (``--eval-rankings``) and
shares nothing with the reward model being optimised: neither data, nor architecture, nor
training. Score = w · φ(prompt, response), with φ binary features:

* each word present at least once, twice, three times (counts saturate: a liked word repeated
  six times is worth what it is three times, so repetition cannot be extrapolated upwards);
* each (prompt, word) present;
* the response's length (one-hot, 0 … max_len; max_len means cut off by the length limit);
* each bigram present, with start and end marks (word order and grammar).

The fit maximises the Bradley-Terry likelihood of all C(K, 2) pairs of every ranking (each pair
of a Plackett-Luce ranking is Bradley-Terry distributed) with an L2 penalty: a convex problem,
so the weights do not depend on initialisation. Scores are in the labeller's logit units:
σ(s_i - s_j) estimates P(i ranked above j).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import torch

from rl_lab.agents.reward_model import grouped_ranking_loss
from rl_lab.envs.text.world import EOS, TextWorld
from rl_lab.rlhf.labeller import RankedSet

COUNT_LEVELS = 3


class BagOfWordsScorer:
    """w · φ(prompt, response) for ``world``; call :meth:`fit` before :meth:`score`."""

    def __init__(self, world: TextWorld, l2: float = 3e-3) -> None:
        self.world, self.l2 = world, l2
        v = world.n_words
        self._offsets = np.cumsum([0, v * COUNT_LEVELS, world.n_prompts * v, world.max_len + 1])
        self.n_features = int(self._offsets[-1] + (v + 1) ** 2)  # bigrams over EOS (start/end) + words
        self.weights = np.zeros(self.n_features)

    def features(self, prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        """Feature indices of each response, padded with ``n_features`` (N, F_max)."""
        world, v = self.world, self.world.n_words
        count_at, word_at, length_at, bigram_at = (int(o) for o in self._offsets)
        rows = []
        for p, response in zip(np.asarray(prompts), np.asarray(responses), strict=True):
            words = [int(t) for t in response if t != world.pad_id]
            counts = np.bincount(words, minlength=v + 1)
            present = np.flatnonzero(counts)
            idx = [count_at + (w - 1) * COUNT_LEVELS + c for w in present for c in
                   range(min(int(counts[w]), COUNT_LEVELS))]
            idx += [word_at + int(p) * v + (w - 1) for w in present]
            idx.append(length_at + len(words))
            marks = [EOS, *words] + ([EOS] if len(words) < world.max_len else [])
            idx += sorted({bigram_at + a * (v + 1) + b for a, b in pairwise(marks)})
            rows.append(idx)
        width = max((len(r) for r in rows), default=0)
        out = np.full((len(rows), width), self.n_features, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    def score(self, prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        """The fitted score of each (prompt, padded response), float64 (N,)."""
        padded = np.append(self.weights, 0.0)  # the padding index scores 0
        return padded[self.features(prompts, responses)].sum(axis=1)

    def fit(self, ranked: RankedSet, max_iter: int = 200) -> BagOfWordsScorer:
        """Maximise the pairwise Bradley-Terry likelihood of ``ranked`` (full-batch L-BFGS)."""
        k = max(len(g) for g in ranked.responses)
        flat = np.concatenate(ranked.responses)
        prompts = np.repeat(ranked.prompts, [len(g) for g in ranked.responses])
        feats = torch.as_tensor(self.features(prompts, flat))
        slot = np.concatenate([np.arange(len(g)) + i * k for i, g in enumerate(ranked.responses)])
        ranks = np.zeros((len(ranked), k), dtype=np.int64)
        valid = np.zeros((len(ranked), k), dtype=bool)
        for i, ranking in enumerate(ranked.rankings):
            ranks[i, ranking] = np.arange(len(ranking))
            valid[i, : len(ranking)] = True
        ranks_t, valid_t, slot_t = torch.as_tensor(ranks), torch.as_tensor(valid), torch.as_tensor(slot)
        w = torch.zeros(self.n_features + 1, dtype=torch.float64, requires_grad=True)
        keep = torch.ones(self.n_features + 1, dtype=torch.float64)
        keep[-1] = 0.0  # the padding weight stays 0
        optimiser = torch.optim.LBFGS([w], max_iter=max_iter, tolerance_grad=1e-9,
                                      line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            per_response = (w * keep)[feats].sum(dim=1)
            scores = torch.zeros(len(ranked) * k, dtype=torch.float64).index_copy(0, slot_t, per_response)
            loss = grouped_ranking_loss(scores.reshape(len(ranked), k), ranks_t, valid_t)
            loss = loss + self.l2 * (w * keep).pow(2).sum()
            loss.backward()
            return loss

        optimiser.step(closure)
        self.weights = (w * keep).detach().numpy()[:-1].copy()
        return self
