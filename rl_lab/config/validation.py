"""The ONE validation pass over a parsed experiment, run before anything touches disk.

Types were checked while parsing (:mod:`rl_lab.config.loading`); here every field's range and
choices (declared beside it in :mod:`rl_lab.config.schema`), the environment's arguments (against
its params object or constructor), the algorithm's arguments (against SB3's signature, with the
ranges SB3 itself does not check), per-algorithm network keys and the success measure.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import os
import re
from collections.abc import Callable
from typing import Any

from rl_lab.config.algorithms import ALGORITHMS, Q_GREEDY, algorithm_class
from rl_lab.config.schedules import SCHEDULABLE, schedule_error
from rl_lab.config.schema import ExperimentConfig
from rl_lab.errors import LabError

VEC_ENV_KINDS = ("native", "dummy", "subproc")
SURVIVED = "survived"  # built-in success measure: the episode reached its time limit without failing


def episode_measures(info: dict) -> dict[str, float]:
    """What a finished episode measured, by the names ``success_metric`` takes: ``survived`` (from
    SB3's ``TimeLimit.truncated``) and the env's ``info["episode_metrics"]``."""
    measures = {SURVIVED: float(info.get("TimeLimit.truncated", False))}
    measures.update(info.get("episode_metrics", {}))
    return measures
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")



def _agents_registry(name: str) -> dict[str, Any]:
    # Read from the agents package itself, so a new extractor or activation is a valid choice at once.
    return getattr(importlib.import_module("rl_lab.agents.features"), name)


CHOICES: dict[str, Callable[[], tuple[str, ...]]] = {
    "algorithms": lambda: tuple(ALGORITHMS),
    "vec_env_kinds": lambda: VEC_ENV_KINDS,
    "activations": lambda: tuple(_agents_registry("ACTIVATIONS")),
    "features": lambda: tuple(_agents_registry("FEATURE_EXTRACTORS")),
}

# Ranges of SB3 arguments that SB3 accepts silently (or fails on deep inside training):
# (low, high, low inclusive, high inclusive).
ALGO_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "gamma": (0.0, 1.0, False, True),
    "gae_lambda": (0.0, 1.0, True, True),
    "learning_rate": (0.0, math.inf, False, False),
    "clip_range": (0.0, math.inf, False, False),
    "clip_range_vf": (0.0, math.inf, False, False),
    "ent_coef": (0.0, math.inf, True, False),
    "vf_coef": (0.0, math.inf, True, False),
    "max_grad_norm": (0.0, math.inf, False, False),
    "n_steps": (1, math.inf, True, False),
    "batch_size": (1, math.inf, True, False),
    "n_epochs": (1, math.inf, True, False),
    "buffer_size": (1, math.inf, True, False),
    "learning_starts": (0, math.inf, True, False),
    "tau": (0.0, 1.0, False, True),
    "train_freq": (1, math.inf, True, False),
    "gradient_steps": (-1, math.inf, True, False),
    "target_update_interval": (1, math.inf, True, False),
    "exploration_fraction": (0.0, 1.0, True, True),
    "exploration_initial_eps": (0.0, 1.0, True, True),
    "exploration_final_eps": (0.0, 1.0, True, True),
    "target_kl": (0.0, math.inf, False, False),
}


def _fail(source: str, message: str) -> LabError:
    return LabError(f"{source}: {message}")


def check_name(name: str, what: str, source: str) -> None:
    """A name that becomes a folder: letters, digits, ``_ . -``; never a path or ``..``."""
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise _fail(source, f"'{what}' must be a plain name (letters, digits, _ . -; no '/' or '..'), "
                            f"got {name!r}")


def _check_number(value: float, low: float | None, high: float | None, key: str, source: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(source, f"'{key}' must be a finite number, got {value!r}")
    if low is not None and value < low:
        raise _fail(source, f"'{key}' must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise _fail(source, f"'{key}' must be <= {high:,}, got {value!r}")


def _check_fields(obj: Any, source: str, prefix: str = "") -> None:
    """Every field's range and choices, from the ``metadata`` the schema declares beside it."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            _check_fields(value, source, f"{key}.")
            continue
        meta = f.metadata
        if meta.get("name"):
            check_name(value, key, source)
        choices = meta.get("choices")
        if choices == "cpu_count":
            high = os.cpu_count() or 1
            if value > high:
                raise _fail(source, f"'{key}' must be at most this machine's {high} cores, got {value}")
        elif choices and value not in CHOICES[choices]():
            raise _fail(source, f"'{key}' must be one of {', '.join(CHOICES[choices]())}, got {value!r}")
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item_key = f"{key}[{i}]" if isinstance(value, list) else key
                _check_number(item, meta.get("low"), meta.get("high"), item_key, source)
    if isinstance(obj, ExperimentConfig) and len(set(obj.seeds)) != len(obj.seeds):
        raise _fail(source, f"'seeds' lists a seed twice: {obj.seeds}")


def _check_kwargs(target: Any, kwargs: dict[str, Any], key: str, source: str) -> None:
    """Keyword arguments ``target``'s signature accepts, of the type its defaults have."""
    params = inspect.signature(target).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for name, value in kwargs.items():
        full = f"{key}.{name}"
        if name not in params:
            if open_ended:
                continue
            raise _fail(source, f"unknown key '{full}' for {getattr(target, '__name__', target)}")
        default = params[name].default
        if name in SCHEDULABLE and isinstance(value, str):
            if error := schedule_error(value):
                raise _fail(source, f"'{full}': {error}")
            continue
        if isinstance(default, bool) and not isinstance(value, bool):
            raise _fail(source, f"'{full}' must be a bool, got {value!r}")
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(default, int) and not isinstance(default, bool) and not (
            numeric and float(value).is_integer()
        ):
            raise _fail(source, f"'{full}' must be an integer, got {value!r}")
        if isinstance(default, float) and not numeric:
            raise _fail(source, f"'{full}' must be a number, got {value!r}")
        if numeric:
            _check_number(value, None, None, full, source)
            if name in ALGO_RANGES:
                low, high, low_in, high_in = ALGO_RANGES[name]
                below = value < low or (value == low and not low_in)
                if below or value > high or (value == high and not high_in):
                    lo, hi = ("[" if low_in else "("), ("]" if high_in else ")")
                    raise _fail(source, f"'{full}' must be in {lo}{low}, {high}{hi}, got {value!r}")


def env_class(env_id: str, source: str) -> type:
    """The class behind a registered Gymnasium id, or a LabError listing the lab's ids."""
    import gymnasium

    try:
        spec = gymnasium.spec(env_id)
    except gymnasium.error.Error:
        ids = ", ".join(k for k in gymnasium.registry if k.startswith("rl_lab/"))
        raise _fail(source, f"unknown 'env.id' {env_id!r} (rl-lab ids: {ids})") from None
    if not isinstance(spec.entry_point, str):
        return spec.entry_point
    module, _, attr = spec.entry_point.partition(":")
    return getattr(importlib.import_module(module), attr)


def _check_env(config: ExperimentConfig, source: str) -> None:
    cls = env_class(config.env.id, source)
    params_class = getattr(cls, "params_class", None)
    for key, kwargs in (("env.kwargs", config.env.kwargs),
                        ("env.eval_kwargs", {**config.env.kwargs, **config.env.eval_kwargs})):
        if params_class is None:
            _check_kwargs(cls, kwargs, key, source)
            continue
        known = {f.name for f in dataclasses.fields(params_class)}
        for name in kwargs:
            if name not in known:
                raise _fail(source, f"unknown key '{key}.{name}' for {cls.__name__} "
                                    f"(known: {', '.join(sorted(known))})")
        try:
            params_class(**kwargs)
        except (TypeError, ValueError) as error:
            # The params objects' messages start with the argument's name: make it the full key.
            name, _, rest = str(error).partition(" ")
            message = f"'{key}.{name}' {rest}" if name in known else f"'{key}': {error}"
            raise _fail(source, message) from None
    # Gymnasium's own envs report no episode measures: for them only `survived` is known.
    metrics = (SURVIVED, *getattr(cls, "episode_metric_names", ()))
    if config.success_metric and config.success_metric not in metrics:
        raise _fail(source, f"'success_metric' {config.success_metric!r} is not measured by "
                            f"{config.env.id} (known: {', '.join(metrics)})")
    if not math.isfinite(config.success_threshold):
        raise _fail(source, f"'success_threshold' must be a finite number, got {config.success_threshold}")


def validate_experiment(config: ExperimentConfig, source: str, given: dict[str, Any] | None = None) -> None:
    """Raise one LabError naming the key and ``source`` for anything out of range or unknown.

    ``given`` is the raw table before defaults, for checks on what the user wrote (a DQN has no
    policy network of its own, so writing ``networks.policy`` for it is a mistake, not a no-op).
    """
    _check_fields(config, source)
    if config.algo in Q_GREEDY and "policy" in (given or {}).get("networks", {}):
        raise _fail(source, f"'networks.policy' does not apply to {config.algo}: its policy is greedy over "
                            "the Q network; set 'networks.value'")
    _check_env(config, source)
    _check_kwargs(algorithm_class(config.algo), config.algo_kwargs, "algo_kwargs", source)
