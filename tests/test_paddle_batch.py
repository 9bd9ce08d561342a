"""The batched PaddleBall equals N single envs bitwise, autoresets included."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from rl_lab.envs.paddle.env import PaddleBallEnv
from rl_lab.envs.paddle.vector import PaddleBallVectorEnv

N, SEED, STEPS = 5, 11, 400


def _actions(continuous: bool) -> np.ndarray:
    rng = np.random.default_rng(3)
    # Mostly sensible moves (follow the ball) mixed with random ones, so some episodes last.
    if continuous:
        return rng.uniform(-1.5, 1.5, size=(STEPS, N, 1)).astype(np.float32)
    return rng.integers(0, 3, size=(STEPS, N))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_episode_steps": 60},
        {"obs_mode": "pixels", "frame_size": 40, "max_episode_steps": 60},
        {"continuous": True, "max_episode_steps": 45},
    ],
)
def test_batch_equals_single_envs_bitwise(kwargs: dict) -> None:
    batch = PaddleBallVectorEnv(N, **kwargs)
    singles = [PaddleBallEnv(**kwargs) for _ in range(N)]
    obs, infos = batch.reset(seed=SEED)
    for i, env in enumerate(singles):
        single_obs, info = env.reset(seed=SEED + i)
        assert np.array_equal(obs[i], single_obs)
        assert all(infos[k][i] == v for k, v in info.items())
    actions = _actions(kwargs.get("continuous", False))
    finished = {"terminated": 0, "truncated": 0}
    for t in range(STEPS):
        obs, rewards, terminated, truncated, infos = batch.step(actions[t])
        for i, env in enumerate(singles):
            s_obs, s_reward, s_term, s_trunc, s_info = env.step(actions[t, i])
            assert (rewards[i], terminated[i], truncated[i]) == (s_reward, s_term, s_trunc)
            assert all(infos[k][i] == s_info[k] for k in ("score", "ball_x", "ball_y", "paddle_y"))
            if s_term or s_trunc:
                finished["terminated" if s_term else "truncated"] += 1
                assert infos["_final_obs"][i]
                assert np.array_equal(infos["final_obs"][i], s_obs)
                assert {k: v[i] for k, v in infos["episode_metrics"].items()} == s_info["episode_metrics"]
                s_obs, _ = env.reset()
            else:
                assert "_final_obs" not in infos or not infos["_final_obs"][i]
            assert np.array_equal(obs[i], s_obs), f"copy {i} differs at step {t}"
    assert finished["terminated"] > 0 and finished["truncated"] > 0


def test_batch_seeds_each_copy_differently_and_reports_max_score() -> None:
    batch = PaddleBallVectorEnv(4, max_episode_steps=600)
    obs, _ = batch.reset(seed=0)
    assert len({row.tobytes() for row in obs}) == 4
    assert batch.max_score == PaddleBallEnv(max_episode_steps=600).max_score == 16
    assert batch.observation_space.shape == (4, 5) and batch.single_action_space.n == 3


def test_make_vec_uses_the_native_batch() -> None:
    venv = gymnasium.make_vec("rl_lab/PaddleBall-v0", num_envs=3, vectorization_mode="vector_entry_point",
                              obs_mode="pixels", frame_size=36)  # fmt: skip
    obs, _ = venv.reset(seed=0)
    assert isinstance(venv.unwrapped, PaddleBallVectorEnv) and obs.shape == (3, 36, 36, 1)
    with pytest.raises(ValueError, match="invalid action"):
        venv.step(np.array([0, 1, 7]))


def test_batch_rgb_array_render() -> None:
    batch = PaddleBallVectorEnv(2, render_mode="rgb_array")
    batch.reset(seed=0)
    images = batch.render()
    assert len(images) == 2 and not np.array_equal(images[0], images[1])
