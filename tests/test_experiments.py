"""Every shipped experiment builds its two networks and trains end to end on a tiny budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rl_lab.agents.two_network import TwoNetworkAgent, count_parameters
from rl_lab.config import list_experiments, load_experiment
from rl_lab.training.restore import load_model
from rl_lab.training.trainer import train

TINY = ["total_timesteps=64", "n_envs=2", "eval.freq=100000", "eval.episodes=1", "eval.video=false",
        "checkpoint_freq=100000"]
# Tiny rollouts and updates per algorithm, so a shipped experiment's smoke test takes seconds.
TINY_ALGO = {
    "ppo": ["algo_kwargs.n_steps=16", "algo_kwargs.batch_size=32", "algo_kwargs.n_epochs=1"],
    "a2c": ["algo_kwargs.n_steps=8"],
    "dqn": ["algo_kwargs.learning_starts=16", "algo_kwargs.batch_size=16", "algo_kwargs.buffer_size=1000"],
    "sac": ["algo_kwargs.learning_starts=16", "algo_kwargs.batch_size=16", "algo_kwargs.buffer_size=1000"],
}
SHORT_EPISODES = {
    "rl_lab/BikeBalance-v0": "env.eval_kwargs.max_seconds=2.0",
    "rl_lab/BikeRide-v0": "env.eval_kwargs.max_seconds=2.0",
    "rl_lab/PaddleBall-v0": "env.kwargs.max_episode_steps=50",
}
EXPERIMENTS = [n for n in list_experiments() if not n.startswith("rlhf")]


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_trains_with_two_separate_networks(name: str, tmp_path: Path) -> None:
    config = load_experiment(name)
    overrides = [*TINY, *TINY_ALGO[config.algo], SHORT_EPISODES.get(config.env.id, "seed=0")]
    config = load_experiment(name, overrides)
    result = train(config, tmp_path, seed=0, progress_bar=False, record_video=False, log=lambda _: None)
    model = load_model(result.run_dir, config)
    agent = TwoNetworkAgent(model)
    assert result.summary["policy_params"] == count_parameters(agent.policy_net) > 0
    assert result.summary["value_params"] == count_parameters(agent.value_net) > 0
    if config.algo == "dqn":
        # The policy is greedy over the Q network: its actions are the value network's argmax.
        observations = np.stack([model.observation_space.sample() for _ in range(8)])
        with torch.no_grad():
            q_values = agent.value_net(torch.as_tensor(observations).float())
        assert np.array_equal(model.predict(observations, deterministic=True)[0], q_values.argmax(1).numpy())
    else:
        policy_ids = {id(p) for p in agent.policy_net.parameters()}
        assert not policy_ids & {id(p) for p in agent.value_net.parameters()}  # no shared trunk
    assert result.summary["timesteps"] >= 64
