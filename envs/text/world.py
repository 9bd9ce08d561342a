"""The RLHF toy's tiny language: vocabulary, prompts (topics) and a hidden prompt-conditional bigram.

Token ids: ``0`` is end-of-sequence (EOS), ``1..len(WORDS)`` are the words, and ``pad_id =
len(WORDS) + 1`` fills unused positions of a response array. A response is stored as an int array
of ``max_len`` token ids (words only, no EOS) padded with ``pad_id``; a response that fills all
``max_len`` positions was cut off by the length limit rather than ended by EOS.

The hidden language is a bigram model per prompt: a hidden grammar (which word may follow which)
plus random word preferences and a boost for the topic's keywords. Demonstrations for supervised
fine-tuning and the responses the labellers rank are sampled from it. The learner never sees its
tables, only samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EOS = 0
FUNCTION_WORDS = ("the", "a", "is", "was", "very", "so", "not", "and", "it", "we")
CONTENT_WORDS = (
    "sun", "rain", "wind", "bread", "soup", "song", "drum", "ball",
    "goal", "road", "ship", "tree", "seed", "coin", "star", "moon",
)
WORDS = FUNCTION_WORDS + CONTENT_WORDS
# Each prompt (topic) and the keywords that make a response relevant to it.
TOPICS: dict[str, tuple[str, ...]] = {
    "weather": ("sun", "rain", "wind"),
    "food": ("bread", "soup"),
    "music": ("song", "drum"),
    "sport": ("ball", "goal"),
    "travel": ("road", "ship"),
    "garden": ("tree", "seed", "rain"),
    "money": ("coin", "bread"),
    "space": ("star", "moon", "sun"),
    "night": ("moon", "star", "song"),
    "sea": ("ship", "wind"),
    "farm": ("seed", "bread", "tree"),
    "party": ("song", "drum", "ball"),
}
# The hidden grammar over word classes: which class may follow which ("<s>" starts, "</s>" ends).
_CLASSES = {
    "DET": ("the", "a"), "VERB": ("is", "was"), "ADV": ("very", "so", "not"),
    "CONJ": ("and",), "PRON": ("it", "we"), "NOUN": CONTENT_WORDS,
}
_FOLLOWS = {
    "<s>": ("DET", "PRON", "NOUN"), "DET": ("NOUN",), "NOUN": ("VERB", "CONJ", "</s>"),
    "VERB": ("ADV", "DET", "NOUN"), "ADV": ("NOUN", "DET"), "CONJ": ("DET", "PRON", "NOUN"),
    "PRON": ("VERB",),
}


def _grammar(n_words: int) -> np.ndarray:
    """``allowed[prev, next]`` over prev in {BOS=0, words 1..V} and next in {EOS=0, words 1..V}."""
    token = {w: i + 1 for i, w in enumerate(WORDS)}
    allowed = np.zeros((n_words + 1, n_words + 1), dtype=bool)
    for prev_class, next_classes in _FOLLOWS.items():
        prev_ids = [0] if prev_class == "<s>" else [token[w] for w in _CLASSES[prev_class]]
        for next_class in next_classes:
            next_ids = [EOS] if next_class == "</s>" else [token[w] for w in _CLASSES[next_class]]
            for p in prev_ids:
                allowed[p, next_ids] = True
    return allowed


@dataclass
class TextWorld:
    """The toy world: vocabulary, prompts, keywords, the hidden grammar and language.

    Args:
        max_len: the longest response, in words (the length limit).
        seed: seed of the hidden language's random word preferences (the world, not the run).
        keyword_boost: how much the hidden language favours a topic's keywords (logit units).
        eos_bias: logit added to EOS after a word that may end a sentence (longer responses if lower).
    """

    max_len: int = 10
    seed: int = 0
    keyword_boost: float = 1.2
    eos_bias: float = 0.0

    def __post_init__(self) -> None:
        if not 2 <= self.max_len <= 16:
            raise ValueError(f"max_len must be in [2, 16], got {self.max_len}")
        self.words: tuple[str, ...] = WORDS
        self.prompts: tuple[str, ...] = tuple(TOPICS)
        self.n_words = len(WORDS)
        self.n_actions = self.n_words + 1  # EOS + words
        self.pad_id = self.n_words + 1
        self.n_prompts = len(self.prompts)
        self.word_id = {w: i + 1 for i, w in enumerate(WORDS)}
        self.prompt_id = {p: i for i, p in enumerate(self.prompts)}
        self.keywords = np.zeros((self.n_prompts, self.n_actions), dtype=bool)
        for p, words in enumerate(TOPICS.values()):
            self.keywords[p, [self.word_id[w] for w in words]] = True
        self.allowed = _grammar(self.n_words)
        rng = np.random.default_rng(self.seed)
        base = rng.normal(0.0, 0.7, size=(self.n_words + 1, self.n_actions))
        base += np.where(self.allowed, 2.5, -2.5)
        base[:, EOS] += self.eos_bias
        base[0, EOS] = -10.0  # never an empty demonstration
        logits = np.repeat(base[None], self.n_prompts, axis=0)
        logits += self.keyword_boost * self.keywords[:, None, :]
        logits -= logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        # probs[prompt, prev (0 = BOS), next (0 = EOS)]
        self.bigram = probs / probs.sum(axis=-1, keepdims=True)
        self._cdf = np.cumsum(self.bigram, axis=-1)

    # --- sampling ----------------------------------------------------------------------------
    def sample_prompts(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` prompt ids drawn uniformly."""
        return rng.integers(0, self.n_prompts, size=n)

    def sample_responses(self, prompts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One response per prompt from the hidden language: an int array (N, max_len) padded."""
        n = len(prompts)
        out = np.full((n, self.max_len), self.pad_id, dtype=np.int64)
        prev = np.zeros(n, dtype=np.int64)  # BOS
        alive = np.ones(n, dtype=bool)
        for t in range(self.max_len):
            u = rng.random(n)
            cdf = self._cdf[prompts, prev]
            nxt = np.minimum((cdf < u[:, None]).sum(axis=1), self.n_actions - 1)
            alive &= nxt != EOS
            out[alive, t] = nxt[alive]
            prev = np.where(alive, nxt, prev)
        return out

    # --- text <-> ids --------------------------------------------------------------------------
    def lengths(self, responses: np.ndarray) -> np.ndarray:
        """Number of words in each padded response."""
        return (np.asarray(responses) != self.pad_id).sum(axis=-1)

    def decode(self, response: np.ndarray) -> str:
        """A padded response as space-separated words (``""`` for the empty response)."""
        return " ".join(self.words[t - 1] for t in response if t != self.pad_id and t != EOS)

    def encode(self, text: str) -> np.ndarray:
        """Space-separated words as a padded response; ValueError names an unknown word or overflow."""
        words = text.split()
        unknown = [w for w in words if w not in self.word_id]
        if unknown:
            raise ValueError(f"unknown word {unknown[0]!r} (vocabulary: {' '.join(self.words)})")
        if len(words) > self.max_len:
            raise ValueError(f"{len(words)} words, more than the limit of {self.max_len}")
        out = np.full(self.max_len, self.pad_id, dtype=np.int64)
        out[: len(words)] = [self.word_id[w] for w in words]
        return out

    def with_eos(self, responses: np.ndarray) -> np.ndarray:
        """Responses as the token sequences a policy emits: EOS after the last word unless cut off.

        Returns (N, max_len + 1) with EOS at position ``length`` where ``length < max_len``.
        """
        responses = np.asarray(responses)
        n = len(responses)
        out = np.full((n, self.max_len + 1), self.pad_id, dtype=np.int64)
        out[:, : self.max_len] = responses
        lengths = self.lengths(responses)
        ended = lengths < self.max_len
        out[np.flatnonzero(ended), lengths[ended]] = EOS
        return out
