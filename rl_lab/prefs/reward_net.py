"""The reward model r̂(s, a) of the control tasks, trained from ranked clips.

A small MLP over the observation and the action (one-hot for discrete actions). A clip's score is
the sum of r̂ over its real steps plus ``end`` for each padded step after the episode ended: one
learned number for the absorbing "ended" state (a fall, a miss). Clips are compared by
Bradley-Terry / Plackett-Luce on those sums (Christiano et al. 2017), all C(K, 2) pairs of a
ranking in one batch element: the RLHF toy's :func:`rl_lab.agents.reward_model.grouped_ranking_loss`.

Normalisation: the reward PPO sees is ``(r̂ - end) / scale``. Christiano et al. shift r̂ to mean 0;
here the shift is the ended state's value instead, because after an episode ends the env pays
nothing: with a mean-0 shift a policy could not tell that ending an episode is bad (or good).
``scale`` is the root mean square of ``r̂ - end`` over recent clips' steps, so the reward PPO sees
is of order 1 (a std alone would blow up a reward that is nearly constant and far from ``end``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from rl_lab.agents.reward_model import grouped_ranking_loss
from rl_lab.errors import LabError
from rl_lab.runs.atomic import write_with


class RewardNet(nn.Module):
    """r̂(s, a): observations (..., obs_dim) and actions (discrete (...,) or box (..., act_dim))."""

    def __init__(self, obs_dim: int, action_dim: int, discrete: bool,
                 hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        self.obs_dim, self.action_dim, self.discrete = obs_dim, action_dim, discrete
        self.hidden = tuple(hidden)
        layers: list[nn.Module] = []
        width = obs_dim + action_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)
        self.end = nn.Parameter(torch.zeros(()))  # r̂ of the absorbing "ended" state
        self.register_buffer("scale", torch.ones(()))

    def action_features(self, actions: torch.Tensor) -> torch.Tensor:
        if self.discrete:
            return nn.functional.one_hot(actions.long(), self.action_dim).float()
        return actions.float().reshape(*actions.shape[: actions.dim() - 1], self.action_dim)

    def raw(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Unnormalised r̂ (...,)."""
        return self.mlp(torch.cat([obs.float(), self.action_features(actions)], -1)).squeeze(-1)

    def clip_scores(self, obs: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Σ r̂ over each clip's real steps plus ``end`` per padded step: obs (..., k, d) -> (...,)."""
        per_step = torch.where(mask, self.raw(obs, actions), self.end)
        return per_step.sum(-1)

    @torch.no_grad()
    def reward(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The normalised reward PPO is trained on, float32 (N,)."""
        r = self.raw(torch.as_tensor(obs), torch.as_tensor(actions))
        return ((r - self.end) / self.scale).numpy().astype(np.float32)

    @torch.no_grad()
    def set_scale(self, obs: np.ndarray, actions: np.ndarray) -> float:
        """Set ``scale`` to the RMS of ``r̂ - end`` on these samples (recent clips' steps)."""
        shifted = self.raw(torch.as_tensor(obs), torch.as_tensor(actions)) - self.end
        self.scale.fill_(max(float(shifted.square().mean().sqrt()), 1e-6))
        return float(self.scale)


def train_reward_net(net: RewardNet, obs: np.ndarray, actions: np.ndarray, mask: np.ndarray,
                     ranks: np.ndarray, steps: int, generator: torch.Generator, lr: float = 1e-3,
                     batch_size: int = 32, weight_decay: float = 1e-4) -> float:
    """``steps`` Adam steps on ranked groups: obs (G, K, k, d), actions (G, K, k[, a]), mask (G, K, k)
    real steps, ranks (G, K) each clip's place (0 = best, -1 = no clip). Returns the last loss."""
    obs_t, act_t, mask_t = torch.as_tensor(obs), torch.as_tensor(actions), torch.as_tensor(mask)
    ranks_t = torch.as_tensor(ranks)
    valid = ranks_t >= 0
    optimiser = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    net.train()
    loss = torch.zeros(())
    for _ in range(steps):
        idx = torch.randint(len(obs_t), (min(batch_size, len(obs_t)),), generator=generator)
        scores = net.clip_scores(obs_t[idx], act_t[idx], mask_t[idx])
        loss = grouped_ranking_loss(scores, ranks_t[idx], valid[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    net.eval()
    return float(loss.detach())


@torch.no_grad()
def group_scores(net: RewardNet, obs: np.ndarray, actions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Clip scores (G, K) of grouped clips."""
    return net.clip_scores(torch.as_tensor(obs), torch.as_tensor(actions), torch.as_tensor(mask)).numpy()


def save_reward_net(path: Path, net: RewardNet) -> None:
    """Plain tensors and numbers only: ``torch.load(path, weights_only=True)`` reads it back."""
    data = {"state_dict": net.state_dict(), "obs_dim": net.obs_dim, "action_dim": net.action_dim,
            "discrete": net.discrete, "hidden": list(net.hidden)}
    write_with(path, lambda tmp: torch.save(data, tmp))


def load_reward_net(path: Path) -> RewardNet:
    """A reward net saved by :func:`save_reward_net`, read without unpickling code."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        net = RewardNet(int(data["obs_dim"]), int(data["action_dim"]), bool(data["discrete"]),
                        tuple(int(h) for h in data["hidden"]))
        net.load_state_dict(data["state_dict"])
    except FileNotFoundError:
        raise LabError(f"{path}: no such reward model file") from None
    except Exception as error:  # unpickling, shape and key errors all mean the same to a user
        raise LabError(f"{path}: not a reward model saved by rl-lab prefs ({type(error).__name__})") from None
    net.eval()
    return net
