"""The ``rl-lab`` argument parser: every verb and flag, and usage errors as one line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from rl_lab.cli.arg_types import non_negative, positive
from rl_lab.cli.play import add_play_parser
from rl_lab.cli.prefs import add_prefs_parser

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line (``rl-lab <verb>: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=non_negative, default=None, metavar="STEPS",
                        help="use the checkpoint taken at STEPS timesteps instead of the final model")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="load model.zip with SB3's own loader, which runs pickled code: only for "
                             "files you made yourself")


def _cluster_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=positive, default=None,
                        help="runs at once on Ray (default: cores / torch threads per run)")
    parser.add_argument("--address", default=None, metavar="HOST:PORT",
                        help="a running Ray cluster ('auto', or RAY_ADDRESS); default: a local one")


def _report_compare_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--compare", nargs="+", default=None, metavar="TARGET",
                        help="compare the TARGETs (A) with these runs (B) of the same task: IQMs, "
                             "P(A better than B), performance profiles -> compare.md, profile.png")
    parser.add_argument("--metric", default=None,
                        help="with --compare: the per-seed result compared: return (default), success_rate, "
                             "criterion_steps, criterion_episodes or criterion_seconds")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rl-lab", description="Train, watch and measure RL agents.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list experiments and environment ids")

    train = sub.add_parser("train", help="train an experiment into runs/<experiment>/<seed>/")
    train.add_argument("experiment", help="experiment name (see `rl-lab list`) or path to a TOML file")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--seeds", type=int, nargs="+", default=None,
                       help="train these seeds in parallel on Ray (finished ones are kept)")
    _cluster_flags(train)
    train.add_argument("--timesteps", type=positive, default=None)
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
    evaluate.add_argument("--episodes", type=positive, default=None)
    _model_flags(evaluate)

    watch = sub.add_parser("watch", help="watch a trained agent (window, or a video without a display)")
    watch.add_argument("run_dir", type=Path)
    watch.add_argument("--episodes", type=positive, default=1)
    watch.add_argument("--video", type=Path, default=None, help="write an MP4 here instead of a window")
    watch.add_argument("--max-steps", type=positive, default=2_000, help="frames per episode at most")
    _model_flags(watch)

    add_play_parser(sub)

    bench = sub.add_parser("bench", help="measure environment throughput against CartPole")
    bench.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    bench.add_argument("--quick", action="store_true", help="short measurements (for tests)")
    bench.add_argument("--learning", metavar="EXPERIMENT", help="train EXPERIMENT for each seed and report")
    bench.add_argument(
        "--end-to-end", action="store_true",
        help="what `make run` costs: training, evaluation and video seconds of the default experiment",
    )
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
    _report_compare_flags(report)

    tune = sub.add_parser("tune", help="search hyperparameters in an experiment's [tune] table (Ray Tune)")
    tune.add_argument("experiment", help="experiment name or TOML path with a [tune] table")
    tune.add_argument("--trials", type=positive, default=None,
                      help="trials in the study (default: tune.trials)")
    tune.add_argument("--runs-dir", type=Path, default=Path("runs"),
                      help="the study goes to <runs-dir>/<experiment>-tune")
    tune.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    _cluster_flags(tune)

    zoo = sub.add_parser("export-zoo", help="RL Zoo hyperparameter files from the lab's experiments")
    zoo.add_argument("directory", type=Path, help="where to write ppo.yml, dqn.yml, sac.yml")

    rlhf = sub.add_parser(
        "rlhf", help="the RLHF toy: SFT -> reward model -> PPO (+ best-of-n, DPO)",
        description="rl-lab rlhf [EXPERIMENT] runs the pipeline; rl-lab rlhf sample RUN shows what each "
                    "stage's policy writes; rl-lab rlhf label FILE lets you rank responses yourself.",
    )
    rlhf.add_argument("experiment", nargs="?", default="rlhf_toy",
                      help="experiment name or TOML file (default rlhf_toy), or the tool `sample` or `label`")
    rlhf.add_argument("target", nargs="?", default=None, metavar="RUN|FILE",
                      help="sample: an RLHF run directory; label: the JSONL file your rankings go to")
    rlhf.add_argument("--ranked-data", type=Path, default=None, help="JSONL rankings to learn from")
    rlhf.add_argument("--eval-rankings", type=Path, default=None, metavar="FILE",
                      help="with --ranked-data: your held-out rankings; a judge fitted on them alone "
                           "says how often each policy's response would be ranked above SFT's")
    rlhf.add_argument("--gold", default=None, metavar="MODULE:FUNCTION",
                      help="with --ranked-data: your scorer, FUNCTION(prompts, responses) -> scores")
    rlhf.add_argument("--seed", type=int, default=None)
    rlhf.add_argument("--runs-dir", type=Path, default=Path("runs"))
    rlhf.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    rlhf.add_argument("--prompt", default=None, help="sample/label: this prompt only (default: all)")
    rlhf.add_argument("--n", type=positive, default=None,
                      help="sample: responses per prompt and stage (default 2); label: responses to rank "
                           "per prompt (default 4; 2 ranks a pair at a time)")
    rlhf.add_argument("--from", dest="from_run", type=Path, default=None, metavar="RUN",
                      help="label: the RLHF run whose policy writes the responses (default: the toy's "
                           "hidden language, which SFT imitates)")
    rlhf.add_argument("--stage", choices=["sft", "ppo", "dpo"], default="sft",
                      help="label: which of the run's policies writes them (default sft)")
    add_prefs_parser(sub)
    return parser
