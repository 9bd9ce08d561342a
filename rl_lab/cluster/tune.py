"""``rl-lab tune EXP``: a hyperparameter search with Ray Tune, Optuna's TPE proposing the trials
and ASHA stopping the poor ones early from their periodic evaluations.

Everything lives in ``<runs-dir>/<experiment>-tune/``: each trial's runs
(``trial_<id>/<seed>/``, ordinary run directories), the Optuna study (``study.journal``, JSON lines:
reading it back executes nothing), ``trials.jsonl`` (one JSON line per finished trial), and the
outputs ``best.toml`` (the best trial as an experiment for ``rl-lab train``), ``trials.md`` and
``trials.png``. Ray Tune's own state goes under ``ray/``; it holds pickles, so it stays inside the
folder the user made and is never read back: a second ``rl-lab tune`` continues the study from the
Optuna journal (the trials a kill cut short are marked failed and run again).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from rl_lab.cluster.ray_session import default_workers, import_ray, ray_session
from rl_lab.config.tuning import CRITERION_METRICS, Study, config_with, is_list_choice, load_study
from rl_lab.errors import LabError
from rl_lab.runs import atomic

JOURNAL = "study.journal"
TRIALS = "trials.jsonl"
STUDY_NAME = "rl-lab"


def tune_dir(runs_dir: Path, study: Study) -> Path:
    return (runs_dir / f"{study.base.name}-tune").resolve()


def objective(study: Study, criterion_timesteps: int | None, criterion_seconds: float | None,
              success_rate: float | None, mean_return: float) -> float:
    """The score a trial maximises. ``return``: the evaluation's mean return. ``criterion_steps``
    (``criterion_seconds``): minus the steps (training seconds) to the success criterion; not reached
    yet, minus (2 - success rate) × the budget of steps (seconds), so a trial that reaches it beats
    every one that does not. For seconds that holds while an evaluation interval lasts under a tenth
    of the budget: a run stops at its first evaluation past the budget, so a criterion met there may
    have cost up to one interval more."""
    if study.metric == "return":
        return float(mean_return)
    reached = criterion_timesteps if study.metric == "criterion_steps" else criterion_seconds
    if reached is not None:
        return -float(reached)
    budget = study.budget if study.metric == "criterion_steps" else study.tune.seconds
    return -(2.0 - float(success_rate or 0.0)) * budget


def reporter(study: Study, seed: int, send, stopped: dict[int, float]):
    """The ``on_evaluation`` hook of one seed's run: send each periodic evaluation's objective (ASHA's
    input). With a criterion metric the objective is fixed once the criterion is reached, so the run
    stops there (left interrupted, as a pruned one): the rest of the budget would change nothing but
    the bill. A stopped seed's score is kept in ``stopped[seed]``."""

    def report(evaluator, result) -> bool:
        rate = evaluator.success_history[-1] if evaluator.success_history else None
        score = objective(study, evaluator.criterion_timesteps, evaluator.criterion_train_seconds, rate,
                          float(result.returns.mean()))
        send({"score": score, "seed": seed, "timesteps": evaluator.num_timesteps, "final": False})
        if study.metric in CRITERION_METRICS and evaluator.criterion_timesteps is not None:
            stopped[seed] = score
            return False
        return True

    return report


def run_trial(params: dict[str, Any], study: Study, directory: str) -> None:
    """One trial (runs in a Ray Tune worker): train each seed, report every periodic evaluation
    (ASHA's input) and finally the mean objective over the seeds."""
    from ray import tune

    from rl_lab.training.trainer import train

    name = f"trial_{tune.get_context().get_trial_id()}"
    config = replace(config_with(study.data, study.source, study.values(params)), name=name)
    if study.tune.seconds:  # the run stops itself at its first evaluation past them
        config = replace(config, eval=replace(config.eval, stop_after_seconds=study.tune.seconds))
    scores: list[float] = []
    stopped: dict[int, float] = {}
    for seed in study.tune.seeds:
        result = train(config, Path(directory), seed, study.budget, progress_bar=False, record_video=False,
                       log=lambda *_: None, overwrite=True,
                       on_evaluation=reporter(study, seed, tune.report, stopped))
        if result is None:  # stopped at the criterion
            scores.append(stopped[seed])
            continue
        s = result.summary
        scores.append(objective(study, s.get("criterion_timesteps"), s.get("criterion_train_seconds"),
                                s.get("eval_success_rate"), s["eval_mean_return"]))
    tune.report({"score": sum(scores) / len(scores), "final": True})


def _distributions(study: Study) -> dict[str, Any]:
    import optuna.distributions as d

    space = {}
    for key, spec in study.tune.space.items():
        log = bool(spec.get("log"))
        if is_list_choice(spec):
            space[key] = d.CategoricalDistribution([json.dumps(choice) for choice in spec["choices"]])
        elif "choices" in spec:
            space[key] = d.CategoricalDistribution(spec["choices"])
        elif spec.get("integer"):
            space[key] = d.IntDistribution(int(spec["low"]), int(spec["high"]), log=log)
        else:
            space[key] = d.FloatDistribution(float(spec["low"]), float(spec["high"]), log=log)
    return space


def _storage(directory: Path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the recorder prints one line per trial
    return JournalStorage(JournalFileBackend(str(directory / JOURNAL)))


def finished_trials(directory: Path) -> tuple[int, int]:
    """Trials of the study that ended (complete or pruned), and all it holds; trials a kill left
    running are marked failed, so they count as not done and are run again."""
    from optuna.trial import TrialState

    if not (directory / JOURNAL).is_file():
        return 0, 0
    storage = _storage(directory)
    try:
        study_id = storage.get_study_id_from_name(STUDY_NAME)
    except KeyError:
        return 0, 0
    trials = storage.get_all_trials(study_id, deepcopy=False)
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    return sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials), len(trials)


def read_trials(directory: Path) -> list[dict[str, Any]]:
    """The finished trials recorded so far, in the order they ended."""
    path = directory / TRIALS
    if not path.is_file():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise LabError(f"{path}: line {number} is not JSON") from None
    return rows


def _recorder(directory: Path, max_reports: int, log):
    """A Tune callback that appends each ended trial to ``trials.jsonl`` as it ends."""
    from ray.tune import Callback

    class Recorder(Callback):
        def _write(self, trial, error: str | None) -> None:
            last = trial.last_result or {}
            row = {
                "trial": trial.trial_id, "params": trial.config, "score": last.get("score"),
                "reports": last.get("training_iteration", 0),
                "status": "failed" if error else ("finished" if last.get("final") else "pruned"),
                "error": error,
            }
            with (directory / TRIALS).open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            score = "-" if row["score"] is None else f"{row['score']:.4g}"
            log(f"trial {trial.trial_id}: {row['status']}, objective {score} "
                f"({row['reports']}/{max_reports} reports)" + (f": {error}" if error else ""))

        def on_trial_complete(self, iteration, trials, trial, **info) -> None:
            self._write(trial, None)

        def on_trial_error(self, iteration, trials, trial, **info) -> None:
            text = str(getattr(trial, "error_msg", None) or "the trial failed").strip().splitlines()
            self._write(trial, text[-1][:300] if text else "the trial failed")

    return Recorder()


def run_tune(experiment: str, runs_dir: Path, trials: int | None = None, workers: int | None = None,
             address: str | None = None, overrides: list[str] | None = None, log=print) -> Path:
    """Run (or continue) the study of ``experiment``; write best.toml, trials.md, trials.png; return
    the study's folder."""
    from rl_lab.cluster.tune_report import write_outputs

    study = load_study(experiment, overrides, trials)
    import_ray()
    directory = tune_dir(runs_dir, study)
    directory.mkdir(parents=True, exist_ok=True)
    done, held = finished_trials(directory)
    remaining = study.tune.trials - done
    if remaining > 0:
        seconds = f" or {study.tune.seconds:g} s" if study.tune.seconds else ""
        log(f"{study.base.name}: {done} of {study.tune.trials} trials done; running {remaining} "
            f"({study.metric}, {study.budget:,} steps{seconds} × {len(study.tune.seeds)} seeds each) "
            f"in {directory}")
        # A continued study must not draw the same random start-up trials again: the sampler's seed
        # moves on by the trials the study already holds.
        _fit(study, directory, remaining, workers, address, log, study.tune.sampler_seed + held)
    write_outputs(study, directory, read_trials(directory))
    done, _ = finished_trials(directory)
    if done < study.tune.trials:  # Ctrl-C (Ray Tune ends the run gracefully) or failed trials
        raise LabError(f"{directory}: {done} of {study.tune.trials} trials finished (interrupted, or trials "
                       f"failed: see above); the same command continues the study")
    return directory


def _fit(study: Study, directory: Path, samples: int, workers: int | None, address: str | None, log,
         sampler_seed: int) -> None:
    # Ray Tune's own status tables would drown the one line per trial that the recorder prints.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    from optuna.samplers import TPESampler
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    threads = study.base.torch_threads
    workers = workers or default_workers(threads)
    per_seed = study.budget // study.base.eval.freq
    max_reports = max(2, per_seed * len(study.tune.seeds) + 1)
    sampler = TPESampler(seed=sampler_seed, n_startup_trials=study.tune.startup_trials)
    search = OptunaSearch(_distributions(study), metric="score", mode="max", study_name=STUDY_NAME,
                          storage=_storage(directory), sampler=sampler)
    scheduler = ASHAScheduler(time_attr="training_iteration", metric="score", mode="max", max_t=max_reports,
                              grace_period=min(study.tune.grace_evaluations, max_reports),
                              reduction_factor=study.tune.reduction_factor)
    trainable = tune.with_resources(tune.with_parameters(run_trial, study=study, directory=str(directory)),
                                    {"cpu": threads})
    # Tune's parting advice after Ctrl-C (Tuner.restore, which unpickles) is not how rl-lab resumes.
    logging.getLogger("ray.tune").setLevel(logging.ERROR)
    with ray_session(address, num_cpus=max(workers * threads, 1)):
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(search_alg=search, scheduler=scheduler, num_samples=samples,
                                        max_concurrent_trials=workers),
            run_config=tune.RunConfig(storage_path=str(directory / "ray"), verbose=0,
                                      callbacks=[_recorder(directory, max_reports, log)],
                                      failure_config=tune.FailureConfig(max_failures=0)),
        )
        tuner.fit()


def best_trial(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best trial that ran its whole budget (else the best of any that reported)."""
    scored = [r for r in rows if r.get("score") is not None and math.isfinite(r["score"])]
    full = [r for r in scored if r["status"] == "finished"] or scored
    return max(full, key=lambda r: r["score"]) if full else None


def write_best(study: Study, row: dict[str, Any], directory: Path) -> Path:
    """The best trial as an experiment TOML ``rl-lab train`` loads (validated before writing)."""
    from rl_lab.config import toml_writer
    from rl_lab.config.tuning import set_path

    data = json.loads(json.dumps(study.data))
    for key, value in study.values(row["params"]).items():
        set_path(data, key, value)
    data["name"] = f"{study.base.name}_tuned"
    described = study.base.description.rstrip()
    if described and not described.endswith((".", "!", "?")):
        described += "."  # the sentence below must not run on from the experiment's own
    data["description"] = (f"{described} Tuned by `rl-lab tune` (trial {row['trial']}, "
                           f"objective {row['score']:.4g}).").strip()
    config_with(data, str(directory / "best.toml"), {})
    path = directory / "best.toml"
    atomic.write_text(path, toml_writer.dumps(data))
    return path
