"""Reading experiments: find the TOML file, apply ``--set`` overrides, parse into the schema.

Experiments ship inside the package (``rl_lab/experiments/*.toml``, from the repository's
top-level ``experiments/`` folder), so they are found from a checkout and from an installed wheel.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from rl_lab.config.schema import ExperimentConfig
from rl_lab.errors import LabError

T = TypeVar("T")
MAX_TOML_BYTES = 1_000_000  # an experiment is a few hundred bytes; refuse anything absurd


def experiments_dir() -> Path:
    """Where the shipped experiments are: ``rl_lab.experiments``, in a checkout or an install."""
    return Path(str(resources.files("rl_lab.experiments")))


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
    unknown = sorted(set(data) - set(fields), key=str)
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
    path = key.strip().split(".")
    if any(not part.strip() for part in path):
        raise LabError(f"--set {text!r}: empty part in the key")
    return path, value


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
    """Read a TOML file (a regular file of sane size), one clear LabError for anything else."""
    try:
        if not path.is_file():
            raise LabError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
        if path.stat().st_size > MAX_TOML_BYTES:
            raise LabError(f"{path}: larger than {MAX_TOML_BYTES:,} bytes, not an experiment")
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise LabError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise LabError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise LabError(f"{path}: cannot read: {error.strerror}") from None


def list_experiments(directory: Path | None = None) -> list[str]:
    """Names of the shipped experiments (``rlhf_*`` are RLHF pipelines)."""
    return sorted(p.stem for p in (directory or experiments_dir()).glob("*.toml"))


def resolve_experiment(name_or_path: str, directory: Path | None = None) -> Path:
    """Find an experiment by name (``bike_ride_ppo``) or by path to a TOML file."""
    directory = directory or experiments_dir()
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
    """Load, override and validate an experiment: the one pass that checks every key."""
    from rl_lab.config.validation import validate_experiment

    path = resolve_experiment(name_or_path)
    data = apply_overrides(read_toml(path), overrides or [])
    if "reward_model" in data and "env" not in data:
        raise LabError(f"{path}: an RLHF pipeline, not a training experiment: run `rl-lab rlhf {path.stem}`")
    data.pop("tune", None)  # the search space of `rl-lab tune` (rl_lab.config.tuning), not a setting
    # A run's own config.toml lives in runs/<name>/<seed>/: its name is written inside it.
    data.setdefault("name", path.stem)
    config = parse_dataclass(ExperimentConfig, data, str(path))
    validate_experiment(config, str(path), given=data)
    return config
