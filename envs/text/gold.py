"""The hidden GOLD reward: what a response is really worth. Only labellers and evaluation use it.

``gold = relevance + fluency - repetition - shortness``, per response:

* relevance: ``m`` mentions of the prompt's keywords score ``2 (1 - 0.5^m)`` (diminishing
  returns) minus ``0.6 max(0, m - 2)`` (a penalty for keyword stuffing);
* fluency: 2 x the fraction of the response's transitions (start -> first word, word -> word,
  last word -> end) that the hidden grammar allows; a response cut off by the length limit has
  no grammatical end;
* repetition: 0.4 per word that repeats an earlier content word of the same response;
* shortness: 0.3 per word below 4 words.
"""

from __future__ import annotations

import numpy as np

from rl_lab.envs.text.world import EOS, FUNCTION_WORDS, TextWorld


def gold_reward(world: TextWorld, prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """The gold reward of each (prompt, padded response) pair, float64 (N,)."""
    prompts = np.asarray(prompts, dtype=np.int64)
    responses = np.asarray(responses, dtype=np.int64)
    n, max_len = responses.shape
    lengths = world.lengths(responses)
    valid = responses != world.pad_id
    safe = np.where(valid, responses, EOS)

    is_keyword = world.keywords[prompts[:, None], safe] & valid
    mentions = is_keyword.sum(axis=1)
    relevance = 2.0 * (1.0 - 0.5**mentions) - 0.6 * np.maximum(0, mentions - 2)

    seq = world.with_eos(responses)  # (N, L + 1): words, then EOS unless cut off
    prev = np.concatenate([np.zeros((n, 1), dtype=np.int64), seq[:, :-1]], axis=1)  # BOS first
    # transitions counted: positions 0..length (the last one is word -> EOS, or missing if cut off)
    positions = np.arange(max_len + 1)[None, :]
    counted = positions <= np.minimum(lengths, max_len)[:, None]
    nxt_ok = seq != world.pad_id
    prev_safe = np.where(prev == world.pad_id, 0, prev)
    nxt_safe = np.where(nxt_ok, seq, EOS)
    good = world.allowed[prev_safe, nxt_safe] & nxt_ok & counted
    n_transitions = np.minimum(lengths + 1, max_len + 1)
    fluency = 2.0 * good.sum(axis=1) / n_transitions

    content = valid & (safe > len(FUNCTION_WORDS))  # content words follow the function words
    repeats = np.zeros(n, dtype=np.int64)
    for t in range(1, max_len):
        seen = (safe[:, :t] == safe[:, t : t + 1]).any(axis=1)
        repeats += (seen & content[:, t]).astype(np.int64)
    shortness = 0.3 * np.maximum(0, 4 - lengths)
    return relevance + fluency - 0.4 * repeats - shortness
