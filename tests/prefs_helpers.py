"""Shared by the prefs tests: a small native BikeBalance batch, monitored and seeded."""

from __future__ import annotations

from stable_baselines3.common.vec_env import VecMonitor

from rl_lab.training.native_vec_env import NativeVecEnv


def bike_batch(n: int, seed: int) -> VecMonitor:
    from rl_lab.envs.bicycle.vector import BikeBalanceVectorEnv

    venv = VecMonitor(NativeVecEnv(BikeBalanceVectorEnv(num_envs=n, action_repeat=5)))
    venv.seed(seed)
    return venv
