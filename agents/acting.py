"""The policy network's actions for a batch of observations, without SB3's per-call overhead."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import DQN
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.distributions import CategoricalDistribution, DiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import is_image_space

# policy -> its device: ``policy.device`` walks every module to find a parameter, each call.
_DEVICES: WeakKeyDictionary[BasePolicy, torch.device] = WeakKeyDictionary()


def _as_tensor(policy: BasePolicy, observations: np.ndarray) -> torch.Tensor:
    """``policy.obs_to_tensor``: flat vectors directly, images (SB3 may transpose them) and dicts
    (SB3 copies them) through SB3."""
    space = policy.observation_space
    if isinstance(space, spaces.Dict) or is_image_space(space):
        return policy.obs_to_tensor(observations)[0]
    device = _DEVICES.get(policy)
    if device is None:
        device = _DEVICES[policy] = policy.device
    return torch.as_tensor(np.asarray(observations).reshape((-1, *space.shape)), device=device)


def _actor_critic_mode(policy: ActorCriticPolicy, observations: torch.Tensor) -> torch.Tensor | None:
    """The deterministic action of an actor-critic policy with a categorical or Gaussian head, by
    the same tensor operations SB3 and torch run, without building the distribution objects
    (whose argument checks cost as much as the network); None for any other policy."""
    head = policy.action_dist
    if policy.use_sde or not isinstance(head, CategoricalDistribution | DiagGaussianDistribution):
        return None
    features = BasePolicy.extract_features(policy, observations, policy.pi_features_extractor)
    output = policy.action_net(policy.mlp_extractor.forward_actor(features))
    if isinstance(head, DiagGaussianDistribution):
        return output  # the Gaussian's mode is its mean
    # torch's Categorical(logits=...).mode, op for op: normalised logits, softmax, argmax.
    return torch.softmax(output - output.logsumexp(dim=-1, keepdim=True), dim=-1).argmax(dim=1)


def policy_actions(model: BaseAlgorithm, observations: np.ndarray, deterministic: bool) -> np.ndarray:
    """The actions SB3's ``model.predict`` returns, without its per-call overhead.

    ``predict`` switches the policy to eval mode and builds a graph-free tensor every call; here
    the caller has switched the mode once (``model.policy.set_training_mode(False)``) and the
    forward runs under ``torch.inference_mode``. A stochastic DQN explores (epsilon-greedy) in
    ``predict`` itself, so it goes through ``predict``, as does anything that only has SB3's
    ``predict`` signature (a scripted or random policy). Recurrent policies are not supported.
    """
    if not isinstance(model, BaseAlgorithm) or (isinstance(model, DQN) and not deterministic):
        return model.predict(observations, deterministic=False)[0]
    policy = model.policy
    with torch.inference_mode():
        tensor = _as_tensor(policy, observations)
        chosen = None
        if deterministic and isinstance(policy, ActorCriticPolicy):
            chosen = _actor_critic_mode(policy, tensor)
        if chosen is None:
            chosen = policy._predict(tensor, deterministic=deterministic)
        actions = chosen.cpu().numpy()
    if isinstance(model.action_space, spaces.Box):
        if policy.squash_output:
            return policy.unscale_action(actions)
        return np.clip(actions, model.action_space.low, model.action_space.high)
    return actions.reshape((-1, *model.action_space.shape))
