"""What each ``rl-lab`` verb does: a thin layer over :mod:`rl_lab.api` and the packages below it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rl_lab.cli.play import cmd_play
from rl_lab.cli.prefs import cmd_prefs
from rl_lab.errors import LabError


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
    result = api.evaluate(loaded, args.episodes, progress=True)
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
                                   ("--training", args.training), ("--end-to-end", args.end_to_end)) if on]
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
    elif args.end_to_end:
        from rl_lab.bench.end_to_end import run_end_to_end

        print(run_end_to_end(args.output, quick=args.quick))
    elif args.training:
        from rl_lab.bench.training_throughput import run_training_throughput

        print(run_training_throughput(args.output, quick=args.quick))
    else:
        from rl_lab.bench.env_throughput import run_bench

        print(run_bench(args.output, quick=args.quick))
    print(f"written to {args.output}")


def _cmd_report(args: argparse.Namespace) -> None:
    from rl_lab import api

    if args.compare is not None:
        _report_compare(args)
        return
    if args.metric is not None:
        raise LabError("report: --metric applies to --compare")
    markdown_path, png_path, markdown = api.report(args.targets, args.runs_dir, args.output)
    print(markdown)
    print(f"report: {markdown_path}")
    print(f"curves: {png_path}")


def _report_compare(args: argparse.Namespace) -> None:
    from rl_lab import api

    markdown_path, png_path, markdown = api.compare(
        args.targets, args.compare, args.metric or "return", args.runs_dir, args.output)
    print(markdown)
    print(f"comparison: {markdown_path}")
    print(f"profiles: {png_path}")


def _rlhf_sample(args: argparse.Namespace) -> None:
    from rl_lab.rlhf.sample import sample_stages, samples_table

    print(samples_table(sample_stages(Path(args.target), args.prompt, args.n or 2, args.seed or 0)))


def _rlhf_label(args: argparse.Namespace) -> None:
    if args.from_run is None and args.stage != "sft":
        raise LabError("rlhf label: --stage picks one of the policies of the --from RUN run; give --from")
    from rl_lab.rlhf.label_session import run_label_session

    run_label_session(Path(args.target), args.from_run, args.stage, args.n or 4, args.prompt, args.seed or 0)


RLHF_TOOLS = {"sample": _rlhf_sample, "label": _rlhf_label}


def _cmd_rlhf(args: argparse.Namespace) -> None:
    from rl_lab.rlhf.pipeline import format_rlhf_summary, run_rlhf

    tool = RLHF_TOOLS.get(args.experiment)
    given = {"--ranked-data": args.ranked_data, "--eval-rankings": args.eval_rankings, "--gold": args.gold,
             "--runs-dir": args.runs_dir != Path("runs"), "--set": args.overrides, "--prompt": args.prompt,
             "--n": args.n, "--from": args.from_run, "--stage": args.stage != "sft"}
    allowed = {"sample": {"--prompt", "--n"}, "label": {"--prompt", "--n", "--from", "--stage"}}.get(
        args.experiment, {"--ranked-data", "--eval-rankings", "--gold", "--runs-dir", "--set"})
    for flag, value in given.items():
        if value and flag not in allowed:
            raise LabError(f"rlhf {args.experiment}: {flag} does not apply")
    if tool is not None:
        if args.target is None:
            what = "run directory" if tool is _rlhf_sample else "file to write rankings to"
            raise LabError(f"rlhf {args.experiment}: name the {what}")
        tool(args)
        return
    if args.target is not None:
        raise LabError(f"rlhf: unexpected argument {args.target!r} (tools: {', '.join(RLHF_TOOLS)})")
    run = run_rlhf(args.experiment, args.ranked_data, args.runs_dir, args.seed, args.overrides,
                   eval_rankings=args.eval_rankings, gold=args.gold)
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
    "play": cmd_play,
    "bench": _cmd_bench,
    "report": _cmd_report,
    "rlhf": _cmd_rlhf,
    "export-zoo": _cmd_export_zoo,
    "tune": _cmd_tune,
    "prefs": cmd_prefs,
}
