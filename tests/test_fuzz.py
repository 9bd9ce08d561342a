"""The lab's own fuzz suite: bad config values, mutated command lines and damaged or hostile run
directories. Every case must end in exit code 0 or 2 with at most one stderr line, never a
traceback, a hang (each case runs under an alarm) or a lost file; bad values must never be
silently accepted."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import random
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY_CARTPOLE

from rl_lab.cli import main
from rl_lab.config import load_experiment
from rl_lab.errors import LabError

CASE_SECONDS = 60  # far above any case's real time: reaching it means a hang

# Values the issue found accepted or crashing, each with the key the error must name.
BAD_CONFIG = [
    ("algo_kwargs.gamma=2", "algo_kwargs.gamma"),
    ("algo_kwargs.gamma=0", "algo_kwargs.gamma"),
    ("algo_kwargs.clip_range=-0.2", "algo_kwargs.clip_range"),
    ("algo_kwargs.n_epochs=2.5", "algo_kwargs.n_epochs"),
    ("algo_kwargs.n_epochs=0", "algo_kwargs.n_epochs"),
    ("algo_kwargs.learning_rate=inf", "algo_kwargs.learning_rate"),
    ("algo_kwargs.learning_rate=nan", "algo_kwargs.learning_rate"),
    ("algo_kwargs.learning_rate=-1e-3", "algo_kwargs.learning_rate"),
    ("algo_kwargs.learning_rate='lin_inf'", "algo_kwargs.learning_rate"),
    ("algo_kwargs.batch_size=true", "algo_kwargs.batch_size"),
    ("algo_kwargs.ent_coef=-1", "algo_kwargs.ent_coef"),
    ("success_threshold=nan", "success_threshold"),
    ("eval.criterion_success_rate=2", "eval.criterion_success_rate"),
    ("eval.criterion_success_rate=-0.1", "eval.criterion_success_rate"),
    ("checkpoint_freq=0", "checkpoint_freq"),
    ("checkpoint_freq=-5", "checkpoint_freq"),
    ("frame_stack=-3", "frame_stack"),
    ("networks.policy=[0]", "networks.policy[0]"),
    ("networks.value=[64, -1]", "networks.value[1]"),
    ("networks.policy=[1e9]", "networks.policy[0]"),
    ("networks.activation='sigmoid'", "networks.activation"),
    ("networks.features='resnet'", "networks.features"),
    ("total_timesteps=1e30", "total_timesteps"),
    ("total_timesteps=100000000000000", "total_timesteps"),
    ("total_timesteps=0", "total_timesteps"),
    ("seed=-1", "seed"),
    ("seed=4294967296", "seed"),
    ("seeds=[0, 0]", "seeds"),
    ("torch_threads=100000", "torch_threads"),
    ("torch_threads=0", "torch_threads"),
    ("n_envs=0", "n_envs"),
    ("n_envs=1000000", "n_envs"),
    ("eval.freq=0", "eval.freq"),
    ("eval.episodes=0", "eval.episodes"),
    ("eval.video_every=0", "eval.video_every"),
    ("name='../important'", "name"),
    ("name='/tmp/abs'", "name"),
    ("name='a/b'", "name"),
    ("name='..'", "name"),
    ("name=''", "name"),
    ("algo='ppg'", "algo"),
    ("vec_env='threads'", "vec_env"),
    ("env.id='Nope-v0'", "env.id"),
    ("env.kwargs.wind=2", "env.kwargs.wind"),
    ("bogus=1", "bogus"),
    ("algo_kwargs.learning_rat=0.1", "algo_kwargs.learning_rat"),
]
BAD_BIKE_ENV = [
    ("env.kwargs.max_seconds=inf", "max_seconds"),
    ("env.kwargs.max_seconds=0", "max_seconds"),
    ("env.kwargs.action_repeat=0", "action_repeat"),
    ("env.kwargs.action_repeat=2.5", "action_repeat"),
    ("env.kwargs.noise=-1", "noise"),
    ("env.kwargs.noise=nan", "noise"),
    ("success_metric='nope'", "success_metric"),
]


@pytest.fixture(autouse=True)
def alarm() -> Iterator[None]:
    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"a fuzz case ran past {CASE_SECONDS} s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(CASE_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("override", "key"), BAD_CONFIG)
def test_bad_config_values_are_refused_naming_the_key(write_experiment, override: str, key: str) -> None:
    path = write_experiment(TINY_CARTPOLE)
    with pytest.raises(LabError) as info:
        load_experiment(str(path), [override])
    assert f"'{key}" in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("override", "key"), BAD_BIKE_ENV)
def test_bad_environment_arguments_are_refused(override: str, key: str) -> None:
    with pytest.raises(LabError, match=key):
        load_experiment("bike_balance_ppo", [override])


def test_dqn_refuses_a_policy_network_it_would_ignore() -> None:
    with pytest.raises(LabError, match=r"'networks\.policy' does not apply to dqn"):
        load_experiment("bike_balance_dqn", ["networks.policy=[32]"])


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, (argv, err)
    if code != 0:
        assert code == 2, (argv, code, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
    return code, err


def _argparse_exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        return _run(argv, capsys)
    except SystemExit as stop:  # argparse's own usage errors
        err = capsys.readouterr().err
        assert stop.code == 2 and len(err.strip().splitlines()) == 1, (argv, err)
        return 2, err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzzrun")
    experiment = root / "tiny.toml"
    experiment.write_text(TINY_CARTPOLE)
    argv = ["train", str(experiment), "--runs-dir", str(root / "runs"), "--no-progress", "--no-video"]
    assert main(argv) == 0
    return root / "runs" / "tiny" / "0"


def _hostile_paths(tmp: Path) -> list[str]:
    fifo = tmp / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (tmp / "dir.toml").mkdir(exist_ok=True)
    (tmp / "binary.toml").write_bytes(b"\x00\xff" * 100)
    (tmp / "latin1.toml").write_bytes("algo = 'ppö'".encode("latin-1"))
    return [str(fifo), "/dev/zero", str(tmp / "dir.toml"), str(tmp / "binary.toml"), str(tmp / "latin1.toml"),
            "/nonexistent/x.toml", "", "-", "--", "💥", "a" * 5000, "../../etc/passwd", "/"]


VALUES = ["-1", "0", "1e30", "abc", "", "2**70", "nan", "inf", "99999999999999999999", "--", "None", "True",
          "3.5"]


def _mutations(run: Path, tmp: Path, count: int) -> list[list[str]]:
    """Seeded command lines, each a cheap valid one with one part replaced by something hostile."""
    experiment = tmp / "tiny.toml"
    experiment.write_text(TINY_CARTPOLE.replace("total_timesteps = 512", "total_timesteps = 64"))
    bases = [
        ["train", str(experiment), "--runs-dir", str(tmp / "r"), "--no-video", "--no-progress",
         "--timesteps", "64", "--set", "eval.freq=64", "--set", "checkpoint_freq=64", "--overwrite"],
        ["eval", str(run), "--episodes", "1"],
        ["watch", str(run), "--max-steps", "5", "--video", str(tmp / "w.mp4")],
        ["report", str(run), "--output", str(tmp / "report")],
        ["export-zoo", str(tmp / "zoo")],
        ["bench", "--suite", "--only", "nope"],
        ["rlhf", "--ranked-data", str(tmp / "missing.jsonl")],
    ]
    hostile = _hostile_paths(tmp)
    rng = random.Random(0)
    cases = []
    for _ in range(count):
        argv = list(rng.choice(bases))
        kind = rng.randrange(4)
        index = rng.randrange(1, len(argv))
        if kind == 0:
            argv[index] = rng.choice(VALUES)
        elif kind == 1:
            argv[index] = rng.choice(hostile)
        elif kind == 2:
            argv.insert(index, rng.choice(["--bogus", "--seed", "--set", "--checkpoint", "--episodes", "-x"]))
        else:
            del argv[index]
        cases.append(argv)
    return cases


@pytest.mark.slow
def test_mutated_command_lines_are_one_line_or_succeed(finished_run: Path, tmp_path: Path, capsys,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A mutated path may be relative ("inf", "-1"): whatever a case writes lands in tmp_path.
    monkeypatch.chdir(tmp_path)
    before = _digest(finished_run)
    cases = _mutations(finished_run, tmp_path, 150)
    outcomes = {0: 0, 2: 0}
    for argv in cases:
        signal.alarm(CASE_SECONDS)
        code, _ = _argparse_exit(argv, capsys)
        outcomes[code] += 1
    assert outcomes[2] > len(cases) / 2  # most mutations must be refused, not silently run
    assert _digest(finished_run) == before  # no case damaged the finished run


def _digest(run_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


class _Payload:
    """Leaves a marker file when unpickled: proof that code from a run's files ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _with_payload(model: Path, evil: Path, marker: Path) -> None:
    with zipfile.ZipFile(model) as source:
        members = {name: source.read(name) for name in source.namelist()}
    data = json.loads(members["data"])
    blob = base64.b64encode(pickle.dumps(_Payload(marker))).decode()
    for key in ("lr_schedule", "observation_space", "policy_class"):
        data[key] = {":type:": "<class 'x'>", ":serialized:": blob}
    members["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(evil, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)


def _run_dir_states(run: Path, tmp: Path) -> dict[str, Path]:
    """Missing, partial, foreign, damaged and hostile run directories."""
    import shutil

    states = {"missing": tmp / "missing"}
    file_instead = tmp / "file"
    file_instead.write_text("not a run")
    states["a file"] = file_instead
    for name, keep in (("config only", ["config.toml"]), ("no summary", ["config.toml", "model.zip"])):
        target = tmp / name.replace(" ", "_")
        target.mkdir()
        for item in keep:
            shutil.copy(run / item, target / item)
        states[name] = target
    foreign = tmp / "foreign"
    foreign.mkdir()
    (foreign / "config.toml").write_text("[hello]\nworld = 1\n")
    states["foreign config"] = foreign
    for name, damage in (("truncated model", lambda p: p.write_bytes(p.read_bytes()[:100])),
                         ("garbage summary", None), ("fifo config", None)):
        target = tmp / name.replace(" ", "_")
        shutil.copytree(run, target)
        if name == "truncated model":
            damage(target / "model.zip")
        elif name == "garbage summary":
            (target / "summary.json").write_text("{not json")
        else:
            (target / "config.toml").unlink()
            os.mkfifo(target / "config.toml")
        states[name] = target
    return states


def test_damaged_run_directories_are_one_line(finished_run: Path, tmp_path: Path, capsys) -> None:
    states = _run_dir_states(finished_run, tmp_path)
    for name, path in states.items():
        for verb in (["eval", str(path), "--episodes", "1"], ["watch", str(path), "--max-steps", "3",
                                                               "--video", str(tmp_path / "v.mp4")],
                     ["report", str(path), "--output", str(tmp_path / "rep")]):
            signal.alarm(CASE_SECONDS)
            code, err = _run(verb, capsys)
            # A report reads the summary and the curves, not the model: a damaged model.zip is no error there.
            expected = 0 if (name, verb[0]) == ("truncated model", "report") else 2
            assert code == expected, (name, verb, err)


def test_a_malicious_model_zip_runs_nothing_from_the_cli(finished_run: Path, tmp_path: Path, capsys) -> None:
    import shutil

    run = tmp_path / "evil_run"
    shutil.copytree(finished_run, run)
    marker = tmp_path / "pwned"
    _with_payload(finished_run / "model.zip", run / "model.zip", marker)
    for verb in (["eval", str(run), "--episodes", "1"],
                 ["watch", str(run), "--max-steps", "3", "--video", str(tmp_path / "v.mp4")]):
        code, _ = _run(verb, capsys)
        assert code in (0, 2)
        assert not marker.exists(), f"{verb[0]} ran code from model.zip"
