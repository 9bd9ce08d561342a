"""Watch a trained agent: in a pygame window when a display exists, otherwise as a video file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rl_lab import run_dir as runs
from rl_lab.env_factory import render_fps
from rl_lab.recording import play, write_video

WATCH_SEED = 20_000  # episodes no training or evaluation run has seen


def has_display() -> bool:
    """True when a window can be opened (X11/Wayland on Linux; always on macOS and Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def watch(run_dir: Path, episodes: int, video: Path | None, max_steps: int) -> Path | None:
    """Play ``episodes`` episodes of the run's agent; return the video path if one was written."""
    config = runs.load_run_config(run_dir)
    model = runs.load_model(run_dir, config)
    frames = play(model, config, episodes, WATCH_SEED, max_steps, config.eval.video_every)
    fps = render_fps(config)
    if video is None and has_display():
        _show_in_window(frames, fps, f"rl-lab: {config.name}")
        return None
    path = video or run_dir / runs.VIDEOS / "watch.mp4"
    return write_video(path, [f.image for f in frames], fps)


def _show_in_window(frames, fps: int, title: str) -> None:
    import pygame

    pygame.display.init()
    pygame.display.set_caption(title)
    clock = pygame.time.Clock()
    screen = None
    try:
        for frame in frames:
            if any(event.type == pygame.QUIT for event in pygame.event.get()):
                return
            image = frame.image
            if screen is None:
                screen = pygame.display.set_mode((image.shape[1], image.shape[0]))
            screen.blit(pygame.surfarray.make_surface(image.transpose(1, 0, 2)), (0, 0))
            pygame.display.flip()
            clock.tick(fps)
    finally:
        pygame.display.quit()
