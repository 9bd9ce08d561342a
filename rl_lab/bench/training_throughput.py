"""``rl-lab bench --training``: PPO training throughput with rl-lab's native batched VecEnv
against SB3's DummyVecEnv and SubprocVecEnv over the same environment, measured in one run.

Each figure times ``model.learn`` end to end, and inside it the rollout phases (env stepping,
policy forward passes, buffer) apart from the gradient updates: only the rollout phase can gain
from a faster vectorised env, so the split says what limits the end-to-end ratio.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import stable_baselines3
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from rl_lab.config import load_experiment
from rl_lab.config.validation import VEC_ENV_KINDS
from rl_lab.reports.markdown import markdown_table, update_section
from rl_lab.training.callbacks import EpisodeMetricsCallback
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.model_factory import build_model
from rl_lab.training.seeding import seed_everything

DEFAULT_EXPERIMENTS = ("bike_ride_ppo", "paddle_vector_ppo")
GOAL_RATIO = 1.5
TIMESTEPS = 32_768  # timed steps a figure: several rollouts, a few seconds even for the slowest env
SECTION = "training-throughput"
# Tiny rollouts and one epoch: the quick bench (tests) checks the plumbing, not the figures.
QUICK_OVERRIDES = ("algo_kwargs.n_steps=16", "algo_kwargs.batch_size=32", "algo_kwargs.n_epochs=1")


@dataclass
class ThroughputRow:
    """One timed ``model.learn``: where its seconds went and the settings that shape them."""

    experiment: str
    env_id: str
    vec_env: str
    n_envs: int
    n_steps: int
    n_epochs: int
    batch_size: int
    timesteps: int  # steps actually collected (learn rounds up to whole rollouts)
    total_seconds: float
    rollout_seconds: float  # collecting rollouts: env stepping + policy forward + buffer
    env_seconds: float  # of which inside the VecEnv's step
    torch_threads: int
    interop_threads: int
    rounds: int = 1  # this row is the fastest of this many timed calls

    @property
    def steps_per_second(self) -> float:
        return self.timesteps / self.total_seconds

    @property
    def rollout_steps_per_second(self) -> float:
        return self.timesteps / self.rollout_seconds


class _StepTimer(VecEnvWrapper):
    """Accumulates the seconds the learner waits on the wrapped VecEnv's ``step``."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.seconds = 0.0

    def reset(self) -> np.ndarray:
        return self.venv.reset()

    def step_async(self, actions: np.ndarray) -> None:
        started = time.perf_counter()
        self.venv.step_async(actions)  # SubprocVecEnv sends here, so it counts too
        self.seconds += time.perf_counter() - started

    def step_wait(self) -> VecEnvStepReturn:
        started = time.perf_counter()
        result = self.venv.step_wait()
        self.seconds += time.perf_counter() - started
        return result


class _RolloutTimer(BaseCallback):
    """Sums the wall-clock seconds between each rollout's start and end."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self._started = 0.0

    def _on_rollout_start(self) -> None:
        self._started = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.seconds += time.perf_counter() - self._started

    def _on_step(self) -> bool:
        return True


def _measure_once(
    experiment: str, vec_env: str, n_envs: int | None, timesteps: int, torch_threads: int | None,
    overrides: Sequence[str],
) -> ThroughputRow:
    """Build the experiment on ``vec_env`` as training does, warm up, and time one ``learn``."""
    config = load_experiment(experiment, [*overrides, f'vec_env="{vec_env}"'])
    n_envs = n_envs or config.n_envs
    seed_everything(config.seed, torch_threads or config.torch_threads)
    timer = _StepTimer(make_vec_env(config, n_envs, config.seed))
    try:
        model = build_model(config, timer, config.seed)
        rollout = model.n_steps * n_envs
        # The first rollout and update pay one-off costs (allocation, torch's first kernels).
        model.learn(rollout, callback=EpisodeMetricsCallback())
        timer.seconds = 0.0
        rollouts = _RolloutTimer()
        started = time.perf_counter()
        # The lab's own per-step callback rides along: real training pays for it too.
        model.learn(max(timesteps, rollout), callback=[rollouts, EpisodeMetricsCallback()])
        total = time.perf_counter() - started
        return ThroughputRow(
            experiment=config.name,
            env_id=config.env.id,
            vec_env=vec_env,
            n_envs=n_envs,
            n_steps=model.n_steps,
            n_epochs=model.n_epochs,
            batch_size=model.batch_size,
            timesteps=int(model.num_timesteps),
            total_seconds=total,
            rollout_seconds=rollouts.seconds,
            env_seconds=timer.seconds,
            torch_threads=torch.get_num_threads(),
            interop_threads=torch.get_num_interop_threads(),
        )
    finally:
        timer.close()  # SubprocVecEnv's workers must not outlive the measurement


def measure_training_throughput(
    experiment: str,
    vec_envs: Sequence[str] = VEC_ENV_KINDS,
    n_envs: int | None = None,
    timesteps: int = TIMESTEPS,
    torch_threads: int | None = None,
    overrides: Iterable[str] = (),
    rounds: int = 2,
) -> list[ThroughputRow]:
    """One row per ``vec_env``: the fastest of ``rounds`` timed ``learn(timesteps)`` calls.

    Rounds alternate the order of the vec envs, so a burst of background load or a drifting clock
    does not favour whichever runs first. ``n_envs`` and ``torch_threads`` default to the
    experiment's own; ``overrides`` are ``--set``-style ``key=value`` strings.
    """
    overrides = list(overrides)
    best: dict[str, ThroughputRow] = {}
    for round_index in range(rounds):
        order = vec_envs if round_index % 2 == 0 else tuple(reversed(vec_envs))
        for kind in order:
            row = _measure_once(experiment, kind, n_envs, timesteps, torch_threads, overrides)
            if kind not in best or row.steps_per_second > best[kind].steps_per_second:
                best[kind] = row
    return [replace(best[kind], rounds=rounds) for kind in vec_envs]


@dataclass
class _Comparison:
    """Native against the fastest other vec env at one experiment and number of envs."""

    total: float  # native / best other, steps/s end to end
    rollout: float  # the same for rollout steps/s
    best: str  # the fastest other vec env
    ceiling: float  # the total ratio if native's rollouts took no time: its updates alone cap it


def _compare(rows: list[ThroughputRow]) -> _Comparison | None:
    native = next((r for r in rows if r.vec_env == "native"), None)
    others = [r for r in rows if r.vec_env != "native"]
    if native is None or not others:
        return None
    best = max(others, key=lambda r: r.steps_per_second)
    best_rollout = max(r.rollout_steps_per_second for r in others)
    update_seconds_per_step = (native.total_seconds - native.rollout_seconds) / native.timesteps
    best_seconds_per_step = 1 / best.steps_per_second
    return _Comparison(
        total=native.steps_per_second / best.steps_per_second,
        rollout=native.rollout_steps_per_second / best_rollout,
        best=best.vec_env,
        ceiling=best_seconds_per_step / update_seconds_per_step if update_seconds_per_step else math.inf,
    )


def _groups(rows_by_experiment: dict[str, list[ThroughputRow]]) -> list[list[ThroughputRow]]:
    """Rows compared with each other: one experiment at one number of envs."""
    groups: dict[tuple[str, int], list[ThroughputRow]] = {}
    for experiment, rows in rows_by_experiment.items():
        for row in rows:
            groups.setdefault((experiment, row.n_envs), []).append(row)
    return list(groups.values())


def training_throughput_section(
    rows_by_experiment: dict[str, list[ThroughputRow]],
    command: str = "rl-lab bench --training",
    load: float | None = None,
) -> str:
    """The Markdown section: command, machine and threads, the table, and a verdict per comparison.

    ``load``: the machine's 1-min load average before measuring (other jobs competing for the CPUs).
    """
    groups = _groups(rows_by_experiment)
    table_rows, verdicts = [], []
    for rows in groups:
        comparison = _compare(rows)
        for row in rows:
            is_native = row.vec_env == "native" and comparison is not None
            table_rows.append([
                row.experiment,
                row.env_id,
                str(row.n_envs),
                row.vec_env,
                f"{row.steps_per_second:,.0f}",
                f"{row.rollout_steps_per_second:,.0f}",
                f"{row.rollout_seconds / row.total_seconds:.0%}",
                f"{row.env_seconds / row.total_seconds:.0%}",
                f"{comparison.total:.2f}" if is_native else "",
                f"{comparison.rollout:.2f}" if is_native else "",
            ])
        if comparison is not None:
            c = comparison
            meets = "meets" if c.total >= GOAL_RATIO else "misses"
            verdicts.append(
                f"- {rows[0].experiment}, {rows[0].n_envs} envs: native is {c.total:.2f}× the best other "
                f"({c.best}) end to end, {c.rollout:.2f}× in rollouts: {meets} the {GOAL_RATIO:g}× goal "
                f"(PPO's updates alone cap it at {c.ceiling:.2f}×)."
            )
    table = markdown_table(
        ["experiment", "env", "n_envs", "vec env", "steps/s total", "rollout steps/s", "rollout share",
         "env-step share", "native / best other (total)", "native / best other (rollout)"],
        table_rows,
    )
    first = next(iter(rows_by_experiment.values()), [None])[0]
    threads = (
        f"torch {torch.__version__} with {first.torch_threads} intra-op / {first.interop_threads} inter-op "
        "threads" if first else "no rows"
    )
    settings = "; ".join(
        f"{rows[0].experiment} at {rows[0].n_envs} envs: n_steps {rows[0].n_steps}, n_epochs "
        f"{rows[0].n_epochs}, batch {rows[0].batch_size}, {rows[0].timesteps:,} timed steps"
        for rows in groups
    )
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    if load is not None:
        machine += f" (1-min load average {load:.1f} before measuring)"
    return (
        "## Training throughput (PPO)\n\n"
        f"Command: `{command}`. Machine: {machine}, {threads}, SB3 {stable_baselines3.__version__}. "
        f"Each row is the fastest of {first.rounds if first else 0} timed `model.learn` calls after a "
        "one-rollout warm-up; the rounds alternate the vec envs' order so background load hits all "
        "alike. Absolute figures depend on the machine's load; the ratios, measured in one interleaved "
        f"run, are what count.\n\nSettings: {settings}.\n\n{table}\n\n"
        "Rollout share: time collecting rollouts (env stepping, policy forward passes, SB3's buffer); "
        "env-step share: of which inside the VecEnv's `step`. The rest is PPO's update (n_epochs "
        "passes of forward and backward through both networks), the same work whatever the vec env: "
        "it caps the end-to-end ratio however fast the env steps. Inside the rollout, SB3 runs the "
        "policy once per vector step, a fixed cost that only more envs per step amortise.\n\n"
        + "\n".join(verdicts)
    )


def run_training_throughput(
    output: Path,
    experiments: Sequence[str] = DEFAULT_EXPERIMENTS,
    quick: bool = False,
    extra_n_envs: Sequence[int] = (64,),
) -> str:
    """Measure each experiment at its own n_envs (and at ``extra_n_envs``), write the section of
    ``output``, and return it."""
    # Our own subprocess workers raise the load too: read it before they exist.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    overrides = QUICK_OVERRIDES if quick else ()
    timesteps = 64 if quick else TIMESTEPS
    rows_by_experiment: dict[str, list[ThroughputRow]] = {}
    for experiment in experiments:
        own = load_experiment(experiment).n_envs
        sizes = [2] if quick else list(dict.fromkeys([own, *extra_n_envs]))
        rows_by_experiment[experiment] = [
            row
            for size in sizes
            for row in measure_training_throughput(
                experiment, n_envs=size, timesteps=timesteps, overrides=overrides, rounds=1 if quick else 2
            )
        ]
    command = "rl-lab bench --training" + (" --quick" if quick else "")
    section = training_throughput_section(rows_by_experiment, command, load)
    update_section(output, SECTION, section)
    return section
