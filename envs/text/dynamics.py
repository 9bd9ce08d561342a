"""The text environment's dynamics over arrays: N responses being written, one token per step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from gymnasium import spaces

from rl_lab.envs.batch import ArrayDynamics
from rl_lab.envs.text.world import EOS, TextWorld

# reward_fn(prompt ids (N,), padded responses (N, max_len)) -> scores (N,)
RewardFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def observation_array(world: TextWorld, prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """Observations ``[prompt id, token 1, ..., token max_len]`` (pad after the words), float32."""
    obs = np.empty((len(prompts), world.max_len + 1), dtype=np.float32)
    obs[:, 0] = prompts
    obs[:, 1:] = responses
    return obs


def observation_space(world: TextWorld) -> spaces.Box:
    """The Box holding :func:`observation_array` rows."""
    high = float(max(world.pad_id, world.n_prompts - 1))
    return spaces.Box(0.0, high, shape=(world.max_len + 1,), dtype=np.float32)


class TextDynamics(ArrayDynamics):
    """``num_envs`` responses, each to a prompt drawn at reset, written one token per step.

    An episode ends (terminated) when the token is EOS or the response reaches ``max_len`` words;
    the last step's reward is ``reward_fn(prompt, response)``, every other step's is 0.
    """

    def __init__(self, num_envs: int, world: TextWorld, reward_fn: RewardFn) -> None:
        super().__init__(num_envs)
        self.world = world
        self.reward_fn = reward_fn
        self.observation_space = observation_space(world)
        self.action_space = spaces.Discrete(world.n_actions)
        self.prompts = np.zeros(num_envs, dtype=np.int64)
        self.tokens = np.full((num_envs, world.max_len), world.pad_id, dtype=np.int64)
        self.length = np.zeros(num_envs, dtype=np.int64)
        self.score = np.zeros(num_envs, dtype=np.float64)

    def reset_envs(self, index: np.ndarray, rngs: list[np.random.Generator]) -> None:
        for k, i in enumerate(index):
            self.prompts[i] = rngs[k].integers(self.world.n_prompts)
        self.tokens[index] = self.world.pad_id
        self.length[index] = 0
        self.score[index] = 0.0

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        words = np.flatnonzero(actions != EOS)
        self.tokens[words, self.length[words]] = actions[words]
        self.length[words] += 1
        terminated = (actions == EOS) | (self.length >= self.world.max_len)
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        done = np.flatnonzero(terminated)
        if len(done):
            scores = np.asarray(self.reward_fn(self.prompts[done], self.tokens[done]), dtype=np.float64)
            if scores.shape != (len(done),):
                raise ValueError(f"reward_fn returned shape {scores.shape}, expected ({len(done)},)")
            rewards[done] = scores
            self.score[done] = scores
        return rewards, terminated

    def observe(self) -> np.ndarray:
        return observation_array(self.world, self.prompts, self.tokens)

    def step_info(self) -> dict[str, np.ndarray]:
        return {}

    def episode_metrics(self) -> dict[str, np.ndarray]:
        return {"length": self.length.astype(np.float64), "score": self.score.copy()}
