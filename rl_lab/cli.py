"""The ``rl-lab`` command line. Anything a user can get wrong ends in one line and exit code 2."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from rl_lab.errors import LabError

EXIT_USER_ERROR = 2


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=_non_negative, default=None, metavar="STEPS",
                        help="use the checkpoint taken at STEPS timesteps instead of the final model")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="load model.zip with SB3's own loader, which runs pickled code: only for "
                             "files you made yourself")


def _cluster_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=_positive, default=None,
                        help="runs at once on Ray (default: cores / torch threads per run)")
    parser.add_argument("--address", default=None, metavar="HOST:PORT",
                        help="a running Ray cluster ('auto', or RAY_ADDRESS); default: a local one")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rl-lab", description="Train, watch and measure RL agents.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list experiments and environment ids")

    train = sub.add_parser("train", help="train an experiment into runs/<experiment>/<seed>/")
    train.add_argument("experiment", help="experiment name (see `rl-lab list`) or path to a TOML file")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--seeds", type=int, nargs="+", default=None,
                       help="train these seeds in parallel on Ray (finished ones are kept)")
    _cluster_flags(train)
    train.add_argument("--timesteps", type=_positive, default=None)
    train.add_argument("--runs-dir", type=Path, default=Path("runs"))
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument("--no-video", action="store_true", help="skip the evaluation video")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--resume", action="store_true",
                       help="continue the interrupted run from its last checkpoint")
    train.add_argument("--overwrite", action="store_true",
                       help="replace a finished run (kept aside as <seed>.replaced-<time>)")

    evaluate = sub.add_parser("eval", help="evaluate a trained run")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--episodes", type=_positive, default=None)
    _model_flags(evaluate)

    watch = sub.add_parser("watch", help="watch a trained agent (window, or a video without a display)")
    watch.add_argument("run_dir", type=Path)
    watch.add_argument("--episodes", type=_positive, default=1)
    watch.add_argument("--video", type=Path, default=None, help="write an MP4 here instead of a window")
    watch.add_argument("--max-steps", type=_positive, default=2_000, help="frames per episode at most")
    _model_flags(watch)

    bench = sub.add_parser("bench", help="measure environment throughput against CartPole")
    bench.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    bench.add_argument("--quick", action="store_true", help="short measurements (for tests)")
    bench.add_argument("--learning", metavar="EXPERIMENT", help="train EXPERIMENT for each seed and report")
    bench.add_argument(
        "--training", action="store_true",
        help="PPO training throughput: native batched VecEnv vs SB3's DummyVecEnv and SubprocVecEnv",
    )
    bench.add_argument(
        "--suite", action="store_true",
        help="every benchmark experiment for --seeds, then regenerate the learning sections and figures",
    )
    bench.add_argument("--only", nargs="+", metavar="EXPERIMENT", help="with --suite: just these experiments")
    bench.add_argument("--reuse", action="store_true", help="with --suite/--learning: keep finished runs")
    bench.add_argument("--seeds", type=int, nargs="+", default=None,
                       help="default: the experiment's `seeds` (--learning), 0 1 2 (--suite)")
    bench.add_argument("--runs-dir", type=Path, default=None, help="default: runs")
    bench.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    _cluster_flags(bench)

    report = sub.add_parser("report", help="several seeds' results as a Markdown table and learning curves")
    report.add_argument("targets", nargs="+", metavar="TARGET",
                        help="a run directory, or an experiment (name or directory): all its finished seeds")
    report.add_argument("--runs-dir", type=Path, default=Path("runs"))
    report.add_argument("--output", type=Path, default=None,
                        help="directory for report.md and curves.png (default: report/ beside the seeds)")

    tune = sub.add_parser("tune", help="search hyperparameters in an experiment's [tune] table (Ray Tune)")
    tune.add_argument("experiment", help="experiment name or TOML path with a [tune] table")
    tune.add_argument("--trials", type=_positive, default=None,
                      help="trials in the study (default: tune.trials)")
    tune.add_argument("--runs-dir", type=Path, default=Path("runs"),
                      help="the study goes to <runs-dir>/<experiment>-tune")
    tune.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    _cluster_flags(tune)

    zoo = sub.add_parser("export-zoo", help="RL Zoo hyperparameter files from the lab's experiments")
    zoo.add_argument("directory", type=Path, help="where to write ppo.yml, dqn.yml, sac.yml")

    rlhf = sub.add_parser("rlhf", help="the RLHF toy: SFT -> reward model -> PPO (+ best-of-n, DPO)")
    rlhf.add_argument("experiment", nargs="?", default="rlhf_toy")
    rlhf.add_argument("--ranked-data", type=Path, default=None, help="JSONL rankings to learn from")
    rlhf.add_argument("--seed", type=int, default=None)
    rlhf.add_argument("--runs-dir", type=Path, default=Path("runs"))
    rlhf.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return parser


def _cmd_list(args: argparse.Namespace) -> None:
    import gymnasium

    from rl_lab.config import list_experiments

    print("experiments:")
    for name in list_experiments():
        print(f"  {name}")
    print("environments:")
    for env_id in sorted(k for k in gymnasium.registry if k.startswith("rl_lab/")):
        print(f"  {env_id}")


def tensorboard_command(logdir: Path) -> str:
    """A TensorBoard command that works without activating the virtualenv rl-lab runs from."""
    beside = Path(sys.executable).parent / "tensorboard"
    return f"{beside if beside.exists() else 'tensorboard'} --logdir {logdir}"


def _cmd_train(args: argparse.Namespace) -> None:
    from rl_lab import api
    from rl_lab.training.evaluation import describe

    if args.seeds is not None:
        _train_seeds(args)
        return
    for flag, value in (("--workers", args.workers), ("--address", args.address)):
        if value is not None:
            raise LabError(f"train: {flag} applies to --seeds (several runs at once)")
    result = api.train(
        args.experiment, args.seed, args.overrides, args.runs_dir, args.timesteps,
        progress_bar=not args.no_progress, video=False if args.no_video else None,
        resume=args.resume, overwrite=args.overwrite,
    )
    s = result.summary
    print(f"eval: {describe(s)}")
    print(f"trained {s['timesteps']:,} steps ({s['episodes']:,} episodes) in {s['wall_seconds']:.0f} s")
    print(f"wall-clock: training {s['train_seconds']:.1f} s, evaluation {s['eval_seconds']:.1f} s, "
          f"video {s['video_seconds']:.1f} s")
    print(f"run directory: {result.run_dir}")
    if result.video:
        print(f"video: {result.video}")
    print(f"tensorboard: {tensorboard_command(args.runs_dir)}")


def _train_seeds(args: argparse.Namespace) -> None:
    from rl_lab import api
    from rl_lab.cluster.jobs import raise_if_failed
    from rl_lab.runs.layout import read_summary
    from rl_lab.training.evaluation import describe

    if args.seed is not None:
        raise LabError("train: give --seed or --seeds, not both")
    outcomes = api.train_many(
        args.experiment, args.seeds, args.overrides, args.runs_dir, args.timesteps, args.workers,
        args.address, video=False if args.no_video else None, resume=args.resume, overwrite=args.overwrite,
    )
    for outcome in outcomes:
        if not outcome.error:
            print(f"{outcome.run_dir}: {describe(read_summary(outcome.run_dir))}")
    raise_if_failed(outcomes)
    print(f"tensorboard: {tensorboard_command(args.runs_dir)}")


def _cmd_eval(args: argparse.Namespace) -> None:
    from rl_lab import api
    from rl_lab.training.evaluation import describe

    loaded = api.load_run(args.run_dir, args.checkpoint, args.trust_pickle)
    result = api.evaluate(loaded, args.episodes)
    print(f"{args.run_dir}: {describe(result.summary())}")


def _cmd_watch(args: argparse.Namespace) -> None:
    from rl_lab import api

    loaded = api.load_run(args.run_dir, args.checkpoint, args.trust_pickle)
    watched = api.watch(loaded, args.episodes, args.video, args.max_steps)
    for index, (ret, length) in enumerate(zip(watched.returns, watched.lengths, strict=True)):
        print(f"episode {index + 1}: return {ret:.2f}, {length} steps")
    if watched.video:
        print(f"video: {watched.video}")


def _cmd_bench(args: argparse.Namespace) -> None:
    modes = [flag for flag, on in (("--learning", args.learning), ("--suite", args.suite),
                                   ("--training", args.training)) if on]
    if len(modes) > 1:
        raise LabError(f"bench: choose one of {' / '.join(modes)}")
    trains = bool(args.learning or args.suite)
    for flag, given, allowed in (
        ("--only", args.only, args.suite),
        ("--set", args.overrides, args.learning),
        ("--reuse", args.reuse, trains),
        ("--seeds", args.seeds is not None, trains),
        ("--runs-dir", args.runs_dir is not None, trains),
        ("--quick", args.quick, not trains),
        ("--workers", args.workers is not None, trains),
        ("--address", args.address is not None, trains),
    ):
        if given and not allowed:
            raise LabError(f"bench: {flag} does not apply to {modes[0] if modes else 'the throughput bench'}")
    if args.suite and args.seeds is None:
        args.seeds = [0, 1, 2]
    args.runs_dir = args.runs_dir or Path("runs")
    if args.learning:
        from rl_lab.bench.learning import run_learning_bench

        print(run_learning_bench(
            args.learning, args.seeds, args.output, args.runs_dir, args.overrides, reuse=args.reuse,
            workers=args.workers, address=args.address,
        ))
    elif args.suite:
        from rl_lab.bench.suite import run_suite

        print(run_suite(args.output, args.runs_dir, args.seeds, args.only, reuse=args.reuse,
                        workers=args.workers, address=args.address))
    elif args.training:
        from rl_lab.bench.training_throughput import run_training_throughput

        print(run_training_throughput(args.output, quick=args.quick))
    else:
        from rl_lab.bench.env_throughput import run_bench

        print(run_bench(args.output, quick=args.quick))
    print(f"written to {args.output}")


def _cmd_report(args: argparse.Namespace) -> None:
    from rl_lab import api

    markdown_path, png_path, markdown = api.report(args.targets, args.runs_dir, args.output)
    print(markdown)
    print(f"report: {markdown_path}")
    print(f"curves: {png_path}")


def _cmd_rlhf(args: argparse.Namespace) -> None:
    from rl_lab.rlhf.pipeline import format_rlhf_summary, run_rlhf

    run = run_rlhf(args.experiment, args.ranked_data, args.runs_dir, args.seed, args.overrides)
    print(format_rlhf_summary(run))
    print(f"run directory: {run}")
    print(f"tensorboard: {tensorboard_command(args.runs_dir)}")


def _cmd_tune(args: argparse.Namespace) -> None:
    from rl_lab.cluster.tune import run_tune

    directory = run_tune(args.experiment, args.runs_dir, args.trials, args.workers, args.address,
                         args.overrides)
    print((directory / "trials.md").read_text())
    for name in ("best.toml", "trials.md", "trials.png"):
        if (directory / name).is_file():
            print(f"{name}: {directory / name}")
    if (directory / "best.toml").is_file():
        print(f"train it: rl-lab train {directory / 'best.toml'} --seeds 0 1 2 3 4")


def _cmd_export_zoo(args: argparse.Namespace) -> None:
    from rl_lab.zoo.export import ZOO_EXPERIMENTS, export_zoo, zoo_commands

    for path in export_zoo(args.directory):
        print(f"wrote {path}")
    for name in ZOO_EXPERIMENTS:
        print(f"\n# {name}")
        print(*zoo_commands(name, args.directory), sep="\n")


COMMANDS = {
    "list": _cmd_list,
    "train": _cmd_train,
    "eval": _cmd_eval,
    "watch": _cmd_watch,
    "bench": _cmd_bench,
    "report": _cmd_report,
    "rlhf": _cmd_rlhf,
    "export-zoo": _cmd_export_zoo,
    "tune": _cmd_tune,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rl-lab`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so half-written temp files are removed.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        COMMANDS[args.command](args)
    except LabError as error:
        print(f"rl-lab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader went away (`rl-lab ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("rl-lab: interrupted (an interrupted `train` continues with --resume from its last checkpoint)",
              file=sys.stderr)
        return 130
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
