"""`rl-lab rlhf sample`: each stage's policy side by side, loaded without pickle."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rl_lab.cli import main
from rl_lab.config import toml_writer
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.generation import make_policy, policy_kwargs_for
from rl_lab.rlhf.reward_training import make_reward_model
from rl_lab.rlhf.sample import sample_stages, samples_table
from rl_lab.rlhf.settings import load_rlhf_config, run_config_text
from rl_lab.rlhf.weights import POLICY_FILES, REWARD_MODEL_FILE, save_weights
from rl_lab.runs.layout import is_rlhf_run

torch.set_num_threads(1)


class NotWeights:
    """An object torch.save can pickle but weights_only loading must refuse."""


def fake_run(run: Path) -> Path:
    """A run directory with untrained (seeded) networks: sampling needs no training."""
    config, _ = load_rlhf_config("rlhf_toy", ["best_of_n.max_n=8"])
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)
    p = config.policy
    kwargs = policy_kwargs_for(world, p.embed_dim, p.hidden_dim, p.policy, p.value)
    for i, name in enumerate(POLICY_FILES.values()):
        torch.manual_seed(i)
        policy = make_policy(world, kwargs)
        for param in policy.parameters():  # SB3 starts near-uniform: make the stages write differently
            torch.nn.init.normal_(param, std=0.5)
        save_weights(run / name, policy)
    s = config.reward_model
    save_weights(run / REWARD_MODEL_FILE, make_reward_model(world, s.embed_dim, s.hidden_dim, tuple(s.head)))
    (run / "config.toml").write_text(toml_writer.dumps(run_config_text(config, {})))
    return run


def test_sample_shows_every_stage_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = fake_run(tmp_path)
    assert is_rlhf_run(run) and not is_rlhf_run(tmp_path / "elsewhere")
    samples = sample_stages(run, "weather", n=3)
    assert list(samples.responses) == ["sft", "ppo", "dpo", "best-of-8"]
    assert samples.prompts == ["weather"] * 3
    world = TextWorld()
    for stage, texts in samples.responses.items():
        assert len(texts) == 3 and len(samples.scores[stage]) == 3
        for text in texts:
            world.encode(text)  # words of the vocabulary, within the length limit
    assert samples.responses["sft"] != samples.responses["ppo"]  # different weights, different writing
    table = samples_table(samples)
    assert all(h in table for h in ("SFT", "PPO", "DPO", "best-of-8", "weather"))
    assert main(["rlhf", "sample", str(run), "--n", "1"]) == 0
    out = capsys.readouterr().out
    assert all(prompt in out for prompt in world.prompts)


def test_sample_refuses_pickles_and_other_runs(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    torch.save({"weights": NotWeights()}, run / POLICY_FILES["dpo"])
    with pytest.raises(LabError, match=r"dpo_policy\.pt: corrupt or not from this experiment"):
        sample_stages(run)
    (run / "config.toml").write_text('name = "rlhf_toy"\n')
    with pytest.raises(LabError, match="not an RLHF run"):
        sample_stages(run)
    with pytest.raises(LabError, match="--prompt 'cats': unknown prompt \\(known: weather"):
        sample_stages(fake_run(tmp_path / "other"), "cats")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rlhf", "sample"], "name the run directory"),
        (["rlhf", "sample", "x", "--set", "a=1"], "--set does not apply"),
        (["rlhf", "rlhf_toy", "--prompt", "weather"], "--prompt does not apply"),
        (["rlhf", "rlhf_toy", "extra"], "unexpected argument 'extra'"),
        (["rlhf", "label", "out.jsonl"], "needs a terminal"),  # without --from: the hidden language's
    ],
)
def test_rlhf_tool_arguments_are_checked(argv: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
