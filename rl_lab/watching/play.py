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
    """One episode: its annotated frames (evenly spaced over the WHOLE episode), return and length."""

    frames: list[np.ndarray] = field(default_factory=list)
    episode_return: float = 0.0
    length: int = 0
    every: int = 1  # environment steps between kept frames


def rendered_env(venv: VecEnv):
    """The single environment inside a one-env ``DummyVecEnv`` made with a render mode."""
    return venv.unwrapped.envs[0]


def frames_per_second(venv: VecEnv) -> float:
    """The playing speed the environment instance declares (it may depend on its arguments, e.g.
    the bicycle's ``action_repeat``), not its class's."""
    return float(rendered_env(venv).metadata.get("render_fps", 30))


def _annotate(env, agent: TwoNetworkAgent, observation, action, labels, episode: PlayedEpisode,
              stacked_frames: bool, shows_pixels: bool) -> np.ndarray:
    readout = agent.readout(observation, labels)
    chosen = int(action) if isinstance(agent.model.action_space, spaces.Discrete) else None
    return compose(env.render(), readout, chosen, episode.episode_return, episode.length,
                   observation if shows_pixels else None, stacked_frames=stacked_frames,
                   legend=getattr(env.unwrapped, "picture_legend", ()))


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

    Keeps every ``every``-th step; when an episode outgrows ``max_frames`` the kept frames are
    thinned by two (and the stride doubled), so the frames always span the whole episode and end
    with its last step (a ride ends at the goal, not 80 steps before it).
    """
    env = rendered_env(venv)
    agent = TwoNetworkAgent(model)
    labels = getattr(env.unwrapped, "action_labels", None)
    shows_pixels = is_image_space(venv.observation_space)
    played: list[PlayedEpisode] = []
    observations = venv.reset()
    model.policy.set_training_mode(False)
    for _ in range(episodes):
        episode = PlayedEpisode(every=every)
        done = False
        while not done:
            action = policy_actions(model, observations, deterministic)
            if episode.length % episode.every == 0:
                if annotate:
                    frame = _annotate(env, agent, observations[0], action[0], labels, episode,
                                      stacked_frames, shows_pixels)
                else:
                    frame = env.render()
                episode.frames.append(frame)
                if len(episode.frames) > max_frames:
                    episode.frames = episode.frames[::2]
                    episode.every *= 2
            observations, rewards, dones, _ = venv.step(action)
            episode.episode_return += float(rewards[0])
            episode.length += 1
            done = bool(dones[0])
        played.append(episode)
    return played
