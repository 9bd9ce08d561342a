"""A person plays an environment with the keyboard in a pygame window, scored as the agent is.

The person's actions go through the same vectorised environment an agent's evaluation uses
(:func:`rl_lab.training.env_factory.make_vec_env`: the env, its time limit, ``VecMonitor``), so
the return, the length and the episode measures (``survived`` and ``info["episode_metrics"]``)
are computed by the same code for both. Keys are the environment's own ``get_keys_to_action``
map (as ``gymnasium.utils.play`` uses it): the set of keys held down is looked up as a sorted
tuple, anything else plays the no-op. Keys are read from pygame's event queue, one
``pygame.event.get()`` per frame, so a test can drive a game by posting events.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.config.validation import episode_measures
from rl_lab.errors import LabError
from rl_lab.watching.play import rendered_env
from rl_lab.watching.viewer import has_display

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # before the env's key map imports pygame
HEADLESS_DRIVERS = ("dummy", "offscreen")  # SDL drivers that need no display (tests, frame dumps)
PANEL_WIDTH = 300
MIN_PICTURE = 480  # a picture under half this size is scaled up by a whole factor (the bicycle's
# 600x400 and the paddle's 336x372 are shown as they are)
IDLE_FPS = 30.0  # redraws per second while waiting for a key or paused
_BACKGROUND = (24, 26, 32)
_TEXT = (230, 230, 230)
_ACCENT = (250, 190, 60)


@dataclass
class EpisodeScore:
    """One episode's score as the agent's evaluation records it (for a person or an agent)."""

    episode_return: float
    length: int
    metrics: dict[str, float] = field(default_factory=dict)
    finished: bool = True  # False: the person stopped it before it ended


@dataclass
class Controls:
    """The environment's key map and the action played when no mapped combination is held."""

    keys_to_action: dict[tuple[int, ...], Any]
    noop: Any

    @property
    def keys(self) -> frozenset[int]:
        return frozenset(k for combo in self.keys_to_action for k in combo)

    def action(self, held: set[int]) -> Any:
        return self.keys_to_action.get(tuple(sorted(held)), self.noop)


def can_open_window() -> bool:
    """A display to open a window on, or an SDL driver that needs none."""
    return has_display() or os.environ.get("SDL_VIDEODRIVER", "") in HEADLESS_DRIVERS


def keyboard_controls(env: gymnasium.Env, name: str) -> Controls:
    """The env's ``get_keys_to_action`` map and its no-op (the action labelled as doing nothing:
    the bicycle's "T0 d0", the paddle's "stay"; zeros for continuous actions)."""
    base = env.unwrapped
    if not hasattr(base, "get_keys_to_action"):
        raise LabError(f"play: {name} has no keyboard controls (get_keys_to_action)")
    try:
        mapping = base.get_keys_to_action()
    except ValueError as error:
        raise LabError(f"play: {name}: {error}") from None
    space = base.action_space
    if isinstance(space, gymnasium.spaces.Box):
        return Controls(mapping, np.zeros(space.shape, space.dtype))
    labels = list(getattr(base, "action_labels", None) or [])
    quiet = [i for i, label in enumerate(labels) if label in ("stay", "T0 d0")]
    return Controls(mapping, quiet[0] if quiet else 0)


def key_help(controls: Controls, labels: list[str] | None) -> list[str]:
    """One line per single key: its name and the action it plays."""
    import pygame

    lines = []
    for combo, action in controls.keys_to_action.items():
        if len(combo) == 1:
            what = labels[int(action)] if labels else f"{np.asarray(action).tolist()}"
            lines.append(f"  {pygame.key.name(combo[0])}: {what}")
    return lines


class _FrameKeeper(gymnasium.Wrapper):
    """Renders after every reset and step and keeps the last step's picture of an episode, which
    the vectorised env's autoreset would otherwise replace before anyone sees it. It changes
    nothing the env returns."""

    def __init__(self, env: gymnasium.Env) -> None:
        super().__init__(env)
        self.frame: np.ndarray | None = None
        self.final_frame: np.ndarray | None = None

    def reset(self, **kwargs: Any):
        result = self.env.reset(**kwargs)
        self.frame = self.env.render()
        return result

    def step(self, action: Any):
        result = self.env.step(action)
        self.frame = self.env.render()
        if result[2] or result[3]:
            self.final_frame = self.frame
        return result


class _Stop(Exception):
    """The person closed the window or pressed Esc."""


class _Window:
    """The picture (scaled up when small) and a text panel beside it."""

    def __init__(self, title: str, picture_shape: tuple[int, ...], help_lines: list[str]) -> None:
        import pygame

        self.pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.scale = max(1, MIN_PICTURE // max(picture_shape[0], picture_shape[1]))
        height, width = picture_shape[0] * self.scale, picture_shape[1] * self.scale
        try:
            self.screen = pygame.display.set_mode((width + PANEL_WIDTH, max(height, 420)))
        except pygame.error as error:
            pygame.display.quit()
            raise LabError(f"play: cannot open a window ({error})") from None
        pygame.display.set_caption(title)
        self.font = pygame.font.Font(None, 22)
        self.help_lines = help_lines
        self.picture_width = width

    def draw(self, frame: np.ndarray, lines: list[str], status: str) -> None:
        pg = self.pg
        self.screen.fill(_BACKGROUND)
        surface = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        if self.scale > 1:
            surface = pg.transform.scale_by(surface, self.scale)
        self.screen.blit(surface, (0, 0))
        x, y = self.picture_width + 12, 10
        for line in [*lines, "", *self.help_lines]:
            self.screen.blit(self.font.render(line, True, _TEXT), (x, y))
            y += 20
        if status:
            self.screen.blit(self.font.render(status, True, _ACCENT), (x, self.screen.get_height() - 30))
        pg.display.flip()

    def close(self) -> None:
        self.pg.display.quit()


def play_human(
    venv: VecEnv,
    controls: Controls,
    episodes: int,
    fps: float,
    title: str,
    describe_agent: Callable[[int], str] = lambda index: "",
) -> list[EpisodeScore]:
    """Let a person play ``episodes`` episodes of ``venv`` (one env made with
    ``render_mode="rgb_array"``, seeded) at ``fps`` steps per second.

    Each episode waits for a first key and ends on its last picture until Enter is pressed; space
    pauses, Esc or closing the window stops (an episode under way is returned with
    ``finished=False``). ``describe_agent(i)`` is shown beside episode ``i`` (e.g. what the agent
    scored on it).
    """
    game = _Game(venv, controls, fps, title)
    played: list[EpisodeScore] = []
    try:
        for index in range(episodes):
            heading = [title, f"episode {index + 1} of {episodes}", describe_agent(index)]
            episode = game.play_episode(heading)
            if episode.length:
                played.append(episode)
            if not episode.finished:
                break
            # Only Enter or space go on: a steering key pressed as the episode ends must not
            # close its last picture before the person has seen it.
            last = index + 1 == episodes
            game.wait_for_key(game.inner.final_frame, [*heading, *game.progress(episode)],
                              "over; Enter closes the window" if last else "over; Enter: the next episode",
                              accept=(game.pg.K_RETURN, game.pg.K_KP_ENTER, game.pg.K_SPACE))
    except _Stop:
        pass
    finally:
        game.window.close()
    return played


class _Game:
    """The window, the keys held down and the stepping of one env by a person."""

    def __init__(self, venv: VecEnv, controls: Controls, fps: float, title: str) -> None:
        import pygame

        self.pg, self.venv, self.controls, self.fps = pygame, venv, controls, fps
        self.inner = _FrameKeeper(rendered_env(venv))
        venv.unwrapped.envs[0] = self.inner
        base = self.inner.unwrapped
        help_lines = ["keys (hold):", *key_help(controls, getattr(base, "action_labels", None)),
                      "  space: pause, Esc: quit", "", *getattr(base, "picture_legend", ())]
        self.limit = getattr(base, "max_episode_steps", None)
        venv.reset()
        self.window = _Window(title, self.inner.frame.shape, help_lines)
        self.clock = pygame.time.Clock()
        self.held: set[int] = set()

    def keys(self) -> list[int]:
        """Apply this frame's events to the keys held; the keys pressed in it."""
        pg, pressed = self.pg, []
        for event in pg.event.get():
            if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                raise _Stop
            if event.type == pg.KEYDOWN:
                pressed.append(event.key)
                if event.key in self.controls.keys:
                    self.held.add(event.key)
            elif event.type == pg.KEYUP:
                self.held.discard(event.key)
            elif event.type == getattr(pg, "WINDOWFOCUSLOST", -1):
                self.held.clear()  # a key released in another window never sends its KEYUP here
        return pressed

    def wait_for_key(self, frame: np.ndarray, lines: list[str], status: str,
                     accept: tuple[int, ...] | None = None) -> None:
        """Show ``frame`` until a key (one of ``accept``, or any) is pressed."""
        while True:
            self.window.draw(frame, lines, status)
            if any(accept is None or key in accept for key in self.keys()):
                return
            self.clock.tick(IDLE_FPS)

    def progress(self, episode: EpisodeScore) -> list[str]:
        steps = f"step {episode.length}" + (f" of {self.limit}" if self.limit else "")
        return [steps, f"return so far: {episode.episode_return:.2f}"]

    def play_episode(self, heading: list[str]) -> EpisodeScore:
        """One episode from its first key to its end, or to Esc (then ``finished=False``)."""
        now = EpisodeScore(0.0, 0, finished=False)
        try:
            self.wait_for_key(self.inner.frame, heading, "press a key to start")
            while True:
                if self.pg.K_SPACE in self.keys():
                    self.wait_for_key(self.inner.frame, heading, "paused: a key goes on")
                _, rewards, dones, infos = self.venv.step(np.array([self.controls.action(self.held)]))
                now.episode_return += float(rewards[0])
                now.length += 1
                if dones[0]:
                    break
                self.window.draw(self.inner.frame, [*heading, *self.progress(now)], "")
                self.clock.tick(self.fps)
        except _Stop:
            return now
        # scored as the agent's evaluation scores its episodes (rl_lab.training.evaluation)
        info = infos[0]
        return EpisodeScore(float(info["episode"]["r"]), int(info["episode"]["l"]), episode_measures(info))
