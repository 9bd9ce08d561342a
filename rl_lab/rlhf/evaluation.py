"""Evaluating a token policy: reward-model score, the judges' scores and exact KL to the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy

from rl_lab.agents.reward_model import RewardModel
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.generation import exact_kl, sample_responses
from rl_lab.rlhf.judges import Judge, ScoreFn, win_rate
from rl_lab.rlhf.labeller import RankedSet, ranking_accuracy
from rl_lab.rlhf.reward_training import score_responses

REWARD_MODEL = "reward_model"  # the key of the optimised reward model among the judges' figures


@dataclass
class PolicyEval:
    """Samples of one policy on a fixed set of prompts and what they are worth.

    ``proxy``: the (optimised) reward model's scores; ``judged``: each judge's scores by key.
    """

    prompts: np.ndarray
    responses: np.ndarray
    proxy: np.ndarray
    kl: np.ndarray
    judged: dict[str, np.ndarray] = field(default_factory=dict)

    def headline(self) -> dict[str, float]:
        """Means and standard deviations as plain floats: proxy, kl and one pair per judge."""
        out = {"proxy": float(self.proxy.mean()), "proxy_std": float(self.proxy.std()),
               "kl": float(self.kl.mean())}
        for key, values in self.judged.items():
            out[key] = float(values.mean())
            out[f"{key}_std"] = float(values.std())
        return out

    def scores(self) -> dict[str, np.ndarray]:
        """The reward model's and every judge's scores, by key."""
        return {REWARD_MODEL: self.proxy, **self.judged}

    def texts(self, world: TextWorld, count: int) -> list[str]:
        """The first ``count`` samples as ``[prompt] response`` lines."""
        return [f"[{world.prompts[p]}] {world.decode(r)}" for p, r in
                zip(self.prompts[:count], self.responses[:count], strict=True)]


def evaluate_responses(world: TextWorld, rm: RewardModel, judges: list[Judge], prompts: np.ndarray,
                       responses: np.ndarray, kl: np.ndarray) -> PolicyEval:
    """Score given responses with the reward model and every judge."""
    return PolicyEval(prompts, responses, score_responses(rm, world, prompts, responses), kl,
                      {j.key: j.score(prompts, responses) for j in judges})


def evaluate_policy(policy: ActorCriticPolicy, ref: ActorCriticPolicy, world: TextWorld, rm: RewardModel,
                    judges: list[Judge], prompts: np.ndarray, seed: int) -> PolicyEval:
    """Sample one response per prompt (seeded) and measure proxy, the judges and exact KL."""
    responses = sample_responses(policy, world, prompts, torch.Generator().manual_seed(seed))
    kl = exact_kl(policy, ref, world, prompts, responses)
    return evaluate_responses(world, rm, judges, prompts, responses, kl)


def compare_with_sft(after: PolicyEval, before: PolicyEval) -> dict[str, dict[str, float]]:
    """Per scorer (reward model and judges): win rate against SFT on the same prompts, and the mean
    gain in units of SFT's standard deviation."""
    wins, gains = {}, {}
    for key, a in after.scores().items():
        b = before.scores()[key]
        wins[key] = win_rate(a, b)
        gains[key] = float((a.mean() - b.mean()) / max(float(b.std()), 1e-9))
    return {"win_rate_vs_sft": wins, "gain_in_sft_std": gains}


def group_correct(rankings: list[np.ndarray], scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per group: pairs ``scores`` orders as the ranking does (ties ½), and the number of pairs."""
    correct = np.array([ranking_accuracy([r], [s]) for r, s in zip(rankings, scores, strict=True)])
    pairs = np.array([len(r) * (len(r) - 1) // 2 for r in rankings], dtype=np.float64)
    return correct * pairs, pairs


def accuracy_interval(correct: np.ndarray, pairs: np.ndarray, seed: int, resamples: int = 2000,
                      level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of pairwise accuracy, resampling whole groups (a ranking's
    pairs are not independent of each other)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(pairs), size=(resamples, len(pairs)))
    stats = correct[draws].sum(axis=1) / pairs[draws].sum(axis=1)
    tail = (1.0 - level) / 2.0
    return float(np.quantile(stats, tail)), float(np.quantile(stats, 1.0 - tail))


def group_scores(score: ScoreFn, ranked: RankedSet) -> list[np.ndarray]:
    """``score(prompts, responses)`` of every response of ``ranked``, one array per group."""
    flat = np.concatenate(ranked.responses)
    prompts = np.repeat(ranked.prompts, [len(g) for g in ranked.responses])
    return np.split(score(prompts, flat), np.cumsum([len(g) for g in ranked.responses])[:-1])


def scorer_accuracy(score: ScoreFn, ranked: RankedSet) -> float:
    """Pairwise accuracy of ``score(prompts, responses)`` on ``ranked``'s rankings."""
    return ranking_accuracy(ranked.rankings, group_scores(score, ranked))


def win_rate_by_prompt(a: np.ndarray, a_prompts: np.ndarray, b: np.ndarray, b_prompts: np.ndarray) -> float:
    """P(a response of a beats one of b to the same prompt), every a against every b of its prompt."""
    rates = [win_rate(np.full(int((b_prompts == p).sum()), score), b[b_prompts == p])
             for score, p in zip(a, a_prompts, strict=True) if (b_prompts == p).any()]
    return float(np.mean(rates)) if rates else float("nan")
