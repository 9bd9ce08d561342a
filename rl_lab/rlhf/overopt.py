"""Over-optimisation (Gao, Schulman & Hilton 2022): a weak reward model, pushed hard.

A reward model trained on few rankings is optimised by PPO with a small fixed β and by best-of-n:
the proxy reward keeps rising while the gold reward peaks and falls. Gao et al.'s forms are
fitted to the gold reward gained: best-of-n d(α - βd), RL d(α - β log d), d = √KL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.policies import ActorCriticPolicy
from torch.utils.tensorboard import SummaryWriter

from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.best_of_n import run_best_of_n
from rl_lab.rlhf.evaluation import PolicyEval, evaluate_policy
from rl_lab.rlhf.judges import Judge
from rl_lab.rlhf.labeller import Labeller, make_ranked_set
from rl_lab.rlhf.overopt_fit import fit_gao
from rl_lab.rlhf.ppo_stage import run_ppo
from rl_lab.rlhf.reward_training import make_reward_model, score_responses, train_reward_model


def run_overoptimisation(
    config: Any,
    world: TextWorld,
    sft: ActorCriticPolicy,
    ref: ActorCriticPolicy,
    policy_kwargs: dict[str, Any],
    labeller: Labeller,
    rng: np.random.Generator,
    seed: int,
    sample: Callable[[np.ndarray], np.ndarray],
    gold: Judge,
    bon_prompts: np.ndarray,
    run_dir: Path,
    writer: SummaryWriter,
) -> dict[str, Any]:
    """Train the weak reward model, run RL and best-of-n against it; return curves and fits."""
    o, s = config.overopt, config.reward_model
    weak = make_reward_model(world, s.embed_dim, s.hidden_dim, tuple(s.head))
    data = make_ranked_set(world, labeller, o.rankings, config.data.responses_per_prompt, rng)
    train_reward_model(weak, data, world, o.rm_epochs, s.learning_rate, s.batch_size, seed)
    ref_prompts = world.sample_prompts(s.reference_samples, rng)
    ref_samples = sample(ref_prompts)
    import torch

    weak.normalise(torch.as_tensor(ref_prompts), torch.as_tensor(world.with_eos(ref_samples)))
    eval_prompts = np.repeat(np.arange(world.n_prompts), config.eval.samples_per_prompt)

    def evaluate(policy: ActorCriticPolicy) -> PolicyEval:
        return evaluate_policy(policy, ref, world, weak, [gold], eval_prompts, seed + 7)

    settings = dataclasses.replace(config.ppo, total_timesteps=o.total_timesteps, init_beta=o.beta,
                                   target_kl=0.0, eval_every=o.eval_every)
    result = run_ppo(world, sft, ref, weak, settings, policy_kwargs, seed, evaluate,
                     run_dir / "tensorboard" / "overopt_ppo", progress=config.progress)
    checkpoints = result.checkpoints
    for c in checkpoints:
        writer.add_scalar("overopt/rl_gold", c["gold"], int(c["timesteps"]))
        writer.add_scalar("overopt/rl_proxy", c["proxy"], int(c["timesteps"]))
        writer.add_scalar("overopt/rl_kl", c["kl"], int(c["timesteps"]))
    kl = np.array([c["kl"] for c in checkpoints])
    gold_curve = np.array([c["gold"] for c in checkpoints])
    proxy = np.array([c["proxy"] for c in checkpoints])
    peak = int(np.argmax(gold_curve))

    def proxy_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return score_responses(weak, world, prompts, responses)

    bon, _ = run_best_of_n(sample, proxy_fn, {gold.key: gold.score}, bon_prompts, config.best_of_n.max_n)
    bon["fit"] = fit_gao(np.array(bon["kl"]), np.array(bon["gold"]) - bon["gold"][0], "bon")
    for n, g, p in zip(bon["n"], bon["gold"], bon["proxy"], strict=True):
        writer.add_scalar("overopt/best_of_n_gold", g, n)
        writer.add_scalar("overopt/best_of_n_proxy", p, n)
    return {
        "rankings": o.rankings, "beta": o.beta,
        "rl": {
            "checkpoints": checkpoints, "fit": fit_gao(kl, gold_curve - gold_curve[0], "rl"),
            "peak_gold": float(gold_curve[peak]), "peak_kl": float(kl[peak]),
            "final_gold": float(gold_curve[-1]),
            "final_kl": float(kl[-1]), "final_proxy": float(proxy[-1]),
            "gold_peaked": bool(0 < peak < len(gold_curve) - 1 and gold_curve[-1] < gold_curve[peak]),
            "proxy_rising": bool(proxy[-1] > proxy[peak]),
        },
        "best_of_n": bon,
    }
