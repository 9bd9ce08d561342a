"""Ranked-data JSONL: round trip, and every malformed line is a LabError naming file and line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf import data as data_module
from rl_lab.rlhf.data import (
    MIN_HELDOUT,
    MIN_TRAIN,
    read_ranked_jsonl,
    read_regular_file,
    split_heldout,
    write_ranked_jsonl,
)
from rl_lab.rlhf.labeller import Labeller, make_ranked_set

WORLD = TextWorld()
GOOD = {"prompt": "weather", "responses": ["the sun is rain", "", "rain"], "ranking": [0, 2, 1]}


def test_round_trip(tmp_path: Path) -> None:
    ranked = make_ranked_set(WORLD, Labeller(), 20, 4, np.random.default_rng(0))
    path = tmp_path / "r.jsonl"
    write_ranked_jsonl(path, ranked, WORLD)
    back = read_ranked_jsonl(path, WORLD)
    assert np.array_equal(back.prompts, ranked.prompts)
    for a, b in zip(back.responses, ranked.responses, strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(back.rankings, ranked.rankings, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "ranking"}), "missing key 'ranking'"),
        (json.dumps({**GOOD, "extra": 1}), "unknown key 'extra'"),
        (json.dumps({**GOOD, "prompt": "cats"}), "unknown prompt 'cats'"),
        (json.dumps({**GOOD, "prompt": 3}), "'prompt' must be a string"),
        (json.dumps({**GOOD, "responses": ["sun"], "ranking": [0]}), "at least 2 responses"),
        (json.dumps({**GOOD, "responses": "sun rain"}), "'responses' must be a list of strings"),
        (json.dumps({**GOOD, "responses": ["the cat", "sun", "rain"]}), "response 0: unknown word 'cat'"),
        (json.dumps({**GOOD, "responses": ["sun " * 11, "sun", "rain"]}), "more than the limit"),
        (json.dumps({**GOOD, "ranking": [0, 1, 1]}), "not a permutation"),
        (json.dumps({**GOOD, "ranking": [0, 1]}), "not a permutation"),
        (json.dumps({**GOOD, "ranking": [0, 1, "2"]}), "'ranking' must be a list of integers"),
        (json.dumps({**GOOD, "ranking": [True, 0, 2]}), "'ranking' must be a list of integers"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n")
    with pytest.raises(LabError, match=message) as error:
        read_ranked_jsonl(path, WORLD)
    assert str(error.value).startswith(f"{path}:3: ")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(LabError, match=r"empty\.jsonl: no rankings"):
        read_ranked_jsonl(empty, WORLD)
    with pytest.raises(LabError, match=r"nope\.jsonl: no such ranked-data file"):
        read_ranked_jsonl(tmp_path / "nope.jsonl", WORLD)


def _lines(n: int) -> str:
    return "".join(json.dumps(GOOD) + "\n" for _ in range(n))


def test_bom_is_accepted_and_unknown_words_list_the_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _lines(2).encode())
    assert len(read_ranked_jsonl(path, WORLD)) == 2
    path.write_text(json.dumps({**GOOD, "responses": ["the cat", "sun", "rain"]}) + "\n")
    with pytest.raises(LabError, match=r"unknown word 'cat' \(vocabulary: the a is was .* moon\)"):
        read_ranked_jsonl(path, WORLD)


@pytest.mark.parametrize("n", [1, MIN_HELDOUT + MIN_TRAIN - 1])
def test_too_few_rankings_to_hold_out_are_refused(tmp_path: Path, n: int) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text(_lines(n))
    data = read_ranked_jsonl(path, WORLD)
    with pytest.raises(LabError, match=f"few.jsonl: {n} rankings, too few: need at least 50"):
        split_heldout(data, 0.1, np.random.default_rng(0), path)
    path.write_text(_lines(MIN_HELDOUT + MIN_TRAIN))
    train, heldout = split_heldout(read_ranked_jsonl(path, WORLD), 0.1, np.random.default_rng(0), path)
    assert (len(train), len(heldout)) == (MIN_TRAIN, MIN_HELDOUT)


def test_non_regular_and_huge_files_are_refused_without_hanging(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(LabError, match="must be a regular file, not a named pipe"):
        read_ranked_jsonl(fifo, WORLD)
    with pytest.raises(LabError, match="must be a regular file, not a character device"):
        read_ranked_jsonl(Path("/dev/zero"), WORLD)
    with pytest.raises(LabError, match="must be a regular file, not a directory"):
        read_ranked_jsonl(tmp_path, WORLD)
    big = tmp_path / "big.jsonl"
    big.write_text(_lines(3))
    monkeypatch.setattr(data_module, "MAX_BYTES", 100)
    with pytest.raises(LabError, match=r"big\.jsonl: the ranked-data file is \d+ bytes, more than the 100"):
        read_ranked_jsonl(big, WORLD)
    assert read_regular_file(big, 10_000, "ranked-data") == _lines(3)
    (tmp_path / "latin.jsonl").write_bytes(b"\xff\xfe")
    with pytest.raises(LabError, match="not UTF-8"):
        read_regular_file(tmp_path / "latin.jsonl", 100, "ranked-data")
