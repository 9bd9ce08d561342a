"""Step 1: supervised fine-tuning of the token policy on demonstrations (maximum likelihood)."""

from __future__ import annotations

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from tqdm import tqdm

from rl_lab.agents.token_policy import policy_network_parameters
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.generation import token_logprobs


def train_sft(
    policy: ActorCriticPolicy,
    world: TextWorld,
    prompts: np.ndarray,
    responses: np.ndarray,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    progress: bool = False,
) -> list[float]:
    """Maximise log π(demonstration | prompt), EOS included, over the policy network only.

    Returns the mean negative log-likelihood per token of each epoch.
    """
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(policy_network_parameters(policy), lr=lr)
    policy.set_training_mode(True)
    losses = []
    n = len(prompts)
    for _ in tqdm(range(epochs), desc="SFT", disable=not progress, leave=False):
        order = torch.randperm(n, generator=generator).numpy()
        total, tokens = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            logp, seq, mask = token_logprobs(policy, world, prompts[idx], responses[idx])
            picked = logp.gather(-1, seq.clamp(max=world.n_actions - 1)[..., None]).squeeze(-1)
            loss = -(picked * mask).sum() / mask.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * int(mask.sum())
            tokens += int(mask.sum())
        losses.append(total / tokens)
    policy.set_training_mode(False)
    return losses


def true_nll(world: TextWorld, prompts: np.ndarray, responses: np.ndarray) -> float:
    """The hidden language's own negative log-likelihood per token: the floor SFT can reach."""
    seq = world.with_eos(responses)
    prev = np.concatenate([np.zeros((len(seq), 1), dtype=np.int64), seq[:, :-1]], axis=1)
    mask = seq != world.pad_id
    prev = np.where(prev == world.pad_id, 0, prev)
    nxt = np.where(mask, seq, 0)
    p = world.bigram[np.asarray(prompts)[:, None], prev, nxt]
    return float(-(np.log(p) * mask).sum() / mask.sum())
