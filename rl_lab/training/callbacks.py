"""Training callbacks: the environments' own measures, periodic evaluation, atomic checkpoints."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from rl_lab.runs import atomic
from rl_lab.training.evaluation import EvalResult


class EpisodeMetricsCallback(BaseCallback):
    """Logs each finished episode's ``episode_metrics`` as ``custom/<key>`` (averaged per log
    interval), counts training episodes, and keeps the training curves honest for long episodes.

    SB3's ``rollout/ep_rew_mean`` averages the last 100 episodes to END: when an episode is longer
    than a logging interval (a 7,000-step ride), it barely moves while the agent improves. So every
    interval also logs ``rollout/reward_per_step`` (mean reward per environment step in that
    interval, as the learner sees it) and ``rollout/ep_rew_recent`` (mean return of only the
    episodes that ended in that interval; absent when none did).
    """

    def __init__(self) -> None:
        super().__init__()
        self.episodes = 0

    def _on_step(self) -> bool:
        self.logger.record_mean("rollout/reward_per_step", float(np.mean(self.locals["rewards"])))
        for info in self.locals["infos"]:
            if "episode" in info:
                self.episodes += 1
                self.logger.record_mean("rollout/ep_rew_recent", float(info["episode"]["r"]))
            for key, value in info.get("episode_metrics", {}).items():
                self.logger.record_mean(f"custom/{key}", value)
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"episodes": self.episodes}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.episodes = int(state["episodes"])


class PeriodicEvalCallback(BaseCallback):
    """Every ``freq`` timesteps: evaluate, log ``eval/*``, append to ``eval.npz`` (atomically), and
    note when the success rate first reaches ``criterion``.

    ``on_evaluation(self, result)``, if given, is called after each periodic evaluation (a tuner's
    intermediate report); returning False stops training there, leaving the run interrupted.

    Also keeps the wall-clock seconds spent *training* (time since ``learn`` started, minus the
    time spent in these evaluations), so results can be read against wall-clock as well as steps.
    """

    def __init__(
        self,
        run_evaluation: Callable[[], EvalResult],
        freq: int,
        npz_path: Path,
        episode_counter: EpisodeMetricsCallback,
        criterion: float,
        show_episode: Callable[[int], None] | None = None,
        on_evaluation: Callable[[PeriodicEvalCallback, EvalResult], bool | None] | None = None,
    ) -> None:
        super().__init__()
        self.on_evaluation = on_evaluation
        self.run_evaluation = run_evaluation
        self.show_episode = show_episode  # logs one evaluation episode to TensorBoard at a timestep
        self.freq = freq
        self.npz_path = npz_path
        self.episode_counter = episode_counter
        self.criterion = criterion
        self.last_eval = 0
        self.history: dict[str, list] = {
            "timesteps": [], "episodes": [], "returns": [], "lengths": [], "train_seconds": []
        }
        self.success_history: list[float] = []
        self.criterion_timesteps: int | None = None
        self.criterion_episodes: int | None = None
        self.criterion_train_seconds: float | None = None
        self._started = time.perf_counter()
        self._stopped: float | None = None
        self._eval_seconds = 0.0
        self._seconds_before = 0.0  # training seconds of the runs this one resumed

    def _on_training_start(self) -> None:
        self._started = time.perf_counter()
        self._stopped = None
        self._eval_seconds = 0.0

    def _on_training_end(self) -> None:
        # The final evaluation comes after saving the model: neither is training time.
        self._stopped = time.perf_counter()

    @property
    def train_seconds(self) -> float:
        """Wall-clock seconds of training so far (or in all, once ``learn`` has returned),
        evaluations excluded."""
        now = self._stopped if self._stopped is not None else time.perf_counter()
        return self._seconds_before + now - self._started - self._eval_seconds

    def state_dict(self) -> dict[str, Any]:
        return {
            "last_eval": self.last_eval,
            "history": {k: [np.asarray(v).tolist() for v in values] for k, values in self.history.items()},
            "success_history": self.success_history,
            "criterion": [self.criterion_timesteps, self.criterion_episodes, self.criterion_train_seconds],
            "train_seconds": self.train_seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_eval = int(state["last_eval"])
        self.history = {k: [np.asarray(v) if k in ("returns", "lengths") else v for v in values]
                        for k, values in state["history"].items()}
        self.success_history = list(state["success_history"])
        self.criterion_timesteps, self.criterion_episodes, self.criterion_train_seconds = state["criterion"]
        self._seconds_before = float(state["train_seconds"])

    def _on_step(self) -> bool:
        # An evaluation due once the budget is reached (the last rollout is being finished) is
        # left to the final one, of the same policy a rollout later: evaluating twice in a row
        # cost make run a 7,300-step ride batch and told nothing new.
        budget_reached = self.num_timesteps >= self.model._total_timesteps
        if self.freq > 0 and self.num_timesteps - self.last_eval >= self.freq and not budget_reached:
            self.last_eval = self.num_timesteps
            result = self.evaluate_now()
            if self.on_evaluation is not None and self.on_evaluation(self, result) is False:
                return False
        return True

    def evaluate_now(self) -> EvalResult:
        """Evaluate at the current timestep, log and record it."""
        train_seconds = self.train_seconds
        eval_started = time.perf_counter()
        result = self.run_evaluation()
        if self.show_episode is not None:
            self.show_episode(self.num_timesteps)
        if self._stopped is None:  # after training, the clock is stopped: nothing to take off
            self._eval_seconds += time.perf_counter() - eval_started
        summary = result.summary()
        self.logger.record("time/train_seconds", train_seconds)
        self.logger.record("eval/mean_reward", summary["eval_mean_return"])
        self.logger.record("eval/mean_ep_length", summary["eval_mean_length"])
        for key, values in result.metrics.items():
            self.logger.record(f"eval/{key}", float(values.mean()))
        self.history["timesteps"].append(self.num_timesteps)
        self.history["episodes"].append(self.episode_counter.episodes)
        self.history["returns"].append(result.returns)
        self.history["lengths"].append(result.lengths)
        self.history["train_seconds"].append(train_seconds)
        if result.success is not None:
            rate = float(result.success.mean())
            self.logger.record("eval/success_rate", rate)
            self.success_history.append(rate)
            if self.criterion_timesteps is None and rate >= self.criterion:
                self.criterion_timesteps = self.num_timesteps
                self.criterion_episodes = self.episode_counter.episodes
                self.criterion_train_seconds = round(train_seconds, 2)
        self.logger.dump(self.num_timesteps)
        self._save()
        return result

    def _save(self) -> None:
        arrays = {
            "timesteps": np.asarray(self.history["timesteps"]),
            "episodes": np.asarray(self.history["episodes"]),
            "results": np.asarray(self.history["returns"]),
            "ep_lengths": np.asarray(self.history["lengths"]),
            "train_seconds": np.asarray(self.history["train_seconds"]),
        }
        if self.success_history:
            arrays["success_rate"] = np.asarray(self.success_history)
        atomic.write_with(self.npz_path, lambda tmp: np.savez(tmp, **arrays))


class CheckpointCallback(BaseCallback):
    """Every ``freq`` timesteps, at the start of a rollout (the one moment SB3 holds no
    half-collected data), calls ``save(timesteps)``: the model and the full training state."""

    def __init__(self, freq: int, save: Callable[[int], None]) -> None:
        super().__init__()
        self.freq = freq
        self.save = save
        self.last_save = 0

    def _on_rollout_start(self) -> None:
        if self.num_timesteps - self.last_save >= self.freq:
            self.last_save = self.num_timesteps
            self.save(self.num_timesteps)

    def _on_step(self) -> bool:
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"last_save": self.last_save}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_save = int(state["last_save"])
