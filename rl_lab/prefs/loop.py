"""The preference-learning loop: PPO on r̂, clips from the current policy, more labels, r̂ retrained.

Christiano et al. 2017's three processes, run in turn instead of asynchronously: before each
training chunk (``eval.freq`` steps of the experiment), labels are asked about clips from the
policy's newest experience (the schedule spends more of the budget early), r̂ is trained further
on every label so far and renormalised on the newest clips, then PPO trains on r̂ for the chunk
and the policy is evaluated on the env's TRUE reward. The agent stays two networks (SB3's PPO
policy and value networks) plus the separate r̂ network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab.config import ExperimentConfig
from rl_lab.prefs.clips import ClipRecorder
from rl_lab.prefs.dataset import RankedClips, step_samples
from rl_lab.prefs.labeller import ClipLabeller
from rl_lab.prefs.queries import sample_groups, true_order_accuracy
from rl_lab.prefs.reward_net import RewardNet, train_reward_net
from rl_lab.prefs.reward_wrapper import LearnedRewardVecEnv
from rl_lab.prefs.settings import PrefsSettings, label_schedule
from rl_lab.training.evaluation import EvalResult

HELDOUT_PAIRS = 400  # random held-out clip pairs r̂'s accuracy is measured on, each round
SCALE_CLIPS = 200  # r̂ is normalised on the steps of the newest this many clips


@dataclass
class LoopState:
    """What the loop has done so far (summary.json's ``prefs`` section is built from it)."""

    labels: int = 0
    extra_steps: int = 0  # env steps taken outside PPO's own rollouts (the first clips)
    history: list[dict[str, Any]] = field(default_factory=list)
    criterion: dict[str, Any] | None = None  # the first round reaching the experiment's criterion
    untrained: dict[str, float] = field(default_factory=dict)  # the untrained policy's evaluation


def collect_first_clips(model: BaseAlgorithm, env: LearnedRewardVecEnv, recorder: ClipRecorder,
                        wanted: int, max_steps: int) -> int:
    """Play the untrained policy until ``wanted`` clips exist (or ``max_steps`` batch steps); the
    env steps taken. PPO's first ``learn`` resets the envs afterwards (the next episodes)."""
    obs = env.reset()
    steps = 0
    while recorder.made < wanted and steps < max_steps:
        actions, _ = model.predict(obs, deterministic=False)
        obs, _, _, _ = env.step(actions)
        steps += 1
    return steps * env.num_envs


def run_loop(config: ExperimentConfig, settings: PrefsSettings, model: BaseAlgorithm,
             env: LearnedRewardVecEnv, recorder: ClipRecorder, net: RewardNet,
             evaluate: Callable[[], EvalResult], seed: int, log=print,
             fixed: tuple[RankedClips, RankedClips] | None = None, progress_bar: bool = False) -> LoopState:
    """Alternate labels, r̂ and PPO for ``config.total_timesteps``. ``fixed``: (train, held-out)
    labels from a file, learned before training; no labels are asked for during it."""
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    labeller = ClipLabeller(settings.temperature)
    chunk = config.eval.freq
    rounds = max(1, -(-config.total_timesteps // chunk))
    schedule = label_schedule(settings.labels, rounds) if fixed is None else [0] * rounds
    data, heldout = fixed if fixed is not None else (RankedClips(), RankedClips())
    labelled: set[int] = set()
    state = LoopState(labels=len(data), untrained=evaluate().summary())
    if fixed is None:
        k = settings.clips_per_ranking
        wanted = min(settings.pool, max(2 * k, k * schedule[0]))  # about one appearance per clip
        state.extra_steps = collect_first_clips(model, env, recorder, wanted, 50_000)
    else:
        train_reward_net(net, *data.arrays(), settings.reward_steps * 4, generator)
        net.set_scale(*step_samples([c for g in data.groups for c in g]))
    started = time.perf_counter()
    for r in range(rounds):
        pool = recorder.newest(settings.pool)
        if fixed is None and schedule[r] and len(pool) >= settings.clips_per_ranking:
            groups = sample_groups(pool, schedule[r], settings.clips_per_ranking, rng)
            data.add(groups, labeller.rank_clips(groups, rng))
            labelled.update(id(c) for g in groups for c in g)
            state.labels = len(data)
            train_reward_net(net, *data.arrays(), settings.reward_steps, generator)
            net.set_scale(*step_samples(pool[-SCALE_CLIPS:]))
        unseen = [c for c in pool if id(c) not in labelled]
        accuracy = (heldout.accuracy(net) if fixed is not None
                    else true_order_accuracy(net, unseen, HELDOUT_PAIRS, rng))
        steps = min(chunk, config.total_timesteps - model.num_timesteps)
        model.learn(steps, reset_num_timesteps=r == 0, progress_bar=progress_bar)
        result = evaluate()
        row = {"round": r + 1, "timesteps": int(model.num_timesteps), "labels": state.labels,
               "pairs": data.pairs, "rhat_accuracy": accuracy, "train_seconds": time.perf_counter() - started,
               **result.summary()}
        state.history.append(row)
        _log_round(model, row, env)
        rate = row.get("eval_success_rate")
        if state.criterion is None and rate is not None and rate >= config.eval.criterion_success_rate:
            state.criterion = row
        log(f"round {r + 1}/{rounds}: {row['timesteps']:,} steps, {state.labels} labels, "
            f"r̂ accuracy {accuracy:.3f}, true return {row['eval_mean_return']:.2f}"
            + (f", success {rate:.2f}" if rate is not None else ""))
    return state


def _log_round(model: BaseAlgorithm, row: dict[str, Any], env: LearnedRewardVecEnv) -> None:
    """TensorBoard: the TRUE return (evaluation and training episodes), r̂'s accuracy, labels."""
    logger = model.logger
    logger.record("prefs/eval_true_return", row["eval_mean_return"])
    if "eval_success_rate" in row:
        logger.record("prefs/eval_success_rate", row["eval_success_rate"])
    if env.true_returns:
        logger.record("prefs/train_true_return", float(np.mean(env.true_returns[-100:])))
    if np.isfinite(row["rhat_accuracy"]):
        logger.record("prefs/rhat_heldout_accuracy", row["rhat_accuracy"])
    logger.record("prefs/labels", row["labels"])
    logger.dump(row["timesteps"])
