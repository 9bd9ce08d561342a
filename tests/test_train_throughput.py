"""The training-throughput bench: one row per vec env, the ratio against the best other, its verdict.

No timing assertions: the figures depend on the machine; only their plumbing is tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rl_lab.bench import training_throughput as train_throughput
from rl_lab.bench.training_throughput import (
    QUICK_OVERRIDES,
    ThroughputRow,
    measure_training_throughput,
    run_training_throughput,
    training_throughput_section,
)
from rl_lab.config import load_experiment
from rl_lab.errors import LabError


def _row(vec_env: str, steps_per_second: float, n_envs: int = 16) -> ThroughputRow:
    """A row whose ``learn`` ran 3,000 steps at ``steps_per_second``, half the time in rollouts."""
    seconds = 3000 / steps_per_second
    return ThroughputRow(
        "exp", "rl_lab/PaddleBall-v0", vec_env, n_envs, 128, 10, 512, 3000,
        total_seconds=seconds, rollout_seconds=seconds / 2, env_seconds=seconds / 4,
        torch_threads=1, interop_threads=2, rounds=2,
    )


def _verdicts(section: str) -> list[str]:
    return [line for line in section.splitlines() if line.startswith("- ")]


@pytest.mark.slow
def test_quick_measurement_gives_one_row_per_vec_env() -> None:
    rows = measure_training_throughput(
        "paddle_vector_ppo", n_envs=2, timesteps=64, overrides=QUICK_OVERRIDES, rounds=1
    )
    assert [r.vec_env for r in rows] == ["native", "dummy", "subproc"]
    threads = load_experiment("paddle_vector_ppo").torch_threads
    for row in rows:
        assert row.steps_per_second > 0 and row.rollout_steps_per_second > 0
        assert row.timesteps >= 64 and row.n_envs == 2 and (row.n_steps, row.n_epochs) == (16, 1)
        assert 0 < row.env_seconds <= row.rollout_seconds <= row.total_seconds
        assert row.torch_threads == torch.get_num_threads() == threads
        assert row.interop_threads == torch.get_num_interop_threads()


def test_ratio_is_native_over_the_best_other_and_the_verdict_follows_it() -> None:
    meets = training_throughput_section(
        {"exp": [_row("native", 3000), _row("dummy", 1000), _row("subproc", 1500)]}
    )
    native_line = next(line for line in meets.splitlines() if "| native |" in line)
    assert native_line.rstrip(" |").split(" | ")[-2:] == ["2.00", "2.00"]  # 3000 / max(1000, 1500)
    assert _verdicts(meets) == [
        "- exp, 16 envs: native is 2.00× the best other (subproc) end to end, 2.00× in rollouts: "
        "meets the 1.5× goal (PPO's updates alone cap it at 4.00×)."  # (1 / 1500) / (0.5 / 3000)
    ]
    misses = training_throughput_section(
        {"exp": [_row("native", 2000), _row("dummy", 1500), _row("subproc", 900)]}
    )
    assert "1.33× the best other (dummy) end to end, 1.33× in rollouts: misses the 1.5× goal" in (
        _verdicts(misses)[0]
    )


def test_each_number_of_envs_is_compared_on_its_own() -> None:
    rows = [_row("native", 3000), _row("dummy", 1000), _row("native", 1000, 64), _row("dummy", 1000, 64)]
    verdicts = _verdicts(training_throughput_section({"exp": rows}))
    assert [v.split(":")[0] for v in verdicts] == ["- exp, 16 envs", "- exp, 64 envs"]
    assert "3.00×" in verdicts[0] and "1.00×" in verdicts[1]


def test_run_writes_only_its_own_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        train_throughput, "measure_training_throughput",
        lambda experiment, **_: [_row("native", 3000), _row("dummy", 1000)],
    )
    doc = tmp_path / "bench.md"
    doc.write_text("# kept title\n\n<!-- begin throughput -->\nkept\n<!-- end throughput -->\n")
    run_training_throughput(doc, experiments=("paddle_vector_ppo",), quick=True)
    text = doc.read_text()
    assert text.startswith("# kept title") and "kept\n" in text
    assert "<!-- begin training-throughput -->\n## Training throughput (PPO)" in text


def test_unknown_experiment_is_a_lab_error() -> None:
    with pytest.raises(LabError, match="unknown experiment"):
        measure_training_throughput("no_such_experiment", timesteps=64, rounds=1)
