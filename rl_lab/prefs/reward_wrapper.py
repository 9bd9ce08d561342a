"""A VecEnv wrapper that gives the learner r̂ instead of the env's reward, and cuts clips.

Wrap it around the ``VecMonitor`` of the env: the monitor sees (and SB3 logs, as
``rollout/ep_rew_mean``) the env's TRUE returns, the learner sees only the normalised r̂ of
:class:`rl_lab.prefs.reward_net.RewardNet`. Every transition also goes to a
:class:`rl_lab.prefs.clips.ClipRecorder`, so the clips to label come from the policy's own
experience, as in Christiano et al. 2017.
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from rl_lab.prefs.clips import ClipRecorder
from rl_lab.prefs.reward_net import RewardNet


class LearnedRewardVecEnv(VecEnvWrapper):
    """The env with its reward replaced by ``net``'s normalised r̂(s, a)."""

    def __init__(self, venv: VecEnv, net: RewardNet, recorder: ClipRecorder | None = None) -> None:
        super().__init__(venv)
        self.net = net
        self.recorder = recorder
        self._obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None
        self._seeded = False
        self.true_returns: list[float] = []  # returns of the episodes that ended, from VecMonitor

    def seed(self, seed: int | None = None):
        self._seeded = True
        return self.venv.seed(seed)

    def reset(self) -> np.ndarray:
        self._obs = self.venv.reset()
        if self.recorder is not None:
            self.recorder.restart(seeded=self._seeded)
        self._seeded = False
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)
        self.venv.step_async(actions)

    def step_wait(self):
        obs, true_rewards, dones, infos = self.venv.step_wait()
        rewards = self.net.reward(self._obs, self._actions)
        if self.recorder is not None:
            self.recorder.record(self._obs, self._actions, true_rewards, dones, infos)
        for info in infos:
            if "episode" in info:
                self.true_returns.append(float(info["episode"]["r"]))
        self._obs = obs
        return obs, rewards, dones, infos
