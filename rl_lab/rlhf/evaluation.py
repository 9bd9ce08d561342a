"""Evaluating a token policy: gold reward, proxy (reward-model) reward and exact KL to the reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy

from rl_lab.agents.reward_model import RewardModel
from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.generation import exact_kl, sample_responses
from rl_lab.rlhf.reward_training import score_responses


@dataclass
class PolicyEval:
    """Samples of one policy on a fixed set of prompts and what they are worth."""

    prompts: np.ndarray
    responses: np.ndarray
    gold: np.ndarray
    proxy: np.ndarray
    kl: np.ndarray

    def headline(self) -> dict[str, float]:
        """Means (and the gold standard deviation) as plain floats."""
        return {"gold": float(self.gold.mean()), "gold_std": float(self.gold.std()),
                "proxy": float(self.proxy.mean()), "kl": float(self.kl.mean())}

    def texts(self, world: TextWorld, count: int) -> list[str]:
        """The first ``count`` samples as ``[prompt] response`` lines."""
        return [f"[{world.prompts[p]}] {world.decode(r)}" for p, r in
                zip(self.prompts[:count], self.responses[:count], strict=True)]


def evaluate_responses(world: TextWorld, rm: RewardModel, prompts: np.ndarray, responses: np.ndarray,
                       kl: np.ndarray) -> PolicyEval:
    """Score given responses with gold and the reward model."""
    return PolicyEval(prompts, responses, gold_reward(world, prompts, responses),
                      score_responses(rm, world, prompts, responses), kl)


def evaluate_policy(policy: ActorCriticPolicy, ref: ActorCriticPolicy, world: TextWorld, rm: RewardModel,
                    prompts: np.ndarray, seed: int) -> PolicyEval:
    """Sample one response per prompt (seeded) and measure gold, proxy and exact KL."""
    responses = sample_responses(policy, world, prompts, torch.Generator().manual_seed(seed))
    return evaluate_responses(world, rm, prompts, responses, exact_kl(policy, ref, world, prompts, responses))


def win_rate(gold_a: np.ndarray, gold_b: np.ndarray) -> float:
    """Fraction of head-to-head gold comparisons a wins over b (same prompts; ties count one half)."""
    return float(np.mean(np.where(gold_a > gold_b, 1.0, np.where(gold_a < gold_b, 0.0, 0.5))))
