"""Shared by the prefs tests: a small native BikeBalance batch, and clips recorded from it."""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import VecMonitor

from rl_lab.prefs.clips import ClipRecorder
from rl_lab.prefs.reward_net import RewardNet
from rl_lab.prefs.reward_wrapper import LearnedRewardVecEnv
from rl_lab.training.native_vec_env import NativeVecEnv


def bike_batch(n: int, seed: int) -> VecMonitor:
    from rl_lab.envs.bicycle.vector import BikeBalanceVectorEnv

    venv = VecMonitor(NativeVecEnv(BikeBalanceVectorEnv(num_envs=n, action_repeat=5)))
    venv.seed(seed)
    return venv


def random_bike_clips(clip_steps: int, seed: int, steps: tuple[int, ...]) -> ClipRecorder:
    """Two bicycles ridden with random actions through a reward wrapper, cut into clips: ``steps``
    batch steps, then a reset without a seed (the next episodes), and so on."""
    kwargs = {"action_repeat": 5, "max_seconds": 1000.0}
    recorder = ClipRecorder(2, clip_steps, "rl_lab/BikeBalance-v0", kwargs, [seed, seed + 1])
    env = LearnedRewardVecEnv(bike_batch(2, seed), RewardNet(5, 9, True), recorder)
    env.seed(seed)
    rng = np.random.default_rng(seed)
    for count in steps:
        env.reset()
        for _ in range(count):
            env.step(rng.integers(9, size=2))
    env.close()
    return recorder
