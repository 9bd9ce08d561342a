"""Many runs at once on Ray: the same runs as one at a time, failures one line each, no stray Ray
process; bad input (no Ray, an unreachable cluster) is one line within seconds."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest
import torch

from rl_lab import api, cli
from rl_lab.cluster import ray_session as session_module
from rl_lab.cluster.jobs import Job, run_jobs
from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.training.trainer import train
from tests.cluster_helpers import policy_weights, ray_cluster  # noqa: F401 (a fixture)
from tests.conftest import TINY_CARTPOLE

ray = pytest.importorskip("ray")


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_parallel_seeds_equal_serial_seeds_weight_for_weight(write_experiment, tmp_path):
    path = write_experiment(TINY_CARTPOLE)
    config = load_experiment(str(path), ["eval.video=false"])
    for seed in (0, 1):
        train(config, tmp_path / "serial", seed, progress_bar=False, log=lambda *_: None)
    outcomes = api.train_many(config, [0, 1], runs_dir=tmp_path / "parallel", workers=2)
    assert [o.error for o in outcomes] == [None, None]
    for seed in (0, 1):
        serial = policy_weights(tmp_path / "serial" / "tiny" / str(seed) / "model.zip")
        parallel = policy_weights(tmp_path / "parallel" / "tiny" / str(seed) / "model.zip")
        assert serial.keys() == parallel.keys()
        for key in serial:
            assert torch.equal(serial[key], parallel[key]), f"seed {seed}: {key} differs"
    seed0 = policy_weights(tmp_path / "parallel" / "tiny" / "0" / "model.zip")
    seed1 = policy_weights(tmp_path / "parallel" / "tiny" / "1" / "model.zip")
    assert any(not torch.equal(seed0[k], seed1[k]) for k in seed0)  # the seeds do differ
    # A second invocation keeps the finished runs instead of refusing or retraining them.
    kept: list[str] = []
    assert api.train_many(config, [0, 1], runs_dir=tmp_path / "parallel", log=kept.append) == []
    assert len(kept) == 2 and "kept the finished run" in kept[0]


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_a_failing_job_is_one_line_and_the_others_finish(write_experiment, tmp_path, capsys):
    tiny = str(write_experiment(TINY_CARTPOLE))
    config = load_experiment(tiny, ["eval.video=false", "total_timesteps=128"])
    blocked = tmp_path / "not-a-folder"  # a file in place of the job's runs folder: it fails in its worker
    blocked.write_text("")
    lines: list[str] = []
    outcomes = run_jobs([Job(config, 0, blocked), Job(config, 0, tmp_path), Job(config, 1, tmp_path)],
                        workers=2, log=lines.append)
    assert outcomes[0].error and "\n" not in outcomes[0].error
    assert [o.error for o in outcomes[1:]] == [None, None]
    assert len(lines) == 1 and lines[0].startswith("failed: tiny seed 0: ")
    assert (tmp_path / "tiny" / "1" / "summary.json").is_file()
    # The CLI: the failure's line, then the count, exit code 2.
    code = cli.main(["train", str(tmp_path / "tiny.toml"), "--seeds", "0", "--runs-dir", str(blocked),
                     "--set", "total_timesteps=128", "--no-progress", "--no-video"])
    err = capsys.readouterr().err
    assert code == 2
    assert "1 of 1 runs failed" in err and "Traceback" not in err


def test_without_ray_installed_the_error_is_one_line(monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    expected = r"Ray is not installed .*rl-lab\[cluster\]"
    with pytest.raises(LabError, match=expected), session_module.ray_session():
        pass


def test_an_unreachable_address_is_one_line_not_a_hang(write_experiment, tmp_path: Path, capsys):
    path = write_experiment(TINY_CARTPOLE)
    code = cli.main(["train", str(path), "--seeds", "0", "1", "--address", "127.0.0.1:1",
                     "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "127.0.0.1:1" in err and "no Ray cluster answers" in err
    assert not (tmp_path / "tiny").exists()


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_the_suite_on_ray_writes_its_sections_and_skips_finished_runs(tmp_path):
    from rl_lab.bench.suite import SuiteEntry, run_suite

    experiment = tmp_path / "tiny_suite.toml"
    experiment.write_text(TINY_CARTPOLE.replace("total_timesteps = 512", "total_timesteps = 256"))
    suite = (SuiteEntry(str(experiment), "anchor"),)
    doc = tmp_path / "benchmarks.md"
    run_suite(doc, tmp_path / "runs", seeds=[0, 1], suite=suite, rlhf=False, throughput=False, workers=2)
    assert "<!-- begin learning:tiny_suite -->" in doc.read_text()
    model = tmp_path / "runs" / "tiny_suite" / "1" / "model.zip"
    before = model.stat().st_mtime_ns
    run_suite(doc, tmp_path / "runs", seeds=[0, 1], suite=suite, reuse=True, rlhf=False, throughput=False,
              workers=2)
    assert model.stat().st_mtime_ns == before
