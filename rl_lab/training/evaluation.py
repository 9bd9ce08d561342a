"""Evaluate a policy on a batch of environments: returns, lengths, success and the env's measures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv
from tqdm import tqdm

from rl_lab.agents.acting import policy_actions
from rl_lab.config.validation import episode_measures
from rl_lab.errors import LabError

# Up to this many evaluation episodes run side by side in one round (no second round of episodes
# thrown away); more are spread evenly over this many environments.
MAX_EVAL_ENVS = 64


class EvaluationWatcher(Protocol):
    """Sees each step of an evaluation: the actions chosen for the observations, then the result."""

    def before_step(self, observations: np.ndarray, actions: np.ndarray) -> None: ...

    def after_step(self, rewards: np.ndarray, dones: np.ndarray) -> None: ...


@dataclass
class EvalResult:
    """Per-episode results of one evaluation."""

    returns: np.ndarray
    lengths: np.ndarray
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    success: np.ndarray | None = None

    def summary(self) -> dict[str, float]:
        """Means (and the return's std) as plain floats, the keys ``summary.json`` uses."""
        out = {
            "eval_mean_return": float(self.returns.mean()),
            "eval_std_return": float(self.returns.std()),
            "eval_mean_length": float(self.lengths.mean()),
            "eval_episodes": len(self.returns),
        }
        if self.success is not None:
            out["eval_success_rate"] = float(self.success.mean())
        for key, values in self.metrics.items():
            out[f"eval_{key}"] = float(values.mean())
        return out


def evaluate(
    model: BaseAlgorithm,
    venv: VecEnv,
    episodes: int,
    deterministic: bool = True,
    success_metric: str = "",
    success_threshold: float = 1.0,
    progress: bool = False,
    watchers: Sequence[EvaluationWatcher] = (),
) -> EvalResult:
    """Run ``episodes`` episodes spread evenly over ``venv``'s environments (so short episodes are
    not over-represented), stepping all environments together.

    ``venv`` must be wrapped in SB3's ``VecMonitor``. Success is ``metrics[success_metric] >=
    success_threshold`` per episode, where ``survived`` is 1.0 for an episode that ended by its
    time limit. ``watchers`` see every step (films of the evaluation).
    """
    n = venv.num_envs
    targets = np.array([(episodes + i) // n for i in range(n)])
    counts = np.zeros(n, dtype=int)
    returns: list[float] = []
    lengths: list[int] = []
    metrics: dict[str, list[float]] = {}
    observations = venv.reset()
    if isinstance(model, BaseAlgorithm):
        model.policy.set_training_mode(False)
    bar = tqdm(total=episodes, desc="evaluation", unit="episode", disable=not progress, leave=False)
    while (counts < targets).any():
        actions = policy_actions(model, observations, deterministic)
        for watcher in watchers:
            watcher.before_step(observations, actions)
        observations, rewards, dones, infos = venv.step(actions)
        for watcher in watchers:
            watcher.after_step(rewards, dones)
        for i in np.flatnonzero(dones):
            if counts[i] >= targets[i]:
                continue
            counts[i] += 1
            bar.update(1)
            info = infos[i]
            returns.append(float(info["episode"]["r"]))
            lengths.append(int(info["episode"]["l"]))
            for key, value in episode_measures(info).items():
                metrics.setdefault(key, []).append(float(value))
    bar.close()
    metric_arrays = {k: np.asarray(v) for k, v in metrics.items() if len(v) == len(returns)}
    success = None
    if success_metric:
        if success_metric not in metric_arrays:
            known = ", ".join(sorted(metric_arrays))
            raise LabError(f"success_metric {success_metric!r} is not measured by this env (known: {known})")
        success = metric_arrays[success_metric] >= success_threshold
    return EvalResult(np.asarray(returns), np.asarray(lengths), metric_arrays, success)


def describe(summary: dict[str, float]) -> str:
    """One human line for an evaluation summary (``EvalResult.summary()``)."""
    line = (
        f"return {summary['eval_mean_return']:.2f} ± {summary['eval_std_return']:.2f}, "
        f"length {summary['eval_mean_length']:.0f} over {summary['eval_episodes']} episodes"
    )
    if "eval_success_rate" in summary:
        line += f", success rate {summary['eval_success_rate']:.0%}"
    return line
