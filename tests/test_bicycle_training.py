"""The bicycle through the whole runner: native batch = SB3's DummyVecEnv, TensorBoard's custom
measures, a real learning improvement on a small budget, and same-seed determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rl_lab.config import load_experiment
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.evaluation import evaluate
from rl_lab.training.trainer import train

QUICK = [
    "total_timesteps=2048",
    "eval.freq=1024",
    "eval.episodes=4",
    "eval.video=false",
    "checkpoint_freq=1000000",
    "env.kwargs.max_seconds=60.0",
]


class _RandomPolicy:
    """Uniform random actions with SB3's ``predict`` signature."""

    def __init__(self, action_space, seed: int) -> None:
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)

    def predict(self, observations, state=None, episode_start=None, deterministic=True):
        return self.rng.integers(0, self.action_space.n, size=len(observations)), None


def test_native_batch_matches_sb3_dummy_vec_env() -> None:
    config = load_experiment("bike_balance_ppo", ["env.kwargs.max_seconds=0.5"])
    native = make_vec_env(config, 3, seed=11, kind="native")
    dummy = make_vec_env(config, 3, seed=11, kind="dummy")
    assert isinstance(dummy.unwrapped, DummyVecEnv)
    assert np.array_equal(native.reset(), dummy.reset())
    rng = np.random.default_rng(0)
    finished = 0
    for _ in range(200):
        actions = rng.integers(0, 9, size=3)
        obs_n, rew_n, done_n, info_n = native.step(actions)
        obs_d, rew_d, done_d, info_d = dummy.step(actions)
        assert np.array_equal(obs_n, obs_d)
        assert np.array_equal(rew_n, rew_d)
        assert np.array_equal(done_n, done_d)
        for a, b in zip(info_n, info_d, strict=True):
            if "terminal_observation" in b:
                finished += 1
                assert np.array_equal(a["terminal_observation"], b["terminal_observation"])
                assert a["TimeLimit.truncated"] == b.get("TimeLimit.truncated", False)
                assert a["episode_metrics"] == b["episode_metrics"]
                assert a["episode"]["r"] == b["episode"]["r"]
    assert finished > 10  # both falls and time limits were compared


@pytest.mark.slow
def test_training_logs_custom_measures_and_learns_to_balance(tmp_path: Path) -> None:
    config = load_experiment("bike_balance_ppo", QUICK)
    result = train(config, tmp_path, seed=0, progress_bar=False, record_video=False, log=lambda _: None)

    events = EventAccumulator(str(result.run_dir)).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"custom/fall_rate", "custom/mean_abs_omega", "rollout/ep_rew_mean", "eval/success_rate"} <= tags
    assert events.Scalars("custom/fall_rate")[0].value == 1.0  # a beginner falls every time

    eval_venv = make_vec_env(config, 4, seed=123, for_eval=True)
    random_lengths = evaluate(_RandomPolicy(eval_venv.action_space, 0), eval_venv, 8).lengths
    trained = PPO.load(result.run_dir / "model.zip", device="cpu")
    trained_lengths = evaluate(trained, eval_venv, 8).lengths
    assert trained_lengths.mean() >= 10 * random_lengths.mean()


@pytest.mark.slow
def test_bicycle_runs_are_deterministic(tmp_path: Path) -> None:
    overrides = [*QUICK, "total_timesteps=512", "eval.freq=256", "eval.episodes=2"]
    config = load_experiment("bike_balance_ppo", overrides)
    runs = [
        train(config, tmp_path / name, seed=seed, progress_bar=False, record_video=False, log=lambda _: None)
        for name, seed in (("a", 4), ("b", 4), ("c", 5))
    ]
    weights = [PPO.load(r.run_dir / "model.zip", device="cpu").policy.state_dict() for r in runs]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert runs[0].summary["eval_mean_return"] == runs[1].summary["eval_mean_return"]
