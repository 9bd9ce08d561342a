"""Token policy, KL leash, controller, best-of-n, fits, DPO loss and a tiny pipeline run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from rl_lab.envs.text.dynamics import observation_array
from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.best_of_n import best_of_n_curve, best_of_n_kl, best_of_n_weights
from rl_lab.rlhf.dpo import dpo_loss
from rl_lab.rlhf.generation import exact_kl, frozen_copy, make_policy, policy_kwargs_for, sample_responses
from rl_lab.rlhf.kl_env import KLPenaltyVecEnv
from rl_lab.rlhf.overopt_fit import fit_gao
from rl_lab.rlhf.ppo_stage import kl_controller_step

torch.set_num_threads(1)
WORLD = TextWorld()


def _policy(seed: int = 0):
    torch.manual_seed(seed)
    return make_policy(WORLD, policy_kwargs_for(WORLD, 8, 16, [16], [16]))


def test_kl_term_is_zero_when_policy_is_reference() -> None:
    policy = _policy()
    ref = frozen_copy(policy)
    venv = KLPenaltyVecEnv(WORLD, 8, lambda p, r: np.zeros(len(p)), ref, beta=0.5, seed=0)
    venv.policy = policy
    venv.reset()
    for _ in range(WORLD.max_len + 1):
        venv.step_async(np.random.default_rng(0).integers(1, WORLD.n_actions, size=8))
        _, rewards, _, _ = venv.step_wait()
        assert np.all(rewards == 0.0)
    assert venv.finished and all(e["kl"] == 0.0 for e in venv.finished)
    prompts = np.arange(WORLD.n_prompts)
    responses = sample_responses(policy, WORLD, prompts, torch.Generator().manual_seed(0))
    assert np.all(exact_kl(policy, ref, WORLD, prompts, responses) == 0.0)
    other = _policy(seed=1)
    assert np.all(exact_kl(other, ref, WORLD, prompts, responses) > 0.0)


def test_policy_features_match_whole_sequence_logits() -> None:
    from rl_lab.rlhf.generation import token_logprobs

    policy = _policy()
    prompts = np.arange(6)
    responses = sample_responses(policy, WORLD, prompts, torch.Generator().manual_seed(1))
    logp, _, _ = token_logprobs(policy, WORLD, prompts, responses)
    for k in range(3):  # the observation after k tokens gives the same distribution
        partial = np.where(np.arange(WORLD.max_len) < k, responses, WORLD.pad_id)
        obs = torch.as_tensor(observation_array(WORLD, prompts, partial))
        dist = torch.log_softmax(policy.get_distribution(obs).distribution.logits, -1)
        rows = torch.as_tensor(WORLD.lengths(responses) >= k)  # responses still being written
        assert torch.allclose(dist[rows], logp[rows, k], atol=1e-5)


def test_kl_controller_follows_ziegler() -> None:
    assert kl_controller_step(0.1, 6.0, 3.0, 100, 1000) == pytest.approx(0.1 * (1 + 0.2 * 0.1))
    assert kl_controller_step(0.1, 2.7, 3.0, 100, 1000) == pytest.approx(0.1 * (1 - 0.1 * 0.1))
    assert kl_controller_step(0.1, 99.0, 0.0, 100, 1000) == 0.1


def test_best_of_n_kl_formula_and_estimator() -> None:
    assert best_of_n_kl(1) == 0.0
    assert best_of_n_kl(4) == pytest.approx(np.log(4) - 0.75)
    # Monte-Carlo check of the KL formula with a uniform base policy over 64 outcomes and n = 4:
    rng = np.random.default_rng(0)
    counts = np.bincount(rng.integers(0, 64, size=(200_000, 4)).max(axis=1), minlength=64) / 200_000
    mc = float(np.sum(counts[counts > 0] * np.log(counts[counts > 0] * 64)))
    assert mc == pytest.approx(best_of_n_kl(4), abs=0.05)  # continuous-score limit
    w = best_of_n_weights(10, 3)
    assert w.sum() == pytest.approx(1.0) and w[:2].sum() == 0.0
    scores = rng.normal(size=(1, 8))
    assert best_of_n_curve(scores, [scores], [8])[0][0] == pytest.approx(scores.max())


def test_gao_fits_recover_their_forms() -> None:
    kl = np.linspace(0.1, 9, 12)
    d = np.sqrt(kl)
    assert fit_gao(kl, d * (1.0 - 0.3 * d), "bon")["r2"] == pytest.approx(1.0)
    fit = fit_gao(kl, d * (0.8 - 0.5 * np.log(d)), "rl")
    assert (fit["alpha"], fit["beta"]) == pytest.approx((0.8, 0.5))


def test_dpo_loss_is_log2_at_the_reference() -> None:
    x = torch.tensor([-3.0, -2.0])
    assert float(dpo_loss(x, x + 1, x, x + 1, beta=0.1)) == pytest.approx(np.log(2))


@pytest.mark.slow
def test_tiny_pipeline_runs_and_summarises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rl_lab.rlhf import pipeline
    from rl_lab.rlhf.pipeline import format_rlhf_summary, run_rlhf

    overrides = [
        "progress=false", "data.demonstrations=300", "data.rankings=60", "data.heldout_rankings=30",
        "data.responses_per_prompt=4", "sft.epochs=1", "reward_model.epochs=1",
        "reward_model.compare_epochs=1",
        "reward_model.reference_samples=64", "ppo.total_timesteps=256", "ppo.n_envs=8", "ppo.n_steps=16",
        "ppo.batch_size=64", "ppo.n_epochs=1", "ppo.eval_every=1", "best_of_n.groups_per_prompt=1",
        "best_of_n.max_n=8", "dpo.epochs=1", "dpo.max_pairs=100", "overopt.rankings=20",
        "overopt.rm_epochs=1",
        "overopt.total_timesteps=256", "overopt.eval_every=1", "eval.samples_per_prompt=2",
    ]
    run = run_rlhf("rlhf_toy", runs_dir=tmp_path, seed=5, overrides=overrides)
    assert run == tmp_path / "rlhf_toy" / "5"
    for name in ("config.toml", "summary.json", "gold_vs_kl.png", "rankings.jsonl", "model.zip",
                 "sft_policy.pt", "ppo_policy.pt", "dpo_policy.pt", "reward_model.pt"):
        assert (run / name).is_file(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["seed"] == 5 and len(summary["ppo"]["checkpoints"]) >= 2 and summary["kind"] == "rlhf"
    text = format_rlhf_summary(run)
    assert "Bayes ceiling" in text and "by built-in gold reward" in text
    assert all(f"({g:+.2f} SFT std)" in text for g in summary["ppo"]["gain_in_sft_std"].values())
    rankings = tmp_path / "mine.jsonl"
    shutil.copyfile(run / "rankings.jsonl", rankings)
    finished = (run / "config.toml").read_bytes()

    # A run that fails half-way leaves the finished run as it was, and no half-built directory.
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("DPO broke")

    monkeypatch.setattr(pipeline, "train_dpo", broken)
    with pytest.raises(RuntimeError, match="DPO broke"):
        run_rlhf("rlhf_toy", ranked_data=rankings, runs_dir=tmp_path, seed=5, overrides=overrides)
    assert (run / "config.toml").read_bytes() == finished and (run / "rankings.jsonl").is_file()
    assert sorted(p.name for p in run.parent.iterdir()) == ["5"]
    monkeypatch.undo()

    # The reward model learns from any ranked-data file, e.g. the one just written; the new run
    # replaces the old one whole: no stale synthetic rankings.jsonl, no gold figures.
    told: list[str] = []
    again = run_rlhf("rlhf_toy", ranked_data=rankings, runs_dir=tmp_path, seed=5, overrides=overrides,
                     log=told.append)
    kept = sorted(p for p in run.parent.iterdir() if p.name.startswith("5.replaced-"))
    assert len(kept) == 1 and told == [f"the previous run of {run} is kept as {kept[0]}"]
    assert (kept[0] / "config.toml").read_bytes() == finished
    assert again == run and not (run / "rankings.jsonl").exists() and not (run / "gold_vs_kl.png").exists()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["reward_model"]["data"] == str(rankings.resolve()) and summary["judges"] == {}
    assert "overopt" not in summary and "gold reward" not in format_rlhf_summary(run).lower()
    assert "no independent judge" in format_rlhf_summary(run)
    with pytest.raises(LabError, match=r"unknown key 'ppo\.nope'"):
        run_rlhf("rlhf_toy", runs_dir=tmp_path, overrides=["ppo.nope=1"])


def test_malformed_ranked_data_fails_before_any_training(tmp_path: Path) -> None:
    from rl_lab.rlhf.pipeline import run_rlhf

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "weather", "responses": []}\n')
    with pytest.raises(LabError, match=r"bad\.jsonl:1"):
        run_rlhf("rlhf_toy", ranked_data=bad, runs_dir=tmp_path / "runs", seed=0)
    assert not (tmp_path / "runs").exists()  # validated before anything was written


def test_summary_of_an_older_run_is_one_line(tmp_path: Path) -> None:
    from rl_lab.rlhf.report import format_rlhf_summary

    (tmp_path / "summary.json").write_text(json.dumps({"sft": {"gold": 1.0}, "ppo": {}}))
    with pytest.raises(LabError, match="not written by this rl-lab's `rl-lab rlhf`"):
        format_rlhf_summary(tmp_path)
