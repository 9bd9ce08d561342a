"""Dynamics written once over numpy arrays, exposed both as one ``gymnasium.Env`` and as a batch.

(The bicycle and PaddleBall use compiled kernels instead: :mod:`rl_lab.envs.compiled`.)
An environment here is an :class:`ArrayDynamics` subclass: the state of N independent copies
held in numpy arrays, stepped together. :class:`SingleEnv` runs it with N = 1 for Gymnasium users
and rendering; :class:`BatchVectorEnv` runs it with N copies as a ``gymnasium.vector.VectorEnv``
for fast training. Both seed copy ``i`` the same way (a ``numpy.random.Generator`` per copy, used
only at reset) and run the same array code, so the batch and N single environments give
identical trajectories for the same seeds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rl_lab.envs.actions import check_actions


class ArrayDynamics(ABC):
    """The physics of ``num_envs`` independent copies of one environment, over numpy arrays.

    Subclasses set ``observation_space`` and ``action_space`` (of ONE copy) in ``__init__``.
    """

    observation_space: gym.Space
    action_space: gym.Space

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs

    @abstractmethod
    def reset_envs(self, index: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Start a new episode in copies ``index``, drawing randomness only from ``rngs[k]``
        for copy ``index[k]``."""

    @abstractmethod
    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance every copy by one step; return ``(rewards float64 (N,), terminated bool (N,))``."""

    @abstractmethod
    def observe(self) -> np.ndarray:
        """Observations of every copy, shaped ``(N, *observation_space.shape)``."""

    @abstractmethod
    def step_info(self) -> dict[str, np.ndarray]:
        """Per-step measures for ``info``, each a fresh array of shape (N,) (not a view of the state)."""

    @abstractmethod
    def episode_metrics(self) -> dict[str, np.ndarray]:
        """Measures of the episode so far (read when an episode ends), each an array (N,)."""

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """Return ``actions`` as an array of N valid actions, or raise ``ValueError`` saying why."""
        return check_actions(actions, self.action_space, self.num_envs)


def _seed_rngs(seed: int | list[int | None] | None, count: int) -> list[np.random.Generator]:
    """One generator per copy: an int seeds copy i with ``seed + i`` (Gymnasium's and SB3's rule)."""
    if seed is None or isinstance(seed, (int, np.integer)):
        seeds = [None if seed is None else int(seed) + i for i in range(count)]
    else:
        seeds = list(seed)
        if len(seeds) != count:
            raise ValueError(f"got {len(seeds)} seeds for {count} environments")
    return [gym.utils.seeding.np_random(s)[0] for s in seeds]


class SingleEnv(gym.Env):
    """One copy of an :class:`ArrayDynamics`, as a standard Gymnasium environment.

    The environment owns its time limit so that the last step of every episode carries
    ``info["episode_metrics"]``.
    """

    def __init__(self, dynamics: ArrayDynamics, max_episode_steps: int) -> None:
        if max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be >= 1, got {max_episode_steps}")
        self.dynamics = dynamics
        self.max_episode_steps = max_episode_steps
        self.observation_space = dynamics.observation_space
        self.action_space = dynamics.action_space
        self.elapsed_steps = 0
        self._needs_reset = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.dynamics.reset_envs(np.zeros(1, dtype=np.int64), [self.np_random])
        self.elapsed_steps = 0
        self._needs_reset = False
        return self.dynamics.observe()[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step() (the episode has ended or not begun)")
        actions = self.dynamics.check_actions([action])
        rewards, terminated = self.dynamics.step(actions)
        self.elapsed_steps += 1
        done = bool(terminated[0])
        truncated = not done and self.elapsed_steps >= self.max_episode_steps
        info = self._info()
        if done or truncated:
            self._needs_reset = True
            info["episode_metrics"] = {
                k: float(v[0]) for k, v in self.dynamics.episode_metrics().items()
            }
        if self.render_mode == "human":
            self.render()
        return self.dynamics.observe()[0], float(rewards[0]), done, truncated, info

    def _info(self) -> dict[str, Any]:
        return {k: v[0].item() for k, v in self.dynamics.step_info().items()}


class BatchVectorEnv(VectorEnv):
    """N copies of an :class:`ArrayDynamics` as a Gymnasium ``VectorEnv`` that autoresets in the
    same step (SB3's contract): finished copies return their next episode's first observation,
    with ``infos["final_obs"]`` and ``infos["episode_metrics"]`` valid where ``infos["_final_obs"]``.
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, dynamics: ArrayDynamics, max_episode_steps: int) -> None:
        if max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be >= 1, got {max_episode_steps}")
        self.dynamics = dynamics
        self.num_envs = dynamics.num_envs
        self.max_episode_steps = max_episode_steps
        self.single_observation_space = dynamics.observation_space
        self.single_action_space = dynamics.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.elapsed_steps = np.zeros(self.num_envs, dtype=np.int64)
        self.rngs = _seed_rngs(None, self.num_envs)
        self._all = np.arange(self.num_envs)
        self._started = False

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is not None or not self._started:
            self.rngs = _seed_rngs(seed, self.num_envs)
        self.dynamics.reset_envs(self._all, self.rngs)
        self.elapsed_steps[:] = 0
        self._started = True
        return self.dynamics.observe(), dict(self.dynamics.step_info())

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = self.dynamics.check_actions(actions)
        rewards, terminated = self.dynamics.step(actions)
        self.elapsed_steps += 1
        truncated = ~terminated & (self.elapsed_steps >= self.max_episode_steps)
        done = terminated | truncated
        infos: dict[str, Any] = dict(self.dynamics.step_info())
        if done.any():
            finished = np.flatnonzero(done)
            infos["final_obs"] = self.dynamics.observe().copy()
            infos["_final_obs"] = done
            infos["episode_metrics"] = {
                k: np.array(v, copy=True) for k, v in self.dynamics.episode_metrics().items()
            }
            self.dynamics.reset_envs(finished, [self.rngs[i] for i in finished])
            self.elapsed_steps[finished] = 0
        return self.dynamics.observe(), rewards, terminated, truncated, infos
