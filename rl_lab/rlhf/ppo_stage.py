"""Step 3: SB3's PPO against the reward model, leashed to the SFT policy by a per-token KL penalty.

The policy starts from the SFT weights, π_ref is the frozen SFT policy, γ = 1. Ziegler et al.'s
adaptive controller updates β after every rollout from the mean exact KL of its episodes:
``e = clip(KL / target - 1, -0.2, 0.2); β ← β (1 + e · n / horizon)`` with n the rollout's
episode count (a target of 0 keeps β fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import configure
from stable_baselines3.common.policies import ActorCriticPolicy

from rl_lab.agents.reward_model import RewardModel
from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.evaluation import PolicyEval
from rl_lab.rlhf.kl_env import KLPenaltyVecEnv
from rl_lab.rlhf.reward_training import score_responses


@dataclass
class PPOSettings:
    """PPO and KL-controller settings (the ``[ppo]`` table of the experiment)."""

    total_timesteps: int = 150_000
    n_envs: int = 64
    n_steps: int = 16
    batch_size: int = 256
    n_epochs: int = 4
    learning_rate: float = 3e-4
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.0
    init_beta: float = 0.1
    target_kl: float = 3.0
    horizon: int = 500
    eval_every: int = 10


def kl_controller_step(beta: float, kl: float, target: float, n: int, horizon: int) -> float:
    """One update of Ziegler et al.'s adaptive KL coefficient."""
    if target <= 0:
        return beta
    error = float(np.clip(kl / target - 1.0, -0.2, 0.2))
    return beta * (1.0 + error * n / horizon)


class KLControllerCallback(BaseCallback):
    """After each rollout: adapt β, log KL / β / proxy reward, and evaluate every few rollouts."""

    def __init__(self, venv: KLPenaltyVecEnv, settings: PPOSettings,
                 evaluate: Callable[[], PolicyEval], checkpoints: list[dict[str, float]]) -> None:
        super().__init__()
        self.venv, self.settings, self.evaluate, self.checkpoints = venv, settings, evaluate, checkpoints
        self.rollouts = 0

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        episodes = self.venv.drain()
        if episodes:
            kl = float(np.mean([e["kl"] for e in episodes]))
            self.logger.record("rlhf/kl_exact", kl)
            self.logger.record("rlhf/proxy_reward", float(np.mean([e["score"] for e in episodes])))
            self.logger.record("rlhf/beta", self.venv.beta)
            self.logger.record("rlhf/response_length", float(np.mean([e["length"] for e in episodes])))
            s = self.settings
            self.venv.beta = kl_controller_step(self.venv.beta, kl, s.target_kl, len(episodes), s.horizon)
        self.rollouts += 1
        if self.rollouts % self.settings.eval_every == 0:
            self.record_eval()

    def record_eval(self) -> None:
        """Evaluate the current policy as a checkpoint (proxy, the judges, exact KL)."""
        result = self.evaluate().headline()
        for key, value in result.items():
            if not key.endswith("_std"):
                self.logger.record(f"rlhf/eval_{key}", value)
        result.update(timesteps=float(self.num_timesteps), beta=float(self.venv.beta))
        self.checkpoints.append(result)


@dataclass
class PPOResult:
    """The trained model and its checkpoints (dicts of proxy, kl, the judges' scores, timesteps, beta)."""

    model: PPO
    venv: KLPenaltyVecEnv
    checkpoints: list[dict[str, float]] = field(default_factory=list)


def run_ppo(
    world: TextWorld,
    sft_policy: ActorCriticPolicy,
    ref_policy: ActorCriticPolicy,
    rm: RewardModel,
    settings: PPOSettings,
    policy_kwargs: dict,
    seed: int,
    evaluate: Callable[[ActorCriticPolicy], PolicyEval],
    log_dir: Path | None,
    progress: bool = False,
) -> PPOResult:
    """Train a copy of ``sft_policy`` by PPO against ``rm``; evaluate every ``eval_every`` rollouts."""

    def reward_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
        return score_responses(rm, world, prompts, responses)

    venv = KLPenaltyVecEnv(world, settings.n_envs, reward_fn, ref_policy, settings.init_beta, seed)
    model = PPO(
        "MlpPolicy", venv, learning_rate=settings.learning_rate, n_steps=settings.n_steps,
        batch_size=settings.batch_size, n_epochs=settings.n_epochs, gamma=1.0,
        gae_lambda=settings.gae_lambda, clip_range=settings.clip_range, ent_coef=settings.ent_coef,
        policy_kwargs=policy_kwargs, seed=seed, device="cpu", verbose=0,
    )
    model.policy.load_state_dict(sft_policy.state_dict())
    venv.policy = model.policy
    model.set_logger(configure(str(log_dir), ["tensorboard"]) if log_dir else configure(None, []))
    checkpoints: list[dict[str, float]] = []
    callback = KLControllerCallback(venv, settings, lambda: evaluate(model.policy), checkpoints)
    callback.init_callback(model)
    callback.record_eval()  # the starting point: the SFT policy itself
    try:
        model.learn(settings.total_timesteps, callback=callback, log_interval=1, progress_bar=progress)
        if callback.rollouts % settings.eval_every:
            callback.record_eval()
            model.logger.dump(model.num_timesteps)
    finally:  # the event file is complete, and no writer thread outlives a failed run
        model.logger.close()
    return PPOResult(model, venv, checkpoints)
