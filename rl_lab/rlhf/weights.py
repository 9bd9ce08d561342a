"""The networks an RLHF run saves, as plain state dicts, and loading them back without pickle.

``torch.load(weights_only=True)`` reads tensors only: a run directory from elsewhere cannot run
code on load.
"""

from __future__ import annotations

from pathlib import Path

import torch
from stable_baselines3.common.policies import ActorCriticPolicy

from rl_lab.agents.reward_model import RewardModel
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.generation import make_policy, policy_kwargs_for
from rl_lab.rlhf.reward_training import make_reward_model
from rl_lab.rlhf.settings import RLHFConfig
from rl_lab.runs.atomic import write_with

# stage -> the file of its policy in the run directory
POLICY_FILES = {"sft": "sft_policy.pt", "ppo": "ppo_policy.pt", "dpo": "dpo_policy.pt"}
REWARD_MODEL_FILE = "reward_model.pt"


def save_weights(path: Path, module: torch.nn.Module) -> None:
    """Write ``module``'s state dict to ``path`` atomically."""
    write_with(path, lambda tmp: torch.save(module.state_dict(), tmp))


def _load_into(module: torch.nn.Module, path: Path) -> None:
    if not path.is_file():
        raise LabError(f"{path}: missing (is {path.parent} a finished RLHF run?)")
    try:
        module.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:  # unpickling, shape and key errors all mean the same to a user
        raise LabError(f"{path}: corrupt or not from this experiment ({type(error).__name__})") from None


def load_policy(path: Path, world: TextWorld, config: RLHFConfig) -> ActorCriticPolicy:
    """A token policy of ``config``'s shape with the weights saved at ``path``."""
    p = config.policy
    policy = make_policy(world, policy_kwargs_for(world, p.embed_dim, p.hidden_dim, p.policy, p.value))
    _load_into(policy, path)
    policy.set_training_mode(False)
    return policy


def load_reward_model(path: Path, world: TextWorld, config: RLHFConfig) -> RewardModel:
    """The reward model of ``config``'s shape with the weights (and offset) saved at ``path``."""
    s = config.reward_model
    model = make_reward_model(world, s.embed_dim, s.hidden_dim, tuple(s.head))
    _load_into(model, path)
    model.eval()
    return model
