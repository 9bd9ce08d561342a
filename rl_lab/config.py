"""Experiments as TOML files, validated into dataclasses.

Every key is checked: an unknown key or a value of the wrong type is a :class:`LabError` that
names the key and the file. ``--set key=value`` overrides use the same dotted names
(``algo_kwargs.learning_rate=3e-4``, ``env.kwargs.noise=0``).
"""

from __future__ import annotations

import dataclasses
import inspect
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rl_lab.errors import LabError
from rl_lab.schedules import SCHEDULABLE, schedule_error

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"
ALGORITHMS = ("ppo", "a2c", "dqn", "sac")
VEC_ENV_KINDS = ("native", "dummy", "subproc")

T = TypeVar("T")


@dataclass
class EnvConfig:
    """Which environment to build and with which constructor arguments."""

    id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    eval_kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class NetworkConfig:
    """The agent's two networks: hidden layer sizes of the policy and of the value/Q network."""

    policy: list[int] = field(default_factory=lambda: [64, 64])
    value: list[int] = field(default_factory=lambda: [64, 64])
    activation: str = "tanh"
    features: str = "flatten"


@dataclass
class EvalConfig:
    """How often and how long to evaluate, and whether to record a video of the final policy."""

    freq: int = 20_000
    episodes: int = 10
    deterministic: bool = True
    video: bool = True
    video_max_steps: int = 1_000  # frames per video at most
    video_every: int = 1  # keep every n-th step in videos (long episodes play faster)
    # The task counts as learned at the first evaluation whose success rate reaches this.
    criterion_success_rate: float = 1.0


@dataclass
class ExperimentConfig:
    """One experiment: environment, algorithm, hyperparameters, networks, budget and seeds."""

    name: str
    env: EnvConfig
    algo: str = "ppo"
    description: str = ""
    total_timesteps: int = 100_000
    seed: int = 0
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    n_envs: int = 8
    vec_env: str = "native"
    frame_stack: int = 0
    normalize_reward: bool = False
    torch_threads: int = 1
    checkpoint_freq: int = 50_000
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    networks: NetworkConfig = field(default_factory=NetworkConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    # Where a criterion is reached (for reports): custom/<key> >= threshold, or eval return.
    success_metric: str = ""
    success_threshold: float = 1.0


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp)).replace("typing.", "")


def _check_value(value: Any, tp: Any, key: str, source: str) -> Any:
    """Return ``value`` converted to ``tp`` or raise a LabError naming ``key`` and ``source``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise LabError(f"{source}: '{key}' must be a table, got {type(value).__name__} {value!r}")
        return parse_dataclass(tp, value, source, prefix=f"{key}.")
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_value(value, option, key, source)
            except LabError:
                continue
        raise LabError(f"{source}: '{key}' has the wrong type: {type(value).__name__} {value!r}")
    if origin is list:
        (item_type,) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            raise LabError(f"{source}: '{key}' must be a list, got {type(value).__name__} {value!r}")
        return [_check_value(v, item_type, f"{key}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise LabError(f"{source}: '{key}' must be a table, got {type(value).__name__} {value!r}")
        return dict(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LabError(f"{source}: '{key}' must be a number, got {type(value).__name__} {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise LabError(f"{source}: '{key}' must be an integer, got {type(value).__name__} {value!r}")
        return value
    if tp in (bool, str):
        if not isinstance(value, tp):
            raise LabError(
                f"{source}: '{key}' must be a {_type_name(tp)}, got {type(value).__name__} {value!r}"
            )
        return value
    raise TypeError(f"unsupported config type {tp!r} for {key}")


def parse_dataclass(cls: type[T], data: dict[str, Any], source: str, prefix: str = "") -> T:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys, missing keys and wrong types.

    ``source`` (usually the file path) and ``prefix`` (the dotted path of the table) make every
    error message name the exact key and file.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise LabError(
            f"{source}: unknown key '{prefix}{unknown[0]}' (known keys: {', '.join(sorted(fields))})"
        )
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _check_value(data[name], hints[name], f"{prefix}{name}", source)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise LabError(f"{source}: missing key '{prefix}{name}'")
    return cls(**values)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``key.path=value``; the value is read as TOML (``3e-4``, ``true``, ``[64, 64]``),
    falling back to a plain string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise LabError(f"--set {text!r}: expected key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return ``data`` with each ``key.path=value`` override applied (tables created as needed)."""
    for text in overrides:
        path, value = parse_override(text)
        table = data
        for part in path[:-1]:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise LabError(f"--set {text!r}: '{part}' is not a table")
        table[path[-1]] = value
    return data


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing file or a syntax error into one clear LabError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise LabError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise LabError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise LabError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise LabError(f"{path}: cannot read: {error.strerror}") from None


def list_experiments(directory: Path = EXPERIMENTS_DIR) -> list[str]:
    """Names of the experiments shipped in ``experiments/`` (``rlhf_*`` are RLHF pipelines)."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def resolve_experiment(name_or_path: str, directory: Path = EXPERIMENTS_DIR) -> Path:
    """Find an experiment by name (``bike_ride_ppo``) or by path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise LabError(f"{candidate}: no such experiment file")
        return candidate
    path = directory / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(list_experiments(directory)) or "none"
        raise LabError(f"unknown experiment '{name_or_path}' (known: {known})")
    return path


def load_experiment(name_or_path: str, overrides: list[str] | None = None) -> ExperimentConfig:
    """Load, override and validate an experiment (see the module docstring)."""
    path = resolve_experiment(name_or_path)
    data = apply_overrides(read_toml(path), overrides or [])
    if "reward_model" in data and "env" not in data:
        raise LabError(f"{path}: an RLHF pipeline, not a training experiment: run `rl-lab rlhf {path.stem}`")
    data.setdefault("name", path.stem)
    config = parse_dataclass(ExperimentConfig, data, str(path))
    validate_experiment(config, str(path))
    return config


def _check_choice(value: str, choices: tuple[str, ...], key: str, source: str) -> None:
    if value not in choices:
        raise LabError(f"{source}: '{key}' must be one of {', '.join(choices)}, got {value!r}")


def _check_kwargs(target: Any, kwargs: dict[str, Any], key: str, source: str) -> None:
    """Reject keyword arguments that ``target``'s signature does not accept."""
    params = inspect.signature(target).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    for name, value in kwargs.items():
        if name not in params:
            raise LabError(f"{source}: unknown key '{key}.{name}' for {getattr(target, '__name__', target)}")
        default = params[name].default
        if name in SCHEDULABLE and isinstance(value, str):
            if error := schedule_error(value):
                raise LabError(f"{source}: '{key}.{name}': {error}")
            continue
        if isinstance(default, bool) and not isinstance(value, bool):
            raise LabError(f"{source}: '{key}.{name}' must be a bool, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            raise LabError(f"{source}: '{key}.{name}' must be a number, got {value!r}")


def validate_experiment(config: ExperimentConfig, source: str) -> None:
    """Cross-field checks: choices, positive budgets, and kwargs the env and algorithm accept."""
    import gymnasium

    from rl_lab.algorithms import algorithm_class

    _check_choice(config.algo, ALGORITHMS, "algo", source)
    _check_choice(config.vec_env, VEC_ENV_KINDS, "vec_env", source)
    for key in ("total_timesteps", "n_envs", "torch_threads"):
        if getattr(config, key) < 1:
            raise LabError(f"{source}: '{key}' must be >= 1, got {getattr(config, key)}")
    for key in ("episodes", "video_every", "video_max_steps"):
        if getattr(config.eval, key) < 1:
            raise LabError(f"{source}: 'eval.{key}' must be >= 1, got {getattr(config.eval, key)}")
    try:
        spec = gymnasium.spec(config.env.id)
    except gymnasium.error.Error:
        ids = ", ".join(k for k in gymnasium.registry if k.startswith("rl_lab/"))
        raise LabError(f"{source}: unknown env.id {config.env.id!r} (rl-lab ids: {ids})") from None
    if isinstance(spec.entry_point, str):
        module, _, attr = spec.entry_point.partition(":")
        import importlib

        env_class = getattr(importlib.import_module(module), attr)
        _check_kwargs(env_class, {**config.env.kwargs, **config.env.eval_kwargs}, "env.kwargs", source)
    _check_kwargs(algorithm_class(config.algo), config.algo_kwargs, "algo_kwargs", source)
