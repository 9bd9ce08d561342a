"""``rl-lab prefs train`` and ``rl-lab prefs label``: preference learning on the control tasks."""

from __future__ import annotations

import argparse
from pathlib import Path

from rl_lab.cli.arg_types import non_negative_number, positive
from rl_lab.errors import LabError


def add_prefs_parser(sub: argparse._SubParsersAction) -> None:
    """The ``prefs`` verb and its two tools."""
    prefs = sub.add_parser("prefs", help="preference learning on the control tasks: PPO on a reward "
                                         "model r̂(s, a) learned from ranked clips")
    tools = prefs.add_subparsers(dest="prefs_tool", required=True)
    train = tools.add_parser("train", help="train PPO on a reward model learned from clip rankings")
    train.add_argument("experiment", help="a PPO experiment with vector observations (e.g. bike_balance_ppo)")
    train.add_argument("--labels", type=positive, default=None,
                       help="rankings the synthetic labeller gives over the run (each of --clips clips)")
    train.add_argument("--labels-file", type=Path, default=None, metavar="FILE",
                       help="learn from a person's rankings (written by `rl-lab prefs label`) instead")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--timesteps", type=positive, default=None)
    train.add_argument("--runs-dir", type=Path, default=Path("runs"))
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument("--clips", type=positive, default=2, help="clips per ranking, K (default 2: a pair)")
    train.add_argument("--clip-steps", type=positive, default=25, help="agent steps per clip (default 25)")
    train.add_argument("--temperature", type=non_negative_number, default=None,
                       help="the synthetic labeller's Plackett-Luce noise (default 0.5; 0 = exact)")
    train.add_argument("--overwrite", action="store_true",
                       help="replace a finished run (kept aside as <seed>.replaced-<time>)")
    train.add_argument("--progress", action="store_true", help="progress bars")

    label = tools.add_parser("label", help="rank clips yourself: shown side by side, keys in the terminal")
    label.add_argument("file", type=Path, help="the JSONL file your rankings are appended to")
    label.add_argument("experiment", help="the experiment whose env plays the clips (e.g. bike_balance_ppo)")
    label.add_argument("--from", dest="from_run", type=Path, default=None, metavar="RUN",
                       help="a trained run whose policy plays the clips (default: random actions)")
    label.add_argument("--clips", type=positive, default=2, help="clips per ranking (default 2)")
    label.add_argument("--clip-steps", type=positive, default=25, help="agent steps per clip (default 25)")
    label.add_argument("--seed", type=int, default=0)
    label.add_argument("--video-dir", type=Path, default=None,
                       help="write each round's clips as a GIF here instead of opening a window")


def cmd_prefs(args: argparse.Namespace) -> None:
    if args.prefs_tool == "train":
        _train(args)
    else:
        _label(args)


def _train(args: argparse.Namespace) -> None:
    from rl_lab.cli.commands import tensorboard_command
    from rl_lab.prefs.labeller import DEFAULT_TEMPERATURE
    from rl_lab.prefs.run import train_prefs
    from rl_lab.prefs.settings import PrefsSettings
    from rl_lab.training.evaluation import describe

    if (args.labels is None) == (args.labels_file is None):
        raise LabError("prefs train: give --labels N (synthetic rankings) or --labels-file FILE (yours)")
    if args.labels_file is not None and args.temperature is not None:
        raise LabError("prefs train: --temperature is the synthetic labeller's; not for --labels-file")
    temperature = DEFAULT_TEMPERATURE if args.temperature is None else args.temperature
    settings = PrefsSettings(labels=args.labels or 1, clips_per_ranking=args.clips,
                             clip_steps=args.clip_steps, temperature=temperature)
    run_dir, summary = train_prefs(args.experiment, settings, args.seed, args.runs_dir, args.overrides,
                                   args.timesteps, args.labels_file, args.overwrite,
                                   progress_bar=args.progress)
    print(f"eval (true reward): {describe(summary)}")
    reached = summary["criterion_labels"]
    print(f"labels: {summary['labels']} rankings ({summary['pairs']} pairs); criterion "
          + (f"first reached with {reached} labels at {summary['criterion_timesteps']:,} steps"
             if reached is not None else "not reached"))
    print(f"r̂ held-out accuracy: {summary['rhat_accuracy']:.3f}")
    print(f"run directory: {run_dir}")
    print(f"tensorboard: {tensorboard_command(args.runs_dir)}")


def _label(args: argparse.Namespace) -> None:
    from rl_lab.prefs.label_session import run_prefs_label

    run_prefs_label(args.file, args.experiment, args.from_run, args.clips, args.clip_steps, args.seed,
                    args.video_dir)
