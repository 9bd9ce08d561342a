"""Play a trained agent and turn its episodes into annotated frames (the networks' panel beside
the environment's picture)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl_lab.agents.acting import policy_actions
from rl_lab.agents.features import is_image_space
from rl_lab.agents.two_network import TwoNetworkAgent
from rl_lab.watching.overlay import compose


@dataclass
class PlayedEpisode:
    """One episode: its frames (evenly spaced over the WHOLE episode), return and length.

    Frames are offered at every step and kept every ``every``-th step; when more than
    ``max_frames`` are kept, every second one is dropped and the stride doubled, so the frames
    always span the episode however long it turns out to be.
    """

    max_frames: int
    every: int = 1  # environment steps between kept frames
    frames: list[np.ndarray] = field(default_factory=list)
    episode_return: float = 0.0
    length: int = 0

    def wants_frame(self) -> bool:
        """Whether the current step (``length``) is one whose frame is kept."""
        return self.length % self.every == 0

    def keep(self, frame: np.ndarray) -> None:
        """Keep the current step's frame, thinning the kept frames if they overflow."""
        self.frames.append(frame)
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.every *= 2


def rendered_env(venv: VecEnv):
    """The single environment inside a one-env ``DummyVecEnv`` made with a render mode."""
    return venv.unwrapped.envs[0]


def frames_per_second(venv: VecEnv) -> float:
    """The playing speed the environment instance declares (it may depend on its arguments, e.g.
    the bicycle's ``action_repeat``), not its class's."""
    return float(rendered_env(venv).metadata.get("render_fps", 30))


class FrameMaker:
    """Draws one step of ``env`` (made with ``render_mode="rgb_array"``): its picture alone, or,
    given the agent, with the networks' panel for the observation they saw (``observation_space``:
    the space of what the networks see, after any frame stacking)."""

    def __init__(self, env, model: BaseAlgorithm | None, observation_space: spaces.Space,
                 stacked_frames: bool = False) -> None:
        self.env = env
        self.agent = TwoNetworkAgent(model) if model is not None else None
        self.labels = getattr(env.unwrapped, "action_labels", None)
        self.legend = getattr(env.unwrapped, "picture_legend", ())
        self.shows_pixels = is_image_space(observation_space)
        self.stacked_frames = stacked_frames

    def frame(self, observation: np.ndarray, action: np.ndarray, episode: PlayedEpisode) -> np.ndarray:
        """The picture now, annotated with what the networks make of ``observation``."""
        if self.agent is None:
            return self.env.render()
        readout = self.agent.readout(observation, self.labels)
        chosen = int(action) if isinstance(self.agent.model.action_space, spaces.Discrete) else None
        return compose(self.env.render(), readout, chosen, episode.episode_return, episode.length,
                       observation if self.shows_pixels else None, stacked_frames=self.stacked_frames,
                       legend=self.legend)


def play(
    model: BaseAlgorithm,
    venv: VecEnv,
    episodes: int,
    max_frames: int,
    every: int = 1,
    stacked_frames: bool = False,
    deterministic: bool = True,
    annotate: bool = True,
) -> list[PlayedEpisode]:
    """Play ``episodes`` episodes on ``venv`` (one env with ``render_mode="rgb_array"``).

    Keeps every ``every``-th step, thinned as :class:`PlayedEpisode` describes, so the frames
    span the whole episode.
    """
    maker = FrameMaker(rendered_env(venv), model if annotate else None, venv.observation_space,
                       stacked_frames)
    played: list[PlayedEpisode] = []
    observations = venv.reset()
    model.policy.set_training_mode(False)
    for _ in range(episodes):
        episode = PlayedEpisode(max_frames, every)
        done = False
        while not done:
            action = policy_actions(model, observations, deterministic)
            if episode.wants_frame():
                episode.keep(maker.frame(observations[0], action[0], episode))
            observations, rewards, dones, _ = venv.step(action)
            episode.episode_return += float(rewards[0])
            episode.length += 1
            done = bool(dones[0])
        played.append(episode)
    return played
