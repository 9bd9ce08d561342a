"""Issue 13's done-when: on a preference the lab has never seen, the report agrees with an
independent evaluation of that preference (held-out accuracy within 0.02, win rate against SFT
within 5 points).

The preference is defined here, not in the lab: a word-value table, a liked word per topic and a
dislike of long answers, ranked by Plackett-Luce at temperature 0.5. The rankings are written in
the documented JSONL format by this file itself. The independent evaluation loads the saved
networks, draws fresh samples and scores them with the preference itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rl_lab.envs.text.world import TextWorld
from rl_lab.rlhf.generation import sample_responses
from rl_lab.rlhf.judges import win_rate
from rl_lab.rlhf.labeller import Labeller, expected_accuracy
from rl_lab.rlhf.reward_training import score_responses
from rl_lab.rlhf.settings import read_run_config
from rl_lab.rlhf.weights import POLICY_FILES, REWARD_MODEL_FILE, load_policy, load_reward_model

WORLD = TextWorld()
TEMPERATURE = 0.5
_rng = np.random.default_rng(1234)
WORD_VALUE = _rng.normal(0.0, 0.6, WORLD.n_words + 1)  # by word id (0 unused)
LIKED = _rng.integers(1, WORLD.n_words + 1, WORLD.n_prompts)  # one liked word per topic

# Small budgets: the point is agreement between the report and the truth, not a strong policy.
OVERRIDES = [
    "progress=false", "data.demonstrations=2000", "sft.epochs=2", "data.heldout_fraction=0.3",
    "reward_model.epochs=4", "reward_model.compare_epochs=0", "reward_model.reference_samples=512",
    "ppo.total_timesteps=4096", "ppo.eval_every=2", "best_of_n.groups_per_prompt=2", "best_of_n.max_n=16",
    "dpo.epochs=1", "dpo.max_pairs=4000", "eval.samples_per_prompt=100",
]


def utility(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """What the test's labeller values (never seen by the lab)."""
    out = np.empty(len(prompts))
    for n, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        words = [int(t) for t in r if t != WORLD.pad_id]
        out[n] = (WORD_VALUE[sorted(set(words))].sum() + 1.5 * (LIKED[p] in words)
                  - 0.25 * max(0, len(words) - 5))
    return out


def _groups(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prompts = WORLD.sample_prompts(n, rng)
    flat = WORLD.sample_responses(np.repeat(prompts, k), rng)
    u = utility(np.repeat(prompts, k), flat).reshape(n, k)
    return prompts, flat.reshape(n, k, -1), u


def write_rankings(path: Path, n: int, seed: int, k: int = 5) -> None:
    prompts, responses, u = _groups(n, k, seed)
    rankings = Labeller(TEMPERATURE).rank(u, np.random.default_rng(seed + 1))
    with path.open("w") as handle:
        for p, group, ranking in zip(prompts, responses, rankings, strict=True):
            line = {"prompt": WORLD.prompts[p], "responses": [WORLD.decode(r) for r in group],
                    "ranking": [int(i) for i in ranking]}
            handle.write(json.dumps(line) + "\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rl_lab.rlhf.pipeline import run_rlhf

    root = tmp_path_factory.mktemp("honest")
    write_rankings(root / "mine.jsonl", 1500, seed=1)
    write_rankings(root / "my_heldout.jsonl", 1200, seed=2)
    return run_rlhf("rlhf_toy", ranked_data=root / "mine.jsonl", runs_dir=root / "runs", seed=0,
                    overrides=OVERRIDES, eval_rankings=root / "my_heldout.jsonl")


@pytest.mark.slow
def test_heldout_accuracy_agrees_with_the_preference(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    config, _ = read_run_config(run)
    rm = load_reward_model(run / REWARD_MODEL_FILE, WORLD, config)
    prompts, responses, u = _groups(3000, 5, seed=77)  # fresh groups; exact pair probabilities
    groups = zip(prompts, responses, strict=True)
    scores = [score_responses(rm, WORLD, np.full(len(g), p), g) for p, g in groups]
    truth = expected_accuracy(Labeller(TEMPERATURE), list(u), scores)
    reported = summary["reward_model"]["heldout_accuracy"]
    assert reported == pytest.approx(truth, abs=0.02)
    lo, hi = summary["reward_model"]["heldout_accuracy_ci95"]
    assert lo < truth < hi


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["ppo", "dpo"])
def test_win_rate_against_sft_agrees_with_the_preference(run: Path, stage: str) -> None:
    summary = json.loads((run / "summary.json").read_text())
    config, _ = read_run_config(run)
    sft = load_policy(run / POLICY_FILES["sft"], WORLD, config)
    policy = load_policy(run / POLICY_FILES[stage], WORLD, config)
    prompts = np.repeat(np.arange(WORLD.n_prompts), 400)
    ours = sample_responses(policy, WORLD, prompts, torch.Generator().manual_seed(101))
    theirs = sample_responses(sft, WORLD, prompts, torch.Generator().manual_seed(202))
    truth = win_rate(utility(prompts, ours), utility(prompts, theirs))
    assert truth > 0.6  # the policy did move: agreement at 50 % would prove nothing
    reported = summary[stage]["win_rate_vs_sft"]["eval_model"]
    assert reported == pytest.approx(truth, abs=0.05)


@pytest.mark.slow
def test_nothing_is_called_gold_and_the_data_is_recorded(run: Path) -> None:
    from rl_lab.rlhf.data import file_sha256
    from rl_lab.rlhf.report import format_rlhf_summary

    text = format_rlhf_summary(run)
    assert "gold" not in text.lower() and "held-out labeller" not in text and "Bayes" not in text
    assert "reward-model score" in text and "+-" not in text
    summary = json.loads((run / "summary.json").read_text())
    assert summary["kind"] == "rlhf" and "gold" not in summary["sft"] and "overopt" not in summary
    assert (run / "score_vs_kl.png").is_file() and not (run / "gold_vs_kl.png").exists()
    _, table = read_run_config(run)
    data = table["ranked_data"]
    assert data["sha256"] == file_sha256(Path(data["path"])) and data["lines"] == 1500
    assert table["eval_rankings"]["lines"] == 1200
