"""Finished runs fabricated with hand-chosen numbers, as training leaves them, for report tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.logger import configure

from rl_lab.config import ExperimentConfig
from rl_lab.runs import layout

STEPS = [1000, 2000, 3000, 4000]


def write_run(
    runs_dir: Path,
    config: ExperimentConfig,
    seed: int,
    returns: list[float],
    success: list[float],
    seconds: list[float] | None,
    summary: dict[str, Any],
) -> Path:
    """A finished run as training leaves it: config, summary, eval.npz and TensorBoard events.

    As in a real run, the last step is evaluated twice (the last periodic evaluation, then the
    final one), the final one last; ``seconds=None`` is a run from before training time was logged.
    """
    run_dir = layout.run_path(runs_dir, config.name, seed)
    layout.start_run(run_dir, replace(config, seed=seed))
    layout.write_summary(run_dir, {
        "experiment": config.name, "env_id": config.env.id, "algo": config.algo, "seed": seed,
        "timesteps": STEPS[-1], "eval_std_return": 1.0, "criterion_success_rate": 1.0, **summary,
    })
    npz = {
        "timesteps": np.array(STEPS), "episodes": np.arange(1, 5) * 10,
        "results": np.repeat(np.array(returns)[:, None], 2, axis=1), "ep_lengths": np.ones((4, 2)),
        "success_rate": np.array(success),
    }
    if seconds is not None:
        npz["train_seconds"] = np.array(seconds)
    np.savez(run_dir / layout.EVAL, **npz)

    logger = configure(str(run_dir), ["tensorboard"])
    points = list(zip(STEPS, returns, success, seconds or [None] * 4, strict=True))
    stale_final = (STEPS[-1], returns[-1] - 1, 0.0, None)  # the periodic evaluation the final one replaces
    for step, value, rate, second in [*points[:-1], stale_final, points[-1]]:
        logger.record("eval/mean_reward", value)
        if seed != 2:  # seed 2's events lack the success rate: read from eval.npz instead
            logger.record("eval/success_rate", rate)
        if second is not None:
            logger.record("time/train_seconds", second)
        logger.dump(step)
    logger.close()
    return run_dir
