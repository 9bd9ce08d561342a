"""Ranked data as JSONL: one prompt per line, its responses, and their ranking (best first).

    {"prompt": "weather", "responses": ["the sun is rain", "it was", "rain"], "ranking": [0, 2, 1]}

``prompt`` is one of the toy's topics, each response is a string of space-separated words of the
toy's vocabulary (at most ``max_len`` words; ``""`` is the empty response), and ``ranking`` lists
the indices of ``responses`` from best to worst (a permutation of 0..K-1, K >= 2). Blank lines are
skipped; a UTF-8 byte-order mark is accepted. Anything else is a :class:`LabError` naming the file
and the line. Only regular files up to :data:`MAX_BYTES` are read (a FIFO or a device would hang
or never end).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.labeller import RankedSet
from rl_lab.runs.atomic import write_text
from rl_lab.runs.file_limits import read_regular_file

KEYS = ("prompt", "responses", "ranking")
MAX_BYTES = 64 * 2**20  # ~400k rankings of 6 responses: far above what a person ranks


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex (recorded in the run's config beside the path)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _parse_line(world: TextWorld, item: Any, where: str) -> tuple[int, np.ndarray, np.ndarray]:
    if not isinstance(item, dict):
        raise LabError(f"{where}: expected a JSON object with keys {', '.join(KEYS)}")
    for key in KEYS:
        if key not in item:
            raise LabError(f"{where}: missing key '{key}'")
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise LabError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(KEYS)})")
    prompt, responses, ranking = item["prompt"], item["responses"], item["ranking"]
    if not isinstance(prompt, str):
        raise LabError(f"{where}: 'prompt' must be a string, got {type(prompt).__name__}")
    if prompt not in world.prompt_id:
        raise LabError(f"{where}: unknown prompt {prompt!r} (known: {', '.join(world.prompts)})")
    if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
        raise LabError(f"{where}: 'responses' must be a list of strings")
    if len(responses) < 2:
        raise LabError(f"{where}: need at least 2 responses to rank, got {len(responses)}")
    encoded = []
    for k, text in enumerate(responses):
        try:
            encoded.append(world.encode(text))
        except ValueError as error:
            raise LabError(f"{where}: response {k}: {error}") from None
    if not isinstance(ranking, list) or not all(type(i) is int for i in ranking):
        raise LabError(f"{where}: 'ranking' must be a list of integers")
    if sorted(ranking) != list(range(len(responses))):
        raise LabError(
            f"{where}: 'ranking' {ranking} is not a permutation of 0..{len(responses) - 1} "
            f"(one index per response, best first)"
        )
    return world.prompt_id[prompt], np.stack(encoded), np.asarray(ranking, dtype=np.int64)


def read_ranked_jsonl(path: Path, world: TextWorld) -> RankedSet:
    """Read and validate a ranked-data JSONL file (see the module docstring)."""
    path = Path(path)
    lines = read_regular_file(path, MAX_BYTES, "ranked-data").splitlines()
    prompts, responses, rankings = [], [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise LabError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        prompt, group, ranking = _parse_line(world, item, where)
        prompts.append(prompt)
        responses.append(group)
        rankings.append(ranking)
    if not prompts:
        raise LabError(f"{path}: no rankings in the file (it is empty)")
    return RankedSet(np.asarray(prompts, dtype=np.int64), responses, rankings)


def ranked_jsonl_lines(ranked: RankedSet, world: TextWorld) -> list[str]:
    """The JSONL lines of ``ranked``."""
    return [
        json.dumps({
            "prompt": world.prompts[int(p)],
            "responses": [world.decode(r) for r in group],
            "ranking": [int(i) for i in ranking],
        })
        for p, group, ranking in zip(ranked.prompts, ranked.responses, ranked.rankings, strict=True)
    ]


def write_ranked_jsonl(path: Path, ranked: RankedSet, world: TextWorld) -> None:
    """Write ``ranked`` as JSONL (atomically)."""
    write_text(Path(path), "\n".join(ranked_jsonl_lines(ranked, world)) + "\n")


MIN_HELDOUT = 25  # held-out rankings at least: fewer make the accuracy a coin toss
MIN_TRAIN = 25  # rankings left to train the reward model on
MIN_EVAL = 50  # rankings in an --eval-rankings file to fit a judge on


def split_heldout(data: RankedSet, fraction: float, rng: np.random.Generator,
                  path: Path) -> tuple[RankedSet, RankedSet]:
    """Training and held-out rankings of a user's file: ``fraction`` of it (at least
    :data:`MIN_HELDOUT`) held out at random, at least :data:`MIN_TRAIN` left; else a LabError."""
    n_held = max(MIN_HELDOUT, round(fraction * len(data)))
    if len(data) - n_held < MIN_TRAIN:
        raise LabError(
            f"{path}: {len(data)} rankings, too few: need at least {MIN_HELDOUT + MIN_TRAIN} "
            f"({MIN_HELDOUT} held out to measure the reward model, {MIN_TRAIN} to train it)"
        )
    order = rng.permutation(len(data))
    return data.subset(order[n_held:]), data.subset(order[:n_held])
