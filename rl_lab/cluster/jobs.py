"""Ordinary training runs as Ray tasks: each job is ``trainer.train`` of one config and seed, in its
own worker process with its own seed and torch thread count (never a shared RNG), writing the usual
run directory. One progress bar for all jobs; a failed job is one line and the others go on.

On a real cluster every node writes to ``runs_dir`` itself: it must be a filesystem all nodes share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from rl_lab.cluster.ray_session import default_workers, ray_session
from rl_lab.config import ExperimentConfig
from rl_lab.errors import LabError
from rl_lab.runs import layout

WAIT_S = 0.5


@dataclass(frozen=True)
class Job:
    """One training run: ``config`` with ``seed`` into ``runs_dir/<name>/<seed>/``."""

    config: ExperimentConfig
    seed: int
    runs_dir: Path
    resume: bool = False
    overwrite: bool = False
    record_video: bool | None = None

    @property
    def label(self) -> str:
        return f"{self.config.name} seed {self.seed}"


@dataclass(frozen=True)
class Outcome:
    """What became of a job: its run directory, or the one-line reason it failed."""

    job: Job
    run_dir: Path
    error: str | None = None


def one_line(error: BaseException) -> str:
    """An exception as one line: a LabError's own message, otherwise its type and first line."""
    text = str(error).strip().splitlines()
    if isinstance(error, LabError):
        return text[0] if text else "error"
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_job(job: Job) -> Outcome:
    """Train one job in this process (what each Ray task runs); its failure comes back as a line."""
    from rl_lab.training.trainer import train

    run_dir = layout.run_path(job.runs_dir, job.config.name, job.seed)
    try:
        train(job.config, job.runs_dir, job.seed, progress_bar=False, record_video=job.record_video,
              log=lambda *_: None, resume=job.resume, overwrite=job.overwrite)
    except Exception as error:  # the job's own failure, reported by the driver in one line
        return Outcome(job, run_dir, one_line(error))
    return Outcome(job, run_dir)


def is_finished(job: Job) -> bool:
    """A finished run of the job is already there (``summary.json`` in place)."""
    return (layout.run_path(job.runs_dir, job.config.name, job.seed) / layout.SUMMARY).is_file()


def run_jobs(jobs: list[Job], workers: int | None = None, address: str | None = None,
             desc: str = "runs", log=tqdm.write) -> list[Outcome]:
    """Run ``jobs`` on Ray, ``workers`` at once (default: cores ÷ torch threads); outcomes in job order.

    Paths are made absolute first: Ray workers do not share the driver's working directory.
    """
    if not jobs:
        return []
    jobs = [replace(job, runs_dir=job.runs_dir.resolve()) for job in jobs]
    threads = max(job.config.torch_threads for job in jobs)
    workers = workers or default_workers(threads)
    outcomes: dict[int, Outcome] = {}
    with ray_session(address, num_cpus=max(workers * threads, 1)) as ray, \
            tqdm(total=len(jobs), desc=desc, unit="run") as progress:
        task = ray.remote(run_job)
        pending: dict[object, int] = {}
        queue = list(enumerate(jobs))
        while queue or pending:
            while queue and len(pending) < workers:
                index, job = queue.pop(0)
                ref = task.options(num_cpus=job.config.torch_threads, max_retries=0).remote(job)
                pending[ref] = index
            # Short waits: a blocking ray.wait would hold Ctrl-C off until a job ends.
            done, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_S)
            if not done:
                continue
            index = pending.pop(done[0])
            try:
                outcome = ray.get(done[0])
            except Exception as error:  # the worker itself died (killed, out of memory, crashed)
                job = jobs[index]
                outcome = Outcome(job, layout.run_path(job.runs_dir, job.config.name, job.seed),
                                  one_line(error))
            if outcome.error:
                log(f"failed: {outcome.job.label}: {outcome.error}")
            outcomes[index] = outcome
            progress.set_postfix_str(outcome.job.label)
            progress.update(1)
    return [outcomes[i] for i in range(len(jobs))]


def raise_if_failed(outcomes: list[Outcome]) -> None:
    """After the other jobs finished: one LabError counting the failed ones (exit code 2)."""
    failed = [o for o in outcomes if o.error]
    if failed:
        raise LabError(f"{len(failed)} of {len(outcomes)} runs failed: "
                       + "; ".join(o.job.label for o in failed))
