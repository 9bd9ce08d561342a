"""The bicycle environments as Gymnasium and SB3 see them: checks, seeding, errors, rendering."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.bicycle import physics as ph
from rl_lab.envs.bicycle.env import BikeBalanceEnv
from rl_lab.envs.bicycle.vector import BikeBalanceVectorEnv, BikeRideVectorEnv

IDS = ["rl_lab/BikeBalance-v0", "rl_lab/BikeRide-v0"]
VARIANTS = [{}, {"continuous": True}, {"pedal_brake": True}, {"continuous": True, "pedal_brake": True}]


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("kwargs", VARIANTS, ids=["discrete", "continuous", "pedal", "continuous-pedal"])
def test_gymnasium_and_sb3_checkers_pass(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(gym.make(env_id, **kwargs), warn=False)
    gym_check_env(gym.make(env_id, render_mode="rgb_array", **kwargs).unwrapped)


def test_spaces() -> None:
    assert gym.make(IDS[0]).action_space == gym.spaces.Discrete(9)
    assert gym.make(IDS[0], pedal_brake=True).action_space == gym.spaces.Discrete(27)
    assert gym.make(IDS[0], continuous=True).action_space.shape == (2,)
    assert gym.make(IDS[1], continuous=True, pedal_brake=True).action_space.shape == (3,)
    assert gym.make(IDS[0]).observation_space.shape == (5,)
    assert gym.make(IDS[1], pedal_brake=True).observation_space.shape == (9,)
    for env_id in IDS:
        space = gym.make(env_id).observation_space
        assert (
            space.dtype == np.float32 and np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
        )


def test_time_limit_in_seconds_follows_action_repeat() -> None:
    assert gym.make(IDS[0]).unwrapped.max_episode_steps == 100_000  # the paper's 1000 s
    assert gym.make(IDS[0], action_repeat=10).unwrapped.max_episode_steps == 10_000
    assert gym.make(IDS[1], action_repeat=3, max_seconds=1.0).unwrapped.max_episode_steps == 34
    env = gym.make(IDS[0], action_repeat=10, max_seconds=2.0, noise=0.0)
    env.reset(seed=0)
    results = [env.step(4) for _ in range(20)]
    assert [r[3] for r in results] == [False] * 19 + [True]  # truncated at 2 s exactly
    assert not any(r[2] for r in results)


def _trajectory(env_id: str, seed: int, steps: int = 60, **kwargs) -> np.ndarray:
    env = gym.make(env_id, action_repeat=2, **kwargs)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in [4, 4, 3, 5, 4, 1, 7, 4] * (steps // 8):
        obs, _, terminated, truncated, _ = env.step(a)
        out.append(obs)
        if terminated or truncated:
            break
    return np.array(out)


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_trajectory_different_seeds_differ(env_id: str) -> None:
    a, b, c = _trajectory(env_id, 3), _trajectory(env_id, 3), _trajectory(env_id, 4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[: len(c)], c[: len(a)])
    # Without noise there is nothing random: every seed rides alike.
    assert np.array_equal(_trajectory(env_id, 3, noise=0.0), _trajectory(env_id, 4, noise=0.0))


def test_noise_is_scaled_by_its_argument() -> None:
    quiet, loud = _trajectory(IDS[0], 5, noise=0.005), _trajectory(IDS[0], 5, noise=0.02)
    silent = _trajectory(IDS[0], 5, noise=0.0)
    n = min(len(quiet), len(loud), len(silent))
    assert 0 < np.abs(quiet[:n] - silent[:n]).max() < np.abs(loud[:n] - silent[:n]).max()


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("bad", [9, -1, 2.5, [1, 2], "a", None])
def test_invalid_discrete_actions_raise_a_clear_error(env_id: str, bad) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(bad)


@pytest.mark.parametrize("bad", [[0.1], [0.1, 0.2, 0.3], [np.nan, 0.0], 0.5])
def test_invalid_continuous_actions_raise_a_clear_error(bad) -> None:
    env = gym.make(IDS[0], continuous=True)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(np.array(bad))


def test_bad_arguments_raise() -> None:
    for kwargs in [{"action_repeat": 0}, {"noise": -0.01}, {"max_seconds": 0.0}, {"action_repeat": 1.5}]:
        with pytest.raises(ValueError):
            gym.make(IDS[0], **kwargs)
    with pytest.raises(ValueError, match="render_mode"):
        BikeBalanceEnv(render_mode="ascii")
    with pytest.raises(ValueError, match="shaping"):
        gym.make(IDS[1], shaping="angle")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actions=st.lists(
        st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=40
    ),
    env_id=st.sampled_from(IDS),
    repeat=st.integers(1, 12),
)
def test_fuzzed_continuous_actions_keep_observations_finite_and_in_space(actions, env_id, repeat) -> None:
    env = gym.make(env_id, continuous=True, pedal_brake=True, action_repeat=repeat)
    obs, _ = env.reset(seed=len(actions))
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(np.array(a))
        assert env.observation_space.contains(obs) and np.isfinite(reward)
        assert all(np.isfinite(v) for k, v in info.items() if k != "episode_metrics")
        if terminated or truncated:
            assert all(np.isfinite(v) for v in info["episode_metrics"].values())
            obs, _ = env.reset()


@settings(max_examples=25, deadline=None)
@given(actions=st.lists(st.integers(0, 8), min_size=1, max_size=200), env_id=st.sampled_from(IDS))
def test_fuzzed_discrete_actions_keep_observations_in_space(actions, env_id) -> None:
    env = gym.make(env_id, action_repeat=3)
    obs, _ = env.reset(seed=0)
    for a in actions:
        obs, reward, terminated, truncated, _ = env.step(a)
        assert env.observation_space.contains(obs) and np.isfinite(reward)
        if terminated or truncated:
            obs, _ = env.reset()


def test_rgb_array_frame_has_the_declared_shape_and_follows_the_bike() -> None:
    env = gym.make(IDS[1], render_mode="rgb_array", action_repeat=5)
    env.reset(seed=0)
    first = env.render()
    assert first.shape == (600, 400, 3) and first.dtype == np.uint8
    for _ in range(10):
        env.step(4)
    later = env.render()
    assert later.shape == first.shape and not np.array_equal(first, later)
    assert env.metadata["render_fps"] == 20  # real time: 0.05 s per agent step
    assert gym.make(IDS[0]).unwrapped.render() is None  # no render_mode, no frame


def test_info_keys_and_episode_metrics() -> None:
    env = gym.make(IDS[1], action_repeat=10)
    _, info = env.reset(seed=0)
    keys = {"omega", "omega_dot", "theta", "theta_dot", "x_front", "y_front", "x_back", "y_back", "psi"}
    assert set(info) == keys | {"distance_to_goal", "reached_goal"}
    assert info["distance_to_goal"] == pytest.approx(np.hypot(1000.0, 1.11))
    while True:
        _, _, terminated, truncated, info = env.step(0)
        if terminated or truncated:
            break
    m = info["episode_metrics"]
    assert set(m) == {"fall_rate", "mean_abs_omega", "distance_to_goal", "goal_reach_rate", "path_length",
                      "straight_line"}  # fmt: skip
    assert m["fall_rate"] == 1.0 and m["goal_reach_rate"] == 0.0 and m["straight_line"] == 990.0
    assert 0 < m["mean_abs_omega"] < 0.21 and m["distance_to_goal"] == info["distance_to_goal"]
    chord, steps = np.hypot(info["x_back"], info["y_back"]), env.unwrapped.elapsed_steps
    assert chord < m["path_length"] <= steps * 10 * 0.01 * 10 / 3.6  # rolled v·dt per physics step
    assert all(isinstance(v, float) for v in m.values())


def test_ride_potential_shaping_rewards_progress() -> None:
    """γ = 1: the return is exactly (start distance − end distance) / scale + bonus − penalty."""
    env = gym.make(IDS[1], action_repeat=10, gamma=1.0, distance_scale=10.0, fall_penalty=2.0)
    _, info = env.reset(seed=0)
    start, total = info["distance_to_goal"], 0.0
    while True:
        _, reward, terminated, truncated, info = env.step(0)
        total += reward
        if terminated or truncated:
            break
    assert terminated and total == pytest.approx((start - info["distance_to_goal"]) / 10.0 - 2.0)


def test_randlov_shaping_pays_for_facing_the_goal() -> None:
    env = gym.make(IDS[1], shaping="randlov", noise=0.0)
    env.reset(seed=0)
    _, reward, _, _, i = env.step(4)  # heading +y, the goal about 90° to the right: ψ_g ≈ −1
    heading = np.array([i["x_front"] - i["x_back"], i["y_front"] - i["y_back"]])
    to_goal = np.array([1000.0 - i["x_front"], -i["y_front"]])
    psi_g = np.dot(heading, to_goal) / (1.11 * np.linalg.norm(to_goal)) - 1.0  # goal to the right: −
    assert -1.01 < psi_g < -1.0
    assert reward == pytest.approx((0.95 - psi_g**2) * 1e-4, rel=1e-9)
    env.unwrapped.state[ph.OMEGA] = 0.3
    assert env.step(4)[1] == -1.0  # the paper's fall


def test_reaching_the_goal_terminates_with_success() -> None:
    env = gym.make(IDS[1], noise=0.0, action_repeat=10, goal_bonus=5.0)
    env.reset(seed=0)
    state = env.unwrapped.state
    state[[ph.X_B, ph.Y_B, ph.X_F, ph.Y_F]] = 985.0, 0.0, 985.0 + 1.11, 0.0  # riding east, 15 m short
    state[ph.PSI] = -np.pi / 2
    for _ in range(100):
        _, reward, terminated, truncated, info = env.step(4)
        if terminated:
            break
    assert terminated and not truncated and info["reached_goal"] and reward > 5.0
    assert info["episode_metrics"]["goal_reach_rate"] == 1.0 and info["episode_metrics"]["fall_rate"] == 0.0


def test_pedal_brake_changes_speed_and_too_slow_is_a_fall() -> None:
    env = gym.make(IDS[0], pedal_brake=True, noise=0.0, action_repeat=10)
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(22)  # pedal, T = d = 0
    assert info["speed"] == pytest.approx(10 / 3.6 + 0.1)
    for _ in range(100):
        obs, _, terminated, _, info = env.step(4)  # brake, T = d = 0
        if terminated:
            break
    assert terminated and info["speed"] < 1.0 and info["episode_metrics"]["fall_rate"] == 1.0
    assert obs[5] == pytest.approx(info["speed"] / (20 / 3.6))


def test_make_forms() -> None:
    env = gym.make("rl_lab:rl_lab/BikeBalance-v0")
    assert env.unwrapped.__class__.__name__ == "BikeBalanceEnv"
    vec = gym.make_vec("rl_lab/BikeBalance-v0", num_envs=4, vectorization_mode="vector_entry_point")
    assert isinstance(vec, BikeBalanceVectorEnv) and vec.num_envs == 4
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (4, 5) and obs.dtype == np.float32
    vec = gym.make_vec(
        "rl_lab/BikeRide-v0", num_envs=3, vectorization_mode="vector_entry_point", action_repeat=5
    )
    assert isinstance(vec, BikeRideVectorEnv) and vec.params.action_repeat == 5


def test_human_mode_opens_a_pygame_window_headless(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env = gym.make(IDS[0], render_mode="human")  # 100 frames per second: no long waits
    env.reset(seed=0)
    env.step(4)
    assert env.unwrapped._window is not None and env.unwrapped.render() is None
    env.close()
    assert env.unwrapped._window is None
