"""PaddleBall-v0 as a single Gymnasium env: API, seeding, errors, physics, pixels, max_score."""

from __future__ import annotations

import copy

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from rl_lab.envs.paddle.court import COURT
from rl_lab.envs.paddle.env import PaddleBallEnv
from rl_lab.envs.paddle.pixels import BALL, PADDLE, PixelDrawer

MODES = [
    {},
    {"continuous": True},
    {"obs_mode": "pixels"},
    {"obs_mode": "pixels", "frame_size": 36, "continuous": True},
    {"obs_mode": "pixels", "frame_size": 40, "trail": False},
]


@pytest.mark.parametrize("kwargs", MODES)
def test_both_env_checkers_pass(kwargs: dict) -> None:
    gym_check_env(PaddleBallEnv(**kwargs), skip_render_check=True)
    sb3_check_env(PaddleBallEnv(**kwargs), warn=True)
    gym_check_env(gymnasium.make("rl_lab/PaddleBall-v0", **kwargs).unwrapped)


def _rollout(env: PaddleBallEnv, seed: int, steps: int) -> list:
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(int(rng.integers(3)))
        out.append((obs, reward, terminated, info["ball_y"]))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs)
    return out


def _same(a: list, b: list) -> bool:
    return all(np.array_equal(np.asarray(x[0] if isinstance(x, tuple) else x),
                              np.asarray(y[0] if isinstance(y, tuple) else y)) and
               (not isinstance(x, tuple) or x[1:] == y[1:]) for x, y in zip(a, b, strict=True))  # fmt: skip


@pytest.mark.parametrize("obs_mode", ["vector", "pixels"])
def test_seeding_same_seed_same_game_other_seed_other_game(obs_mode: str) -> None:
    kwargs = {"obs_mode": obs_mode, "frame_size": 40}
    first = _rollout(PaddleBallEnv(**kwargs), 3, 300)
    assert _same(first, _rollout(PaddleBallEnv(**kwargs), 3, 300))
    assert not _same(first, _rollout(PaddleBallEnv(**kwargs), 4, 300))
    launches = {PaddleBallEnv().reset(seed=s)[0][2:].tobytes() for s in range(10)}
    assert len(launches) == 10  # launch height and angle come from the seed


def test_invalid_actions_raise_clear_errors() -> None:
    env = PaddleBallEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"invalid action .*3\)?: expected an integer in \[0, 2\]"):
        env.step(3)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(1.5)
    cont = PaddleBallEnv(continuous=True)
    cont.reset(seed=0)
    with pytest.raises(ValueError, match="must be finite"):
        cont.step(np.array([np.nan], dtype=np.float32))
    with pytest.raises(ValueError, match="invalid action shape"):
        cont.step(np.zeros(2, dtype=np.float32))


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="frame_size must be an integer >= 36"):
        PaddleBallEnv(obs_mode="pixels", frame_size=35)
    with pytest.raises(ValueError, match="obs_mode"):
        PaddleBallEnv(obs_mode="rgb")
    with pytest.raises(ValueError, match="render_mode"):
        PaddleBallEnv(render_mode="ansi")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    actions=st.lists(st.integers(0, 2), min_size=1, max_size=200),
    pixels=st.booleans(),
)
def test_fuzzed_discrete_actions_keep_obs_in_space(seed: int, actions: list[int], pixels: bool) -> None:
    env = PaddleBallEnv(obs_mode="pixels" if pixels else "vector", frame_size=36, max_episode_steps=150)
    obs, _ = env.reset(seed=seed)
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward) and all(np.isfinite(v) for v in info.values() if np.isscalar(v))
        if terminated or truncated:
            obs, _ = env.reset()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    actions=st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=1, max_size=200),
)
def test_fuzzed_continuous_actions_keep_obs_in_space(seed: int, actions: list[float]) -> None:
    env = PaddleBallEnv(continuous=True, max_episode_steps=150)
    env.reset(seed=seed)
    for action in actions:
        obs, _, terminated, truncated, info = env.step(np.array([action], dtype=np.float32))
        assert env.observation_space.contains(obs) and not np.isnan(obs).any()
        assert COURT.paddle_half <= info["paddle_y"] <= 1 - COURT.paddle_half
        if terminated or truncated:
            env.reset()


@pytest.mark.parametrize("frame_size", [36, 40, 84])
def test_pixels_show_ball_and_paddle_where_the_state_says(frame_size: int) -> None:
    env = PaddleBallEnv(obs_mode="pixels", frame_size=frame_size)
    env.reset(seed=1)
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(120):
        frame, _, terminated, truncated, info = env.step(int(rng.integers(3)))
        if terminated or truncated:
            break
        image = frame[..., 0]
        rows, cols = np.nonzero(image == BALL)
        assert abs(cols.mean() + 0.5 - info["ball_x"] * frame_size) <= 1.0
        assert abs(rows.mean() + 0.5 - (1 - info["ball_y"]) * frame_size) <= 1.0
        rows, cols = np.nonzero(image == PADDLE)
        assert abs(rows.mean() + 0.5 - (1 - info["paddle_y"]) * frame_size) <= 1.0
        assert cols.min() >= round(COURT.paddle_face * frame_size) - 1
        checked += 1
    assert checked > 10


def test_trail_shows_where_the_ball_was() -> None:
    drawer = PixelDrawer(1, 40, COURT, trail=True)
    one = np.array
    frame = drawer.draw(one([0.5]), one([0.3]), one([0.5]), one([0.25]), one([0.45]))[0, ..., 0]
    trail_rows, trail_cols = np.nonzero((frame > 0) & (frame < PADDLE))
    ball_rows, ball_cols = np.nonzero(frame == BALL)
    assert trail_cols.mean() < ball_cols.mean() and trail_rows.mean() > ball_rows.mean()
    state = (one([0.5]), one([0.3]), one([0.5]), one([0.25]), one([0.45]))
    plain = PixelDrawer(1, 40, COURT, trail=False).draw(*state)
    assert set(np.unique(plain)) == {0, PADDLE, BALL}


def _intercept(env: PaddleBallEnv) -> float:
    """Height at which the ball next reaches the paddle's plane (played out on a copy)."""
    dynamics = copy.deepcopy(env.dynamics)
    dynamics.set_actions(np.zeros(1, dtype=np.int64))  # stay
    while True:
        dynamics.step(autoreset=False)
        if dynamics.rewards[0] or dynamics.terminated[0]:
            return float(dynamics.ball_y[0])


def _play_tracker(env: PaddleBallEnv, seed: int, aims: tuple[float, ...]) -> tuple[int, list, dict]:
    """A flawless scripted player: meets every ball, aiming to hit it at ``aims`` in turn."""
    _, info = env.reset(seed=seed)
    speeds, metrics = [], {}
    for _ in range(env.max_episode_steps):
        aim = aims[info["score"] % len(aims)]
        target = _intercept(env) - aim * COURT.hit_reach
        gap = target - info["paddle_y"]
        action = 0 if abs(gap) < COURT.paddle_speed / 2 else (1 if gap > 0 else 2)
        _, reward, terminated, truncated, info = env.step(action)
        if reward:
            speeds.append((abs(env.dynamics.ball_vx[0]), abs(env.dynamics.ball_vy[0])))
        if terminated or truncated:
            metrics = info["episode_metrics"]
            break
    return info["score"], speeds, metrics


@pytest.mark.slow
def test_flawless_tracker_scores_max_score_and_ball_speeds_up_to_the_cap() -> None:
    env = PaddleBallEnv()
    assert env.max_score == COURT.max_score(500) == 13
    for seed in (0, 1):
        score, speeds, metrics = _play_tracker(env, seed, aims=(0.6, -0.3, 0.0, -0.7))
        assert score == env.max_score
        assert metrics == {"score": 13.0, "score_fraction": 1.0, "returns_in_a_row": 13.0, "miss_rate": 0.0}
        vx = np.array([s[0] for s in speeds])
        assert vx[0] > COURT.ball_speed and np.all(np.diff(vx) >= 0) and vx[-1] == COURT.max_speed
        assert np.all(vx <= COURT.max_speed) and all(s[1] <= COURT.max_vy + 1e-12 for s in speeds)
    assert PaddleBallEnv(max_episode_steps=1000).max_score == 27


def test_a_miss_terminates_with_episode_metrics() -> None:
    env = PaddleBallEnv(max_episode_steps=500)
    env.reset(seed=5)
    for _ in range(500):
        _, _, terminated, truncated, info = env.step(1)  # hug the top wall
        if terminated or truncated:
            break
    assert terminated and not truncated and env.elapsed_steps < 500
    assert info["episode_metrics"]["miss_rate"] == 1.0
    assert info["episode_metrics"]["score"] == info["score"] == info["returns_in_a_row"]


def test_edge_and_centre_hits_give_different_angles() -> None:
    env = PaddleBallEnv()
    outgoing = []
    for paddle_offset in (0.0, 0.06, 0.12, -0.12):
        env.reset(seed=0)
        d = env.dynamics
        d.ball_x[0], d.ball_y[0] = COURT.paddle_face - COURT.ball_radius - 0.01, 0.5
        d.ball_vx[0], d.ball_vy[0] = 0.03, 0.0
        d.paddle_y[0] = 0.5 - paddle_offset
        _, reward, terminated, _, _ = env.step(0)
        assert reward == 1.0 and not terminated
        outgoing.append(d.ball_vy[0] / -d.ball_vx[0])
    centre, half, edge, other_edge = outgoing
    assert centre == 0.0 and 0 < half < edge <= COURT.max_slope and other_edge == -edge
    # A centre hit keeps the incoming angle (a mirror bounce); an edge hit bends it.
    env.reset(seed=0)
    d = env.dynamics
    d.ball_x[0], d.ball_y[0], d.ball_vx[0], d.ball_vy[0] = 0.89, 0.5, 0.03, 0.015
    d.paddle_y[0] = 0.5 + 0.015
    env.step(0)
    assert d.ball_vy[0] / -d.ball_vx[0] == pytest.approx(0.5)


def test_rgb_array_and_human_render(monkeypatch: pytest.MonkeyPatch) -> None:
    env = PaddleBallEnv(render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert (image == (255, 196, 60)).all(axis=2).sum() > 100  # the ball is drawn
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    human = PaddleBallEnv(render_mode="human")
    human.metadata = {**human.metadata, "render_fps": 1000}
    human.reset(seed=0)
    human.step(1)
    import pygame

    shown = pygame.surfarray.array3d(pygame.display.get_surface()).transpose(1, 0, 2)
    twin = PaddleBallEnv(render_mode="rgb_array")
    twin.reset(seed=0)
    twin.step(1)
    assert np.array_equal(shown, twin.render())  # the window shows exactly the rgb_array picture
    human.close()
