"""Play a trained agent and turn its episodes into annotated frames and video files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm

from rl_lab import atomic
from rl_lab.agents.two_network import TwoNetworkAgent
from rl_lab.config import ExperimentConfig
from rl_lab.env_factory import make_vec_env
from rl_lab.overlay import compose


@dataclass
class PlayedFrame:
    """One annotated frame and where in which episode it was."""

    image: np.ndarray
    episode: int
    step: int
    episode_return: float


def play(
    model: BaseAlgorithm,
    config: ExperimentConfig,
    episodes: int,
    seed: int,
    max_frames: int,
    every: int = 1,
    deterministic: bool = True,
) -> Iterator[PlayedFrame]:
    """Yield annotated frames of ``episodes`` episodes: every ``every``-th step, at most
    ``max_frames`` per episode (the episode itself still plays to its end)."""
    venv = make_vec_env(config, 1, seed, for_eval=True, render_mode="rgb_array")
    env = venv.unwrapped.envs[0]
    agent = TwoNetworkAgent(model)
    labels = getattr(env.unwrapped, "action_labels", None)
    shows_pixels = _is_image(venv.observation_space)
    try:
        observations = venv.reset()
        for episode in range(episodes):
            episode_return, step, done = 0.0, 0, False
            while not done:
                action, _ = model.predict(observations, deterministic=deterministic)
                readout = agent.readout(observations[0], labels)
                chosen = int(action[0]) if isinstance(venv.action_space, spaces.Discrete) else None
                if step % every == 0 and step // every < max_frames:
                    image = compose(
                        env.render(), readout, chosen, episode_return, step,
                        observations[0] if shows_pixels else None,
                        stacked_frames=config.frame_stack > 1,
                    )
                    yield PlayedFrame(image, episode, step, episode_return)
                observations, rewards, dones, _ = venv.step(action)
                episode_return += float(rewards[0])
                step += 1
                done = bool(dones[0])
    finally:
        venv.close()


def _is_image(space: spaces.Space) -> bool:
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3


def write_video(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    """Write ``frames`` as an H.264 MP4 atomically (padding to even sizes, as the codec needs)."""
    import imageio.v2 as imageio

    if not frames:
        raise ValueError("no frames to write")
    height = frames[0].shape[0] + frames[0].shape[0] % 2
    width = frames[0].shape[1] + frames[0].shape[1] % 2

    def writer(tmp: Path) -> None:
        with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=7, macro_block_size=1) as video:
            for frame in frames:
                padded = np.zeros((height, width, 3), dtype=np.uint8)
                padded[: frame.shape[0], : frame.shape[1]] = frame
                video.append_data(padded)

    atomic.write_with(path, writer)
    return path


def image_strip(frames: list[np.ndarray], count: int = 6) -> np.ndarray:
    """``count`` evenly spaced frames side by side (TensorBoard's eval image)."""
    picks = [frames[int(i)] for i in np.linspace(0, len(frames) - 1, min(count, len(frames)))]
    height = max(f.shape[0] for f in picks)
    padded = [np.pad(f, ((0, height - f.shape[0]), (0, 0), (0, 0))) for f in picks]
    return np.concatenate(padded, axis=1)
