"""SB3's ``VecEnv`` over rl-lab's native batched environments.

rl-lab's batches are Gymnasium ``VectorEnv`` objects that autoreset in the same step; this adapter
gives them SB3's contract (``terminal_observation`` and ``TimeLimit.truncated`` in the finished
environments' info dicts) without a Python loop over environments except to build those dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn


class NativeVecEnv(VecEnv):
    """Present a same-step-autoresetting Gymnasium ``VectorEnv`` as an SB3 ``VecEnv``."""

    def __init__(self, vector_env: VectorEnv) -> None:
        mode = vector_env.metadata.get("autoreset_mode")
        if mode != AutoresetMode.SAME_STEP:
            raise ValueError(f"NativeVecEnv needs a same-step autoreset VectorEnv, got {mode}")
        self.vector_env = vector_env
        self.render_mode = None
        super().__init__(
            vector_env.num_envs, vector_env.single_observation_space, vector_env.single_action_space
        )
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        seeds = self._seeds if any(s is not None for s in self._seeds) else None
        obs, _ = self.vector_env.reset(seed=seeds)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, infos = self.vector_env.step(self._actions)
        dones = terminated | truncated
        info_dicts: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            info = info_dicts[i]
            info["terminal_observation"] = infos["final_obs"][i]
            info["TimeLimit.truncated"] = bool(truncated[i])
            info["episode_metrics"] = {k: float(v[i]) for k, v in infos["episode_metrics"].items()}
        return obs, rewards.astype(np.float32), dones, info_dicts

    def close(self) -> None:
        self.vector_env.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.vector_env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.vector_env, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__} has no per-environment method {method_name!r}")

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False for _ in self._get_indices(indices)]
