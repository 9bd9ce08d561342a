"""Film an evaluation while it runs: the first episode of copy 0 of a native batch, drawn by a
single env that takes that copy's state step by step (for TensorBoard's animated episode and the
run's video).

Playing the episode again in a single env would cost as much as evaluating the whole batch of a
long task (a 1 km ride is ~7,300 steps); taking copy 0's state costs microseconds a step, and only
the kept frames are drawn.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.envs.compiled import KernelVectorEnv
from rl_lab.training.native_vec_env import NativeVecEnv
from rl_lab.watching.play import FrameMaker, PlayedEpisode


class BatchFilm:
    """Frames spanning copy 0's first episode, thinned as :class:`PlayedEpisode` describes, with
    the networks' panel when given the ``model``. The last frame shows the state the final step
    started from (the batch resets a finished copy within that step). ``seconds``: time spent
    drawing. ``every`` None starts with a stride that spans the env's time limit in four thinnings
    (a long episode then draws at most ~3x ``max_frames`` frames, not log2(length)x)."""

    def __init__(self, venv: VecEnv, batch: KernelVectorEnv, max_frames: int, every: int | None,
                 model: BaseAlgorithm | None = None, stacked_frames: bool = False) -> None:
        self.source = batch.dynamics
        self.viewer = batch.single_env_class(render_mode="rgb_array", **asdict(batch.params))
        self.maker = FrameMaker(self.viewer, model, venv.observation_space, stacked_frames)
        if every is None:
            every = max(1, batch.max_episode_steps // (16 * max_frames))
        self.episode = PlayedEpisode(max_frames, every)
        self.finished = False
        self.seconds = 0.0
        self._kept_at = -1
        self._seen: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, venv: VecEnv, max_frames: int, every: int | None, model: BaseAlgorithm | None = None,
           stacked_frames: bool = False) -> BatchFilm | None:
        """A film of ``venv``'s copy 0, or None when ``venv`` is not a native rl-lab batch."""
        inner = venv.unwrapped
        if isinstance(inner, NativeVecEnv) and isinstance(inner.vector_env, KernelVectorEnv):
            return cls(venv, inner.vector_env, max_frames, every, model, stacked_frames)
        return None

    @property
    def fps(self) -> float:
        """The speed the environment declares for watching (real time)."""
        return float(self.viewer.metadata.get("render_fps", 30))

    def before_step(self, observations: np.ndarray, actions: np.ndarray) -> None:
        """The batch is about to take ``actions`` in answer to ``observations``."""
        if self.finished:
            return
        self.viewer.show_copy(self.source, 0)
        self._seen = (observations[0], actions[0])
        if self.episode.wants_frame():
            self._keep()

    def after_step(self, rewards: np.ndarray, dones: np.ndarray) -> None:
        """The batch took the step: ``rewards`` and ``dones`` per copy."""
        if self.finished:
            return
        if dones[0]:
            self.finished = True
            if self._kept_at != self.episode.length:
                self._keep()
        self.episode.episode_return += float(rewards[0])
        self.episode.length += 1

    def _keep(self) -> None:
        started = time.perf_counter()
        self.episode.keep(self.maker.frame(*self._seen, self.episode))
        self._kept_at = self.episode.length
        self.seconds += time.perf_counter() - started

    @property
    def frames(self) -> list[np.ndarray]:
        """The frames kept so far."""
        return self.episode.frames

    def close(self) -> None:
        self.viewer.close()
