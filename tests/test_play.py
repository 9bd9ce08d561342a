"""`rl-lab play`: a person's keys drive the game, scored as the agent is, beside the agent's score.

Headless: SDL's dummy video driver (set in conftest) and key events posted into pygame's real
event queue, one batch before each ``pygame.event.get()`` the game makes (one per frame: the
first starts the episode, the i-th after it comes just before step i).
"""

from __future__ import annotations

from pathlib import Path

import gymnasium
import numpy as np
import pygame
import pytest

from rl_lab.cli import main
from rl_lab.config import load_experiment
from rl_lab.training.env_factory import make_vec_env
from rl_lab.watching.human_play import EpisodeScore, keyboard_controls, play_human
from rl_lab.watching.play import rendered_env

DOWN, UP = pygame.KEYDOWN, pygame.KEYUP
FAST = 1e6  # frames per second: no waiting in tests


class ScriptedKeys:
    """Stands in for ``pygame.event.get``: posts ``script[call]`` (kind, key) events into the real
    queue, then returns what the real ``get`` returns. After the script, Enter is pressed at every
    call: it is no control, and it dismisses the end-of-episode picture."""

    def __init__(self, script: dict[int, list[tuple[int, int]]]) -> None:
        self.script, self.calls, self.real = script, 0, pygame.event.get

    def __call__(self, *args, **kwargs):
        after = [(DOWN, pygame.K_RETURN)] if self.calls > max(self.script) else []
        for kind, key in self.script.get(self.calls, after):
            pygame.event.post(pygame.event.Event(kind, key=key))
        self.calls += 1
        return self.real(*args, **kwargs)


def _human_venv(experiment: str, seed: int):
    config = load_experiment(experiment)
    venv = make_vec_env(config, 1, seed, for_eval=True, render_mode="rgb_array")
    return config, venv, keyboard_controls(rendered_env(venv), experiment)


def _replay(experiment: str, seed: int, actions: list[int], then: int | None,
            episode: int = 0) -> EpisodeScore:
    """The same env stepped with ``actions``, then (unless None) with ``then`` until the episode
    ends, scored by summing rewards: an independent account of what the keys should produce.
    ``episode``: which episode of the seed (the earlier ones are played with ``then``)."""
    config = load_experiment(experiment)
    env = gymnasium.make(config.env.id, **config.env.kwargs, **config.env.eval_kwargs)
    env.reset(seed=seed)
    for _ in range(episode):
        while not any(env.step(then)[2:4]):
            pass
        env.reset()
    total, steps, done, info = 0.0, 0, False, {}
    for action in [*actions, *([then] * 100_000 if then is not None else [])]:
        _, reward, terminated, truncated, info = env.step(action)
        total, steps, done = total + reward, steps + 1, terminated or truncated
        if done:
            break
    assert done == (then is not None), "the script outlived the episode"
    return EpisodeScore(total, steps, info.get("episode_metrics", {}))


def test_holding_up_moves_the_paddle_up(monkeypatch: pytest.MonkeyPatch) -> None:
    _, venv, controls = _human_venv("paddle_vector_ppo", seed=3)
    # call 0: up pressed (starts the game and is held); steps 1..9 up; call 10: Esc stops
    script = {0: [(DOWN, pygame.K_UP)], 10: [(DOWN, pygame.K_ESCAPE)]}
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys(script))
    played = play_human(venv, controls, 1, FAST, "test")
    paddle = rendered_env(venv).unwrapped.dynamics
    assert played == [EpisodeScore(0.0, 9, {}, finished=False)]
    court = paddle.court
    assert paddle.paddle_y[0] == pytest.approx(0.5 + 9 * court.paddle_speed)  # up: y grows
    venv.close()


def test_space_pauses_and_esc_before_the_start_plays_nothing(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path, capsys) -> None:
    _, venv, controls = _human_venv("paddle_vector_ppo", seed=3)
    # up held; space at call 5 pauses (calls 6-8 change nothing), x at call 9 goes on, Esc at 11
    script = {0: [(DOWN, pygame.K_UP)], 5: [(DOWN, pygame.K_SPACE)], 9: [(DOWN, pygame.K_x)],
              11: [(DOWN, pygame.K_ESCAPE)]}
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys(script))
    [person] = play_human(venv, controls, 1, FAST, "test")
    paddle_y = rendered_env(venv).unwrapped.dynamics.paddle_y[0]
    venv.close()
    assert person.length == 6  # steps after calls 1-4, 5 (then the pause), 10; none while paused
    assert paddle_y == pytest.approx(0.5 + 6 * 0.04)

    monkeypatch.setattr(pygame.event, "get", ScriptedKeys({0: [(DOWN, pygame.K_ESCAPE)]}))
    assert main(["play", "paddle", "--slow", "4", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "7.5 steps/s (real time: 30)" in out  # --slow 4: a quarter of the paddle's 30
    assert out.strip().endswith("stopped before the first step: nothing to compare")


def test_scripted_keys_score_exactly_as_the_same_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    _, venv, controls = _human_venv("paddle_vector_ppo", seed=5)
    k_up, k_down, k_w = pygame.K_UP, pygame.K_DOWN, pygame.K_w
    script = {
        0: [(DOWN, k_down)],                 # starts; down held: steps 1-6 down (2)
        7: [(UP, k_down)],                   # steps 7-9 nothing (0)
        10: [(DOWN, k_up)],                  # steps 10-14 up (1)
        15: [(DOWN, k_down)],                # up and down together: stay (0), steps 15-16
        17: [(UP, k_up), (UP, k_down), (DOWN, k_w)],  # w: up, steps 17-20
        21: [(UP, k_w), (DOWN, pygame.K_x)],  # x is no control: nothing, from step 21 on
    }
    actions = [2] * 6 + [0] * 3 + [1] * 5 + [0] * 2 + [1] * 4
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys(script))
    [person] = play_human(venv, controls, 1, FAST, "test")
    venv.close()
    expected = _replay("paddle_vector_ppo", 5, actions, then=0)
    assert person.finished and person.length > len(actions)
    assert (person.episode_return, person.length) == (pytest.approx(expected.episode_return), expected.length)
    for key, value in expected.metrics.items():
        assert person.metrics[key] == pytest.approx(value), key
    assert person.metrics["survived"] == float(person.length == 500)


def test_each_episode_is_the_next_of_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    _, venv, controls = _human_venv("paddle_vector_ppo", seed=6)
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys({0: [(DOWN, pygame.K_RETURN)]}))  # no control held
    played = play_human(venv, controls, 3, FAST, "test")
    venv.close()
    expected = [_replay("paddle_vector_ppo", 6, [], then=0, episode=e) for e in range(3)]
    assert [(p.episode_return, p.length) for p in played] == [(e.episode_return, e.length) for e in expected]
    assert [p.length for p in played] == [14, 66, 201]  # three launches (a still paddle scores 0, 1, 4)


def test_bicycle_keys_turn_and_lean(monkeypatch: pytest.MonkeyPatch) -> None:
    _, venv, controls = _human_venv("bike_balance_ppo", seed=2)
    assert controls.noop == 4  # no key: "T0 d0", no torque and no lean
    # left arrow + a: torque +2 N m and lean +2 cm (action 8, "T+ d+"); then d alone (0, "T0 d-" = 3)
    script = {0: [(DOWN, pygame.K_LEFT), (DOWN, pygame.K_a)], 4: [(UP, pygame.K_LEFT), (UP, pygame.K_a),
              (DOWN, pygame.K_d)], 7: [(DOWN, pygame.K_ESCAPE)]}
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys(script))
    [person] = play_human(venv, controls, 1, FAST, "test")
    state = rendered_env(venv).unwrapped.state.copy()
    venv.close()
    assert not person.finished and person.length == 6
    env = gymnasium.make("rl_lab/BikeBalance-v0", action_repeat=5, max_seconds=1000.0)
    env.reset(seed=2)
    for action in [8, 8, 8, 3, 3, 3]:
        env.step(action)
    np.testing.assert_array_equal(env.unwrapped.state, state)
    assert person.episode_return == 6.0  # +1 per step upright


def test_no_display_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["play", "paddle", "--runs-dir", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "no display" in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["play", "bicycle"], "unknown game 'bicycle' (choose bike, ride, paddle"),
        (["play", "cartpole_ppo"], "CartPole-v1, which has no keyboard controls"),
        (["play", "bike_ride_sac_continuous"], "keyboard play needs the discrete bicycle"),
        (["play", "paddle", "--seed", "-1"], "--seed: expected a whole number in [0, 4294967295], got -1"),
        (["play", "paddle", "--seed", "x"], "--seed: expected a whole number"),
        (["play", "paddle", "--fps", "0"], "--fps: expected a positive number"),
        (["play", "paddle", "--fps", "10", "--slow", "2"], "not allowed with argument"),
        (["play", "paddle", "--run", "nowhere/0"], "nowhere/0: no such run directory"),
        (["play", "paddle", "--episodes", "0"], "--episodes: expected a positive integer"),
    ],
)
def test_bad_input_is_one_line(argv: list[str], expected: str, tmp_path: Path, capsys) -> None:
    try:
        code = main([*argv, "--runs-dir", str(tmp_path)])
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err


def test_help_names_the_games_and_keys(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["play", "--help"])
    text = capsys.readouterr().out
    for word in ("bike", "ride", "paddle", "--seed", "--fps", "--slow", "--episodes", "--run", "Esc"):
        assert word in text, word


def test_without_an_agent_says_how_to_train_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capsys) -> None:
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys({0: [(DOWN, pygame.K_UP)]}))
    argv = ["play", "rl_lab/PaddleBall-v0", "--seed", "7", "--fps", "1e6", "--runs-dir", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    expected = _replay("paddle_vector_ppo", 7, [], then=1)  # up held to the end
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    assert rows["return"] == [f"{expected.episode_return:.2f}"]  # one column: no agent
    assert f"no trained agent at {tmp_path / 'paddle_vector_ppo' / '7'}" in out
    assert "rl-lab train paddle_vector_ppo --seed 7" in out


@pytest.mark.slow
def test_the_agent_plays_the_same_seed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    from rl_lab import api

    runs = tmp_path / "runs"
    monkeypatch.chdir(tmp_path)
    api.train("paddle_vector_ppo", seed=4, runs_dir=runs, video=False,
              overrides=["total_timesteps=2048", "n_envs=4", "eval.freq=1024", "eval.episodes=2"])
    loaded = api.load_run(runs / "paddle_vector_ppo" / "4")
    env = gymnasium.make("rl_lab/PaddleBall-v0", obs_mode="vector")
    obs, _ = env.reset(seed=4)
    agent_return, agent_steps, done = 0.0, 0, False
    while not done:  # the agent's episode on seed 4, stepped here by hand
        action, _ = loaded.model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, _ = env.step(int(action))
        agent_return, agent_steps, done = agent_return + reward, agent_steps + 1, terminated or truncated

    monkeypatch.setattr(pygame.event, "get", ScriptedKeys({0: [(DOWN, pygame.K_DOWN)]}))
    assert main(["play", "paddle", "--seed", "4", "--fps", "1e6", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    person = _replay("paddle_vector_ppo", 4, [], then=2)  # down held to the end
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    assert rows["return"] == [f"{person.episode_return:.2f}", f"{agent_return:.2f}"]
    assert rows["length"][-1] == str(agent_steps)
    assert f"agent: {runs / 'paddle_vector_ppo' / '4'}" in out

    # --run names the agent explicitly; one of another game is refused in one line
    monkeypatch.setattr(pygame.event, "get", ScriptedKeys({0: [(DOWN, pygame.K_DOWN)]}))
    assert main(["play", "paddle", "--seed", "4", "--fps", "1e6", "--run",
                 str(runs / "paddle_vector_ppo" / "4")]) == 0
    assert f"{agent_return:.2f}" in capsys.readouterr().out
    assert main(["play", "bike", "--run", str(runs / "paddle_vector_ppo" / "4")]) == 2
    assert "its agent plays rl_lab/PaddleBall-v0, not rl_lab/BikeBalance-v0" in capsys.readouterr().err
