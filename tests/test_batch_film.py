"""TensorBoard's evaluation episode is filmed from the evaluated batch itself (copy 0), and shows
exactly what a single env playing that episode again would show."""

from __future__ import annotations

import numpy as np
import pytest

from rl_lab.config import load_experiment
from rl_lab.training.batch_film import BatchFilm
from rl_lab.training.env_factory import make_vec_env
from rl_lab.training.evaluation import evaluate
from rl_lab.watching.play import PlayedEpisode, play


class Coasting:
    """A scripted policy with SB3's ``predict``: no torque, no lean (the bicycle falls in ~1.4 s)."""

    def predict(self, observations: np.ndarray, deterministic: bool = False):
        return np.full(len(observations), 4, np.int64), None


@pytest.mark.parametrize("name", ["bike_balance_ppo", "paddle_vector_ppo"])
def test_film_of_copy_zero_equals_playing_it_again(name: str) -> None:
    config = load_experiment(name, ["env.kwargs.max_seconds=3.0"] if name.startswith("bike") else [])
    policy = Coasting() if name.startswith("bike") else RandomPaddle()
    batch = make_vec_env(config, 3, seed=5, for_eval=True)
    film = BatchFilm.of(batch, max_frames=6, every=2)
    assert film is not None
    evaluate(policy, batch, 3, watchers=[film])
    replay, last_frame = _play_again(config, Coasting() if name.startswith("bike") else RandomPaddle(), film)
    assert replay.length > 12  # long enough for the frames to be thinned
    kept = film.frames[: len(replay.frames)]
    assert len(kept) == len(replay.frames)
    assert all(np.array_equal(a, b) for a, b in zip(kept, replay.frames, strict=True))
    assert film.episode.length == replay.length
    assert np.array_equal(film.frames[-1], last_frame)  # ends as late as a batch allows


def _play_again(config, policy, film: BatchFilm) -> tuple[PlayedEpisode, np.ndarray]:
    """Copy 0's episode played again by a rendering single env seeded alike, framed alike."""
    single = make_vec_env(config, 1, seed=5, for_eval=True, render_mode="rgb_array")
    env = single.unwrapped.envs[0]
    episode = PlayedEpisode(film.episode.max_frames, film.episode.every)
    observations, done = single.reset(), False
    while not done:
        last_frame = env.render()  # at the end: the state the final step starts from
        if episode.wants_frame():
            episode.keep(last_frame)
        observations, _, dones, _ = single.step(policy.predict(observations)[0])
        episode.length += 1
        done = bool(dones[0])
    return episode, last_frame


class RandomPaddle:
    """The paddle's own seeded randomness is in the env; the policy is a fixed cycle of moves."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, observations: np.ndarray, deterministic: bool = False):
        self.calls += 1
        return np.full(len(observations), self.calls % 3, np.int64), None


def test_no_film_for_generic_vector_envs() -> None:
    config = load_experiment("cartpole_ppo")
    assert BatchFilm.of(make_vec_env(config, 2, seed=0, for_eval=True), 6, 1) is None


def test_video_film_shows_the_networks_panel_as_playing_again_does() -> None:
    """The run's video is the final evaluation's copy 0 with the networks' panel: the same frames
    as playing that episode again with ``play`` (an untrained agent, so it falls soon)."""
    import torch

    from rl_lab.training.model_factory import build_model

    config = load_experiment("bike_balance_ppo", ["env.kwargs.max_seconds=3.0"])
    model = build_model(config, make_vec_env(config, 2, seed=0), seed=0)  # (SB3 seeds its env)
    batch = make_vec_env(config, 2, seed=3, for_eval=True)
    with torch.no_grad():  # a clear favourite (coasting): batched and single forwards agree on it
        model.policy.action_net.bias[4] += 5.0
    film = BatchFilm.of(batch, max_frames=100, every=4, model=model)
    evaluate(model, batch, 2, watchers=[film])
    single = make_vec_env(config, 1, seed=3, for_eval=True, render_mode="rgb_array")
    replay = play(model, single, 1, max_frames=100, every=4)[0]
    assert len(replay.frames) > 1 and film.episode.length == replay.length
    assert film.frames[0].shape[1] > 400  # the panel is attached to the 400 px picture
    kept = film.frames[: len(replay.frames)]
    assert all(np.array_equal(a, b) for a, b in zip(kept, replay.frames, strict=True))
