"""Judges of the policies: the bag-of-words Bradley-Terry model, the user's --gold scorer, and the
checks made before a run touches disk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.bag_of_words import BagOfWordsScorer
from rl_lab.rlhf.data import write_ranked_jsonl
from rl_lab.rlhf.evaluation import accuracy_interval, win_rate_by_prompt
from rl_lab.rlhf.judges import load_scorer
from rl_lab.rlhf.labeller import Labeller, RankedSet, bayes_ceiling, make_ranked_set, ranking_accuracy
from rl_lab.rlhf.pipeline import prepare

WORLD = TextWorld()


def _encode(texts: list[str]) -> np.ndarray:
    return np.stack([WORLD.encode(t) for t in texts])


def test_bag_of_words_learns_a_word_preference_and_saturates_repeats() -> None:
    rng = np.random.default_rng(0)
    value = rng.normal(0, 1, WORLD.n_words + 1)

    def utility(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return np.array([value[sorted({int(t) for t in r if t != WORLD.pad_id})].sum() for r in responses])

    def ranked(n: int, seed: int) -> tuple[RankedSet, list[np.ndarray]]:
        g = np.random.default_rng(seed)
        prompts = WORLD.sample_prompts(n, g)
        flat = WORLD.sample_responses(np.repeat(prompts, 4), g)
        u = utility(np.repeat(prompts, 4), flat).reshape(n, 4)
        return RankedSet(prompts, list(flat.reshape(n, 4, -1)), list(Labeller(0.5).rank(u, g))), list(u)

    train, _ = ranked(1500, 1)
    test, u = ranked(1000, 2)
    model = BagOfWordsScorer(WORLD).fit(train)
    scores = [model.score(np.full(4, p), g) for p, g in zip(test.prompts, test.responses, strict=True)]
    assert ranking_accuracy(test.rankings, scores) > bayes_ceiling(Labeller(0.5), u) - 0.03
    three, six = model.score(np.zeros(2, dtype=int), _encode(["sun sun sun", "sun sun sun sun sun sun"]))
    lengths = model.weights[model._offsets[2] + np.array([3, 6])]
    assert six - three == pytest.approx(lengths[1] - lengths[0])  # only the length differs


def test_bootstrap_interval_and_win_rate_by_prompt() -> None:
    rng = np.random.default_rng(0)
    pairs = np.full(400, 10.0)
    correct = rng.binomial(10, 0.7, size=400).astype(float)
    lo, hi = accuracy_interval(correct, pairs, seed=0)
    assert lo < correct.sum() / pairs.sum() < hi and 0.02 < hi - lo < 0.06
    wide = accuracy_interval(correct[:40], pairs[:40], seed=0)
    assert wide[1] - wide[0] > 2 * (hi - lo)
    # a: one response per prompt; b: two per prompt; each a faces every b of its prompt
    rate = win_rate_by_prompt(np.array([1.0, 0.0]), np.array([0, 1]), np.array([0.5, 2.0, 0.0, -1.0]),
                              np.array([0, 0, 1, 1]))
    assert rate == pytest.approx(np.mean([0.5, 0.75]))


@pytest.mark.parametrize(
    ("spec", "source", "message"),
    [
        ("no_colon", None, "expected module:function"),
        ("my prefs:score", None, "expected module:function"),
        ("no_such_module_xyz:score", None, "cannot import 'no_such_module_xyz': ModuleNotFoundError"),
        ("prefs_broken:score", "raise ImportError('needs pandas')",
         "cannot import 'prefs_broken': ImportError: needs"),
        ("prefs_missing:score", "x = 1", "module 'prefs_missing' has no function 'score'"),
        ("prefs_short:score", "def score(p, r):\n    return [1.0]", "must return 2 finite numbers"),
        ("prefs_nan:score", "def score(p, r):\n    return [float('nan')] * len(r)", "must return 2 finite"),
        ("prefs_raises:score", "def score(p, r):\n    raise KeyError('x')", "the function failed: KeyError"),
    ],
)
def test_gold_scorer_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str,
                                         source: str | None, message: str) -> None:
    if source is not None:
        (tmp_path / f"{spec.split(':')[0]}.py").write_text(source + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LabError, match=message) as error:
        load_scorer(spec, WORLD).score(np.zeros(2, dtype=int), _encode(["sun", "rain"]))
    assert "\n" not in str(error.value)


def test_gold_scorer_gets_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prefs_ok.py").write_text(
        "def score(prompts, responses):\n"
        "    return [len(r) + (p == 'music') for p, r in zip(prompts, responses)]\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))  # restored afterwards
    monkeypatch.chdir(tmp_path)  # found in the current directory, as a user's file would be
    judge = load_scorer("prefs_ok:score", WORLD)
    scores = judge.score(np.array([WORLD.prompt_id["music"], 0]), _encode(["the song", ""]))
    assert scores.tolist() == [9.0, 0.0] and judge.label == "your scorer prefs_ok:score"


def test_run_inputs_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    mine = tmp_path / "mine.jsonl"
    write_ranked_jsonl(mine, make_ranked_set(WORLD, Labeller(), 60, 3, np.random.default_rng(0)), WORLD)
    with pytest.raises(LabError, match="--eval-rankings judges a run on your own rankings"):
        prepare("rlhf_toy", None, 0, [], eval_rankings=mine)
    with pytest.raises(LabError, match="the same data as --ranked-data"):
        prepare("rlhf_toy", mine, 0, [], eval_rankings=mine)
    few = tmp_path / "few.jsonl"
    few.write_text("\n".join(mine.read_text().splitlines()[:10]) + "\n")
    with pytest.raises(LabError, match="10 rankings, too few to fit a judge on"):
        prepare("rlhf_toy", mine, 0, [], eval_rankings=few)
    inputs = prepare("rlhf_toy", mine, 0, [])
    assert inputs.run_table["ranked_data"]["lines"] == 60 and inputs.judges == []
    assert json.loads(json.dumps(inputs.run_table))  # plain data, ready for config.toml
    assert sorted(p.name for p in tmp_path.iterdir()) == ["few.jsonl", "mine.jsonl"]  # nothing else


def test_repetition_probe_finds_the_liked_word_and_compares_judges() -> None:
    from rl_lab.rlhf.probe import repetition_probe

    sun = WORLD.word_id["sun"]

    def counts_sun(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:  # an exploitable proxy
        return (responses == sun).sum(axis=1).astype(float)

    def saturates(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:  # the preference
        return np.minimum((responses == sun).sum(axis=1), 1).astype(float)

    probe = repetition_probe(WORLD, counts_sun, {"scorer": saturates})
    assert probe["words"] == ["sun"] * WORLD.n_prompts and (probe["few"], probe["many"]) == (2, 6)
    assert probe["reward_model"] == [2.0, 6.0] and probe["scorer"] == [1.0, 1.0]
