"""``rl-lab bench``: environment throughput against CartPole-v1, measured in the same run.

Machines are noisy, so every figure is reported next to a reference measured moments before it
on the same machine, and the ratio is what the lab tracks.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import gymnasium
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from gymnasium.envs.registration import load_env_creator

from rl_lab.reports.markdown import markdown_table, update_section

BATCH_SIZES = (64, 1024, 16384)
SINGLE_ENVS = ("rl_lab/BikeBalance-v0", "rl_lab/BikeRide-v0", "rl_lab/PaddleBall-v0")
BATCHED_ENVS: tuple[tuple[str, dict], ...] = (
    ("rl_lab/BikeBalance-v0", {}),
    ("rl_lab/PaddleBall-v0", {}),
    ("rl_lab/PaddleBall-v0", {"obs_mode": "pixels", "frame_size": 40}),  # as paddle_pixels_ppo
)


@dataclass
class Measurement:
    """Steps per second of one environment next to its reference."""

    name: str
    reference: str
    steps_per_second: float
    reference_steps_per_second: float

    @property
    def ratio(self) -> float:
        return self.steps_per_second / self.reference_steps_per_second


def _rate(step_block: Callable[[], int], seconds: float) -> float:
    """Steps per second of repeated ``step_block`` calls (each returns the steps it made)."""
    step_block()  # warm-up: first calls allocate
    steps, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        steps += step_block()
    return steps / elapsed


def single_env_rate(env_id: str, seconds: float, **kwargs) -> float:
    """Steps/s of one environment built by ``gymnasium.make``, random actions, reset on episode end."""
    env = gymnasium.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(1000)]

    def block() -> int:
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        return len(actions)

    rate = _rate(block, seconds)
    env.close()
    return rate


def vector_env_rate(make: Callable[[], gymnasium.vector.VectorEnv], seconds: float) -> float:
    """Steps/s (summed over the batch) of a vector environment with random actions."""
    env = make()
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(8)]

    def block() -> int:
        for action in actions:
            env.step(action)
        return len(actions) * env.num_envs

    rate = _rate(block, seconds)
    env.close()
    return rate


def _vector_creator(env_id: str) -> Callable[..., gymnasium.vector.VectorEnv]:
    return load_env_creator(gymnasium.spec(env_id).vector_entry_point)


def _label(env_id: str, kwargs: dict) -> str:
    extra = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{env_id} ({extra})" if extra else env_id


def measure(seconds: float, batch_sizes: tuple[int, ...] = BATCH_SIZES) -> list[Measurement]:
    """Every throughput figure of the bench, each with CartPole measured just before it."""
    results = []
    for env_id in SINGLE_ENVS:
        reference = single_env_rate("CartPole-v1", seconds)
        ours = single_env_rate(env_id, seconds)
        results.append(Measurement(f"{env_id}, single env", "CartPole-v1 (gymnasium.make)", ours, reference))
    for size in batch_sizes:
        for env_id, kwargs in BATCHED_ENVS:
            reference = vector_env_rate(partial(CartPoleVectorEnv, num_envs=size), seconds)
            ours = vector_env_rate(partial(_vector_creator(env_id), num_envs=size, **kwargs), seconds)
            name = f"{_label(env_id, kwargs)}, {size} envs"
            results.append(Measurement(name, f"CartPoleVectorEnv, {size} envs", ours, reference))
    return results


def format_measurements(results: list[Measurement]) -> str:
    """The bench table as Markdown."""
    rows = [
        [
            m.name,
            f"{m.steps_per_second:,.0f}",
            m.reference,
            f"{m.reference_steps_per_second:,.0f}",
            f"{m.ratio:.2f}",
        ]
        for m in results
    ]
    return markdown_table(["environment", "steps/s", "reference", "reference steps/s", "ratio"], rows)


def run_bench(output: Path, quick: bool = False) -> str:
    """Measure, write the throughput section of ``output``, and return the table."""
    seconds = 0.05 if quick else 2.0
    sizes = (64,) if quick else BATCH_SIZES
    table = format_measurements(measure(seconds, sizes))
    section = (
        "## Environment throughput\n\n"
        f"Command: `rl-lab bench` ({seconds:g} s per figure, random actions, one process, "
        f"{platform.machine()}, numpy {np.__version__}, gymnasium {gymnasium.__version__}). "
        "Pixel PaddleBall counts frames rendered per second.\n\n" + table + "\n\n"
        "What limits the ratios: each environment's dynamics are written once, over numpy arrays, so\n"
        "that a batch and N single environments follow bit-identical trajectories. A single env\n"
        "therefore pays numpy's per-call cost (~0.3-0.6 µs) on arrays of one element: a bicycle step\n"
        "is ~70 numpy calls with 8 transcendental functions against CartPole's ~20 scalar Python\n"
        "operations. A separate scalar path could match CartPole but would break the bitwise\n"
        "equality (libm's and numpy's atan/asin differ in the last bit on this machine). In batches\n"
        "the bicycle does 3-4 times CartPole's arithmetic per step; the pixel game also draws a\n"
        "frame per step. Training is not limited by any of this: PPO trains at a few thousand\n"
        "steps/s, far below these rates."
    )
    update_section(output, "throughput", section)
    return table
