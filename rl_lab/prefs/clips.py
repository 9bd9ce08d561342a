"""Trajectory clips: k steps of one episode (observations, actions, the env's true rewards) and
what it takes to replay them.

A clip records the env id and constructor arguments, the seed of the copy that played it, the
episode number of that seed and the step the clip starts at, plus every action of the episode up
to the clip's end. The envs' seeding rule makes that enough to re-simulate it exactly:
``reset(seed=s)`` starts episode 0 of seed ``s`` and each later ``reset()`` the next one, so
episode ``e`` is reached by ``e`` more resets, then the actions are replayed.

An episode that ends inside a clip (a fall, a miss) leaves the clip shorter than k: ``length`` is
its number of real steps; the rest is padding, an absorbing "ended" state the reward model values
with one learned number (see :mod:`rl_lab.prefs.reward_net`). Truncation (a time limit) is not an
end of the task: a window cut by it is not made into a clip.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Clip:
    """k steps of one episode, padded after the episode's end."""

    obs: np.ndarray  # (k, obs_dim) float32, zeros after ``length``
    actions: np.ndarray  # (k,) int64 for discrete actions, (k, act_dim) float32 for boxes
    rewards: np.ndarray  # (k,) the env's true rewards, zeros after ``length``
    length: int  # real steps (k unless the episode ended inside the clip)
    env_id: str
    env_kwargs: dict[str, Any]
    seed: int  # the seed of the env copy that played the episode
    episode: int  # the episode number of that seed (0 = the first after reset(seed=...))
    start: int  # the step of the episode the clip starts at
    prefix_actions: np.ndarray = field(repr=False)  # every action of the episode before ``start``

    @property
    def true_return(self) -> float:
        """The sum of the env's rewards over the clip: what the synthetic labeller ranks by."""
        return float(self.rewards.sum())

    @property
    def steps(self) -> int:
        return len(self.rewards)

    def replay_info(self) -> dict[str, Any]:
        """The JSON-able description that :func:`rl_lab.prefs.replay.replay_clip` re-simulates."""
        every = np.concatenate([self.prefix_actions, self.actions[: self.length]])
        return {
            "env_id": self.env_id, "env_kwargs": self.env_kwargs, "seed": int(self.seed),
            "episode": int(self.episode), "start": int(self.start), "steps": self.steps,
            "actions": every.tolist(),
        }


def padded_clip(rows: list[tuple[np.ndarray, Any, float]], steps: int, prefix_actions: list[Any],
                env_id: str, env_kwargs: dict[str, Any], seed: int, episode: int, start: int) -> Clip:
    """The clip of ``rows`` (observation, action, reward of each real step), padded to ``steps``;
    ``prefix_actions``: the episode's actions before the clip."""
    length = len(rows)
    obs = np.zeros((steps, *rows[0][0].shape), np.float32)
    obs[:length] = np.stack([row[0] for row in rows])
    first = np.asarray(rows[0][1])
    actions = np.zeros((steps, *first.shape), first.dtype)
    actions[:length] = np.stack([np.asarray(row[1]) for row in rows])
    rewards = np.zeros(steps, np.float64)
    rewards[:length] = [row[2] for row in rows]
    prefix = np.asarray(prefix_actions, first.dtype).reshape((-1, *first.shape))
    return Clip(obs, actions, rewards, length, env_id, dict(env_kwargs), seed, episode, start, prefix)


class ClipRecorder:
    """Cuts the episodes of a batch of envs into clips of ``steps`` steps as they are played.

    Windows start at steps 0, k, 2k, ... of each episode; a window the episode ends inside
    (terminated) is padded, one cut by a time limit is dropped. The newest ``capacity`` clips are kept.
    """

    def __init__(self, n_envs: int, steps: int, env_id: str, env_kwargs: dict[str, Any],
                 seeds: list[int], capacity: int = 2_000) -> None:
        self.steps = steps
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs)
        self.seeds = list(seeds)
        self.episodes = [0] * n_envs
        self.clips: deque[Clip] = deque(maxlen=capacity)
        self.made = 0  # clips ever made (the deque forgets old ones)
        self._history: list[list[tuple[np.ndarray, Any, float]]] = [[] for _ in range(n_envs)]
        self._actions: list[list[Any]] = [[] for _ in range(n_envs)]

    def restart(self, seeded: bool) -> None:
        """Every env starts a new episode: episode 0 after a seeding, else the next one (even when
        a copy has just autoreset: a reset skips the episode it had begun)."""
        for i in range(len(self.episodes)):
            self.episodes[i] = 0 if seeded else self.episodes[i] + 1
            self._history[i], self._actions[i] = [], []

    def record(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray, dones: np.ndarray,
               infos: list[dict]) -> None:
        """One step of every env: ``obs`` the observations the actions were chosen from."""
        for i in range(len(self.episodes)):
            self._history[i].append((np.array(obs[i], np.float32), actions[i], float(rewards[i])))
            self._actions[i].append(actions[i])
            full = len(self._history[i]) == self.steps
            terminated = bool(dones[i]) and not infos[i].get("TimeLimit.truncated", False)
            if full or terminated:
                self._emit(i)
            if dones[i]:
                self.episodes[i] += 1
                self._history[i], self._actions[i] = [], []

    def _emit(self, i: int) -> None:
        window = self._history[i]
        start = len(self._actions[i]) - len(window)
        self.clips.append(padded_clip(window, self.steps, self._actions[i][:start], self.env_id,
                                      self.env_kwargs, self.seeds[i], self.episodes[i], start))
        self.made += 1
        self._history[i] = []

    def newest(self, count: int) -> list[Clip]:
        """The newest ``count`` clips (fewer if fewer were made)."""
        return list(self.clips)[-count:]
