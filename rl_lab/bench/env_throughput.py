"""``rl-lab bench``: environment throughput against CartPole-v1, measured in the same run.

Machines are noisy, so every figure is reported next to a reference measured in the same
interleaved rounds on the same machine (the best round of each), and the ratio is what the lab
tracks. The bench also measures the first call of the compiled kernels in fresh processes, with
an empty and with a warm numba cache.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
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

BATCH_SIZE = 1024
PIXELS_40 = {"obs_mode": "pixels", "frame_size": 40}  # as paddle_pixels_ppo
SINGLE_ENVS: tuple[tuple[str, dict], ...] = (
    ("rl_lab/BikeBalance-v0", {}),
    ("rl_lab/BikeRide-v0", {"action_repeat": 5}),  # as bike_ride_ppo
    ("rl_lab/PaddleBall-v0", {}),
    ("rl_lab/PaddleBall-v0", PIXELS_40),
)
BATCHED_ENVS: tuple[tuple[str, dict], ...] = (
    ("rl_lab/BikeBalance-v0", {}),
    ("rl_lab/BikeRide-v0", {}),
    ("rl_lab/PaddleBall-v0", PIXELS_40),
)
# First calls of the kernels in a fresh process: an env of each family, single and batch.
FIRST_CALLS = ("single env", "+ batch serial", "+ batch parallel")
FIRST_CALL_SCRIPT = """
import time
started = time.perf_counter()
import numpy as np
import gymnasium
import rl_lab
from gymnasium.envs.registration import load_env_creator
env = gymnasium.make({env_id!r}, **{kwargs!r})
env.reset(seed=0)
env.step(env.action_space.sample())
times = [time.perf_counter() - started]
batch = load_env_creator(gymnasium.spec({env_id!r}).vector_entry_point)
for parallel in (False, True):
    vec = batch(num_envs=4, parallel=parallel, **{kwargs!r})
    vec.reset(seed=0)
    vec.step(vec.action_space.sample())
    times.append(time.perf_counter() - started)
print(*times)
"""


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


def _block_rate(block: Callable[[], int], seconds: float) -> float:
    """Steps per second of repeated ``block`` calls (each returns the steps it made)."""
    steps, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        steps += block()
    return steps / elapsed


def single_env_block(env_id: str, **kwargs) -> Callable[[], int]:
    """1000 random-action steps of one env built by ``gymnasium.make`` (reset on episode end)."""
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

    block()  # warm-up: first calls allocate (and compile)
    return block


def vector_env_block(make: Callable[[], gymnasium.vector.VectorEnv]) -> Callable[[], int]:
    """8 random-action steps of a vector environment (steps summed over the batch)."""
    env = make()
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(8)]

    def block() -> int:
        for action in actions:
            env.step(action)
        return len(actions) * env.num_envs

    block()
    return block


def bicycle_physics_block(batch_size: int) -> Callable[[], int]:
    """8 physics steps of ``batch_size`` bicycles, the physics kernel alone (no actions, noise,
    rewards, observations or Python), from mid-ride states restored before each block: what
    bounds a batch of bicycles (the restore costs ~1 % of the block)."""
    from rl_lab.envs.bicycle import physics

    batch = _vector_creator("rl_lab/BikeBalance-v0")(num_envs=batch_size, parallel=False, action_repeat=10)
    batch.reset(seed=0)
    batch.action_space.seed(0)
    for _ in range(3):  # 0.3 s of random riding: handlebars turned, bicycles leaning
        batch.step(batch.action_space.sample())
    start = batch.dynamics.F[:, : physics.NPHYS].copy()
    state = start.copy()
    rng = np.random.default_rng(0)
    torques, disps = rng.choice([-2.0, 0.0, 2.0], batch_size), rng.uniform(-0.02, 0.02, batch_size)

    def block() -> int:
        np.copyto(state, start)
        for _ in range(8):
            physics.physics_steps(state, torques, disps)
        return 8 * batch_size

    block()
    return block


def paired_rates(ours: Callable[[], int], reference: Callable[[], int], seconds: float, rounds: int):
    """Best rate of each over ``rounds`` interleaved rounds, so background load hits both alike."""
    best_ours = best_reference = 0.0
    for _ in range(rounds):
        best_reference = max(best_reference, _block_rate(reference, seconds))
        best_ours = max(best_ours, _block_rate(ours, seconds))
    return best_ours, best_reference


def _vector_creator(env_id: str) -> Callable[..., gymnasium.vector.VectorEnv]:
    return load_env_creator(gymnasium.spec(env_id).vector_entry_point)


def _label(env_id: str, kwargs: dict) -> str:
    extra = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{env_id} ({extra})" if extra else env_id


def measure(seconds: float, rounds: int = 3, batch_size: int = BATCH_SIZE) -> list[Measurement]:
    """Every throughput figure of the bench, each with its reference in the same rounds."""
    results = []
    cartpole = single_env_block("CartPole-v1")
    for env_id, kwargs in SINGLE_ENVS:
        ours, ref = paired_rates(single_env_block(env_id, **kwargs), cartpole, seconds, rounds)
        name = f"{_label(env_id, kwargs)}, single env"
        results.append(Measurement(name, "CartPole-v1 (gymnasium.make)", ours, ref))
    cartpole_vec = vector_env_block(partial(CartPoleVectorEnv, num_envs=batch_size))
    for env_id, kwargs in BATCHED_ENVS:
        for parallel in (False, True):
            make = partial(_vector_creator(env_id), num_envs=batch_size, parallel=parallel, **kwargs)
            ours, ref = paired_rates(vector_env_block(make), cartpole_vec, seconds, rounds)
            kernel = "parallel" if parallel else "serial"
            name = f"{_label(env_id, kwargs)}, {batch_size} envs, {kernel} kernel"
            results.append(Measurement(name, f"CartPoleVectorEnv, {batch_size} envs", ours, ref))
    ours, ref = paired_rates(bicycle_physics_block(batch_size), cartpole_vec, seconds, rounds)
    name = f"bicycle physics kernel alone, {batch_size} bicycles, one thread (the bound)"
    results.append(Measurement(name, f"CartPoleVectorEnv, {batch_size} envs", ours, ref))
    return results


def first_call_seconds(env_id: str, kwargs: dict, cache_root: Path) -> list[float]:
    """Seconds from a fresh process's start to the first step of the single env, then also of
    the batch with the serial and with the parallel kernel, numba's cache under ``cache_root``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_root)}
    script = FIRST_CALL_SCRIPT.format(env_id=env_id, kwargs=kwargs)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=900
    )
    return [float(t) for t in out.stdout.strip().splitlines()[-1].split()]


def measure_first_calls() -> list[list[str]]:
    """Table rows per env family: cumulative seconds to the first steps with an empty cache (the
    kernels compile), then the same in a second fresh process (they load from the cache)."""
    rows = []
    for env_id, kwargs in (("rl_lab/BikeRide-v0", {}), ("rl_lab/PaddleBall-v0", PIXELS_40)):
        with tempfile.TemporaryDirectory() as root:
            cold = first_call_seconds(env_id, kwargs, Path(root))
            warm = first_call_seconds(env_id, kwargs, Path(root))
        rows.append([_label(env_id, kwargs), *(f"{t:.1f}" for t in cold), *(f"{t:.2f}" for t in warm)])
    return rows


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


LIMITS = """\
How the environments reach these rates, and what bounds them: each one's dynamics are compiled
numba kernels over N copies (scalar math in a loop; the reward, time limit and same-step autoreset
inside), run with N = 1 by the single env and with N = 1024 by the batch, so a batch and N single
environments still follow bit-identical trajectories. A single env's step is one kernel call plus
Gymnasium's wrappers, the action check and the info dict, so it beats CartPole's Python step; the
bicycle's physics alone costs about ten libm transcendental functions per physics step (five times
that with `action_repeat = 5`). In batches, the last row measures the bicycle's physics kernel
alone (no actions, noise, rewards, observations or Python): no batch of bicycles can step faster
on one thread, and it is about CartPole's whole vectorised step, so 1.0x on one thread is out of
reach while the physics stays bitwise Randløv's; the full serial step reaches about 60 % of it
(the rest: actions, noise, rewards, observations, info and the per-step checks and copies in
Python). The pixel game draws and returns 1,600 bytes per env per step where CartPole returns 16.
The parallel kernel shares the copies among numba's threads with results identical to the
serial kernel (tested); it needs idle cores: on a busy machine each step waits for its slowest
thread to be scheduled (milliseconds), which is why `parallel=None` only picks it when a core is
idle. Ratios move by ±30 % between runs on this shared machine; compare rows of one run."""


def run_bench(output: Path, quick: bool = False) -> str:
    """Measure, write the throughput section of ``output``, and return the table."""
    seconds, rounds = (0.05, 1) if quick else (0.25, 8)  # short rounds pair up with the load better
    load_before = os.getloadavg()[0]
    table = format_measurements(measure(seconds, rounds, 64 if quick else BATCH_SIZE))
    load_after = os.getloadavg()[0]
    section = (
        "## Environment throughput\n\n"
        f"Command: `rl-lab bench` (best of {rounds} interleaved rounds of {seconds:g} s per figure and "
        f"reference, random actions, one process, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"1-min load average {load_before:.1f} before and {load_after:.1f} after measuring, "
        f"numpy {np.__version__}, gymnasium {gymnasium.__version__}). Pixel PaddleBall counts "
        "frames rendered per second. Single envs are built by `gymnasium.make` (with its checker "
        "wrappers, as CartPole); batches step with the default settings (one physics step per "
        "agent step for the bicycle).\n\n" + table + "\n\n"
    )
    if not quick:
        header = ["kernels of", *(f"{what}, empty cache (s)" for what in FIRST_CALLS)]
        header += [f"{what}, warm cache (s)" for what in FIRST_CALLS]
        first = markdown_table(header, measure_first_calls())
        section += (
            "First calls in a fresh process, seconds since it started (imports included): the single "
            "env's first reset and step, then also a 4-env batch's with the serial kernel, then with "
            "the parallel one; first with numba's cache empty (the kernels compile), then again in "
            "a second process (they load from the cache):\n\n" + first + "\n\n"
        )
    section += LIMITS
    update_section(output, "throughput", section)
    return table
