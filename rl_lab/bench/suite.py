"""``rl-lab bench --suite``: every benchmark experiment for several seeds, and the docs rebuilt.

For each experiment of :data:`BENCHMARK_SUITE` it trains the seeds, writes the experiment's section
of ``docs/benchmarks.md`` (``rl-lab report``'s tables) and its learning-curve figure, then an
overview table with the published anchors beside our figures, and the RLHF toy's summary.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from rl_lab.bench.learning import FIGURES, check_seeds, learning_section, train_seeds, train_seeds_parallel
from rl_lab.config import ExperimentConfig, load_experiment
from rl_lab.errors import LabError
from rl_lab.reports.intervals import BOOTSTRAP_REPS, FEW_SEEDS, OVERVIEW_HEADER, overview_cells
from rl_lab.reports.markdown import markdown_table, reorder_sections, update_section
from rl_lab.reports.tables import (
    AGGREGATE_HEADER,
    Report,
    aggregate_row,
    build_report,
    load_run,
    report_title,
    resolve_run_dirs,
)
from rl_lab.runs import atomic
from rl_lab.runs.layout import SUMMARY, run_path

RANDLOV_BALANCE = "Randløv & Alstrøm 1998: ~1,700 practice rides to learn to balance (1,000 s)"
RANDLOV_RIDE = (
    "Randløv & Alstrøm 1998: thousands of rides more to reach the goal; "
    "LSPI (Lagoudakis & Parr 2003): goal ~95% of the time from ~60k samples"
)
PIXEL_GAMES = (
    "Atari Pong from pixels: PPO at 20.99 after 10M steps (RL Zoo), ~281 min on CleanRL; "
    "MinAtar Breakout (trail channel): DQN budget 5M frames"
)
VECTOR_GAMES = "PufferLib Ocean Pong (8 floats, Discrete(3)); MinAtar budget 5M frames"


@dataclass(frozen=True)
class SuiteEntry:
    """One experiment of the suite and the published figure to read it against."""

    experiment: str
    anchor: str


BENCHMARK_SUITE: tuple[SuiteEntry, ...] = (
    SuiteEntry("bike_balance_ppo", RANDLOV_BALANCE),
    SuiteEntry("bike_balance_dqn", RANDLOV_BALANCE),
    SuiteEntry("bike_ride_ppo", RANDLOV_RIDE),
    SuiteEntry("bike_ride_sac_continuous", RANDLOV_RIDE),
    SuiteEntry("paddle_vector_ppo", VECTOR_GAMES),
    SuiteEntry("paddle_vector_dqn", VECTOR_GAMES),
    SuiteEntry("paddle_pixels_ppo", PIXEL_GAMES),
)
RLHF_EXPERIMENT = "rlhf_toy"
OVERVIEW = "suite-overview"


def select_entries(
    only: list[str] | None, suite: tuple[SuiteEntry, ...] = BENCHMARK_SUITE
) -> list[SuiteEntry]:
    """The suite, or just the named experiments of it (a clear error for a name not in it;
    ``rlhf_toy`` is accepted too and selects no training experiment)."""
    if not only:
        return list(suite)
    known = {entry.experiment: entry for entry in suite}
    unknown = [name for name in only if name not in known and name != RLHF_EXPERIMENT]
    if unknown:
        choices = ", ".join([*known, RLHF_EXPERIMENT])
        raise LabError(f"not in the benchmark suite: {', '.join(unknown)} (suite: {choices})")
    return [known[name] for name in dict.fromkeys(only) if name in known]


def overview_section(
    rows: list[tuple[SuiteEntry, Report]], seeds: list[int], rlhf_line: str | None
) -> str:
    """The at-a-glance table: each experiment's aggregate row and its published anchor."""
    table_rows = []
    for entry, report in rows:
        link = f"[{entry.experiment}](#{_anchor_slug(report)})"
        summaries = [run.summary for run in report.runs]
        iqm = overview_cells(summaries, report.criterion is not None)
        table_rows.append([link, *aggregate_row(report), *iqm, entry.anchor])
    seed_text = " ".join(map(str, seeds))
    text = (
        "## The suite at a glance\n\n"
        f"Command: `rl-lab bench --suite --seeds {seed_text}` regenerates this file's learning sections, "
        "their figures and this table. Mean ± std across seeds (population std), and the interquartile "
        f"mean with a 95% stratified-bootstrap interval ({BOOTSTRAP_REPS:,} resamples, seeded; below "
        f"{FEW_SEEDS} seeds the interval is wide, below 4 the IQM equals the mean); the criterion is "
        "each experiment's `eval.criterion_success_rate` (see its section). Steps, episodes and "
        "wall s are training steps, training episodes and training wall-clock seconds "
        "(evaluations excluded) until the first periodic evaluation that met it.\n\n"
        + markdown_table(["experiment", *AGGREGATE_HEADER, *OVERVIEW_HEADER, "published anchor"], table_rows)
    )
    if rlhf_line:
        text += f"\n\nRLHF toy (`rl-lab rlhf`, seed 0): {rlhf_line} Details: [docs/rlhf.md](rlhf.md).\n"
    return text


def _anchor_slug(report: Report) -> str:
    """GitHub's anchor for the report's heading (:func:`report_title`)."""
    kept = "".join(c for c in report_title(report).lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def rlhf_section(runs_dir: Path, output: Path, run: bool) -> str | None:
    """Run the RLHF toy (if ``run``), write its section and figure from its run directory; return
    its headline (None when not run and no finished run exists)."""
    from rl_lab.rlhf.pipeline import run_rlhf
    from rl_lab.rlhf.report import format_rlhf_summary, read_rlhf_summary

    run_dir = run_path(runs_dir, RLHF_EXPERIMENT, 0)
    if run:
        run_dir = run_rlhf(RLHF_EXPERIMENT, runs_dir=runs_dir, seed=0)
    elif not (run_dir / SUMMARY).is_file():
        return None
    plot = run_dir / "gold_vs_kl.png"
    if not plot.is_file():
        raise LabError(f"{plot}: missing (is {run_dir} a finished RLHF run?)")
    figure = Path(FIGURES) / "rlhf_gold_vs_kl.png"
    atomic.write_with(output.parent / figure, lambda tmp: shutil.copyfile(plot, tmp))
    update_section(output, "rlhf", (
        "## RLHF toy\n\nCommand: `rl-lab rlhf` (seed 0; part of `rl-lab bench --suite`). "
        f"Design and discussion: [docs/rlhf.md](rlhf.md).\n\n```\n{format_rlhf_summary(run_dir)}\n```\n\n"
        f"![gold reward against KL]({figure.as_posix()})\n"
    ))
    s = read_rlhf_summary(run_dir)
    return (
        f"reward model held-out accuracy {s['reward_model']['heldout_accuracy']:.3f}; PPO gold "
        f"{s['sft']['gold']:.2f} -> {s['ppo']['gold']:.2f} at KL {s['ppo']['kl']:.2f} "
        f"(target {s['ppo']['target_kl']:g})."
    )


def _existing_report(config: ExperimentConfig, runs_dir: Path) -> Report | None:
    """The report of an experiment this invocation left alone (``--only``): its finished seeds
    as they are (None if it has none)."""
    try:
        run_dirs = resolve_run_dirs([config.name], runs_dir)
    except LabError:
        return None  # no finished runs (or mixed ones): no row until the suite runs it
    return build_report([load_run(run_dir) for run_dir in run_dirs])


def run_suite(
    output: Path,
    runs_dir: Path,
    seeds: list[int],
    only: list[str] | None = None,
    reuse: bool = False,
    suite: tuple[SuiteEntry, ...] = BENCHMARK_SUITE,
    rlhf: bool = True,
    throughput: bool = True,
    workers: int | None = None,
    address: str | None = None,
) -> str:
    """Train every suite experiment (or those in ``only``) for ``seeds``; rewrite their sections
    of ``output`` and the overview (every suite experiment with finished runs); return the
    overview. ``reuse`` keeps finished runs trained with the current config instead of training
    them again; ``rlhf`` False leaves the RLHF toy out; ``throughput`` False, ``only`` or
    ``reuse`` skip re-measuring the environment and training throughput sections. With ``workers``
    or ``address`` the runs are Ray jobs, several at once (the same runs, seed for seed); an
    experiment with a failed run keeps its old section and the suite ends in a LabError."""
    check_seeds(seeds)
    entries = select_entries(only, suite)
    run_rlhf_now = rlhf and (not only or RLHF_EXPERIMENT in only) and not (
        reuse and (run_path(runs_dir, RLHF_EXPERIMENT, 0) / SUMMARY).is_file()
    )
    # Load every config before the first hour of training, so a bad one fails at once.
    configs: dict[str, ExperimentConfig] = {e.experiment: load_experiment(e.experiment) for e in suite}
    if run_rlhf_now:
        from rl_lab.rlhf.settings import load_rlhf_config

        load_rlhf_config(RLHF_EXPERIMENT)
    seed_args = " ".join(map(str, seeds))
    reports: dict[str, Report | None] = {}
    failed: list[str] = []
    if workers or address:
        chosen = [configs[entry.experiment] for entry in entries]
        done = train_seeds_parallel(chosen, seeds, runs_dir, reuse, workers, address)
        failed = [c.name for c in chosen if c.name not in done]
        for entry in entries:
            if (config := configs[entry.experiment]).name in done:
                command = f"rl-lab bench --learning {entry.experiment} --seeds {seed_args}"
                reports[entry.experiment] = learning_section(config, done[config.name], command, output)[0]
    else:
        with tqdm(total=len(entries) * len(seeds), desc="benchmark suite", unit="run") as progress:
            for entry in entries:
                config = configs[entry.experiment]
                run_dirs = train_seeds(config, seeds, runs_dir, reuse, progress)
                command = f"rl-lab bench --learning {entry.experiment} --seeds {seed_args}"
                reports[entry.experiment] = learning_section(config, run_dirs, command, output)[0]
    for entry in suite:
        if entry.experiment not in reports:
            reports[entry.experiment] = _existing_report(configs[entry.experiment], runs_dir)
    finished = [(entry, report) for entry in suite if (report := reports[entry.experiment]) is not None]
    rlhf_line = rlhf_section(runs_dir, output, run_rlhf_now) if rlhf else None
    overview = overview_section(finished, seeds, rlhf_line)
    update_section(output, OVERVIEW, overview)  # placed first by reorder_sections below
    if throughput and not only and not reuse:
        from rl_lab.bench.env_throughput import run_bench
        from rl_lab.bench.training_throughput import run_training_throughput

        tqdm.write("measuring environment and training throughput ...")
        run_bench(output)
        run_training_throughput(output)
    learning = [f"learning:{configs[entry.experiment].name}" for entry in suite]
    reorder_sections(output, [OVERVIEW, *learning, "rlhf", "throughput", "training-throughput"])
    if failed:
        raise LabError(f"runs failed for {', '.join(failed)} (see above); the rest of {output} is written")
    return overview
