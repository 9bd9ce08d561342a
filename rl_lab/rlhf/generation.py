"""Token policies as language models: build one, sample from it, score sequences, exact KL.

All KL figures are per response (summed over its tokens) in nats, and each token's term is the
exact KL over the full softmax, KL(π(·|prefix) ‖ π_ref(·|prefix)), at the prefixes the sampled
responses visit: an unbiased, low-variance estimate of the sequence-level KL(π ‖ π_ref).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from torch.nn import functional as F

from rl_lab.agents.token_policy import sequence_logits, token_policy_kwargs
from rl_lab.envs.text.dynamics import observation_space
from rl_lab.envs.text.world import EOS, TextWorld


def policy_kwargs_for(world: TextWorld, embed_dim: int, hidden_dim: int, policy_sizes: list[int],
                      value_sizes: list[int]) -> dict[str, Any]:
    """SB3 ``policy_kwargs`` of the token policy for ``world``."""
    return token_policy_kwargs(world.n_prompts, world.pad_id + 1, world.pad_id, embed_dim, hidden_dim,
                               policy_sizes, value_sizes)


def make_policy(world: TextWorld, policy_kwargs: dict[str, Any], lr: float = 3e-4) -> ActorCriticPolicy:
    """A standalone SB3 actor-critic over tokens (the same class PPO builds)."""
    return ActorCriticPolicy(observation_space(world), spaces.Discrete(world.n_actions),
                             lambda _: lr, **policy_kwargs)


def frozen_copy(policy: ActorCriticPolicy) -> ActorCriticPolicy:
    """A copy that never trains: the reference policy π_ref."""
    ref = copy.deepcopy(policy)
    ref.set_training_mode(False)
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref


def token_logprobs(policy: ActorCriticPolicy, world: TextWorld, prompts: np.ndarray | torch.Tensor,
                   responses: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Log-softmax at each emitted position (N, L+1, A), the emitted tokens (N, L+1), their mask."""
    seq = torch.as_tensor(world.with_eos(responses))
    logits = sequence_logits(policy, torch.as_tensor(np.asarray(prompts, dtype=np.int64)), seq[:, :-1])
    mask = seq != world.pad_id
    return F.log_softmax(logits, dim=-1), seq, mask


def sequence_logprob(policy: ActorCriticPolicy, world: TextWorld, prompts: np.ndarray,
                     responses: np.ndarray) -> torch.Tensor:
    """log π(response | prompt) of each response, EOS included (differentiable), (N,)."""
    logp, seq, mask = token_logprobs(policy, world, prompts, responses)
    picked = logp.gather(-1, seq.clamp(max=world.n_actions - 1)[..., None]).squeeze(-1)
    return (picked * mask).sum(dim=1)


@torch.no_grad()
def exact_kl(policy: ActorCriticPolicy, ref: ActorCriticPolicy, world: TextWorld, prompts: np.ndarray,
             responses: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Σ over each response's positions of the full-softmax KL(π ‖ π_ref), (N,)."""
    out = []
    for i in range(0, len(prompts), batch):
        logp, _, mask = token_logprobs(policy, world, prompts[i : i + batch], responses[i : i + batch])
        logr, _, _ = token_logprobs(ref, world, prompts[i : i + batch], responses[i : i + batch])
        per_token = (logp.exp() * (logp - logr)).sum(-1)
        out.append((per_token * mask).sum(dim=1).double().numpy())
    return np.concatenate(out) if out else np.zeros(0)


@torch.no_grad()
def sample_responses(policy: ActorCriticPolicy, world: TextWorld, prompts: np.ndarray,
                     generator: torch.Generator, batch: int = 4096) -> np.ndarray:
    """One response per prompt sampled from ``policy``: padded word ids (N, max_len)."""
    policy.set_training_mode(False)
    chunks = []
    for start in range(0, len(prompts), batch):
        p = torch.as_tensor(np.asarray(prompts[start : start + batch], dtype=np.int64))
        n = len(p)
        tokens = torch.full((n, world.max_len), world.pad_id, dtype=torch.long)
        alive = torch.ones(n, dtype=torch.bool)
        for t in range(world.max_len):
            logits = sequence_logits(policy, p, tokens[:, :t])[:, t]
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(-1)
            alive &= nxt != EOS
            tokens[alive, t] = nxt[alive]
            if not alive.any():
                break
        chunks.append(tokens.numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, world.max_len), dtype=np.int64)
