"""Preference learning on the control tasks (rl_lab.prefs): the labeller, r̂, the reward wrapper,
clip replay and the label schedule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from prefs_helpers import bike_batch, random_bike_clips

import rl_lab.envs  # noqa: F401  (registers the envs)
from rl_lab.prefs.clips import Clip, ClipRecorder
from rl_lab.prefs.dataset import RankedClips
from rl_lab.prefs.labeller import ClipLabeller
from rl_lab.prefs.queries import sample_groups, true_order_accuracy
from rl_lab.prefs.replay import replay_clip
from rl_lab.prefs.reward_net import RewardNet, load_reward_net, save_reward_net, train_reward_net
from rl_lab.prefs.reward_wrapper import LearnedRewardVecEnv
from rl_lab.prefs.settings import label_schedule


def test_labeller_ranks_by_true_return_at_zero_noise() -> None:
    labeller = ClipLabeller(temperature=0.0)
    rankings = labeller.rank(np.tile([1.0, 5.0, 3.0, -2.0], (50, 1)), np.random.default_rng(0))
    assert (rankings == [1, 2, 0, 3]).all()
    # Ties come out in either order, never unranked.
    tied = labeller.rank(np.tile([2.0, 2.0, 0.0], (400, 1)), np.random.default_rng(1))
    assert (tied[:, 2] == 2).all() and 0.4 < np.mean(tied[:, 0] == 0) < 0.6


@pytest.mark.parametrize("temperature", [0.25, 0.5, 2.0])
def test_labeller_gets_noisier_with_temperature(temperature: float) -> None:
    rankings = ClipLabeller(temperature).rank(np.tile([1.0, 0.0], (40_000, 1)), np.random.default_rng(2))
    right = np.mean(rankings[:, 0] == 0)
    assert right == pytest.approx(1 / (1 + np.exp(-1 / temperature)), abs=0.01)  # σ(Δ / T)
    assert right < 1.0


def _clip(obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray, length: int) -> Clip:
    return Clip(obs, actions, rewards, length, "none", {}, 0, 0, 0, np.zeros(0, np.int64))


def _known_reward_clips(n: int, rng: np.random.Generator, steps: int = 8) -> list[Clip]:
    """Clips of a made-up task: r = obs[0] + 1 if a == 1, on random 3-d states; some end early."""
    clips = []
    for _ in range(n):
        obs = rng.normal(size=(steps, 3)).astype(np.float32)
        actions = rng.integers(3, size=steps)
        length = int(rng.integers(steps // 2, steps + 1))
        rewards = obs[:, 0] + (actions == 1)
        obs[length:], actions[length:], rewards[length:] = 0, 0, 0
        clips.append(_clip(obs, actions, rewards.astype(np.float64), length))
    return clips


def test_reward_net_learns_a_known_reward_from_rankings() -> None:
    rng = np.random.default_rng(3)
    torch.manual_seed(3)
    clips = _known_reward_clips(600, rng)
    groups = sample_groups(clips[:400], 300, 3, rng)
    data = RankedClips()
    data.add(groups, ClipLabeller(0.25).rank_clips(groups, rng))
    net = RewardNet(3, 3, discrete=True, hidden=(32,))
    before = true_order_accuracy(net, clips[400:], 2000, np.random.default_rng(4))
    train_reward_net(net, *data.arrays(), steps=600, generator=torch.Generator().manual_seed(0))
    after = true_order_accuracy(net, clips[400:], 2000, np.random.default_rng(4))
    assert after > 0.9 > before
    assert data.accuracy(net) > 0.8  # the (noisy) training rankings themselves
    assert data.pairs == 300 * 3


def test_reward_net_saves_plain_weights(tmp_path) -> None:
    net = RewardNet(5, 9, discrete=True)
    with torch.no_grad():
        net.end.fill_(0.7)
        net.scale.fill_(2.5)
    save_reward_net(tmp_path / "r.pt", net)
    torch.load(tmp_path / "r.pt", weights_only=True)  # no pickled code needed
    loaded = load_reward_net(tmp_path / "r.pt")
    obs, actions = np.ones((4, 5), np.float32), np.arange(4)
    assert np.array_equal(loaded.reward(obs, actions), net.reward(obs, actions))


def test_wrapper_replaces_the_reward_and_monitor_keeps_the_true_return() -> None:
    net = RewardNet(5, 9, discrete=True)
    with torch.no_grad():  # r̂ = 3 everywhere, ended state 0.5: normalised (3 - 0.5) / 2 = 1.25
        net.mlp[-1].weight.zero_()
        net.mlp[-1].bias.fill_(3.0)
        net.end.fill_(0.5)
        net.scale.fill_(2.0)
    recorder = ClipRecorder(2, 10, "rl_lab/BikeBalance-v0", {"action_repeat": 5}, [7, 8])
    env = LearnedRewardVecEnv(bike_batch(2, 7), net, recorder)
    env.seed(7)
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(200):
        _, rewards, _, _ = env.step(rng.integers(9, size=2))
        assert np.allclose(rewards, 1.25)
    assert env.true_returns and all(r == int(r) and r >= 1 for r in env.true_returns)  # +1 per step upright
    # The clips hold the env's rewards: +1 for each step that ends upright (the falling step pays 0).
    assert all((c.rewards[: c.length - 1] == 1.0).all() and c.rewards[c.length - 1] in (0.0, 1.0)
               for c in recorder.clips)
    assert any(c.length < c.steps and c.rewards[c.length - 1] == 0.0 for c in recorder.clips)
    env.close()


def test_recorded_clips_replay_exactly() -> None:
    recorder = random_bike_clips(6, 11, (150, 40))  # the second reset, without a seed: the next episodes
    clips = list(recorder.clips)
    later = [c for c in clips if c.episode >= 2]
    short = [c for c in clips if c.length < c.steps]
    assert later and short
    for clip in [later[-1], short[0], clips[-1]]:
        replayed, frames = replay_clip(clip.replay_info())
        assert replayed.length == clip.length and replayed.start == clip.start
        assert np.array_equal(replayed.obs, clip.obs)
        assert np.array_equal(replayed.rewards, clip.rewards)
        assert np.array_equal(replayed.actions, clip.actions)
        assert frames == []


def test_label_schedule_spends_the_budget_early() -> None:
    for labels, rounds in ((100, 5), (7, 10), (700, 8), (1, 1)):
        schedule = label_schedule(labels, rounds)
        assert sum(schedule) == labels and len(schedule) == rounds
        assert all(a >= b for a, b in itertools.pairwise(schedule))
    assert label_schedule(100, 5)[0] > 100 / 5


def test_reward_scale_makes_the_reward_of_order_one() -> None:
    net = RewardNet(3, 2, discrete=True)
    with torch.no_grad():  # r̂ about 5 everywhere, far above the ended state: a std alone would be ~0
        net.mlp[-1].bias.fill_(5.0)
    obs, actions = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32), np.zeros(500, np.int64)
    net.set_scale(obs, actions)
    assert np.sqrt(np.mean(net.reward(obs, actions) ** 2)) == pytest.approx(1.0, rel=1e-4)


def test_prefs_table_reads_the_first_round_reaching_the_target(tmp_path) -> None:
    from rl_lab.prefs.table import first_round, prefs_table
    from rl_lab.runs.layout import write_summary

    rounds = [{"timesteps": 100 * i, "labels": 10 * i, "eval_mean_return": float(i),
               "eval_success_rate": i / 4} for i in range(1, 5)]
    for seed in (0, 1):
        (tmp_path / str(seed)).mkdir()
        write_summary(tmp_path / str(seed), {
            "seed": seed, "labels": 40, "pairs": 40, "eval_mean_return": 4.0, "eval_success_rate": 1.0,
            "criterion_success_rate": 0.75, "rounds": rounds, "rhat_accuracy": 0.9, "wall_seconds": 3.0})
    by_return = prefs_table([tmp_path / "0", tmp_path / "1"], max_score=4.0, fraction=0.5)
    assert "| 0 | 40 (40) | 4.00 (100.0%) | 100% | 20 labels | 200 |" in by_return
    assert "20 ± 0 labels (2/2 seeds)" in by_return
    assert "| 1 | 40 (40) | 4.00 | 100% | 30 labels | 300 |" in prefs_table([tmp_path / "1"])
    assert first_round({"rounds": [{"eval_mean_return": 11.7}]}, 0.9 * 13) is not None  # 11.700000000000001


def test_recorder_counts_episodes_across_autoresets_and_resets() -> None:
    recorder = ClipRecorder(1, 3, "none", {}, [5])
    recorder.restart(seeded=True)
    obs = np.zeros((1, 2), np.float32)
    recorder.record(obs, np.array([1]), np.array([1.0]), np.array([True]), [{}])  # episode 0 ends
    assert recorder.clips[-1].episode == 0 and recorder.clips[-1].length == 1
    recorder.restart(seeded=False)  # the autoreset began episode 1; this reset skips it
    recorder.record(obs, np.array([2]), np.array([0.0]), np.array([True]), [{}])
    assert recorder.clips[-1].episode == 2
    recorder.record(obs, np.array([2]), np.array([0.0]), np.array([True]), [{"TimeLimit.truncated": True}])
    assert recorder.made == 2  # a window cut by a time limit is no clip
