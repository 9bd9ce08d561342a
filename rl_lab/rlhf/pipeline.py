"""The RLHF pipeline: SFT -> reward model -> PPO, plus best-of-n, DPO and over-optimisation.

``run_rlhf`` writes one run directory ``runs/<experiment>/<seed>/`` with ``config.toml``,
TensorBoard event files (``tensorboard/``: ``sft/*``, ``reward_model/*``, ``eval/*``,
``best_of_n/*``, ``dpo/*``, ``overopt/*``, sample texts; ``tensorboard/ppo`` and
``tensorboard/overopt_ppo``: SB3's tags plus ``rlhf/*``), ``rankings.jsonl`` (the synthetic
rankings, when no file is given), the trained networks, ``summary.json`` and ``gold_vs_kl.png``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter

from rl_lab import toml_writer
from rl_lab.atomic import write_json, write_text, write_with
from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.best_of_n import run_best_of_n
from rl_lab.rlhf.data import read_ranked_jsonl, write_ranked_jsonl
from rl_lab.rlhf.dpo import train_dpo
from rl_lab.rlhf.evaluation import PolicyEval, evaluate_policy, win_rate
from rl_lab.rlhf.generation import frozen_copy, make_policy, policy_kwargs_for, sample_responses
from rl_lab.rlhf.labeller import Labeller, RankedSet, bayes_ceiling, expected_accuracy, make_ranked_set
from rl_lab.rlhf.overopt import run_overoptimisation
from rl_lab.rlhf.plot import plot_gold_vs_kl
from rl_lab.rlhf.ppo_stage import run_ppo
from rl_lab.rlhf.report import format_rlhf_summary, read_rlhf_summary
from rl_lab.rlhf.reward_training import (
    heldout_accuracy,
    make_reward_model,
    score_responses,
    train_reward_model,
)
from rl_lab.rlhf.settings import RLHFConfig, config_as_dict, load_rlhf_config
from rl_lab.rlhf.sft import train_sft, true_nll
from rl_lab.seeding import seed_everything

__all__ = ["format_rlhf_summary", "read_rlhf_summary", "run_rlhf"]


def _utilities(labeller: Labeller, world: TextWorld, ranked: RankedSet) -> list[np.ndarray]:
    groups = zip(ranked.prompts, ranked.responses, strict=True)
    return [labeller.utility(world, np.full(len(g), p), g) for p, g in groups]


def _group_scores(rm: Any, world: TextWorld, ranked: RankedSet) -> list[np.ndarray]:
    groups = zip(ranked.prompts, ranked.responses, strict=True)
    return [score_responses(rm, world, np.full(len(g), p), g) for p, g in groups]


def _ranked_data(
    config: RLHFConfig, world: TextWorld, ranked_data: Path | None, data: RankedSet | None,
    labeller: Labeller, rng: np.random.Generator, run_dir: Path,
) -> tuple[RankedSet, RankedSet, str]:
    """Training and held-out rankings: synthetic (written to rankings.jsonl) or the user's ``data``
    (read from ``ranked_data``)."""
    d = config.data
    if ranked_data is None or data is None:
        train = make_ranked_set(world, labeller, d.rankings, d.responses_per_prompt, rng)
        heldout = make_ranked_set(world, labeller, d.heldout_rankings, d.responses_per_prompt, rng)
        write_ranked_jsonl(run_dir / "rankings.jsonl", train, world)
        return train, heldout, "synthetic"
    order = rng.permutation(len(data))
    n_held = max(1, round(d.heldout_fraction * len(data))) if len(data) > 1 else 0
    if n_held == 0:
        return data, data, str(ranked_data)
    return data.subset(order[n_held:]), data.subset(order[:n_held]), str(ranked_data)


def _train_reward_stage(config: RLHFConfig, world: TextWorld, train: RankedSet, heldout: RankedSet,
                        source: str, labeller: Labeller, rng: np.random.Generator, seed: int,
                        writer: SummaryWriter) -> tuple[Any, dict[str, Any]]:
    """Train the grouped reward model, measure accuracies and ceilings, compare with shuffled pairs."""
    s = config.reward_model
    d = config.data

    def new_model() -> Any:
        return make_reward_model(world, s.embed_dim, s.hidden_dim, tuple(s.head))

    rm = new_model()
    losses = train_reward_model(rm, train, world, s.epochs, s.learning_rate, s.batch_size, seed,
                                progress=config.progress)
    for epoch, loss in enumerate(losses):
        writer.add_scalar("reward_model/train_loss", loss, epoch + 1)
    other = Labeller(d.heldout_labeller_temperature, d.heldout_labeller_length_bias)
    other_set = make_ranked_set(world, other, d.heldout_rankings, d.responses_per_prompt, rng)
    out: dict[str, Any] = {
        "data": source, "train_rankings": len(train), "heldout_rankings": len(heldout),
        "train_accuracy": heldout_accuracy(rm, train, world),
        "heldout_accuracy": heldout_accuracy(rm, heldout, world),
        "heldout_labeller_accuracy": heldout_accuracy(rm, other_set, world),
        "heldout_labeller_bayes_ceiling": bayes_ceiling(other, _utilities(other, world, other_set)),
        "heldout_labeller_expected_accuracy": expected_accuracy(
            other, _utilities(other, world, other_set), _group_scores(rm, world, other_set)),
    }
    if source == "synthetic":
        utilities = _utilities(labeller, world, heldout)
        out["bayes_ceiling"] = bayes_ceiling(labeller, utilities)
        scores = _group_scores(rm, world, heldout)
        out["heldout_expected_accuracy"] = expected_accuracy(labeller, utilities, scores)
    # Grouped loss vs shuffled independent pairs, fresh models, equal passes and pairs per step.
    k = int(np.mean([len(g) for g in train.responses]))
    comparison = {}
    for mode, batch in (("grouped", s.batch_size), ("pairs", s.batch_size * k * (k - 1) // 2)):
        model = new_model()
        start = time.perf_counter()
        train_reward_model(model, train, world, s.compare_epochs, s.learning_rate, batch, seed, mode=mode,
                           progress=config.progress)
        comparison[mode] = {"train_accuracy": heldout_accuracy(model, train, world),
                            "heldout_accuracy": heldout_accuracy(model, heldout, world),
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
) -> Path:
    """Run the whole RLHF toy into ``runs_dir/<experiment>/<seed>/`` and return that directory."""
    config, _ = load_rlhf_config(experiment, overrides, seed)
    seed = config.seed
    run_dir = Path(runs_dir) / config.name / str(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "config.toml", toml_writer.dumps(config_as_dict(config)))
    seed_everything(seed, config.torch_threads)
    started = time.perf_counter()
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)
    # Read the user's rankings now, so a malformed file fails before minutes of SFT, not after.
    user_rankings = read_ranked_jsonl(ranked_data, world) if ranked_data is not None else None
    rng = np.random.default_rng(seed)
    writer = SummaryWriter(str(run_dir / "tensorboard"))
    summary: dict[str, Any] = {"experiment": config.name, "seed": seed, "torch_threads": config.torch_threads}

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
    write_with(run_dir / "sft_policy.pt", lambda tmp: torch.save(sft.state_dict(), tmp))

    # Step 2: the reward model from rankings, normalised to mean 0 on SFT samples.
    d = config.data
    labeller = Labeller(d.labeller_temperature)
    train, heldout, source = _ranked_data(config, world, ranked_data, user_rankings, labeller, rng,
                                           run_dir)
    rm, rm_summary = _train_reward_stage(config, world, train, heldout, source, labeller, rng, seed, writer)
    ref_prompts = world.sample_prompts(config.reward_model.reference_samples, rng)
    ref_samples = sample_responses(sft, world, ref_prompts, torch.Generator().manual_seed(seed + 1))
    rm.normalise(torch.as_tensor(ref_prompts), torch.as_tensor(world.with_eos(ref_samples)))
    write_with(run_dir / "reward_model.pt", lambda tmp: torch.save(rm.state_dict(), tmp))
    summary["sft"] = {"nll_per_token": sft_losses[-1], "hidden_language_nll": floor}
    summary["reward_model"] = rm_summary

    # Step 3: PPO against the reward model with the KL leash.
    eval_prompts = np.repeat(np.arange(world.n_prompts), config.eval.samples_per_prompt)
    eval_seed = seed + 7

    def evaluate(policy: Any) -> PolicyEval:
        return evaluate_policy(policy, ref, world, rm, eval_prompts, eval_seed)

    before = evaluate(sft)
    _log_eval(writer, "sft", before, 0, world, config.eval.text_samples)
    summary["sft"].update(before.headline())
    ppo = run_ppo(world, sft, ref, rm, config.ppo, kwargs, seed, evaluate, run_dir / "tensorboard" / "ppo",
                  progress=config.progress)
    write_with(run_dir / "model.zip", lambda tmp: ppo.model.save(tmp))
    after = evaluate(ppo.model.policy)
    _log_eval(writer, "ppo", after, ppo.model.num_timesteps, world, config.eval.text_samples)
    gain = after.headline()["gold"] - before.headline()["gold"]
    summary["ppo"] = {
        **after.headline(), "target_kl": config.ppo.target_kl, "final_beta": ppo.venv.beta,
        "gold_gain": gain, "gold_gain_in_ref_std": gain / max(before.headline()["gold_std"], 1e-9),
        "win_rate_vs_sft": win_rate(after.gold, before.gold), "timesteps": ppo.model.num_timesteps,
        "checkpoints": ppo.checkpoints, "samples_before": before.texts(world, config.eval.text_samples),
        "samples_after": after.texts(world, config.eval.text_samples),
    }

    # Best-of-n against the same reward model, from the SFT policy.
    bon_prompts = np.repeat(np.arange(world.n_prompts), config.best_of_n.groups_per_prompt)
    generator = torch.Generator().manual_seed(seed + 11)

    def sample(prompts: np.ndarray) -> np.ndarray:
        return sample_responses(sft, world, prompts, generator)

    def proxy_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return score_responses(rm, world, prompts, responses)

    def gold_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return gold_reward(world, prompts, responses)

    from rl_lab.rlhf.overopt_fit import fit_gao

    bon = run_best_of_n(sample, proxy_fn, gold_fn, bon_prompts, config.best_of_n.max_n)
    bon["fit"] = fit_gao(np.array(bon["kl"]), np.array(bon["gold"]) - bon["gold"][0], "bon")
    for n, g, pr in zip(bon["n"], bon["gold"], bon["proxy"], strict=True):
        writer.add_scalar("best_of_n/gold", g, n)
        writer.add_scalar("best_of_n/proxy", pr, n)
    summary["best_of_n"] = bon

    # DPO on the same ranked pairs.
    s = config.dpo
    dpo_policy, dpo_losses = train_dpo(sft, world, train, s.beta, s.epochs, s.learning_rate, s.batch_size,
                                       s.max_pairs, seed, progress=config.progress)
    dpo_eval = evaluate(dpo_policy)
    _log_eval(writer, "dpo", dpo_eval, 0, world, config.eval.text_samples)
    summary["dpo"] = {**dpo_eval.headline(), "beta": s.beta, "final_loss": dpo_losses[-1],
                      "win_rate_vs_sft": win_rate(dpo_eval.gold, before.gold)}

    # Over-optimisation: a weak reward model and a small fixed β.
    if config.overopt.enabled:
        summary["overopt"] = run_overoptimisation(config, world, sft, ref, kwargs, labeller, rng, seed,
                                                  sample, gold_fn, bon_prompts, run_dir, writer)
    summary["wall_seconds"] = time.perf_counter() - started
    writer.close()
    plot_gold_vs_kl(run_dir / "gold_vs_kl.png", summary)
    write_json(run_dir / "summary.json", summary)
    return run_dir
