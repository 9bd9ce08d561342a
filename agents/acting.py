"""The policy network's actions for a batch of observations, without SB3's per-call overhead."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3 import DQN
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.distributions import CategoricalDistribution, DiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.torch_layers import FlattenExtractor
from torch import nn

# policy -> its device: ``policy.device`` walks every module to find a parameter, each call.
_DEVICES: WeakKeyDictionary[BasePolicy, torch.device] = WeakKeyDictionary()
# policy -> its actor as plain steps (see _actor_steps), or None when it is not a plain MLP.
_STEPS: WeakKeyDictionary[BasePolicy, list[tuple] | None] = WeakKeyDictionary()


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


# Activation modules whose call is just this function (the module adds only call overhead).
_ACTIVATIONS = {nn.Tanh: torch.tanh, nn.ReLU: torch.relu}
# Logits further apart than this (relative to their size) keep their order through torch's
# normalisation and softmax: float32 rounding moves them ~1e-7 of it, a thousand times less.
_CLEAR_MARGIN = 1e-4


def _actor_steps(policy: ActorCriticPolicy) -> list[tuple] | None:
    """The actor of a flat-input MLP policy as plain ``(function, *tensors)`` steps (the same
    kernels its modules call, without their per-call hooks), or None for anything else."""
    if not isinstance(policy.pi_features_extractor, FlattenExtractor):
        return None
    steps: list[tuple] = []
    for module in [*policy.mlp_extractor.policy_net, policy.action_net]:
        if type(module) is nn.Linear:
            steps.append((F.linear, module.weight, module.bias))
        elif type(module) in _ACTIVATIONS:
            steps.append((_ACTIVATIONS[type(module)],))
        else:
            return None
    return steps


def _actor_output(policy: ActorCriticPolicy, observations: torch.Tensor) -> torch.Tensor:
    """The action head's output (logits or Gaussian means) for ``observations``."""
    steps = _STEPS.get(policy, ())
    if steps == ():
        steps = _STEPS[policy] = _actor_steps(policy)
    if steps is None:
        features = BasePolicy.extract_features(policy, observations, policy.pi_features_extractor)
        return policy.action_net(policy.mlp_extractor.forward_actor(features))
    output = observations.float().flatten(1)  # SB3's preprocessing and FlattenExtractor
    for function, *tensors in steps:
        output = function(output, *tensors)
    return output


def _categorical_mode(logits: torch.Tensor) -> np.ndarray:
    """torch's ``Categorical(logits=...).mode`` (normalised logits, softmax, argmax). Where the
    best logit clearly leads, that is its index (computed without the normalisation); a row with
    a near-tie takes torch's operations exactly."""
    values = logits.numpy()
    best = values.argmax(axis=1)
    if values.shape[1] > 1:
        top_two = np.partition(values, -2, axis=1)[:, -2:]
        scale = 1.0 + np.abs(values).max() + np.log(values.shape[1])
        if ((top_two[:, 1] - top_two[:, 0]) <= _CLEAR_MARGIN * scale).any():
            probabilities = torch.softmax(logits - logits.logsumexp(dim=-1, keepdim=True), dim=-1)
            return probabilities.argmax(dim=1).numpy()
    return best


def _actor_critic_mode(policy: ActorCriticPolicy, observations: torch.Tensor) -> np.ndarray | None:
    """The deterministic action of an actor-critic policy with a categorical or Gaussian head, as
    SB3 and torch compute it, without building the distribution objects (whose argument checks
    cost as much as the network); None for any other policy."""
    head = policy.action_dist
    if policy.use_sde or not isinstance(head, CategoricalDistribution | DiagGaussianDistribution):
        return None
    output = _actor_output(policy, observations)
    if isinstance(head, DiagGaussianDistribution):
        return output.cpu().numpy()  # the Gaussian's mode is its mean
    return _categorical_mode(output.cpu())


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
        actions = None
        if deterministic and isinstance(policy, ActorCriticPolicy):
            actions = _actor_critic_mode(policy, tensor)
        if actions is None:
            actions = policy._predict(tensor, deterministic=deterministic).cpu().numpy()
    if isinstance(model.action_space, spaces.Box):
        if policy.squash_output:
            return policy.unscale_action(actions)
        return np.clip(actions, model.action_space.low, model.action_space.high)
    return actions.reshape((-1, *model.action_space.shape))
