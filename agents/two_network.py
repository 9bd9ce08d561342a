"""The lab's agent: a policy network and a separate reward/value network, on top of SB3.

SB3 keeps both networks inside one ``policy`` object. :class:`TwoNetworkAgent` names them:

* PPO / A2C: ``policy_net`` maps a state to action probabilities; ``value_net`` predicts V(s),
  the return expected from the state. No shared trunk (``share_features_extractor=False``).
* DQN: ``value_net`` is the Q network, Q(s, a) = the reward expected from a state and action;
  the policy is greedy over it, so ``policy_net`` is that same Q network.
* SAC: ``policy_net`` is the actor; ``value_net`` is the twin Q critic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import DQN, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn


def count_parameters(module: nn.Module | None) -> int:
    """Number of trainable parameters of ``module`` (0 for None)."""
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@dataclass
class NetworkReadout:
    """What the two networks think of one observation, for the watch overlay."""

    action_labels: list[str]
    action_values: np.ndarray  # probabilities (discrete), or the mean action (continuous), or Q(s, .)
    values_are_probabilities: bool
    value: float  # V(s) for actor-critic, max_a Q(s, a) for DQN, min Q(s, pi(s)) for SAC
    value_label: str


class TwoNetworkAgent:
    """An SB3 model viewed as the lab's two networks (see the module docstring)."""

    def __init__(self, model: BaseAlgorithm) -> None:
        self.model = model
        self.policy = model.policy

    @property
    def policy_net(self) -> nn.Module:
        """The network that chooses actions."""
        if isinstance(self.policy, ActorCriticPolicy):
            parts = {
                "features": self.policy.pi_features_extractor,
                "body": self.policy.mlp_extractor.policy_net,
                "head": self.policy.action_net,
            }
            return _ModuleView(parts, extra=getattr(self.policy, "log_std", None))
        if isinstance(self.model, SAC):
            return self.policy.actor
        if isinstance(self.model, DQN):
            return self.policy.q_net
        raise TypeError(f"unsupported policy {type(self.policy).__name__}")

    @property
    def value_net(self) -> nn.Module:
        """The network that predicts reward to come: V(s) or Q(s, a)."""
        if isinstance(self.policy, ActorCriticPolicy):
            parts = {
                "features": self.policy.vf_features_extractor,
                "body": self.policy.mlp_extractor.value_net,
                "head": self.policy.value_net,
            }
            return _ModuleView(parts)
        if isinstance(self.model, SAC):
            return self.policy.critic
        if isinstance(self.model, DQN):
            return self.policy.q_net
        raise TypeError(f"unsupported policy {type(self.policy).__name__}")

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters of each network (DQN's policy is greedy over its Q network)."""
        return {
            "policy_params": count_parameters(self.policy_net),
            "value_params": count_parameters(self.value_net),
        }

    @torch.no_grad()
    @torch.inference_mode()
    def readout(self, observation: np.ndarray, action_labels: list[str] | None = None) -> NetworkReadout:
        """Action probabilities (or Q values / mean action) and the value estimate for one state."""
        obs_tensor, _ = self.policy.obs_to_tensor(observation)
        action_space = self.model.action_space
        if isinstance(self.policy, ActorCriticPolicy):
            distribution = self.policy.get_distribution(obs_tensor)
            value = float(self.policy.predict_values(obs_tensor)[0, 0])
            if isinstance(action_space, spaces.Discrete):
                probs = distribution.distribution.probs[0].cpu().numpy()
                return NetworkReadout(_labels(action_labels, len(probs)), probs, True, value, "V(s)")
            mean = distribution.mode()[0].cpu().numpy()
            return NetworkReadout(_labels(action_labels, len(mean)), mean, False, value, "V(s)")
        if isinstance(self.model, DQN):
            q_values = self.policy.q_net(obs_tensor)[0].cpu().numpy()
            return NetworkReadout(
                _labels(action_labels, len(q_values)), q_values, False, float(q_values.max()), "max Q(s,a)"
            )
        if isinstance(self.model, SAC):
            action = self.policy.actor(obs_tensor, deterministic=True)
            q_value = min(float(q[0, 0]) for q in self.policy.critic(obs_tensor, action))
            mean = action[0].cpu().numpy()
            return NetworkReadout(_labels(action_labels, len(mean)), mean, False, q_value, "Q(s,pi(s))")
        raise TypeError(f"unsupported policy {type(self.policy).__name__}")


def _labels(labels: list[str] | None, count: int) -> list[str]:
    if labels is not None and len(labels) == count:
        return labels
    return [str(i) for i in range(count)]


class _ModuleView(nn.Module):
    """Groups existing submodules (and an optional loose parameter) under one name without
    copying them, so ``parameters()`` and ``state_dict()`` see exactly one network."""

    def __init__(self, parts: dict[str, nn.Module], extra: nn.Parameter | None = None) -> None:
        super().__init__()
        self.parts = nn.ModuleDict(parts)
        if isinstance(extra, nn.Parameter):
            self.log_std = extra
