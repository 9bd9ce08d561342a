"""Judges: scorers of responses that are NOT the reward model being optimised.

The report's "did the policy get better?" figures come from these, never from the optimised
reward model alone (it is the proxy a policy learns to please):

* ``gold``: the toy's built-in gold reward, only when the rankings came from the built-in
  labeller (it is that labeller's preference);
* ``eval_model``: a Bradley-Terry bag-of-words model fitted on the user's held-out rankings file
  only (``--eval-rankings FILE``);
* ``scorer``: the user's own function (``--gold module:function``, imported from the current
  directory or the Python path), called as
  ``function(prompts: list[str], responses: list[str]) -> sequence of floats`` (higher is better).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.bag_of_words import BagOfWordsScorer
from rl_lab.rlhf.labeller import RankedSet

ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
_SPEC = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


@dataclass(frozen=True)
class Judge:
    """A named scorer: ``key`` in summary.json, ``label`` in the report."""

    key: str
    label: str
    score: ScoreFn


def builtin_gold(world: TextWorld) -> Judge:
    """The toy's gold reward (the built-in labeller's preference)."""
    return Judge("gold", "built-in gold reward", lambda p, r: gold_reward(world, p, r))


def fitted_judge(world: TextWorld, ranked: RankedSet, name: str) -> Judge:
    """A bag-of-words Bradley-Terry model fitted on ``ranked`` (the user's held-out rankings) only."""
    model = BagOfWordsScorer(world).fit(ranked)
    return Judge("eval_model", f"the judge fitted on {name}", model.score)


def load_scorer(spec: str, world: TextWorld) -> Judge:
    """Import ``module:function`` (``--gold``) and wrap it to score token arrays; one-line errors."""
    if not _SPEC.match(spec):
        raise LabError(f"--gold {spec!r}: expected module:function, e.g. my_prefs:score")
    module_name, function_name = spec.split(":")
    if os.getcwd() not in sys.path:  # the console script does not put the current directory there
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module may raise anything while importing
        raise LabError(
            f"--gold {spec}: cannot import {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise LabError(f"--gold {spec}: module {module_name!r} has no function {function_name!r}")

    def score(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        texts = [world.decode(r) for r in responses]
        names = [world.prompts[int(p)] for p in prompts]
        try:
            values = np.asarray(function(names, texts), dtype=np.float64)
        except Exception as error:  # the user's function: say which and what, not a traceback
            raise LabError(f"--gold {spec}: the function failed: {type(error).__name__}: {error}") from None
        if values.shape != (len(texts),) or not np.all(np.isfinite(values)):
            raise LabError(f"--gold {spec}: must return {len(texts)} finite numbers, one per response, "
                           f"got shape {values.shape}")
        return values

    return Judge("scorer", f"your scorer {spec}", score)


def win_rate(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of paired comparisons where score ``a`` beats ``b`` (ties count one half)."""
    return float(np.mean(np.where(a > b, 1.0, np.where(a < b, 0.0, 0.5))))
