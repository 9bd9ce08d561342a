"""The reward network r(prompt, response) and InstructGPT's grouped ranking loss.

Same family as the lab's value networks: an MLP head over a small sequence encoder. The encoder
turns each transition (previous token, token) of the response, together with the prompt, into a
feature vector; the features are summed (so counts can be told apart: one keyword or four) and
averaged, and an MLP maps them to one number. ``offset`` is subtracted from every score so that
the reward is 0 on average on reference samples (set it with :meth:`RewardModel.normalise`).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class RewardModel(nn.Module):
    """r(prompt, response): prompt ids (B,) and token ids (B, T) (pad after the end) -> (B,)."""

    def __init__(
        self, n_prompts: int, n_tokens: int, pad_id: int, embed_dim: int = 16, hidden_dim: int = 64,
        head_sizes: tuple[int, ...] = (64,),
    ) -> None:
        super().__init__()
        self.pad_id = pad_id
        self.bos_id = n_tokens  # one extra embedding row marks the start
        self.prompt_embed = nn.Embedding(n_prompts, embed_dim)
        self.token_embed = nn.Embedding(n_tokens + 1, embed_dim)
        self.transition = nn.Linear(3 * embed_dim, hidden_dim)
        layers: list[nn.Module] = []
        width = 2 * hidden_dim
        for size in head_sizes:
            layers += [nn.Linear(width, size), nn.Tanh()]
            width = size
        layers.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*layers)
        self.register_buffer("offset", torch.zeros(()))

    def raw_score(self, prompts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """The unnormalised score."""
        bos = torch.full_like(tokens[:, :1], self.bos_id)
        prev = torch.cat([bos, tokens[:, :-1]], dim=1)
        mask = (tokens != self.pad_id).float()[..., None]
        p = self.prompt_embed(prompts)[:, None, :].expand(-1, tokens.shape[1], -1)
        h = torch.relu(self.transition(torch.cat([self.token_embed(prev), self.token_embed(tokens), p], -1)))
        total = (h * mask).sum(dim=1)
        mean = total / mask.sum(dim=1).clamp(min=1.0)
        return self.head(torch.cat([total / 4.0, mean], dim=-1)).squeeze(-1)

    def forward(self, prompts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.raw_score(prompts, tokens) - self.offset

    @torch.no_grad()
    def normalise(self, prompts: torch.Tensor, tokens: torch.Tensor) -> float:
        """Set ``offset`` so the mean score on these reference samples is 0; returns the offset."""
        self.offset.fill_(float(self.raw_score(prompts, tokens).mean()))
        return float(self.offset)


def grouped_ranking_loss(scores: torch.Tensor, ranks: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """InstructGPT's loss over groups of K ranked responses, all C(K, 2) pairs of a group together.

    ``scores`` (B, K) reward-model scores, ``ranks`` (B, K) each response's place in its ranking
    (0 = best), ``valid`` (B, K) False for padding where a group has fewer than K responses.
    Loss of a group = -1/C(K_b, 2) Σ_{i ranked above j} log σ(r_i - r_j); the batch averages groups.
    """
    better = (ranks[:, :, None] < ranks[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    log_p = F.logsigmoid(scores[:, :, None] - scores[:, None, :])
    per_group = -(log_p * better).sum(dim=(1, 2)) / better.sum(dim=(1, 2)).clamp(min=1)
    return per_group.mean()


def pairwise_loss(better: torch.Tensor, worse: torch.Tensor) -> torch.Tensor:
    """The same loss with every pair its own batch element: -mean log σ(r_better - r_worse)."""
    return -F.logsigmoid(better - worse).mean()
