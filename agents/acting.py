"""The policy network's actions for a batch of observations, without SB3's per-call overhead."""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import DQN
from stable_baselines3.common.base_class import BaseAlgorithm


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
        tensor, _ = policy.obs_to_tensor(observations)
        actions = policy._predict(tensor, deterministic=deterministic).cpu().numpy()
    if isinstance(model.action_space, spaces.Box):
        if policy.squash_output:
            return policy.unscale_action(actions)
        return np.clip(actions, model.action_space.low, model.action_space.high)
    return actions.reshape((-1, *model.action_space.shape))
