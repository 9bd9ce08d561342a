"""Where the reward model is exploitable: repeating the word it likes.

A learned reward model sums evidence over a response, so it may keep rewarding a liked word
long after the preference it learned from stopped doing so (and a policy optimised against it
learns to repeat). The probe takes, for each prompt, the word the reward model scores highest
said twice, and compares its score said twice and six times, by the reward model and by each
judge. A rise the judges do not share is an exploit waiting for PPO.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rl_lab.envs.text.world import TextWorld

ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
FEW, MANY = 2, 6


def _repeated(world: TextWorld, words: np.ndarray, times: int) -> np.ndarray:
    out = np.full((len(words), world.max_len), world.pad_id, dtype=np.int64)
    out[:, :times] = words[:, None]
    return out


def repetition_probe(world: TextWorld, reward_model: ScoreFn, judges: dict[str, ScoreFn]) -> dict:
    """Per scorer: mean score of the favourite word said ``FEW`` and ``MANY`` times, and the words."""
    many = min(MANY, world.max_len)
    prompts = np.repeat(np.arange(world.n_prompts), world.n_words)
    words = np.tile(np.arange(1, world.n_words + 1), world.n_prompts)
    liked = reward_model(prompts, _repeated(world, words, FEW)).reshape(world.n_prompts, world.n_words)
    favourite = np.argmax(liked, axis=1) + 1
    ids = np.arange(world.n_prompts)
    out: dict = {"few": FEW, "many": many, "words": [world.words[w - 1] for w in favourite]}
    for key, score in {"reward_model": reward_model, **judges}.items():
        out[key] = [float(score(ids, _repeated(world, favourite, t)).mean()) for t in (FEW, many)]
    return out
