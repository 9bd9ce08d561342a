"""Every shipped experiment builds its two networks and trains end to end on a tiny budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from rl_lab.agents.two_network import TwoNetworkAgent, count_parameters
from rl_lab.config import list_experiments, load_experiment
from rl_lab.run_dir import load_model
from rl_lab.training import train

TINY = ["total_timesteps=256", "eval.freq=0", "eval.episodes=1", "eval.video=false", "checkpoint_freq=0"]
SHORT_EPISODES = {
    "rl_lab/BikeBalance-v0": "env.eval_kwargs.max_seconds=2.0",
    "rl_lab/BikeRide-v0": "env.eval_kwargs.max_seconds=2.0",
    "rl_lab/PaddleBall-v0": "env.kwargs.max_episode_steps=50",
}
EXPERIMENTS = [n for n in list_experiments() if not n.startswith("rlhf")]


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_trains_with_two_separate_networks(name: str, tmp_path: Path) -> None:
    config = load_experiment(name)
    overrides = [*TINY, SHORT_EPISODES.get(config.env.id, "seed=0")]
    config = load_experiment(name, overrides)
    result = train(config, tmp_path, seed=0, progress_bar=False, record_video=False, log=lambda _: None)
    model = load_model(result.run_dir, config)
    agent = TwoNetworkAgent(model)
    assert result.summary["policy_params"] == count_parameters(agent.policy_net) > 0
    assert result.summary["value_params"] == count_parameters(agent.value_net) > 0
    if config.algo == "dqn":
        assert agent.policy_net is agent.value_net  # greedy over its Q network
    else:
        policy_ids = {id(p) for p in agent.policy_net.parameters()}
        assert not policy_ids & {id(p) for p in agent.value_net.parameters()}  # no shared trunk
    assert result.summary["timesteps"] >= 256
