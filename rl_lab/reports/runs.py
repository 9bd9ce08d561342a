"""Finished runs read back for ``rl-lab report``: which directories to report and their eval curves.

A run's evaluation curve comes from its TensorBoard events (what the user also sees in
TensorBoard), or from ``eval.npz`` (the lab's own atomic record of every evaluation) for any
quantity whose events are missing or cover fewer evaluations (a run written before that tag
existed, an events file cut short by a crash).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.config.diff import training_differences
from rl_lab.errors import LabError
from rl_lab.runs import layout
from rl_lab.runs.staging import seed_dirs

# curve quantity -> TensorBoard tag (all logged in the same dump, at the same step)
TAGS = {
    "returns": "eval/mean_reward",
    "train_seconds": "time/train_seconds",
    "success_rate": "eval/success_rate",
}

Series = dict[int, float]  # timestep -> value; a later value at the same step replaces an earlier one


@dataclass(frozen=True)
class EvalCurve:
    """One run's periodic evaluations, one entry per evaluated timestep (strictly increasing)."""

    timesteps: np.ndarray
    returns: np.ndarray  # mean evaluation return
    train_seconds: np.ndarray | None  # training wall-clock at each evaluation; None in older runs
    success_rate: np.ndarray | None  # None when the experiment has no success metric


@dataclass(frozen=True)
class RunRecord:
    """What ``rl-lab report`` needs of one finished run."""

    run_dir: Path
    experiment: str
    env_id: str
    algo: str
    seed: int
    success_metric: str
    summary: dict[str, Any]
    curve: EvalCurve


def resolve_run_dirs(targets: list[str], runs_dir: Path) -> list[Path]:
    """Finished run directories named by ``targets``: each a run directory, or an experiment (a
    directory, or a name under ``runs_dir``) meaning all its finished seeds. One experiment only."""
    if not targets:
        raise LabError(f"no runs to report: name run directories or experiments (under {runs_dir})")
    found: dict[Path, None] = {}  # an ordered set: the same run named twice counts once
    for target in targets:
        for path in _runs_of(target, runs_dir):
            found.setdefault(path.resolve(), None)
    run_dirs = list(found)
    _check_one_experiment(run_dirs)
    return run_dirs


def _runs_of(target: str, runs_dir: Path) -> list[Path]:
    path = Path(target)
    if not path.is_dir():
        path = runs_dir / target
    if not path.is_dir():
        raise LabError(f"{target}: no such run directory, and no experiment {target!r} in {runs_dir}")
    if (path / layout.CONFIG).is_file():
        if not (path / layout.SUMMARY).is_file():
            raise LabError(f"{path}: run has not finished (no {layout.SUMMARY})")
        seeds = [path]
    else:
        # Only <seed> folders: staged (.0.partial-*) and replaced (0.replaced-*) runs sit beside them.
        seeds = [p for p in seed_dirs(path) if (p / layout.SUMMARY).is_file()]
    if not seeds:
        raise LabError(f"{path}: no finished runs (no {path.name}/*/{layout.SUMMARY})")
    for seed_dir in seeds:
        if layout.is_rlhf_run(seed_dir):
            raise LabError(f"{seed_dir}: an RLHF run, not a training run (`rl-lab rlhf` prints its summary)")
    return seeds


def _check_one_experiment(run_dirs: list[Path]) -> None:
    """A report compares seeds of one experiment with one config: name the first two runs that
    differ (in anything but the seed), or that are the same seed twice."""
    first = run_dirs[0]
    first_config = layout.load_run_config(first)
    seen = {first_config.seed: first}
    for other in run_dirs[1:]:
        config = layout.load_run_config(other)
        if config.name != first_config.name:
            raise LabError(
                f"mixed runs: {first} is experiment {first_config.name!r} but {other} is "
                f"{config.name!r} (report one experiment at a time)"
            )
        differing = training_differences(first_config, config)
        if differing:
            raise LabError(
                f"mixed runs: {first} and {other} were trained with different '{differing[0]}' "
                "(seeds of one report must share their config)"
            )
        if config.seed in seen:
            raise LabError(f"{seen[config.seed]} and {other} are both seed {config.seed}")
        seen[config.seed] = other


# Summary keys the report reads besides the two it needs: each a number, or null when unknown.
OPTIONAL_NUMBERS = (
    "eval_std_return", "eval_success_rate", "criterion_success_rate", "criterion_timesteps",
    "criterion_episodes", "criterion_train_seconds", "episodes", "train_seconds",
)


def load_run(run_dir: Path) -> RunRecord:
    """Read a finished run's config, summary and evaluation curve."""
    config = layout.load_run_config(run_dir)
    summary = layout.read_summary(run_dir)
    path = run_dir / layout.SUMMARY
    if not isinstance(summary, dict):
        raise LabError(f"{path}: expected a JSON object")
    for key in ("eval_mean_return", "timesteps"):
        if not _is_number(summary.get(key)):
            raise LabError(f"{path}: missing or non-numeric {key!r}")
    for key in OPTIONAL_NUMBERS:
        if summary.get(key) is not None and not _is_number(summary[key]):
            raise LabError(f"{path}: {key!r} must be a number or null, got {summary[key]!r}")
    return RunRecord(
        run_dir=run_dir,
        experiment=config.name,
        env_id=config.env.id,
        algo=config.algo,
        seed=config.seed,
        success_metric=config.success_metric,
        summary=summary,
        curve=read_curve(run_dir),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_curve(run_dir: Path) -> EvalCurve:
    """The evaluation curve: each quantity from the TensorBoard events, or from ``eval.npz`` where
    that has more evaluations."""
    events = _event_series(run_dir)
    try:
        npz = _npz_series(run_dir)
    except LabError:
        if not events.get("returns"):
            raise
        npz = {}  # a damaged eval.npz beside complete events: the events have the curve
    series: dict[str, Series] = {}
    for name in TAGS:
        from_events, from_npz = events.get(name, {}), npz.get(name, {})
        best = from_events if len(from_events) >= len(from_npz) else from_npz
        if best:
            series[name] = best
    if "returns" not in series:
        raise LabError(
            f"{run_dir}: no evaluations (no {TAGS['returns']} in its TensorBoard events, no {layout.EVAL})"
        )
    steps = sorted(series["returns"])

    def aligned(name: str) -> np.ndarray | None:
        values = series.get(name)
        if values is None or any(step not in values for step in steps):
            return None  # a partial series would misplace points; plot what is complete
        return np.array([values[step] for step in steps], dtype=float)

    return EvalCurve(
        timesteps=np.array(steps, dtype=np.int64),
        returns=np.array([series["returns"][step] for step in steps], dtype=float),
        train_seconds=aligned("train_seconds"),
        success_rate=aligned("success_rate"),
    )


def _event_series(run_dir: Path) -> dict[str, Series]:
    """The curve's tags from the run's own TensorBoard event files ({} if none are readable)."""
    files = sorted(run_dir.glob("events.out.tfevents.*"))
    if not files:
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.compat.tensorflow_stub.errors import OpError

    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})  # 0 keeps every point
    try:
        accumulator.Reload()
    except (OSError, OpError):
        return {}  # eval.npz holds the same evaluations; read_curve says so if it is missing too
    present = set(accumulator.Tags().get("scalars", []))
    return {
        name: {int(e.step): float(e.value) for e in accumulator.Scalars(tag)}
        for name, tag in TAGS.items()
        if tag in present
    }


def _npz_series(run_dir: Path) -> dict[str, Series]:
    """The curve from ``eval.npz`` ({} if the run has none)."""
    path = run_dir / layout.EVAL
    if not path.is_file():
        return {}
    try:
        with np.load(path) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise LabError(f"{path}: unreadable evaluation file ({type(error).__name__})") from None
    if "timesteps" not in arrays or "results" not in arrays:
        raise LabError(f"{path}: missing 'timesteps' or 'results'")
    steps = [int(s) for s in arrays["timesteps"]]
    if not steps:
        return {}
    values = {"returns": arrays["results"].reshape(len(steps), -1).mean(axis=1)}
    values.update({name: arrays[name] for name in ("train_seconds", "success_rate") if name in arrays})
    out = {}
    for name, column in values.items():
        if len(column) != len(steps):
            raise LabError(f"{path}: {name!r} has {len(column)} entries for {len(steps)} evaluations")
        out[name] = {step: float(v) for step, v in zip(steps, column, strict=True)}
    return out
