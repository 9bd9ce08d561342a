"""Training the reward model from rankings: grouped (InstructGPT) or shuffled independent pairs."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from rl_lab.agents.reward_model import RewardModel, grouped_ranking_loss, pairwise_loss
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.labeller import RankedSet, all_pairs, ranking_accuracy


def make_reward_model(world: TextWorld, embed_dim: int = 16, hidden_dim: int = 64,
                      head_sizes: tuple[int, ...] = (64,)) -> RewardModel:
    """A reward model sized for ``world``'s vocabulary and prompts."""
    return RewardModel(world.n_prompts, world.pad_id + 1, world.pad_id, embed_dim, hidden_dim, head_sizes)


@torch.no_grad()
def score_responses(model: RewardModel, world: TextWorld, prompts: np.ndarray, responses: np.ndarray,
                    batch: int = 8192) -> np.ndarray:
    """Reward-model scores of padded responses (N, max_len), float64 (N,)."""
    model.eval()
    seq = torch.as_tensor(world.with_eos(responses))
    p = torch.as_tensor(np.asarray(prompts, dtype=np.int64))
    out = [model(p[i : i + batch], seq[i : i + batch]) for i in range(0, len(p), batch)]
    return torch.cat(out).double().numpy() if out else np.zeros(0)


def _groups_as_tensors(ranked: RankedSet, world: TextWorld) -> tuple[torch.Tensor, ...]:
    """Pad groups to the largest K: prompts (G,), tokens (G, K, L+1), ranks (G, K), valid (G, K)."""
    g, k = len(ranked), max(len(r) for r in ranked.responses)
    tokens = np.full((g, k, world.max_len + 1), world.pad_id, dtype=np.int64)
    ranks = np.zeros((g, k), dtype=np.int64)
    valid = np.zeros((g, k), dtype=bool)
    for i, (group, ranking) in enumerate(zip(ranked.responses, ranked.rankings, strict=True)):
        tokens[i, : len(group)] = world.with_eos(group)
        ranks[i, ranking] = np.arange(len(ranking))
        valid[i, : len(group)] = True
    return (torch.as_tensor(ranked.prompts), torch.as_tensor(tokens), torch.as_tensor(ranks),
            torch.as_tensor(valid))


def ranked_pairs(ranked: RankedSet) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (better, worse) pair of every group: group index, prompt, better and worse responses."""
    groups, better, worse = [], [], []
    for g, (group, ranking) in enumerate(zip(ranked.responses, ranked.rankings, strict=True)):
        ordered = group[ranking]
        i, j = all_pairs(len(ordered))
        groups.append(np.full(len(i), g))
        better.append(ordered[i])
        worse.append(ordered[j])
    index = np.concatenate(groups)
    return index, ranked.prompts[index], np.concatenate(better), np.concatenate(worse)


def train_reward_model(
    model: RewardModel,
    ranked: RankedSet,
    world: TextWorld,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    mode: str = "grouped",
    weight_decay: float = 0.0,
    progress: bool = False,
) -> list[float]:
    """Train ``model`` on ``ranked`` for ``epochs`` passes; return the mean loss of each epoch.

    ``mode="grouped"``: a batch element is one prompt with all its C(K, 2) pairs (InstructGPT);
    ``mode="pairs"``: a batch element is one pair, pairs shuffled across prompts. Either way one
    pass visits every pair once, ``batch_size`` elements per step.
    """
    if mode not in ("grouped", "pairs"):
        raise ValueError(f"mode must be 'grouped' or 'pairs', got {mode!r}")
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if mode == "grouped":
        prompts, tokens, ranks, valid = _groups_as_tensors(ranked, world)
        n = len(prompts)
    else:
        _, pair_prompts, better, worse = ranked_pairs(ranked)
        prompts = torch.as_tensor(pair_prompts)
        better_t = torch.as_tensor(world.with_eos(better))
        worse_t = torch.as_tensor(world.with_eos(worse))
        n = len(prompts)
    losses = []
    model.train()
    for _ in tqdm(range(epochs), desc=f"reward model ({mode})", disable=not progress, leave=False):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            if mode == "grouped":
                b, k, t = tokens[idx].shape
                scores = model(prompts[idx].repeat_interleave(k), tokens[idx].reshape(b * k, t)).reshape(b, k)
                loss = grouped_ranking_loss(scores, ranks[idx], valid[idx])
            else:
                loss = pairwise_loss(model(prompts[idx], better_t[idx]), model(prompts[idx], worse_t[idx]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / n)
    model.eval()
    return losses


def heldout_accuracy(model: RewardModel, ranked: RankedSet, world: TextWorld) -> float:
    """Fraction of the pairs of ``ranked``'s rankings that the model's scores order the same way."""
    flat = np.concatenate(ranked.responses)
    prompts = np.repeat(ranked.prompts, [len(g) for g in ranked.responses])
    scores = score_responses(model, world, prompts, flat)
    split = np.split(scores, np.cumsum([len(g) for g in ranked.responses])[:-1])
    return ranking_accuracy(ranked.rankings, split)
