"""The policy network's actions for a batch of observations, without SB3's per-call overhead.

An evaluation asks a policy for actions thousands of times (a 1 km ride is ~7,300 steps), and for
a 64x64 network SB3's ``predict`` spends more on its checks, on building torch distribution
objects and on walking the modules than on the network itself. Here each model gets, once, a plan
made of the same tensor operations, cached with the model.
"""

from __future__ import annotations

from collections.abc import Callable
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

Plan = Callable[[np.ndarray], np.ndarray]
# Activation modules whose call is just this function (the module adds only call overhead).
_ACTIVATIONS = {torch.nn.Tanh: torch.tanh, torch.nn.ReLU: torch.relu}
# Logits further apart than this (relative to their size) keep their order through torch's
# normalisation and softmax: float32 rounding moves them ~1e-7 of it, a thousand times less.
_CLEAR_MARGIN = 1e-4
# model -> {deterministic: (the policy the plan was made for, the plan)}
_PLANS: WeakKeyDictionary[BaseAlgorithm, dict[bool, tuple[BasePolicy, Plan]]] = WeakKeyDictionary()


def _actor_steps(policy: ActorCriticPolicy) -> list[tuple] | None:
    """The actor of a flat-input MLP policy as plain ``(function, *tensors)`` steps (the same
    kernels its modules call, without their per-call hooks), or None for anything else."""
    if not isinstance(policy.pi_features_extractor, FlattenExtractor):
        return None
    steps: list[tuple] = []
    for module in [*policy.mlp_extractor.policy_net, policy.action_net]:
        if type(module) is torch.nn.Linear:
            steps.append((F.linear, module.weight, module.bias))
        elif type(module) in _ACTIVATIONS:
            steps.append((_ACTIVATIONS[type(module)],))
        else:
            return None
    return steps


def _categorical_mode(logits: torch.Tensor) -> np.ndarray:
    """torch's ``Categorical(logits=...).mode`` (normalised logits, softmax, argmax). Where the
    best logit clearly leads, that is its index (computed without the normalisation); a batch with
    a near-tie takes torch's operations exactly."""
    values = logits.numpy()
    if values.shape[1] > 1:
        top_two = np.partition(values, -2, axis=1)[:, -2:]
        scale = 1.0 + np.abs(values).max() + np.log(values.shape[1])
        if ((top_two[:, 1] - top_two[:, 0]) <= _CLEAR_MARGIN * scale).any():
            probabilities = torch.softmax(logits - logits.logsumexp(dim=-1, keepdim=True), dim=-1)
            return probabilities.argmax(dim=1).numpy()
    return values.argmax(axis=1)


def _to_tensor(policy: BasePolicy) -> Callable[[np.ndarray], torch.Tensor]:
    """``policy.obs_to_tensor``: flat vectors directly, images (SB3 may transpose them) and dicts
    (SB3 copies them) through SB3."""
    space = policy.observation_space
    if isinstance(space, spaces.Dict) or is_image_space(space):
        return lambda observations: policy.obs_to_tensor(observations)[0]
    device, shape = policy.device, (-1, *space.shape)
    return lambda observations: torch.as_tensor(np.asarray(observations).reshape(shape), device=device)


def _forward(policy: BasePolicy, deterministic: bool) -> Callable[[torch.Tensor], np.ndarray]:
    """The policy's actions for a tensor of observations, before any clipping or rescaling."""
    head = getattr(policy, "action_dist", None)
    plain_head = isinstance(head, CategoricalDistribution | DiagGaussianDistribution)
    if not (deterministic and isinstance(policy, ActorCriticPolicy) and plain_head and not policy.use_sde):
        return lambda tensor: policy._predict(tensor, deterministic=deterministic).cpu().numpy()
    steps = _actor_steps(policy)

    def output(tensor: torch.Tensor) -> torch.Tensor:  # the action head's logits or means
        if steps is None:
            features = BasePolicy.extract_features(policy, tensor, policy.pi_features_extractor)
            return policy.action_net(policy.mlp_extractor.forward_actor(features))
        result = tensor.float().flatten(1)  # SB3's preprocessing and FlattenExtractor
        for function, *tensors in steps:
            result = function(result, *tensors)
        return result

    if isinstance(head, DiagGaussianDistribution):
        return lambda tensor: output(tensor).cpu().numpy()  # the Gaussian's mode is its mean
    return lambda tensor: _categorical_mode(output(tensor).cpu())


def _plan(model: BaseAlgorithm, deterministic: bool) -> Plan:
    """``model.predict``'s actions, as a function of the observations."""
    policy, space = model.policy, model.action_space
    to_tensor, forward = _to_tensor(policy), _forward(policy, deterministic)

    def finish(actions: np.ndarray) -> np.ndarray:
        if not isinstance(space, spaces.Box):
            return actions.reshape((-1, *space.shape))
        if policy.squash_output:
            return policy.unscale_action(actions)
        return np.clip(actions, space.low, space.high)

    def act(observations: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            actions = forward(to_tensor(observations))
        return finish(actions)

    return act


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
    plans = _PLANS.setdefault(model, {})
    made_for, plan = plans.get(deterministic, (None, None))
    if made_for is not model.policy:  # first call, or the model was given a new policy
        plan = _plan(model, deterministic)
        plans[deterministic] = (model.policy, plan)
    return plan(observations)
