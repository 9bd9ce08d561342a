"""Loading model.zip without unpickling: malicious archives run nothing, real ones round-trip exactly."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import os
import pickle
import shlex
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from stable_baselines3 import A2C, DQN, PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab.errors import LabError
from rl_lab.runs.safe_model import inspect_model_zip, load_model_safely

# Tiny models: (class, env, constructor kwargs, steps to train).
ALGOS: dict[str, tuple[type[BaseAlgorithm], str, dict[str, Any], int]] = {
    "ppo": (PPO, "CartPole-v1", {"n_steps": 64, "batch_size": 32, "n_epochs": 2}, 192),
    "dqn": (DQN, "CartPole-v1", {"learning_starts": 64, "train_freq": 4, "target_update_interval": 50}, 300),
    "a2c": (A2C, "CartPole-v1", {"n_steps": 8}, 160),
    "sac": (SAC, "Pendulum-v1", {"learning_starts": 50, "batch_size": 32, "buffer_size": 1000}, 120),
}
NET = [16, 16]


def build(algo: str, env_id: str | None = None, net: list[int] = NET, seed: int = 123) -> BaseAlgorithm:
    cls, default_env, kwargs, _ = ALGOS[algo]
    return cls(
        "MlpPolicy", env_id or default_env, seed=seed, device="cpu", policy_kwargs={"net_arch": net}, **kwargs
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[BaseAlgorithm, Path]]:
    """Each algorithm trained a few hundred steps and saved with plain ``model.save``."""
    folder = tmp_path_factory.mktemp("models")
    models = {}
    for algo, (_, _, _, steps) in ALGOS.items():
        model = build(algo, seed=0)
        model.learn(steps)
        path = folder / f"{algo}.zip"
        model.save(path)
        models[algo] = (model, path)
    return models


def observations(model: BaseAlgorithm) -> np.ndarray:
    space = model.observation_space
    space.seed(7)
    return np.stack([space.sample() for _ in range(64)])


def assert_same_tree(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_same_tree(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_tree(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def predictions(model: BaseAlgorithm) -> np.ndarray:
    return model.predict(observations(model), deterministic=True)[0]


def member_bytes(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is what one test wants
        with zipfile.ZipFile(path, "w") as archive:
            for name, blob in members:
                archive.writestr(zipfile.ZipInfo(name), blob)
    return path


def rewrite(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    """A copy of the archive ``src`` with some members replaced."""
    return write_zip(dst, list({**member_bytes(src), **replace}.items()))


def with_data(src: Path, dst: Path, **entries: Any) -> Path:
    """A copy of the archive ``src`` whose ``data`` JSON has ``entries`` set."""
    data = json.loads(member_bytes(src)["data"])
    data.update(entries)
    return rewrite(src, dst, {"data": json.dumps(data).encode()})


class Payload:
    """Unpickling this runs a shell command that creates ``marker``: a trace any execution leaves."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


def serialized(obj: Any) -> dict[str, str]:
    """A ``data`` entry the way SB3 writes a non-JSON value."""
    return {":type:": "<class 'x'>", ":serialized:": base64.b64encode(pickle.dumps(obj)).decode()}


def one_line(error: pytest.ExceptionInfo[LabError]) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


def test_payload_is_live(tmp_path: Path) -> None:
    """The tests below are meaningful: unpickling the payload does leave the marker."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize("algo", sorted(ALGOS))
def test_round_trip_is_exact(trained, algo: str) -> None:
    model, path = trained[algo]
    fresh = build(algo)
    assert not torch.equal(  # the fresh model really differs before loading
        next(iter(fresh.policy.state_dict().values())), next(iter(model.policy.state_dict().values()))
    )
    loaded = load_model_safely(path, lambda: fresh)
    assert loaded is fresh
    assert_same_tree(loaded.get_parameters(), model.get_parameters())
    np.testing.assert_array_equal(predictions(loaded), predictions(model))
    for key in ("num_timesteps", "_n_updates", "_episode_num", "_current_progress_remaining"):
        assert getattr(loaded, key) == getattr(model, key), key
    if algo == "dqn":
        assert (loaded._n_calls, loaded.exploration_rate) == (model._n_calls, model.exploration_rate)
    if algo == "sac":  # a pytorch_variables.pth entry
        assert torch.equal(loaded.log_ent_coef, model.log_ent_coef)


def test_plain_sb3_load_still_reads_the_labs_file(trained) -> None:
    model, path = trained["ppo"]
    plain = PPO.load(path, device="cpu")
    np.testing.assert_array_equal(predictions(plain), predictions(model))


def test_inspect_lists_without_unpickling(trained) -> None:
    _, path = trained["ppo"]
    archive = inspect_model_zip(path)
    assert {"data", "policy.pth", "policy.optimizer.pth", "pytorch_variables.pth"} <= set(archive.sizes)
    assert {"lr_schedule", "observation_space", "policy_class"} <= set(archive.serialized_keys)
    assert archive.data["lr_schedule"][":serialized:"]  # left as the undecoded string
    assert archive.sb3_version and archive.sb3_version[0].isdigit()


@pytest.mark.parametrize("keys", [("lr_schedule",), ("observation_space", "action_space", "policy_class")])
def test_pickle_in_data_is_never_run_and_weights_still_load(trained, tmp_path: Path, keys) -> None:
    model, path = trained["ppo"]
    marker = tmp_path / "pwned"
    evil = with_data(path, tmp_path / "evil.zip", **{key: serialized(Payload(marker)) for key in keys})

    loaded = load_model_safely(evil, lambda: build("ppo"))
    assert not marker.exists()
    np.testing.assert_array_equal(predictions(loaded), predictions(model))

    # The control: SB3's own loader (what --trust-pickle means) does run it (and may then fail
    # in one line, as here when the "space" it unpickled is os.system's exit status).
    with contextlib.suppress(LabError):
        load_model_safely(evil, lambda: build("ppo"), trust_pickle=True)
    assert marker.exists()


def test_pickle_where_a_counter_belongs_is_refused(trained, tmp_path: Path) -> None:
    _, path = trained["ppo"]
    marker = tmp_path / "pwned"
    evil = with_data(path, tmp_path / "evil.zip", num_timesteps=serialized(Payload(marker)))
    assert_refused_running_nothing(
        evil,
        marker,
        "data entry 'num_timesteps' is a pickled object where a number belongs; "
        "refused without unpickling it",
    )


def assert_refused_running_nothing(evil: Path, marker: Path, expected: str) -> None:
    with pytest.raises(LabError) as error:
        load_model_safely(evil, lambda: build("ppo"))
    assert one_line(error) == f"{evil}: {expected}"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        *(("_n_updates", value, "must be a whole number >= 0") for value in (-1, 1.5, True, "7", None, [1])),
        *(
            ("_current_progress_remaining", value, "must be a finite number")
            for value in (math.nan, math.inf, "1")
        ),
    ],
)
def test_bad_counter_is_refused(trained, tmp_path: Path, key: str, value: Any, expected: str) -> None:
    _, path = trained["ppo"]
    bad = with_data(path, tmp_path / "bad.zip", **{key: value})
    with pytest.raises(LabError, match=rf"^{bad}: data entry '{key}' {expected}, not "):
        load_model_safely(bad, lambda: build("ppo"))


def torch_saved(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("member", ["policy.pth", "policy.optimizer.pth", "pytorch_variables.pth"])
@pytest.mark.parametrize("encoding", ["torch.save", "raw pickle"])
def test_pickled_pth_is_refused_in_one_line(trained, tmp_path: Path, member: str, encoding: str) -> None:
    _, path = trained["ppo"]
    marker = tmp_path / "pwned"
    payload = {"w": Payload(marker)}
    # protocol 2 is torch.save's; with protocol 4 torch refuses the framing before it sees the global
    blob = torch_saved(payload) if encoding == "torch.save" else pickle.dumps(payload, protocol=2)
    evil = rewrite(path, tmp_path / "evil.zip", {member: blob})
    assert_refused_running_nothing(
        evil,
        marker,
        f"{member} holds pickled Python objects, not plain tensors; refused without running it "
        "(it asks for posix.system)",
    )


@pytest.mark.parametrize(
    ("trained_as", "fresh", "detail"),
    [
        (
            "ppo",
            lambda: build("ppo", net=[32, 16]),
            "policy.pth: mlp_extractor.policy_net.0.weight has shape (16, 4), config.toml builds (32, 4)",
        ),
        (
            "ppo",
            lambda: build("ppo", env_id="Acrobot-v1"),
            "policy.pth: mlp_extractor.policy_net.0.weight has shape (16, 4), config.toml builds (16, 6)",
        ),
        (
            "ppo",
            lambda: build("ppo", net=[16]),
            "policy.pth has mlp_extractor.policy_net.2.weight, which config.toml's model does not",
        ),
        ("dqn", lambda: build("ppo"), "policy.pth has no mlp_extractor.policy_net.0.weight"),
        ("ppo", lambda: build("a2c"), "policy.optimizer.pth: another optimizer (settings"),
        ("sac", lambda: build("ppo", env_id="Pendulum-v1"), "the archive has no policy.optimizer.pth"),
    ],
)
def test_mismatch_with_config_is_one_line(trained, trained_as: str, fresh: Callable, detail: str) -> None:
    _, path = trained[trained_as]
    with pytest.raises(LabError) as error:
        load_model_safely(path, fresh)
    assert one_line(error).startswith(
        f"{path}: this model was trained with a different algo/env/networks than config.toml: {detail}"
    )


def test_extra_weights_file_is_a_mismatch(trained, tmp_path: Path) -> None:
    _, path = trained["ppo"]
    extra = write_zip(tmp_path / "extra.zip", [*member_bytes(path).items(), ("critic.pth", torch_saved({}))])
    with pytest.raises(LabError, match=r"config\.toml: critic\.pth is not part of config\.toml's model$"):
        load_model_safely(extra, lambda: build("ppo"))


def patch_claimed_size(path: Path, member: str, size: int) -> None:
    """Make the central directory claim ``size`` uncompressed bytes for ``member``."""
    blob = bytearray(path.read_bytes())
    end_record = blob.rindex(b"PK\x05\x06")
    start = struct.unpack_from("<I", blob, end_record + 16)[0]  # where the central directory begins
    while True:
        name_length = struct.unpack_from("<H", blob, start + 28)[0]
        if blob[start + 46 : start + 46 + name_length].decode() == member:
            struct.pack_into("<I", blob, start + 24, size)
            path.write_bytes(bytes(blob))
            return
        extra_length, comment_length = struct.unpack_from("<HH", blob, start + 30)
        start += 46 + name_length + extra_length + comment_length


def bad_archives(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """Broken or hostile files and the message each must give."""
    members = list(member_bytes(good).items())
    blob = good.read_bytes()
    cases: dict[str, tuple[Path, str]] = {}

    def case(name: str, path: Path, message: str) -> None:
        cases[name] = (path, message)

    (tmp_path / "random.zip").write_bytes(np.random.default_rng(0).bytes(5000))
    case("random", tmp_path / "random.zip", "not a readable model archive (truncated or corrupt: BadZipFile)")
    (tmp_path / "empty.zip").write_bytes(b"")
    case("empty", tmp_path / "empty.zip", "not a readable model archive (truncated or corrupt: BadZipFile)")
    for cut in (len(blob) // 2, len(blob) - 30):
        (tmp_path / f"cut{cut}.zip").write_bytes(blob[:cut])
        case(f"truncated at {cut}", tmp_path / f"cut{cut}.zip", "not a readable model archive (truncated")
    for evil in ("../evil.pth", "/etc/evil.pth", "sub/policy.pth", "..", ".hidden", "a\\b.pth"):
        path = write_zip(tmp_path / f"name{len(cases)}.zip", [*members, (evil, b"x")])
        case(f"name {evil}", path, f"refusing archive member {evil!r} (not a plain file name)")
    case(
        "duplicate",
        write_zip(tmp_path / "dup.zip", [*members, ("policy.pth", b"x")]),
        "refusing archive with two members named 'policy.pth'",
    )
    case(
        "too many",
        write_zip(tmp_path / "many.zip", [*members, *((f"m{i}", b"") for i in range(64))]),
        "not a model archive (70 members, at most 64 expected)",
    )
    case(
        "no data",
        write_zip(tmp_path / "nodata.zip", [m for m in members if m[0] != "data"]),
        "not a Stable-Baselines3 model (no 'data' in the archive)",
    )
    case(
        "no policy",
        write_zip(tmp_path / "nopolicy.zip", [m for m in members if m[0] != "policy.pth"]),
        "not a Stable-Baselines3 model (no 'policy.pth' in the archive)",
    )
    case(
        "data not json",
        rewrite(good, tmp_path / "nojson.zip", {"data": b"{not json"}),
        "the archive's 'data' member is not valid JSON",
    )
    case(
        "data a list",
        rewrite(good, tmp_path / "list.zip", {"data": b"[1, 2]"}),
        "the archive's 'data' member is not a JSON object",
    )
    case(
        "data nested deep",
        rewrite(good, tmp_path / "deep.zip", {"data": b"[" * 100_000 + b"]" * 100_000}),
        "the archive's 'data' member is not valid JSON",
    )
    case(
        "data huge int",
        rewrite(good, tmp_path / "bigint.zip", {"data": b'{"num_timesteps": ' + b"9" * 5000 + b"}"}),
        "the archive's 'data' member is not valid JSON",
    )
    case(
        "pth garbage",
        rewrite(good, tmp_path / "garbage.zip", {"policy.pth": b"\x00" * 100}),
        "policy.pth is not a readable PyTorch weights file",
    )
    bomb = write_zip(tmp_path / "bomb.zip", members)
    patch_claimed_size(bomb, "policy.pth", 0x7FFF0000)
    case("size claim", bomb, "archive claims 21474")  # 0x7FFF0000 = 2147418112 bytes claimed
    os.mkfifo(tmp_path / "fifo.zip")
    case("fifo", tmp_path / "fifo.zip", "the model file must be a regular file, not a named pipe (FIFO)")
    case("directory", tmp_path, "the model file must be a regular file, not a directory")
    case("missing", tmp_path / "missing.zip", "no such model file")
    return cases


def test_broken_and_hostile_archives_are_one_line(trained, tmp_path: Path) -> None:
    _, good = trained["ppo"]
    cases = bad_archives(tmp_path, good)
    for name, (path, expected) in cases.items():
        with pytest.raises(LabError) as error:
            load_model_safely(path, lambda: build("ppo"))
        message = one_line(error)
        assert message.startswith(f"{path}: {expected}"), (name, message)
    assert len(cases) >= 20


def test_size_cap_applies_to_genuine_compressed_members(tmp_path: Path) -> None:
    path = tmp_path / "zeros.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data", b"{}")
        archive.writestr("policy.pth", b"\0" * 2_000_000)
    assert path.stat().st_size < 20_000
    with pytest.raises(
        LabError, match=r"archive claims 2000002 bytes uncompressed, more than the 1000000 allowed"
    ):
        inspect_model_zip(path, max_uncompressed=1_000_000)


def test_fuzzed_archives_never_raise_anything_but_lab_error(trained, tmp_path: Path) -> None:
    """Byte flips and truncations of a real model: loaded exactly (CRC intact) or refused in one line."""
    model, good = trained["ppo"]
    blob = good.read_bytes()
    rng = np.random.default_rng(1)
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(120):
        mutated = bytearray(blob)
        if case % 3 == 0:
            mutated = mutated[: int(rng.integers(0, len(blob)))]
        else:
            for position in rng.integers(0, len(blob), size=int(rng.integers(1, 4))):
                mutated[position] ^= int(rng.integers(1, 256))
        path = tmp_path / "fuzz.zip"
        path.write_bytes(bytes(mutated))
        try:
            loaded = load_model_safely(path, lambda: build("ppo"))
        except LabError as error:
            assert "\n" not in str(error)
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
            np.testing.assert_array_equal(predictions(loaded), predictions(model))
    assert outcomes["refused"] > 0


def test_trust_pickle_loads_with_sb3_after_the_same_checks(trained, tmp_path: Path) -> None:
    model, path = trained["dqn"]
    trusted = load_model_safely(path, lambda: build("dqn"), trust_pickle=True)
    np.testing.assert_array_equal(predictions(trusted), predictions(model))
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(LabError, match=r"not a readable model archive \(truncated"):
        load_model_safely(truncated, lambda: build("dqn"), trust_pickle=True)
    with pytest.raises(LabError) as error:  # SB3's own space check, in one line
        load_model_safely(path, lambda: build("dqn", env_id="Acrobot-v1"), trust_pickle=True)
    assert one_line(error).startswith(f"{path}: cannot load this model even trusting its pickles (")


def test_pickles_naming_moved_modules_do_not_matter(trained, tmp_path: Path) -> None:
    """A run trained before a refactor: its lr_schedule pickle names a module that no longer exists."""
    model, path = trained["ppo"]
    gone = b"crl_lab.schedules\nLinearSchedule\n(tR."  # protocol 0: GLOBAL, MARK, TUPLE, REDUCE, STOP
    entry = {":type:": "<class 'x'>", ":serialized:": base64.b64encode(gone).decode()}
    old_run = with_data(path, tmp_path / "old.zip", lr_schedule=entry)
    with pytest.raises(ModuleNotFoundError):  # the control: SB3 unpickles it, and fails
        PPO.load(old_run, device="cpu")
    loaded = load_model_safely(old_run, lambda: build("ppo"))
    np.testing.assert_array_equal(predictions(loaded), predictions(model))
