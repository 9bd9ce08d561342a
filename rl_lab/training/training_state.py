"""Everything training needs to continue bit-exactly, saved without pickle and restored in place.

A checkpoint is taken at the start of a rollout (after the previous update, before any step), the
one moment where SB3 keeps no half-collected data. It holds:

* ``training_state.pt``: the networks' and optimizers' state dicts (SB3's own list,
  ``_get_torch_save_params``) and torch's RNG, loadable with ``torch.load(weights_only=True)``;
* ``training_state.npz``: every array of the environments (the batch's physics and counters,
  VecMonitor's running returns, frame stacks, reward-normalisation statistics), the replay buffer
  of off-policy algorithms, the last observation, numpy's global RNG key;
* ``training_state.json``: counters (timesteps, updates, episodes, DQN's calls and exploration
  rate, the schedules' progress), SB3's episode-info buffers, the logger's values not yet written,
  Python's and the generators' RNG states, and the lab's callbacks' own state.

The environments are walked generically (:func:`capture`): an environment keeps its state in numpy
arrays and plain scalars, which is true of rl-lab's batches and Gymnasium's classic envs.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import deque
from pathlib import Path
from typing import Any, Protocol

import gymnasium
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.utils import get_device
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.errors import LabError
from rl_lab.runs import atomic

STATE_PT = "training_state.pt"
STATE_NPZ = "training_state.npz"
STATE_JSON = "training_state.json"
MODEL_COUNTERS = ("num_timesteps", "_n_updates", "_episode_num", "_n_calls", "exploration_rate",
                  "_current_progress_remaining")
# Attributes that describe an object rather than hold its state (and spaces, whose generators only
# the model's action space needs: DQN's random actions come from it).
SKIPPED = frozenset({"observation_space", "action_space", "single_observation_space", "single_action_space",
                     "metadata", "spec", "render_mode", "device", "buf_infos", "_np_random_seed"})
SCALARS = (bool, int, float, str, type(None), np.bool_, np.integer, np.floating)


class Stateful(Protocol):
    """A callback whose progress is part of training (evaluations so far, checkpoints taken)."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def _children(obj: Any) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in vars(obj).items() if k not in SKIPPED]


def _walks_into(value: Any) -> bool:
    if dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen:
        return False  # an env's settings (its params object, the court), not its state
    module = type(value).__module__
    return isinstance(value, (VecEnv, gymnasium.Env, gymnasium.vector.VectorEnv, ReplayBuffer)) or (
        module.startswith("rl_lab.envs") and hasattr(value, "__dict__")
    )


def capture(obj: Any, prefix: str, arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    """Record ``obj``'s state: arrays into ``arrays``, plain values and RNG states into ``scalars``,
    keyed by attribute path; recurse into wrapped environments and their dynamics."""
    for name, value in _children(obj):
        key = f"{prefix}.{name}"
        if isinstance(value, np.ndarray) and value.dtype != object:
            arrays[key] = value
        elif isinstance(value, np.random.Generator):
            scalars[key] = {"generator": value.bit_generator.state}
        elif isinstance(value, SCALARS):
            scalars[key] = value.item() if isinstance(value, np.generic) else value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, SCALARS) for v in value):
            scalars[key] = [v.item() if isinstance(v, np.generic) else v for v in value]
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, np.random.Generator):
                    scalars[f"{key}[{index}]"] = {"generator": item.bit_generator.state}
                elif _walks_into(item):
                    capture(item, f"{key}[{index}]", arrays, scalars)
        elif _walks_into(value):
            capture(value, key, arrays, scalars)


def restore(obj: Any, prefix: str, arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    """Put back what :func:`capture` recorded of ``obj`` (arrays copied in place where they fit)."""
    for name, value in _children(obj):
        key = f"{prefix}.{name}"
        if key in arrays:
            saved = arrays[key]
            if isinstance(value, np.ndarray) and value.shape == saved.shape and value.dtype == saved.dtype:
                np.copyto(value, saved)
            else:
                setattr(obj, name, saved.copy(order="K"))
        elif key in scalars:
            saved = scalars[key]
            if isinstance(value, np.random.Generator):
                value.bit_generator.state = saved["generator"]
            elif isinstance(value, tuple):
                setattr(obj, name, tuple(saved))
            else:
                setattr(obj, name, saved)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, np.random.Generator) and f"{key}[{index}]" in scalars:
                    item.bit_generator.state = scalars[f"{key}[{index}]"]["generator"]
                elif _walks_into(item):
                    restore(item, f"{key}[{index}]", arrays, scalars)
        elif _walks_into(value):
            restore(value, key, arrays, scalars)


def _model_part(model: BaseAlgorithm, arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    for name in MODEL_COUNTERS:
        if hasattr(model, name):
            kind = float if name.startswith(("_current", "exploration")) else int
            scalars[f"model.{name}"] = kind(getattr(model, name))
    for name in ("_last_obs", "_last_episode_starts", "_last_original_obs"):
        value = getattr(model, name, None)
        if isinstance(value, np.ndarray):
            arrays[f"model.{name}"] = value
    # Episode infos keep their numpy types (VecMonitor's float32 returns): SB3 averages them as they are.
    episodes = list(model.ep_info_buffer or [])
    scalars["model.ep_info_keys"] = list(episodes[0]) if episodes else []
    for key in scalars["model.ep_info_keys"]:
        arrays[f"model.ep_info.{key}"] = np.array([info[key] for info in episodes])
    arrays["model.ep_success"] = np.array(list(model.ep_success_buffer or []))
    scalars["model.action_space_rng"] = model.action_space.np_random.bit_generator.state
    if getattr(model, "replay_buffer", None) is not None:
        capture(model.replay_buffer, "replay_buffer", arrays, scalars)


def _plain(value: Any) -> Any:
    """Numpy scalars inside lists and dicts as Python numbers, for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def save_training_state(directory: Path, model: BaseAlgorithm, venvs: dict[str, VecEnv],
                        callbacks: dict[str, Stateful]) -> None:
    """Write the three state files into ``directory`` (each atomically)."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    _model_part(model, arrays, scalars)
    for name, venv in venvs.items():
        capture(venv, f"env:{name}", arrays, scalars)
    numpy_state = np.random.get_state(legacy=False)
    arrays["numpy.key"] = numpy_state["state"]["key"]
    scalars["numpy.rest"] = {k: v for k, v in numpy_state.items() if k != "state"} | {
        "pos": numpy_state["state"]["pos"]}
    scalars["python.random"] = random.getstate()
    logger = model.logger
    # Values recorded but not yet written, with their numpy type (a float32 prints differently).
    numbers = {k: v for k, v in logger.name_to_value.items() if isinstance(v, (int, float, np.number))}
    scalars["logger"] = {
        "values": {k: [float(v), np.asarray(v).dtype.str if isinstance(v, np.number) else type(v).__name__]
                   for k, v in numbers.items()},
        "counts": {k: v for k, v in logger.name_to_count.items() if k in numbers},
        "excluded": {k: list(v) if v else v for k, v in logger.name_to_excluded.items() if k in numbers},
    }
    scalars["callbacks"] = _plain({name: callback.state_dict() for name, callback in callbacks.items()})
    state_dicts, variables = model._get_torch_save_params()
    tensors = {name: _attribute(model, name).state_dict() for name in state_dicts}
    tensors["variables"] = {name: _attribute(model, name).detach().clone() for name in variables}
    tensors["torch_rng"] = torch.get_rng_state()
    directory.mkdir(parents=True, exist_ok=True)
    atomic.write_with(directory / STATE_PT, lambda tmp: torch.save(tensors, tmp))
    atomic.write_with(directory / STATE_NPZ, lambda tmp: _savez(tmp, arrays))
    atomic.write_text(directory / STATE_JSON, json.dumps(scalars))  # last: marks a complete checkpoint


def _savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def _attribute(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def load_training_state(directory: Path, model: BaseAlgorithm, venvs: dict[str, VecEnv],
                        callbacks: dict[str, Stateful]) -> None:
    """Restore what :func:`save_training_state` wrote into freshly built ``model``, envs and
    callbacks (built from the same config and seed). Reads no pickle."""
    try:
        scalars = json.loads((directory / STATE_JSON).read_text())
        with np.load(directory / STATE_NPZ, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        tensors = torch.load(directory / STATE_PT, map_location=get_device("cpu"), weights_only=True)
    except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError,
            torch.serialization.pickle.UnpicklingError) as error:
        raise LabError(f"{directory}: damaged checkpoint ({type(error).__name__}: {error})"[:300]) from None
    state_dicts, variables = model._get_torch_save_params()
    for name in state_dicts:
        _attribute(model, name).load_state_dict(tensors[name])
    with torch.no_grad():
        for name in variables:
            _attribute(model, name).copy_(tensors["variables"][name])
    torch.set_rng_state(tensors["torch_rng"])
    for name in MODEL_COUNTERS:
        if f"model.{name}" in scalars:
            setattr(model, name, scalars[f"model.{name}"])
    for name in ("_last_obs", "_last_episode_starts", "_last_original_obs"):
        if f"model.{name}" in arrays:
            # Keep the env's memory layout (a transposed view): a matrix product rounds by it.
            setattr(model, name, arrays[f"model.{name}"].copy(order="K"))
    window = model._stats_window_size
    keys = scalars["model.ep_info_keys"]
    count = len(arrays[f"model.ep_info.{keys[0]}"]) if keys else 0
    model.ep_info_buffer = deque(({k: arrays[f"model.ep_info.{k}"][i] for k in keys} for i in range(count)),
                                 maxlen=window)
    model.ep_success_buffer = deque(arrays["model.ep_success"].tolist(), maxlen=window)
    model.action_space.np_random.bit_generator.state = scalars["model.action_space_rng"]
    if getattr(model, "replay_buffer", None) is not None:
        restore(model.replay_buffer, "replay_buffer", arrays, scalars)
    for name, venv in venvs.items():
        restore(venv, f"env:{name}", arrays, scalars)
    rest = scalars["numpy.rest"]
    np.random.set_state({"bit_generator": rest["bit_generator"], "has_gauss": rest["has_gauss"],
                         "gauss": rest["gauss"], "state": {"key": arrays["numpy.key"], "pos": rest["pos"]}})
    version, internal, gauss = scalars["python.random"]
    random.setstate((version, tuple(internal), gauss))
    pending = scalars["logger"]
    model.logger.name_to_value.update({
        k: (int(v) if kind == "int" else v) if kind in ("int", "float") else np.dtype(kind).type(v)
        for k, (v, kind) in pending["values"].items()})
    model.logger.name_to_count.update(pending["counts"])
    model.logger.name_to_excluded.update({k: tuple(v) if v else v for k, v in pending["excluded"].items()})
    for name, callback in callbacks.items():
        callback.load_state_dict(scalars["callbacks"][name])


def checkpoint_timesteps(directory: Path) -> int:
    """The timestep a complete checkpoint directory was taken at."""
    try:
        return int(json.loads((directory / STATE_JSON).read_text())["model.num_timesteps"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LabError(f"{directory}: not a complete checkpoint ({type(error).__name__})") from None
