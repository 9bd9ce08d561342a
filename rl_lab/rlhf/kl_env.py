"""The text environment as SB3's ``VecEnv``, with the per-token KL leash folded into the reward.

Each step, before the tokens are written, the current policy π and the frozen reference π_ref
score the chosen tokens; the reward is ``-β (log π(a|s) - log π_ref(a|s))`` plus, on the last
token, the reward model's score (from the text dynamics' ``reward_fn``). The exact per-token KL
over the full softmax is summed per episode for the adaptive KL controller and the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn
from torch.nn import functional as F

from rl_lab.envs.text.dynamics import RewardFn, TextDynamics
from rl_lab.envs.text.world import TextWorld


class KLPenaltyVecEnv(VecEnv):
    """``num_envs`` responses written in parallel; reward = RM score at the end - β·log-ratio per token.

    Set :attr:`policy` to the policy being trained before the first step. :attr:`beta` may be
    changed between rollouts (the adaptive KL controller does). Finished episodes are appended to
    :attr:`finished` as dicts (``kl``, ``log_ratio``, ``score``, ``length``) until someone drains it.
    """

    def __init__(self, world: TextWorld, num_envs: int, reward_fn: RewardFn, ref_policy: ActorCriticPolicy,
                 beta: float, seed: int = 0) -> None:
        self.world = world
        self.dynamics = TextDynamics(num_envs, world, reward_fn)
        self.render_mode = None
        super().__init__(num_envs, self.dynamics.observation_space, self.dynamics.action_space)
        self.ref_policy = ref_policy
        self.policy: ActorCriticPolicy | None = None
        self.beta = beta
        self.rngs = [np.random.default_rng(seed + i) for i in range(num_envs)]
        self.finished: list[dict[str, float]] = []
        self._actions = np.zeros(num_envs, dtype=np.int64)
        self._kl = np.zeros(num_envs)
        self._log_ratio = np.zeros(num_envs)
        self._return = np.zeros(num_envs)

    def reset(self) -> np.ndarray:
        if any(s is not None for s in self._seeds):
            self.rngs = [np.random.default_rng(s) for s in self._seeds]
        self._reset_seeds()
        self._reset_options()
        self.dynamics.reset_envs(np.arange(self.num_envs), self.rngs)
        self._kl[:] = self._log_ratio[:] = self._return[:] = 0.0
        return self.dynamics.observe()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = self.dynamics.check_actions(np.asarray(actions).reshape(self.num_envs))

    @torch.no_grad()
    def _log_probs(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.policy is None:
            raise RuntimeError("KLPenaltyVecEnv.policy must be set before stepping")
        obs_t = torch.as_tensor(obs)
        logp = F.log_softmax(self.policy.get_distribution(obs_t).distribution.logits, dim=-1)
        logr = F.log_softmax(self.ref_policy.get_distribution(obs_t).distribution.logits, dim=-1)
        a = torch.as_tensor(self._actions)[:, None]
        kl = (logp.exp() * (logp - logr)).sum(-1)
        return (logp.gather(1, a).squeeze(1).double().numpy(), logr.gather(1, a).squeeze(1).double().numpy(),
                kl.double().numpy())

    def step_wait(self) -> VecEnvStepReturn:
        logp, logr, kl = self._log_probs(self.dynamics.observe())
        scores, terminated = self.dynamics.step(self._actions)
        rewards = scores - self.beta * (logp - logr)
        self._kl += kl
        self._log_ratio += logp - logr
        self._return += rewards
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        done = np.flatnonzero(terminated)
        if len(done):
            final_obs = self.dynamics.observe()
            metrics = self.dynamics.episode_metrics()
            for i in done:
                episode = {"kl": float(self._kl[i]), "log_ratio": float(self._log_ratio[i]),
                           "score": float(metrics["score"][i]), "length": float(metrics["length"][i])}
                self.finished.append(episode)
                infos[i] = {"terminal_observation": final_obs[i], "TimeLimit.truncated": False,
                            "episode": {"r": float(self._return[i]), "l": int(metrics["length"][i]) + 1,
                                        "t": 0.0},
                            "episode_metrics": episode}
            self.dynamics.reset_envs(done, [self.rngs[i] for i in done])
            self._kl[done] = self._log_ratio[done] = self._return[done] = 0.0
        return self.dynamics.observe(), rewards.astype(np.float32), terminated.copy(), infos

    def drain(self) -> list[dict[str, float]]:
        """The episodes finished since the last drain."""
        out, self.finished = self.finished, []
        return out

    def close(self) -> None:
        pass

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
                   **method_kwargs: Any) -> list[Any]:
        return [getattr(self, method_name)(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]
