"""rl-lab from a script: train two seeds of an experiment, evaluate, watch and report them.

    python examples/train_and_report.py [RUNS_DIR]

The budget is tiny (a few seconds of training) so the script runs anywhere; raise
``total_timesteps`` for a real result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rl_lab


def main(runs_dir: Path) -> None:
    overrides = ["total_timesteps=2000", "eval.freq=1000", "eval.episodes=2", "eval.video=false",
                 "env.eval_kwargs.max_seconds=5.0"]
    for seed in (0, 1):
        run = rl_lab.train("bike_balance_ppo", seed=seed, overrides=overrides, runs_dir=runs_dir)
        print(f"seed {seed}: {run.summary['eval_mean_return']:.1f} mean return -> {run.run_dir}")
    loaded = rl_lab.load_run(runs_dir / "bike_balance_ppo" / "0")
    print(f"policy network: {loaded.summary['policy_params']} parameters; algo {loaded.config.algo}")
    print("re-evaluated:", rl_lab.evaluate(loaded, episodes=2).summary()["eval_mean_return"])
    watched = rl_lab.watch(loaded, video=runs_dir / "watch.mp4", max_steps=50)
    print(f"video: {watched.video}")
    report_md, curves_png, _ = rl_lab.report(["bike_balance_ppo"], runs_dir=runs_dir)
    print(f"report: {report_md}, curves: {curves_png}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs"))
