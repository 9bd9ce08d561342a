"""Experiments: the schema (:mod:`.schema`), reading TOML files (:mod:`.loading`) and the one
validation pass (:mod:`.validation`). Every key is documented, typed and bounded in the schema."""

from rl_lab.config.loading import (
    apply_overrides,
    experiments_dir,
    list_experiments,
    load_experiment,
    parse_dataclass,
    read_toml,
    resolve_experiment,
)
from rl_lab.config.schema import EnvConfig, EvalConfig, ExperimentConfig, NetworkConfig, as_dict
from rl_lab.config.validation import validate_experiment

__all__ = [
    "EnvConfig",
    "EvalConfig",
    "ExperimentConfig",
    "NetworkConfig",
    "apply_overrides",
    "as_dict",
    "experiments_dir",
    "list_experiments",
    "load_experiment",
    "parse_dataclass",
    "read_toml",
    "resolve_experiment",
    "validate_experiment",
]
