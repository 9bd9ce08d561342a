"""The ``[tune]`` table of an experiment: what ``rl-lab tune`` searches, with what budget, for what.

    [tune]
    trials = 30            # trials in the study (``--trials`` overrides)
    seeds = [0]            # seeds each trial trains; its objective is their mean
    timesteps = 100_000    # budget per trial and seed (0: the experiment's total_timesteps)
    metric = "auto"        # "criterion_steps", "criterion_seconds", "return", or auto: criterion_steps
                           # when success_metric is set
    seconds = 0            # training wall-clock budget per trial and seed (criterion_seconds needs it)
    startup_trials = 10    # random trials before TPE models the results (Optuna's default)
    [tune.space]
    "algo_kwargs.learning_rate" = { low = 1e-5, high = 1e-2, log = true }
    "algo_kwargs.n_epochs" = { low = 2, high = 10, integer = true }
    "networks.activation" = { choices = ["tanh", "relu"] }
    "networks.policy" = { choices = [[64, 64], [128, 128]] }

Each key of ``[tune.space]`` is a dotted experiment key (as ``--set`` takes). The space is checked
before any trial: both ends of each range and every choice must make a valid experiment. A choice
may be a list of plain values (layer widths): Optuna's categorical choices are plain values only, so
such a choice travels as its JSON text and :meth:`Study.values` turns it back into the list.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from typing import Any

from rl_lab.config.loading import apply_overrides, parse_dataclass, read_toml, resolve_experiment
from rl_lab.config.schema import MAX_SEED, MAX_TIMESTEPS, ExperimentConfig, setting
from rl_lab.config.validation import validate_experiment
from rl_lab.errors import LabError

METRICS = ("auto", "criterion_steps", "criterion_seconds", "return")
CRITERION_METRICS = ("criterion_steps", "criterion_seconds")  # a seed stops once it meets the criterion
FROZEN = ("name", "seed", "seeds", "total_timesteps")  # the study sets these itself


@dataclass
class TuneConfig:
    """The search: trials, seeds per trial, budget per trial, the objective and the space."""

    trials: int = setting(20, low=1, high=100_000)
    seeds: list[int] = setting(factory=lambda: [0], low=0, high=MAX_SEED)
    timesteps: int = setting(0, low=0, high=MAX_TIMESTEPS)
    metric: str = "auto"
    seconds: float = setting(0.0, low=0.0, high=1e7)
    """Training wall-clock seconds per trial and seed (evaluations excluded; 0: no limit): the trial's
    runs get it as ``eval.stop_after_seconds``. ``criterion_seconds`` scores an unreached criterion by it."""
    startup_trials: int = setting(10, low=0, high=100_000)
    """Optuna TPE: trials drawn at random before it models the results (its own default, 10)."""
    sampler_seed: int = setting(0, low=0, high=MAX_SEED)
    """Seed of Optuna's TPE sampler."""
    grace_evaluations: int = setting(1, low=1, high=10_000)
    """ASHA: periodic evaluations every trial gets before it can be stopped."""
    reduction_factor: int = setting(2, low=2, high=100)
    """ASHA: the fraction 1/reduction_factor of trials goes on at each rung."""
    space: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """An experiment ready to tune: its raw table (trials apply their values to it), the validated
    base config and the ``[tune]`` settings."""

    source: str
    data: dict[str, Any]
    base: ExperimentConfig
    tune: TuneConfig

    @property
    def metric(self) -> str:
        if self.tune.metric != "auto":
            return self.tune.metric
        return "criterion_steps" if self.base.success_metric else "return"

    @property
    def budget(self) -> int:
        return self.tune.timesteps or self.base.total_timesteps

    def values(self, params: dict[str, Any]) -> dict[str, Any]:
        """A trial's values as the experiment takes them: list choices back from their JSON text."""
        return {key: json.loads(value) if key in self.tune.space and is_list_choice(self.tune.space[key])
                and isinstance(value, str) else value for key, value in params.items()}


def is_list_choice(spec: dict[str, Any]) -> bool:
    """The parameter chooses among lists (sent to Optuna as their JSON text)."""
    return any(isinstance(choice, list) for choice in spec.get("choices", []))


def set_path(data: dict[str, Any], key: str, value: Any) -> None:
    """``data[a][b]... = value`` for the dotted ``key`` (tables made as needed)."""
    *tables, last = key.split(".")
    for part in tables:
        data = data.setdefault(part, {})
        if not isinstance(data, dict):
            raise LabError(f"'{key}': '{part}' is not a table")
    data[last] = value


def config_with(study_data: dict[str, Any], source: str, params: dict[str, Any]) -> ExperimentConfig:
    """The experiment with a trial's ``params`` (dotted keys) applied, parsed and validated."""
    data = copy.deepcopy(study_data)
    for key, value in params.items():
        set_path(data, key, value)
    config = parse_dataclass(ExperimentConfig, data, source)
    validate_experiment(config, source, given=data)
    return config


def _plain_or_list(choice: Any) -> bool:
    plain = (bool, int, float, str)
    return isinstance(choice, plain) or (
        isinstance(choice, list) and bool(choice) and all(isinstance(v, plain) for v in choice))


def _check_param(key: str, spec: Any, where: str) -> list[Any]:
    """The values that bound one parameter (both ends, or every choice), after checking its form."""
    if not isinstance(spec, dict):
        raise LabError(f"{where}: must be a table such as {{ low = 1e-5, high = 1e-2, log = true }} "
                       "or { choices = [...] }")
    unknown = set(spec) - {"low", "high", "log", "integer", "choices"}
    if unknown:
        raise LabError(f"{where}: unknown key '{sorted(unknown)[0]}' "
                       "(known: low, high, log, integer, choices)")
    if key.split(".")[0] in FROZEN:
        raise LabError(f"{where}: '{key}' is set by the study itself, not searched")
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"} or not isinstance(choices, list) or not choices:
            raise LabError(f"{where}: 'choices' must be a non-empty list and stand alone")
        if not all(_plain_or_list(c) for c in choices):
            raise LabError(f"{where}: choices must be plain values (numbers, strings, booleans) "
                           "or non-empty lists of them")
        return choices
    low, high = spec.get("low"), spec.get("high")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LabError(f"{where}: '{name}' must be a finite number, got {value!r}")
    if not low < high:
        raise LabError(f"{where}: 'low' must be below 'high', got {low!r} and {high!r}")
    if spec.get("log") and low <= 0:
        raise LabError(f"{where}: a log-scale range must be positive, got low = {low!r}")
    if spec.get("integer") and not (float(low).is_integer() and float(high).is_integer()):
        raise LabError(f"{where}: an integer range needs whole ends, got {low!r} and {high!r}")
    for flag in ("log", "integer"):
        if not isinstance(spec.get(flag, False), bool):
            raise LabError(f"{where}: '{flag}' must be true or false")
    if spec.get("integer"):
        return [int(low), int(high)]
    # A plain range draws floats: a fractional point inside it is checked too, so an integer key
    # without ``integer = true`` is refused here, not by a failing trial.
    return [float(low), float(high), low + (high - low) * 0.382]


def load_study(name_or_path: str, overrides: list[str] | None = None, trials: int | None = None) -> Study:
    """Read an experiment and its ``[tune]`` table; check the whole search space before any trial."""
    path = resolve_experiment(name_or_path)
    source = str(path)
    data = apply_overrides(read_toml(path), overrides or [])
    raw = data.pop("tune", None)
    if not isinstance(raw, dict) or not raw.get("space"):
        raise LabError(f"{source}: no [tune.space] table: declare the keys to search "
                       "(see rl_lab/config/tuning.py)")
    if "reward_model" in data and "env" not in data:
        raise LabError(f"{source}: an RLHF pipeline, not a training experiment")
    data.setdefault("name", path.stem)
    tune = parse_dataclass(TuneConfig, raw, source, prefix="tune.")
    if trials is not None:
        tune.trials = trials
    validate_tune(tune, f"{source} [tune]")
    base = parse_dataclass(ExperimentConfig, data, source)
    validate_experiment(base, source, given=data)
    if tune.metric in CRITERION_METRICS and not base.success_metric:
        raise LabError(f"{source}: tune.metric '{tune.metric}' needs the experiment's success_metric")
    if tune.metric == "criterion_seconds" and not tune.seconds:
        raise LabError(f"{source}: tune.metric 'criterion_seconds' needs tune.seconds, the training "
                       "seconds a seed may spend (an unreached criterion is scored by it)")
    for key, spec in tune.space.items():
        where = f"{source}: tune.space.\"{key}\""
        for value in _check_param(key, spec, where):
            try:
                config_with(data, source, {key: value})
            except LabError as error:
                hint = (" (a range of whole numbers needs integer = true)"
                        if "must be an integer" in str(error) and not spec.get("integer") else "")
                raise LabError(f"{where} = {value!r} makes an invalid experiment: {error}{hint}") from None
    return Study(source, data, base, tune)


def validate_tune(tune: TuneConfig, source: str) -> None:
    """Ranges of the ``[tune]`` settings themselves."""
    if tune.metric not in METRICS:
        raise LabError(f"{source}: 'metric' must be one of {', '.join(METRICS)}, got {tune.metric!r}")
    if not tune.seeds or len(set(tune.seeds)) != len(tune.seeds):
        raise LabError(f"{source}: 'seeds' must list at least one seed, none twice, got {tune.seeds}")
    for name in ("trials", "timesteps", "seconds", "startup_trials", "sampler_seed", "grace_evaluations",
                 "reduction_factor"):
        value = getattr(tune, name)
        low = TuneConfig.__dataclass_fields__[name].metadata.get("low", 0)
        high = TuneConfig.__dataclass_fields__[name].metadata.get("high")
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            raise LabError(f"{source}: '{name}' must be in [{low}, {high}], got {value}")
    if any(not 0 <= s <= MAX_SEED for s in tune.seeds):
        raise LabError(f"{source}: 'seeds' must be in [0, {MAX_SEED}], got {tune.seeds}")
