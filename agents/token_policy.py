"""A small GRU over tokens: the features of the token policy network and of its value network.

An observation row is ``[prompt id, token 1, ..., token L]`` with a padding id after the tokens
written so far (floats holding integers, as SB3 passes Box observations). The GRU reads the prompt
embedding, then the token embeddings; the features of an observation are the GRU output at the
last written position. Because the GRU is causal, :func:`sequence_logits` gets the policy's
logits at EVERY position of whole responses in one pass (for SFT, DPO and sampling).
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


class TokenGRUExtractor(BaseFeaturesExtractor):
    """Features of ``[prompt, tokens so far]``: a GRU's output at the last written position."""

    def __init__(
        self,
        observation_space: spaces.Box,
        n_prompts: int,
        n_tokens: int,
        pad_id: int,
        embed_dim: int = 32,
        hidden_dim: int = 64,
    ) -> None:
        super().__init__(observation_space, features_dim=hidden_dim)
        self.pad_id = pad_id
        self.prompt_embed = nn.Embedding(n_prompts, embed_dim)
        self.token_embed = nn.Embedding(n_tokens, embed_dim)  # includes the padding id
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True)

    def encode_all(self, prompts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """GRU outputs (B, L + 1, H): position k sees the prompt and the first k tokens."""
        x = torch.cat([self.prompt_embed(prompts)[:, None, :], self.token_embed(tokens)], dim=1)
        out, _ = self.gru(x)
        return out

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        obs = observations.long()
        prompts, tokens = obs[:, 0], obs[:, 1:]
        out = self.encode_all(prompts, tokens)
        length = (tokens != self.pad_id).sum(dim=1)
        return out[torch.arange(len(obs)), length]


def token_policy_kwargs(
    n_prompts: int,
    n_tokens: int,
    pad_id: int,
    embed_dim: int = 32,
    hidden_dim: int = 64,
    policy_sizes: list[int] | None = None,
    value_sizes: list[int] | None = None,
) -> dict[str, Any]:
    """SB3 ``policy_kwargs``: separate GRU policy and value networks (no shared trunk)."""
    return {
        "features_extractor_class": TokenGRUExtractor,
        "features_extractor_kwargs": {
            "n_prompts": n_prompts, "n_tokens": n_tokens, "pad_id": pad_id,
            "embed_dim": embed_dim, "hidden_dim": hidden_dim,
        },
        "share_features_extractor": False,
        "net_arch": {"pi": list(policy_sizes or [64]), "vf": list(value_sizes or [64])},
        "activation_fn": nn.Tanh,
    }


def sequence_logits(policy: ActorCriticPolicy, prompts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """The policy's next-token logits after each prefix of ``tokens``: (B, T + 1, n_actions).

    ``tokens`` (B, T) are the emitted tokens (EOS included where emitted, then padding);
    position k of the result is the distribution of token k + 1 given the first k tokens.
    """
    extractor = policy.pi_features_extractor
    assert isinstance(extractor, TokenGRUExtractor), "the policy must use TokenGRUExtractor"
    features = extractor.encode_all(prompts, tokens)
    latent = policy.mlp_extractor.policy_net(features)
    return policy.action_net(latent)


def policy_network_parameters(policy: ActorCriticPolicy) -> list[nn.Parameter]:
    """The parameters of the policy network only (features extractor, MLP, action head)."""
    modules = [policy.pi_features_extractor, policy.mlp_extractor.policy_net, policy.action_net]
    return [p for m in modules for p in m.parameters()]
