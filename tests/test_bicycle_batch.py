"""The batch of bicycles equals N single bicycles, bit for bit, autoresets included."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.bicycle.env import BikeBalanceEnv, BikeRideEnv
from rl_lab.envs.bicycle.vector import BikeBalanceVectorEnv, BikeRideVectorEnv

N, STEPS, SEED = 5, 300, 11
CASES = [
    (BikeBalanceEnv, BikeBalanceVectorEnv, {"action_repeat": 5, "max_seconds": 1.2}),
    (BikeBalanceEnv, BikeBalanceVectorEnv, {"action_repeat": 2, "max_seconds": 1.0, "continuous": True}),
    (BikeRideEnv, BikeRideVectorEnv, {"action_repeat": 3, "max_seconds": 0.8, "pedal_brake": True}),
    (BikeRideEnv, BikeRideVectorEnv, {"action_repeat": 4, "max_seconds": 1.0, "shaping": "randlov",
                                      "continuous": True, "pedal_brake": True}),
]  # fmt: skip


def _actions(space: gym.Space, rng: np.random.Generator) -> np.ndarray:
    if isinstance(space, gym.spaces.Discrete):
        # Mostly "keep still" so that some episodes last to the time limit, with random pushes to fall.
        a = rng.integers(0, space.n, N)
        keep = space.n // 2
        return np.where(rng.random(N) < 0.6, keep, a)
    return rng.uniform(-0.6, 1.2, (N, *space.shape)) * (rng.random((N, 1)) < 0.5)  # lean one way


@pytest.mark.parametrize("single_cls, batch_cls, kwargs", CASES)
def test_batch_equals_n_single_envs_bitwise(single_cls, batch_cls, kwargs: dict[str, Any]) -> None:
    batch = batch_cls(N, **kwargs)
    singles = [single_cls(**kwargs) for _ in range(N)]
    obs, info = batch.reset(seed=SEED)
    for i, env in enumerate(singles):
        o, inf = env.reset(seed=SEED + i)
        assert np.array_equal(obs[i], o)
        assert all(info[k][i] == v for k, v in inf.items())
    rng = np.random.default_rng(0)
    falls = truncations = 0
    for _ in range(STEPS):
        actions = _actions(batch.single_action_space, rng)
        obs, rewards, terminated, truncated, infos = batch.step(actions)
        for i, env in enumerate(singles):
            o, r, te, tr, inf = env.step(actions[i])
            assert (te, tr) == (terminated[i], truncated[i])
            assert r == rewards[i]
            for k, v in inf.items():
                if k != "episode_metrics":
                    assert v == infos[k][i], k
            if te or tr:
                falls += te
                truncations += tr
                assert infos["_final_obs"][i]
                assert np.array_equal(infos["final_obs"][i], o)
                metrics = {k: float(v[i]) for k, v in infos["episode_metrics"].items()}
                assert metrics == inf["episode_metrics"]
                o, _ = env.reset()
            assert np.array_equal(obs[i], o)
            assert obs.dtype == o.dtype == np.float32
    assert falls >= 3 and truncations >= 3  # both kinds of autoreset were exercised


def test_batch_is_a_vector_env_with_same_step_autoreset() -> None:
    batch = gym.make_vec("rl_lab/BikeRide-v0", num_envs=3, vectorization_mode="vector_entry_point")
    assert batch.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    assert batch.single_observation_space == gym.make("rl_lab/BikeRide-v0").observation_space
    _, infos = batch.reset(seed=0)
    assert set(infos) >= {"omega", "distance_to_goal", "reached_goal"} and infos["omega"].shape == (3,)
    with pytest.raises(ValueError, match="invalid action"):
        batch.step(np.array([0, 9, 1]))
    with pytest.raises(ValueError):
        BikeBalanceVectorEnv(2, render_mode="rgb_array")
