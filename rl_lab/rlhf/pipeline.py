"""The RLHF pipeline: SFT -> reward model -> PPO, plus best-of-n, DPO and over-optimisation.

``run_rlhf`` validates everything it is given (experiment, rankings files, the --gold scorer)
before it touches disk, builds the run in a fresh directory beside the final one and moves it
into ``runs/<experiment>/<seed>/`` only when it has finished: a failed or interrupted run never
damages a finished one and never mixes with an older run's files. The run directory holds
``config.toml`` (with a ``[run]`` table: kind, data files and their SHA-256), TensorBoard event
files (``tensorboard/``; ``tensorboard/ppo`` and ``tensorboard/overopt_ppo``: SB3's tags plus
``rlhf/*``), ``rankings.jsonl`` (synthetic rankings only), ``sft_policy.pt``, ``ppo_policy.pt``,
``dpo_policy.pt``, ``reward_model.pt``, ``model.zip`` (SB3's PPO), ``summary.json`` and the plot
(``gold_vs_kl.png`` with the built-in labeller, ``score_vs_kl.png`` with the user's rankings).

Which scores are reported: the reward model's (the optimised proxy) always; the built-in gold
reward only when the rankings came from the built-in labeller; with a user's rankings, the
judges they give (``--eval-rankings``, ``--gold``; see :mod:`rl_lab.rlhf.judges`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter

from rl_lab.config import toml_writer
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.best_of_n import run_best_of_n
from rl_lab.rlhf.data import (
    MIN_EVAL,
    file_sha256,
    read_ranked_jsonl,
    split_heldout,
    write_ranked_jsonl,
)
from rl_lab.rlhf.dpo import train_dpo
from rl_lab.rlhf.evaluation import (
    REWARD_MODEL,
    PolicyEval,
    accuracy_interval,
    compare_with_sft,
    evaluate_policy,
    group_correct,
    group_scores,
    scorer_accuracy,
    win_rate_by_prompt,
)
from rl_lab.rlhf.generation import frozen_copy, make_policy, policy_kwargs_for, sample_responses
from rl_lab.rlhf.judges import Judge, builtin_gold, fitted_judge, load_scorer
from rl_lab.rlhf.labeller import Labeller, RankedSet, bayes_ceiling, expected_accuracy, make_ranked_set
from rl_lab.rlhf.overopt import run_overoptimisation
from rl_lab.rlhf.plot import plot_vs_kl
from rl_lab.rlhf.ppo_stage import run_ppo
from rl_lab.rlhf.probe import repetition_probe
from rl_lab.rlhf.report import format_rlhf_summary, read_rlhf_summary
from rl_lab.rlhf.reward_training import make_reward_model, score_responses, train_reward_model
from rl_lab.rlhf.settings import KIND, RLHFConfig, load_rlhf_config, run_config_text
from rl_lab.rlhf.sft import train_sft, true_nll
from rl_lab.rlhf.weights import POLICY_FILES, REWARD_MODEL_FILE, save_weights
from rl_lab.runs import layout
from rl_lab.runs.atomic import write_json, write_text, write_with
from rl_lab.runs.lock import RunLock
from rl_lab.runs.staging import Staging, recover
from rl_lab.training.seeding import seed_everything

__all__ = ["format_rlhf_summary", "read_rlhf_summary", "run_rlhf"]
SPLIT_SEED_OFFSET = 101  # the held-out split of a user's file has its own random stream


@dataclass
class Inputs:
    """Everything a run is given, read and validated before anything is written."""

    config: RLHFConfig
    world: TextWorld
    train: RankedSet | None = None  # the user's rankings (None: synthetic)
    heldout: RankedSet | None = None
    judges: list[Judge] = field(default_factory=list)
    run_table: dict[str, Any] = field(default_factory=dict)  # config.toml's [run]


def _file_entry(path: Path, lines: int) -> dict[str, Any]:
    return {"path": str(Path(path).resolve()), "sha256": file_sha256(path), "lines": lines}


def prepare(experiment: str | Path, ranked_data: Path | None, seed: int | None, overrides: list[str] | None,
            eval_rankings: Path | None = None, gold: str | None = None) -> Inputs:
    """Load the experiment, read and check the data files and the scorer: every user error here."""
    config, _ = load_rlhf_config(experiment, overrides, seed)
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)
    inputs = Inputs(config, world)
    if ranked_data is None:
        if eval_rankings is not None or gold is not None:
            flag = "--eval-rankings" if eval_rankings is not None else "--gold"
            raise LabError(f"{flag} judges a run on your own rankings: give them with --ranked-data FILE "
                           "(the built-in labeller's runs are judged by the built-in gold reward)")
        inputs.judges = [builtin_gold(world)]
        return inputs
    data = read_ranked_jsonl(ranked_data, world)
    rng = np.random.default_rng(config.seed + SPLIT_SEED_OFFSET)
    inputs.train, inputs.heldout = split_heldout(data, config.data.heldout_fraction, rng, ranked_data)
    inputs.run_table["ranked_data"] = _file_entry(ranked_data, len(data))
    if eval_rankings is not None:
        eval_data = read_ranked_jsonl(eval_rankings, world)
        entry = _file_entry(eval_rankings, len(eval_data))
        if entry["sha256"] == inputs.run_table["ranked_data"]["sha256"]:
            raise LabError(f"{eval_rankings}: the same data as --ranked-data; a judge must be fitted on "
                           "rankings the reward model never saw")
        if len(eval_data) < MIN_EVAL:
            raise LabError(f"{eval_rankings}: {len(eval_data)} rankings, too few to fit a judge on "
                           f"(need at least {MIN_EVAL})")
        inputs.judges.append(fitted_judge(world, eval_data, Path(eval_rankings).name))
        inputs.run_table["eval_rankings"] = entry
    if gold is not None:
        scorer = load_scorer(gold, world)
        # call it once now, so a broken scorer fails before training, not at the end
        scorer.score(np.repeat(inputs.heldout.prompts[:1], 2), inputs.heldout.responses[0][:2])
        inputs.judges.append(scorer)
        inputs.run_table["gold"] = gold
    return inputs


def _utilities(labeller: Labeller, world: TextWorld, ranked: RankedSet) -> list[np.ndarray]:
    groups = zip(ranked.prompts, ranked.responses, strict=True)
    return [labeller.utility(world, np.full(len(g), p), g) for p, g in groups]


def _train_reward_stage(config: RLHFConfig, world: TextWorld, train: RankedSet, heldout: RankedSet,
                        synthetic: bool, labeller: Labeller, judges: list[Judge], rng: np.random.Generator,
                        seed: int, writer: SummaryWriter) -> tuple[Any, dict[str, Any]]:
    """Train the grouped reward model; held-out accuracy with a bootstrap interval, the judges'
    accuracy on the same rankings, ceilings (synthetic only), grouped vs shuffled pairs."""
    s = config.reward_model
    d = config.data

    def new_model() -> Any:
        return make_reward_model(world, s.embed_dim, s.hidden_dim, tuple(s.head))

    rm = new_model()
    losses = train_reward_model(rm, train, world, s.epochs, s.learning_rate, s.batch_size, seed,
                                progress=config.progress)
    for epoch, loss in enumerate(losses):
        writer.add_scalar("reward_model/train_loss", loss, epoch + 1)

    def rm_score(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return score_responses(rm, world, prompts, responses)

    correct, pairs = group_correct(heldout.rankings, group_scores(rm_score, heldout))
    out: dict[str, Any] = {
        "train_rankings": len(train), "heldout_rankings": len(heldout), "heldout_pairs": int(pairs.sum()),
        "train_accuracy": scorer_accuracy(rm_score, train),
        "heldout_accuracy": float(correct.sum() / pairs.sum()),
        "heldout_accuracy_ci95": list(accuracy_interval(correct, pairs, seed)),
        "judges_heldout_accuracy": {j.key: scorer_accuracy(j.score, heldout) for j in judges},
    }
    if synthetic:
        other = Labeller(d.heldout_labeller_temperature, d.heldout_labeller_length_bias)
        other_set = make_ranked_set(world, other, d.heldout_rankings, d.responses_per_prompt, rng)
        other_u = _utilities(other, world, other_set)
        utilities = _utilities(labeller, world, heldout)
        out.update({
            "heldout_labeller_accuracy": scorer_accuracy(rm_score, other_set),
            "heldout_labeller_bayes_ceiling": bayes_ceiling(other, other_u),
            "heldout_labeller_expected_accuracy": expected_accuracy(
                other, other_u, group_scores(rm_score, other_set)),
            "bayes_ceiling": bayes_ceiling(labeller, utilities),
            "heldout_expected_accuracy": expected_accuracy(labeller, utilities,
                                                           group_scores(rm_score, heldout)),
        })
    if s.compare_epochs > 0:
        # Grouped loss vs shuffled independent pairs, fresh models, equal passes and pairs per step.
        k = int(np.mean([len(g) for g in train.responses]))
        comparison = {}
        for mode, batch in (("grouped", s.batch_size), ("pairs", s.batch_size * k * (k - 1) // 2)):
            model = new_model()
            start = time.perf_counter()
            train_reward_model(model, train, world, s.compare_epochs, s.learning_rate, batch, seed, mode=mode,
                               progress=config.progress)

            def score(p: np.ndarray, r: np.ndarray, m: Any = model) -> np.ndarray:
                return score_responses(m, world, p, r)

            comparison[mode] = {"train_accuracy": scorer_accuracy(score, train),
                                "heldout_accuracy": scorer_accuracy(score, heldout),
                                "seconds": time.perf_counter() - start}
        out["grouped_vs_pairs"] = {"epochs": s.compare_epochs, **comparison}
    for key, value in out.items():
        if isinstance(value, float):
            writer.add_scalar(f"reward_model/{key}", value, s.epochs)
    return rm, out


def _log_eval(writer: SummaryWriter, tag: str, result: PolicyEval, step: int, world: TextWorld,
              count: int) -> None:
    for key, value in result.headline().items():
        writer.add_scalar(f"eval/{tag}_{key}", value, step)
    writer.add_text(f"samples/{tag}", "  \n".join(result.texts(world, count)), step)


def run_rlhf(
    experiment: str | Path = "rlhf_toy",
    ranked_data: Path | None = None,
    runs_dir: Path = Path("runs"),
    seed: int | None = None,
    overrides: list[str] | None = None,
    eval_rankings: Path | None = None,
    gold: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Run the whole RLHF toy into ``runs_dir/<experiment>/<seed>/`` and return that directory
    (``log`` is told where a finished run it replaced is kept).

    ``ranked_data``: the user's rankings (JSONL, see :mod:`rl_lab.rlhf.data`) instead of the
    built-in labeller's; ``eval_rankings``: the user's held-out rankings, to fit a judge on;
    ``gold``: ``module:function``, the user's own scorer (see :mod:`rl_lab.rlhf.judges`).
    """
    inputs = prepare(experiment, ranked_data, seed, overrides, eval_rankings, gold)
    run_dir = layout.run_path(Path(runs_dir), inputs.config.name, inputs.config.seed)
    # The training runs' rules (rl_lab.runs): one process per run, built in a staging directory, and
    # a finished run replaced only by a rename that keeps it beside the new one.
    with RunLock(run_dir):
        recover(run_dir)
        staging = Staging.create(run_dir, overwrite=True)
        writer = SummaryWriter(str(staging.path / "tensorboard"))
        try:
            _run(inputs, staging.path, writer)
        except BaseException:  # failed or interrupted: the finished run (if any) stays as it was
            writer.close()  # its thread would go on writing into the directory being removed
            staging.discard()
            raise
        staging.promote(overwrite=True, log=log)
    return run_dir


def _run(inputs: Inputs, stage: Path, writer: SummaryWriter) -> None:
    """Every step of the pipeline, writing into ``stage``."""
    config, world, judges = inputs.config, inputs.world, inputs.judges
    seed = config.seed
    write_text(stage / "config.toml", toml_writer.dumps(run_config_text(config, inputs.run_table)))
    seed_everything(seed, config.torch_threads)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    synthetic = inputs.train is None
    summary: dict[str, Any] = {
        "kind": KIND, "experiment": config.name, "seed": seed, "torch_threads": config.torch_threads,
        "rankings": {"source": "built-in labeller"} if synthetic else {"source": "file", **inputs.run_table},
        "judges": {j.key: j.label for j in judges},
    }

    # Step 1: SFT on demonstrations from the hidden language.
    demo_prompts = world.sample_prompts(config.data.demonstrations, rng)
    demos = world.sample_responses(demo_prompts, rng)
    p = config.policy
    kwargs = policy_kwargs_for(world, p.embed_dim, p.hidden_dim, p.policy, p.value)
    sft = make_policy(world, kwargs)
    sft_losses = train_sft(sft, world, demo_prompts, demos, config.sft.epochs, config.sft.learning_rate,
                           config.sft.batch_size, seed, progress=config.progress)
    for epoch, loss in enumerate(sft_losses):
        writer.add_scalar("sft/nll_per_token", loss, epoch + 1)
    floor = true_nll(world, demo_prompts, demos)
    writer.add_scalar("sft/hidden_language_nll", floor, config.sft.epochs)
    ref = frozen_copy(sft)
    save_weights(stage / POLICY_FILES["sft"], sft)

    # Step 2: the reward model from rankings, normalised to mean 0 on SFT samples.
    d = config.data
    labeller = Labeller(d.labeller_temperature)
    if synthetic:
        train = make_ranked_set(world, labeller, d.rankings, d.responses_per_prompt, rng)
        heldout = make_ranked_set(world, labeller, d.heldout_rankings, d.responses_per_prompt, rng)
        write_ranked_jsonl(stage / "rankings.jsonl", train, world)
    else:
        train, heldout = inputs.train, inputs.heldout
    rm, rm_summary = _train_reward_stage(config, world, train, heldout, synthetic, labeller, judges, rng,
                                         seed, writer)
    rm_summary["data"] = "synthetic" if synthetic else inputs.run_table["ranked_data"]["path"]
    ref_prompts = world.sample_prompts(config.reward_model.reference_samples, rng)
    ref_samples = sample_responses(sft, world, ref_prompts, torch.Generator().manual_seed(seed + 1))
    rm.normalise(torch.as_tensor(ref_prompts), torch.as_tensor(world.with_eos(ref_samples)))
    save_weights(stage / REWARD_MODEL_FILE, rm)
    rm_summary["repetition_probe"] = repetition_probe(
        world, lambda p, r: score_responses(rm, world, p, r), {j.key: j.score for j in judges})
    summary["sft"] = {"nll_per_token": sft_losses[-1], "hidden_language_nll": floor}
    summary["reward_model"] = rm_summary

    # Step 3: PPO against the reward model with the KL leash.
    eval_prompts = np.repeat(np.arange(world.n_prompts), config.eval.samples_per_prompt)
    eval_seed = seed + 7

    def evaluate(policy: Any, sample_seed: int = eval_seed) -> PolicyEval:
        return evaluate_policy(policy, ref, world, rm, judges, eval_prompts, sample_seed)

    # SFT's samples have their own seed: with the policies' seed, a policy close to SFT would
    # write the same responses from the same random numbers, and win rates would measure that.
    before = evaluate(sft, seed + 8)
    _log_eval(writer, "sft", before, 0, world, config.eval.text_samples)
    summary["sft"].update(before.headline())
    ppo = run_ppo(world, sft, ref, rm, config.ppo, kwargs, seed, evaluate, stage / "tensorboard" / "ppo",
                  progress=config.progress)
    write_with(stage / "model.zip", lambda tmp: ppo.model.save(tmp))
    save_weights(stage / POLICY_FILES["ppo"], ppo.model.policy)
    after = evaluate(ppo.model.policy)
    _log_eval(writer, "ppo", after, ppo.model.num_timesteps, world, config.eval.text_samples)
    summary["ppo"] = {
        **after.headline(), **compare_with_sft(after, before), "target_kl": config.ppo.target_kl,
        "final_beta": ppo.venv.beta, "timesteps": ppo.model.num_timesteps, "checkpoints": ppo.checkpoints,
        "samples_before": before.texts(world, config.eval.text_samples),
        "samples_after": after.texts(world, config.eval.text_samples),
    }

    # Best-of-n against the same reward model, from the SFT policy.
    bon_prompts = np.repeat(np.arange(world.n_prompts), config.best_of_n.groups_per_prompt)
    generator = torch.Generator().manual_seed(seed + 11)

    def sample(prompts: np.ndarray) -> np.ndarray:
        return sample_responses(sft, world, prompts, generator)

    def proxy_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return score_responses(rm, world, prompts, responses)

    from rl_lab.rlhf.overopt_fit import fit_gao

    bon, best = run_best_of_n(sample, proxy_fn, {j.key: j.score for j in judges}, bon_prompts,
                              config.best_of_n.max_n)
    if judges:
        first = bon[judges[0].key]
        bon["fit"] = fit_gao(np.array(bon["kl"]), np.array(first) - first[0], "bon")
    best_scores = {REWARD_MODEL: proxy_fn(bon_prompts, best)}
    best_scores.update({j.key: j.score(bon_prompts, best) for j in judges})
    bon["win_rate_vs_sft"] = {
        key: win_rate_by_prompt(value, bon_prompts, before.scores()[key], before.prompts)
        for key, value in best_scores.items()
    }
    for i, n in enumerate(bon["n"]):
        for key in ("proxy", *(j.key for j in judges)):
            writer.add_scalar(f"best_of_n/{key}", bon[key][i], n)
    summary["best_of_n"] = bon

    # DPO on the same ranked pairs.
    s = config.dpo
    dpo_policy, dpo_losses = train_dpo(sft, world, train, s.beta, s.epochs, s.learning_rate, s.batch_size,
                                       s.max_pairs, seed, progress=config.progress)
    save_weights(stage / POLICY_FILES["dpo"], dpo_policy)
    dpo_eval = evaluate(dpo_policy)
    _log_eval(writer, "dpo", dpo_eval, 0, world, config.eval.text_samples)
    summary["dpo"] = {**dpo_eval.headline(), **compare_with_sft(dpo_eval, before), "beta": s.beta,
                      "final_loss": dpo_losses[-1]}

    # Over-optimisation: a weak reward model and a small fixed β, from the built-in labeller.
    if config.overopt.enabled and synthetic:
        summary["overopt"] = run_overoptimisation(config, world, sft, ref, kwargs, labeller, rng, seed,
                                                  sample, judges[0], bon_prompts, stage, writer)
    summary["wall_seconds"] = time.perf_counter() - started
    writer.close()
    summary["plot"] = "gold_vs_kl.png" if synthetic else "score_vs_kl.png"
    plot_vs_kl(stage / summary["plot"], summary)
    write_json(stage / "summary.json", summary)
