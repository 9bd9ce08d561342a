"""The compiled environments' promises: the seeding rule, parallel = serial, robust actions, the
params objects, and keyboard play."""

from __future__ import annotations

import ast
import inspect
import itertools
import os
import textwrap
from typing import Any

import gymnasium as gym
import numba
import numpy as np
import pytest

import rl_lab  # noqa: F401  (registers the environments)
from rl_lab.envs.bicycle.env import BikeBalanceEnv, BikeRideEnv
from rl_lab.envs.bicycle.params import BikeBalanceParams, BikeRideParams
from rl_lab.envs.bicycle.vector import BikeBalanceVectorEnv, BikeRideVectorEnv
from rl_lab.envs.compiled import PARALLEL_MIN_ENVS
from rl_lab.envs.paddle.env import PaddleBallEnv
from rl_lab.envs.paddle.params import PaddleParams
from rl_lab.envs.paddle.vector import PaddleBallVectorEnv

IDS = ["rl_lab/BikeBalance-v0", "rl_lab/BikeRide-v0", "rl_lab/PaddleBall-v0"]
SINGLES = [
    (BikeBalanceEnv, {"action_repeat": 5, "max_seconds": 2.0}),
    (BikeRideEnv, {"action_repeat": 5, "max_seconds": 2.0}),
    (PaddleBallEnv, {"max_episode_steps": 80}),
    (PaddleBallEnv, {"obs_mode": "pixels", "frame_size": 40, "max_episode_steps": 80}),
]


def _episodes(env: gym.Env, seed: int | None, count: int, steps: int = 40) -> list[np.ndarray]:
    """Observations of ``count`` episodes: reset(seed=seed), then reset() for each later one."""
    rng = np.random.default_rng(7)
    env.action_space.seed(7)
    out = []
    for k in range(count):
        obs, _ = env.reset(seed=seed if k == 0 else None)
        frames = [obs]
        for _ in range(steps):
            action = env.action_space.sample() if rng.random() < 0.5 else 0
            obs, _, terminated, truncated, _ = env.step(action)
            frames.append(obs)
            if terminated or truncated:
                break
        out.append(np.array(frames))
    return out


@pytest.mark.parametrize("env_class, kwargs", SINGLES)
def test_reset_rule_seed_then_episodes_is_reproducible(env_class, kwargs: dict[str, Any]) -> None:
    env = env_class(**kwargs)
    first = _episodes(env, 5, 3)
    again = _episodes(env_class(**kwargs), 5, 3)  # a fresh env: the same three episodes
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(first, _episodes(env, 5, 3), strict=True))  # reseeded
    other = _episodes(env, 6, 1)  # another seed: another first episode
    assert not np.array_equal(first[0][: len(other[0])], other[0][: len(first[0])])
    # Episode k is determined by (seed, k): the later episodes differ from the first.
    assert not np.array_equal(first[0][:20], first[1][:20])


def _random_run(batch: gym.vector.VectorEnv, steps: int) -> list[Any]:
    rng = np.random.default_rng(3)
    batch.action_space.seed(3)
    out: list[Any] = [batch.reset(seed=100)]
    for _ in range(steps):
        keep = rng.random() < 0.5
        actions = batch.action_space.sample()
        if keep and isinstance(batch.single_action_space, gym.spaces.Discrete):
            actions[:] = batch.single_action_space.n // 2
        out.append(batch.step(actions))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


@pytest.mark.parametrize(
    "batch_class, kwargs",
    [
        (BikeRideVectorEnv, {"action_repeat": 5, "max_seconds": 1.0}),
        (BikeBalanceVectorEnv, {"continuous": True, "pedal_brake": True, "action_repeat": 2,
                                "max_seconds": 0.2}),
        (PaddleBallVectorEnv, {"obs_mode": "pixels", "frame_size": 40, "max_episode_steps": 50}),
    ],
)
def test_parallel_kernel_equals_serial_kernel(batch_class, kwargs: dict[str, Any]) -> None:
    serial, parallel = batch_class(67, parallel=False, **kwargs), batch_class(67, parallel=True, **kwargs)
    assert not serial.parallel and parallel.parallel
    a, b = _random_run(serial, 120), _random_run(parallel, 120)
    assert _same(a, b)
    assert sum("_final_obs" in step[4] for step in a[1:]) > 5  # autoresets were compared too


def test_parallel_is_chosen_automatically_for_large_batches_on_idle_cores(monkeypatch) -> None:
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert not BikeBalanceVectorEnv(8).parallel and BikeBalanceVectorEnv(PARALLEL_MIN_ENVS).parallel
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 5.0, 5.0))  # busy cores: serial is faster
    assert not BikeBalanceVectorEnv(PARALLEL_MIN_ENVS).parallel
    assert BikeBalanceVectorEnv(8, parallel=True).parallel  # an explicit choice always holds
    with pytest.raises(ValueError, match="parallel"):
        BikeBalanceVectorEnv(8, parallel="yes")


BAD_DISCRETE = [2**70, "3", None, True, 1.0, np.float64(2.0), 2.5, -1, [1], np.array([1]), [1, 2]]


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("bad", BAD_DISCRETE, ids=repr)
def test_bad_discrete_actions_are_one_clear_value_error(env_id: str, bad: Any) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action") as error:
        env.step(bad)
    assert "\n" not in str(error.value)
    batch = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    batch.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        batch.step([bad, bad])


@pytest.mark.parametrize(
    "env_id, bad",
    [
        ("rl_lab/BikeBalance-v0", [0.1]),
        ("rl_lab/BikeBalance-v0", [[0.1, 0.2]]),
        ("rl_lab/BikeRide-v0", 0.5),
        ("rl_lab/BikeRide-v0", ["a", "b"]),
        ("rl_lab/PaddleBall-v0", 0.5),
        ("rl_lab/PaddleBall-v0", [0.5, 0.5]),
        ("rl_lab/PaddleBall-v0", [None]),
        ("rl_lab/PaddleBall-v0", [2**70]),
    ],
)
def test_bad_continuous_actions_are_one_clear_value_error(env_id: str, bad: Any) -> None:
    env = gym.make(env_id, continuous=True)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(bad)


def test_continuous_actions_out_of_range_are_clipped_and_batches_want_their_shape() -> None:
    env = PaddleBallEnv(continuous=True)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([5.0]))
    assert info["paddle_y"] == pytest.approx(0.54)  # full speed: 0.04 up, not 0.2
    batch = PaddleBallVectorEnv(3, continuous=True)
    batch.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action shape"):
        batch.step(np.zeros(3))  # (3,) for a batch of (1,)-actions: ambiguous, refused
    batch.step(np.zeros((3, 1)))


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("num_envs", [0, -2, 1.5, True])
def test_make_vec_needs_at_least_one_env(env_id: str, num_envs: Any) -> None:
    with pytest.raises(ValueError, match="num_envs must be an integer >= 1"):
        gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")


@pytest.mark.parametrize(
    "single, batch, params",
    [
        (BikeBalanceEnv, BikeBalanceVectorEnv, BikeBalanceParams),
        (BikeRideEnv, BikeRideVectorEnv, BikeRideParams),
        (PaddleBallEnv, PaddleBallVectorEnv, PaddleParams),
    ],
)
def test_one_params_object_gives_every_default_and_check(single, batch, params) -> None:
    assert single.params_class is params and batch.single_env_class.params_class is params
    defaults = {name: p.default for name, p in inspect.signature(single).parameters.items()}
    fields = params()
    for name, value in defaults.items():
        if name != "render_mode":
            assert getattr(fields, name) == value  # the signature's defaults are the params' ones
    batch_parameters = inspect.signature(batch).parameters
    assert set(defaults) - {"render_mode"} <= set(batch_parameters) and "parallel" in batch_parameters
    assert single().params == batch(2).params == params()
    with pytest.raises(ValueError, match="unknown argument"):
        single(wind=2)
    with pytest.raises(ValueError, match="unknown argument"):
        batch(2, wind=2)
    assert set(_field_docstrings(params)) == set(params.__dataclass_fields__)  # every field documented


def _field_docstrings(cls: type) -> dict[str, str]:
    """The docstrings written under each field of a dataclass and of its dataclass bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):
        body = ast.parse(textwrap.dedent(inspect.getsource(klass))).body[0].body
        for field, doc in itertools.pairwise(body):
            is_doc = isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
            if isinstance(field, ast.AnnAssign) and is_doc and str(doc.value.value).strip():
                docs[field.target.id] = doc.value.value
    return docs


@pytest.mark.parametrize(
    "params, kwargs, name",
    [
        (BikeBalanceParams, {"action_repeat": 0}, "action_repeat"),
        (BikeBalanceParams, {"action_repeat": True}, "action_repeat"),
        (BikeBalanceParams, {"noise": float("nan")}, "noise"),
        (BikeBalanceParams, {"max_seconds": -1}, "max_seconds"),
        (BikeBalanceParams, {"continuous": 1}, "continuous"),
        (BikeRideParams, {"gamma": 1.5}, "gamma"),
        (BikeRideParams, {"distance_scale": 0}, "distance_scale"),
        (BikeRideParams, {"shaping": "angle"}, "shaping"),
        (PaddleParams, {"frame_size": 35}, "frame_size"),
        (PaddleParams, {"max_episode_steps": 0}, "max_episode_steps"),
        (PaddleParams, {"obs_mode": "rgb"}, "obs_mode"),
        (PaddleParams, {"trail": "yes"}, "trail"),
    ],
)
def test_params_range_checks_name_the_argument(params, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        params(**kwargs)


@pytest.mark.parametrize(
    "env_id, kwargs, key, action, noop",
    [
        ("rl_lab/PaddleBall-v0", {}, "K_UP", 1, 0),
        ("rl_lab/PaddleBall-v0", {"obs_mode": "pixels", "frame_size": 40}, "K_s", 2, 0),
        ("rl_lab/BikeBalance-v0", {"action_repeat": 10}, "K_LEFT", 7, 4),
    ],
)
def test_gymnasium_play_accepts_the_key_maps(monkeypatch, env_id, kwargs, key, action, noop) -> None:
    import pygame
    from gymnasium.utils import play as play_module

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pressed = pygame.event.Event(pygame.KEYDOWN, key=getattr(pygame, key))
    events = iter([[pressed], [], [], [pygame.event.Event(pygame.QUIT)]])
    monkeypatch.setattr(pygame.event, "get", lambda: next(events, [pygame.event.Event(pygame.QUIT)]))
    taken: list[Any] = []
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    play_module.play(env, fps=1000, callback=lambda *args: taken.append(args[2]), noop=noop)
    assert taken and all(a == action for a in taken)  # the held key's action, every frame
    assert all(a in env.action_space for a in env.unwrapped.get_keys_to_action().values())


def test_batch_seeds_int_list_and_later_resets_follow_the_rule() -> None:
    batch = PaddleBallVectorEnv(2)
    first, _ = batch.reset(seed=3)
    assert np.array_equal(first[1], PaddleBallEnv().reset(seed=4)[0])  # copy i: seed s + i
    later, _ = batch.reset()  # the next episode of each copy
    single = PaddleBallEnv()
    single.reset(seed=3)
    assert np.array_equal(later[0], single.reset()[0]) and not np.array_equal(later[0], first[0])
    assert np.array_equal(batch.reset(seed=3)[0], first)  # reseeding starts over
    listed, _ = batch.reset(seed=[9, 5])  # SB3 passes one seed per copy
    assert np.array_equal(listed[0], PaddleBallEnv().reset(seed=9)[0])
    assert np.array_equal(listed[1], PaddleBallEnv().reset(seed=5)[0])
    with pytest.raises(ValueError, match="seeds"):
        batch.reset(seed=[1, 2, 3])


def test_batch_observations_are_never_overwritten_while_someone_holds_them() -> None:
    batch = PaddleBallVectorEnv(3, obs_mode="pixels", frame_size=36)
    batch.reset(seed=0)
    held = batch.step(np.array([1, 1, 1]))[0]
    kept = held.copy()
    view = batch.step(np.array([2, 2, 2]))[0][1:]  # a view keeps its whole array alive too
    view_kept = view.copy()
    for _ in range(6):  # the kernel reuses only arrays that nobody holds any more
        latest = batch.step(np.array([0, 1, 2]))[0]
        assert latest is not held and not np.shares_memory(latest, view)
    assert np.array_equal(held, kept) and np.array_equal(view, view_kept)
