"""Loading a Stable-Baselines3 ``model.zip`` without ever unpickling it.

An SB3 archive holds ``data`` (JSON; every value JSON cannot express, such as the policy class,
the observation and action spaces or the learning-rate schedule, is a base64 cloudpickle under a
``":serialized:"`` key), ``policy.pth`` and the optimizers' ``*.pth`` (``torch.save`` state
dicts), ``pytorch_variables.pth``, ``_stable_baselines3_version`` and ``system_info.txt``.
``PPO.load`` unpickles the ``data`` entries, so opening a model runs whatever code its author put
there.

:func:`load_model_safely` does not: the caller builds a fresh model from the run's own
``config.toml`` (same algorithm, env spaces and networks), every ``.pth`` is read with
``torch.load(weights_only=True)`` (tensors and plain containers only), checked key by key and
shape by shape against the fresh model, and loaded into it; from ``data`` only the plain-JSON
counters (timesteps, updates, episodes, schedule progress) are restored. ``":serialized:"``
entries are never decoded: what they describe is rebuilt from the config. With
``trust_pickle=True`` (for an SB3 file the user made themselves) it falls back to ``ALGO.load``.

Files the lab writes with ``model.save`` stay loadable by plain ``PPO.load`` for SB3 users.
Every problem with the file is one :class:`LabError` line.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.save_util import recursive_getattr, recursive_setattr

from rl_lab.errors import LabError
from rl_lab.runs.file_limits import open_regular_file

MAX_FILE_BYTES = 512 << 20
"""Largest model file accepted (compressed)."""
MAX_UNCOMPRESSED_BYTES = 512 << 20
"""Largest total the archive's members may claim uncompressed (the lab's models are a few MB; SB3's
largest zoo models are tens of MB: replay buffers are never in model.zip)."""
MAX_MEMBERS = 64

DATA = "data"
POLICY = "policy.pth"
VARIABLES = ("pytorch_variables.pth", "tensors.pth")  # "tensors.pth": SB3 < 0.9
VERSION = "_stable_baselines3_version"
SERIALIZED = ":serialized:"

# The counters of ``data`` worth restoring, all plain JSON numbers: training and logging continue
# from them, and DQN's epsilon (``exploration_rate``) and target updates (``_n_calls``) use them.
SCALARS: dict[str, type] = {
    "num_timesteps": int,
    "_total_timesteps": int,
    "_num_timesteps_at_start": int,
    "_n_updates": int,
    "_episode_num": int,
    "_n_calls": int,
    "_current_progress_remaining": float,
    "exploration_rate": float,
}

_MEMBER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# Everything zipfile, zlib, bz2/lzma and struct raise on a damaged archive.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, struct.error)
_ZIP_ERRORS += (NotImplementedError, KeyError, IndexError, OverflowError)
# What torch.load raises on bytes that are not a weights file (besides UnpicklingError).
_TORCH_LOAD_ERRORS = (RuntimeError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError)
_TORCH_LOAD_ERRORS += (KeyError, OverflowError, UnicodeDecodeError, struct.error, zipfile.BadZipFile)


@dataclass(frozen=True)
class ModelArchive:
    """A validated SB3 archive: every member read, size-checked and CRC-checked; nothing unpickled."""

    path: Path
    sizes: dict[str, int]
    """Member name -> uncompressed size in bytes."""
    data: dict[str, Any]
    """The ``data`` JSON as written; ``":serialized:"`` entries are left as undecoded dicts."""
    serialized_keys: tuple[str, ...]
    """Keys of ``data`` whose value is a pickle (never decoded here)."""
    sb3_version: str | None
    weights: dict[str, bytes] = field(repr=False)
    """The raw bytes of every ``.pth`` member, by member name."""


def _refuse(path: Path, reason: str) -> LabError:
    return LabError(f"{path}: {reason}")


def _first_line(error: BaseException) -> str:
    """A library's exception message cut to one short line (some span dozens)."""
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def _check_members(path: Path, infos: list[zipfile.ZipInfo], max_uncompressed: int) -> None:
    if infos and min(info.header_offset for info in infos) != 0:
        # Data before the first member: typically a truncated model whose last intact directory is
        # that of a weights file inside it (torch.save writes zips, stored uncompressed).
        raise _refuse(
            path, "not a readable model archive (truncated or corrupt: data before the first member)"
        )
    if len(infos) > MAX_MEMBERS:
        raise _refuse(path, f"not a model archive ({len(infos)} members, at most {MAX_MEMBERS} expected)")
    names = set()
    for info in infos:
        name = info.filename
        if not _MEMBER_NAME.match(name) or ".." in name:
            raise _refuse(path, f"refusing archive member {name!r} (not a plain file name)")
        if name in names:
            raise _refuse(path, f"refusing archive with two members named {name!r}")
        if info.flag_bits & 0x1:
            raise _refuse(path, f"refusing encrypted archive member {name!r}")
        names.add(name)
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise _refuse(
            path, f"archive claims {total} bytes uncompressed, more than the {max_uncompressed} allowed"
        )
    for required in (DATA, POLICY):
        if required not in names:
            raise _refuse(path, f"not a Stable-Baselines3 model (no {required!r} in the archive)")


def _parse_data(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON errors, 5000-digit ints
        raise _refuse(path, "the archive's 'data' member is not valid JSON") from None
    if not isinstance(data, dict):
        raise _refuse(path, "the archive's 'data' member is not a JSON object")
    return data


def inspect_model_zip(
    path: Path, max_bytes: int = MAX_FILE_BYTES, max_uncompressed: int = MAX_UNCOMPRESSED_BYTES
) -> ModelArchive:
    """Read and validate an SB3 ``model.zip`` without unpickling anything.

    Refused in one line: a missing, special or oversized file; not a zip or a truncated one;
    member names that are not plain file names (``..``, ``/``, absolute, hidden); duplicate or
    encrypted members; a total uncompressed size above ``max_uncompressed`` (checked on the
    claimed sizes before anything is decompressed, and zipfile never inflates past them); a CRC
    mismatch; ``data`` that is not a JSON object; no ``policy.pth``.
    """
    path = Path(path)
    with open_regular_file(path, max_bytes, "model") as file:
        try:
            with zipfile.ZipFile(file) as archive:
                infos = archive.infolist()
                _check_members(path, infos, max_uncompressed)
                contents = {info.filename: archive.read(info) for info in infos}
        except LabError:
            raise
        except _ZIP_ERRORS as error:
            raise _refuse(
                path, f"not a readable model archive (truncated or corrupt: {type(error).__name__})"
            ) from None
    data = _parse_data(path, contents[DATA])
    version = contents.get(VERSION)
    return ModelArchive(
        path=path,
        sizes={name: len(blob) for name, blob in contents.items()},
        data=data,
        serialized_keys=tuple(
            key for key, value in data.items() if isinstance(value, dict) and SERIALIZED in value
        ),
        sb3_version=version[:100].decode("utf-8", errors="replace").strip() if version is not None else None,
        weights={name: blob for name, blob in contents.items() if name.endswith(".pth")},
    )


def _refused_global(error: Exception) -> str | None:
    """The Python object a refused ``.pth`` asked for (e.g. ``posix.system``), if torch names one."""
    match = re.search(
        r"(?:Unsupported global: GLOBAL|unsupported GLOBAL) ([\w.]+)", " ".join(str(error).split())
    )
    return match.group(1) if match else None


def read_weights(archive: ModelArchive, name: str) -> Any:
    """Load one ``.pth`` member with ``torch.load(weights_only=True)``: tensors and plain containers only."""
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of the files it refuses
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(archive.weights[name]), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        wanted = _refused_global(error)
        if wanted is None:
            raise _refuse(
                archive.path, f"{name} is not a readable PyTorch weights file (UnpicklingError)"
            ) from None
        raise _refuse(
            archive.path,
            f"{name} holds pickled Python objects, not plain tensors; refused without running it "
            f"(it asks for {wanted})",
        ) from None
    except _TORCH_LOAD_ERRORS as error:
        raise _refuse(
            archive.path, f"{name} is not a readable PyTorch weights file ({type(error).__name__})"
        ) from None


class _Mismatch(Exception):
    """The archive's tensors do not fit the fresh model; the message names the first difference."""


def _shape(tensor: torch.Tensor) -> str:
    return str(tuple(tensor.shape))


def _compare_module(name: str, loaded: Any, fresh: Mapping[str, torch.Tensor]) -> None:
    if not isinstance(loaded, Mapping) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise _Mismatch(f"{name}.pth is not a state dict of tensors")
    for key, tensor in fresh.items():
        if key not in loaded:
            raise _Mismatch(f"{name}.pth has no {key}")
        if loaded[key].shape != tensor.shape:
            raise _Mismatch(
                f"{name}.pth: {key} has shape {_shape(loaded[key])}, config.toml builds {_shape(tensor)}"
            )
        if loaded[key].dtype != tensor.dtype:
            raise _Mismatch(f"{name}.pth: {key} is {loaded[key].dtype}, config.toml builds {tensor.dtype}")
    for key in loaded:
        if key not in fresh:
            raise _Mismatch(f"{name}.pth has {key}, which config.toml's model does not")


def _compare_optimizer(name: str, loaded: Any, optimizer: torch.optim.Optimizer) -> None:
    fresh = optimizer.state_dict()
    if not isinstance(loaded, Mapping) or not isinstance(loaded.get("param_groups"), list):
        raise _Mismatch(f"{name}.pth is not an optimizer state dict")
    groups, state = loaded["param_groups"], loaded.get("state", {})
    if len(groups) != len(fresh["param_groups"]) or not isinstance(state, Mapping):
        raise _Mismatch(
            f"{name}.pth has {len(groups)} parameter groups, config.toml's optimizer has "
            f"{len(fresh['param_groups'])}"
        )
    for index, (group, fresh_group) in enumerate(zip(groups, fresh["param_groups"], strict=True)):
        if not isinstance(group, Mapping) or not isinstance(group.get("params"), list):
            raise _Mismatch(f"{name}.pth: parameter group {index} is malformed")
        unknown = sorted(set(group) - set(fresh_group))  # missing ones: an older torch, filled by defaults
        if unknown:
            raise _Mismatch(f"{name}.pth: another optimizer (settings {unknown} unknown to config.toml's)")
        if len(group["params"]) != len(fresh_group["params"]):
            raise _Mismatch(
                f"{name}.pth: parameter group {index} has {len(group['params'])} tensors, "
                f"config.toml's optimizer has {len(fresh_group['params'])}"
            )
    shapes = [param.shape for group in optimizer.param_groups for param in group["params"]]
    for index, entry in state.items():
        if not isinstance(index, int) or not 0 <= index < len(shapes) or not isinstance(entry, Mapping):
            raise _Mismatch(f"{name}.pth: malformed state entry {index!r}")
        for key, value in entry.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != shapes[index]:
                raise _Mismatch(
                    f"{name}.pth: {key} of parameter {index} has shape {_shape(value)}, "
                    f"config.toml builds {tuple(shapes[index])}"
                )


def _compare_variables(loaded: Any, model: BaseAlgorithm) -> dict[str, torch.Tensor]:
    names = model._get_torch_save_params()[1]
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, Mapping):
        raise _Mismatch("pytorch_variables.pth is not a dict of tensors")
    variables = {}
    for key, value in loaded.items():
        if key not in names:
            raise _Mismatch(f"pytorch_variables.pth has {key}, which config.toml's model does not")
        if value is None:
            continue
        expected = recursive_getattr(model, key)
        if not isinstance(value, torch.Tensor) or not isinstance(expected, torch.Tensor):
            raise _Mismatch(f"pytorch_variables.pth: {key} does not fit config.toml's model")
        if value.shape != expected.shape:
            raise _Mismatch(
                f"pytorch_variables.pth: {key} has shape {_shape(value)}, config.toml builds "
                f"{_shape(expected)}"
            )
        variables[key] = value
    for key in names:
        if recursive_getattr(model, key) is not None and key not in variables:
            raise _Mismatch(f"pytorch_variables.pth has no {key}")
    return variables


def _scalars(archive: ModelArchive, model: BaseAlgorithm) -> dict[str, int | float]:
    values: dict[str, int | float] = {}
    for key, kind in SCALARS.items():
        if key not in archive.data or not hasattr(model, key):
            continue
        value = archive.data[key]
        if isinstance(value, dict) and SERIALIZED in value:
            raise _refuse(
                archive.path,
                f"data entry {key!r} is a pickled object where a number belongs; "
                "refused without unpickling it",
            )
        if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise _refuse(
                archive.path, f"data entry {key!r} must be a whole number >= 0, not {value!r}"[:300]
            )
        if kind is float and (
            not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)
        ):
            raise _refuse(archive.path, f"data entry {key!r} must be a finite number, not {value!r}"[:300])
        values[key] = kind(value)
    return values


def _load_into(archive: ModelArchive, model: BaseAlgorithm) -> None:
    state_dict_names = model._get_torch_save_params()[0]
    fresh_params = model.get_parameters()
    present = {name.removesuffix(".pth") for name in archive.weights if name not in VARIABLES}
    for name in state_dict_names:
        if name not in present:
            raise _Mismatch(f"the archive has no {name}.pth")
    extra = sorted(present - set(state_dict_names))
    if extra:
        raise _Mismatch(f"{extra[0]}.pth is not part of config.toml's model")
    params = {name: read_weights(archive, f"{name}.pth") for name in state_dict_names}
    for name in state_dict_names:
        target = recursive_getattr(model, name)
        if isinstance(target, torch.optim.Optimizer):
            _compare_optimizer(name, params[name], target)
        else:
            _compare_module(name, params[name], fresh_params[name])
    variables_file = next((name for name in VARIABLES if name in archive.weights), None)
    variables = _compare_variables(read_weights(archive, variables_file) if variables_file else None, model)
    scalars = _scalars(archive, model)
    try:
        model.set_parameters(params, exact_match=True, device=model.device)
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
        raise _Mismatch(_first_line(error)) from None
    for key, value in variables.items():
        recursive_setattr(model, f"{key}.data", value.data.to(model.device))
    for key, value in scalars.items():
        setattr(model, key, value)
    if model.use_sde:
        model.policy.reset_noise()


def load_model_safely(
    path: Path, build_fresh_model: Callable[[], BaseAlgorithm], trust_pickle: bool = False
) -> BaseAlgorithm:
    """Load ``path`` into a model built by ``build_fresh_model``, without unpickling anything.

    ``build_fresh_model`` must build the model the run's ``config.toml`` describes (algorithm,
    env spaces, networks, optimizer), on the device to use. Weights and optimizer states come from
    the archive's ``.pth`` files (``torch.load(weights_only=True)``), counters from the plain JSON
    of ``data``; ``":serialized:"`` entries are ignored, never decoded. An archive whose tensors
    do not fit the fresh model is refused in one line naming the first difference.

    ``trust_pickle=True`` loads with the algorithm's own ``load`` instead (which unpickles
    ``data``: only for SB3 files the user made themselves), still after :func:`inspect_model_zip`.
    """
    archive = inspect_model_zip(path)
    model = build_fresh_model()
    if trust_pickle:
        return _load_trusting_pickle(archive.path, model)
    try:
        _load_into(archive, model)
    except _Mismatch as mismatch:
        raise _refuse(
            archive.path,
            f"this model was trained with a different algo/env/networks than config.toml: {mismatch}",
        ) from None
    return model


def _load_trusting_pickle(path: Path, fresh: BaseAlgorithm) -> BaseAlgorithm:
    try:
        return type(fresh).load(path, env=fresh.get_env(), device=fresh.device)
    except (
        pickle.UnpicklingError,
        ValueError,
        KeyError,
        RuntimeError,
        TypeError,
        AttributeError,
        ImportError,
        EOFError,
        AssertionError,
        zipfile.BadZipFile,
    ) as error:
        raise _refuse(
            path, f"cannot load this model even trusting its pickles ({_first_line(error)})"
        ) from None
