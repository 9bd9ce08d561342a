"""Direct preference optimisation (Rafailov et al. 2023) on the same ranked pairs: no reward model, no RL.

loss = -log σ(β [(log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))]), starting from
and referenced to the SFT policy.
"""

from __future__ import annotations

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch.nn import functional as F
from tqdm import tqdm

from rl_lab.agents.token_policy import policy_network_parameters
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.generation import frozen_copy, sequence_logprob
from rl_lab.rlhf.labeller import RankedSet
from rl_lab.rlhf.reward_training import ranked_pairs


def dpo_loss(logp_w: torch.Tensor, logp_l: torch.Tensor, ref_w: torch.Tensor, ref_l: torch.Tensor,
             beta: float) -> torch.Tensor:
    """The DPO loss of a batch of (winner, loser) sequence log-probabilities."""
    return -F.logsigmoid(beta * ((logp_w - ref_w) - (logp_l - ref_l))).mean()


def train_dpo(
    sft_policy: ActorCriticPolicy,
    world: TextWorld,
    ranked: RankedSet,
    beta: float,
    epochs: int,
    lr: float,
    batch_size: int,
    max_pairs: int,
    seed: int,
    progress: bool = False,
) -> tuple[ActorCriticPolicy, list[float]]:
    """A copy of ``sft_policy`` trained by DPO on up to ``max_pairs`` pairs of ``ranked``."""
    rng = np.random.default_rng(seed)
    _, prompts, better, worse = ranked_pairs(ranked)
    if len(prompts) > max_pairs:
        keep = rng.choice(len(prompts), max_pairs, replace=False)
        prompts, better, worse = prompts[keep], better[keep], worse[keep]
    ref = frozen_copy(sft_policy)
    policy = frozen_copy(sft_policy)
    params = policy_network_parameters(policy)
    for p in params:
        p.requires_grad_(True)
    with torch.no_grad():
        ref_w = torch.cat([sequence_logprob(ref, world, prompts[i : i + 4096], better[i : i + 4096])
                           for i in range(0, len(prompts), 4096)])
        ref_l = torch.cat([sequence_logprob(ref, world, prompts[i : i + 4096], worse[i : i + 4096])
                           for i in range(0, len(prompts), 4096)])
    optimiser = torch.optim.Adam(params, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in tqdm(range(epochs), desc="DPO", disable=not progress, leave=False):
        order = torch.randperm(len(prompts), generator=generator).numpy()
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss = dpo_loss(sequence_logprob(policy, world, prompts[idx], better[idx]),
                            sequence_logprob(policy, world, prompts[idx], worse[idx]),
                            ref_w[idx], ref_l[idx], beta)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(order))
    policy.set_training_mode(False)
    return policy, losses
