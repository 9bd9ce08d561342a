"""``rl-lab prefs label FILE EXPERIMENT``: a person ranks clips of the control tasks.

Each round plays K clips (random actions, or a trained run's policy with ``--from``), shows them
side by side and numbered (in a window when there is a display, else as an MP4 whose path is
printed), and reads the ranking from the terminal with the RLHF toy's keys
(:func:`rl_lab.rlhf.label_session.read_order`: numbers best first, Backspace, ``s`` skips,
``q``/Ctrl-C quits). Every ranking is appended to FILE at once (flushed and fsynced), in the
format ``rl-lab prefs train --labels-file`` reads; the same command continues the file. The clips
are re-simulated from what the file records before they are shown, so the file always replays.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import gymnasium
import numpy as np

from rl_lab.config import load_experiment
from rl_lab.errors import LabError
from rl_lab.prefs.clip_view import side_by_side
from rl_lab.prefs.clips import Clip
from rl_lab.prefs.labels_file import append_labels, read_labels
from rl_lab.prefs.replay import replay_clip
from rl_lab.prefs.run import check_experiment
from rl_lab.prefs.settings import MAX_CLIPS_PER_RANKING
from rl_lab.rlhf.label_session import ask_order, keystrokes, terminal_fd
from rl_lab.runs.answers_file import holds_answers
from rl_lab.training.env_factory import env_kwargs

MAX_START = 200  # a clip starts at a random step among the episode's first this many


def play_clip(env_id: str, kwargs: dict, seed: int, steps: int, policy, rng: np.random.Generator) -> dict:
    """Play episode 0 of ``seed`` up to a clip of ``steps`` steps; its replay description."""
    env = gymnasium.make(env_id, **kwargs)
    try:
        obs, _ = env.reset(seed=seed)
        start = int(rng.integers(MAX_START + 1))
        actions: list = []
        ended = False
        while len(actions) < start + steps and not ended:
            action = policy(obs, env)
            obs, _, terminated, truncated, _ = env.step(action)
            actions.append(np.asarray(action).tolist())
            ended = terminated or truncated
    finally:
        env.close()
    start = min(start, max(0, len(actions) - steps)) if ended else start
    return {"env_id": env_id, "env_kwargs": kwargs, "seed": seed, "episode": 0, "start": start,
            "steps": steps, "actions": actions}


def _policy(from_run: Path | None):
    if from_run is None:
        return lambda obs, env: env.action_space.sample()
    from rl_lab import api

    model = api.load_run(from_run).model
    return lambda obs, env: model.predict(obs, deterministic=False)[0]


def _show(frames: list[np.ndarray], fps: float, video_dir: Path | None, number: int) -> None:
    from rl_lab.watching.video import write_video
    from rl_lab.watching.viewer import has_display, show_in_window

    if video_dir is None and has_display():
        show_in_window(frames, fps, f"rl-lab prefs label: ranking {number} (1 = left)")
        return
    path = write_video((video_dir or Path(".")) / f"prefs-ranking-{number}.mp4", frames, fps)
    print(f"  clips: {path} (1 = left)", flush=True)


def _existing(path: Path, env_id: str) -> int:
    """Rankings already in ``path`` (a torn last line cut off)."""
    return len(read_labels(path, env_id)) if holds_answers(path) else 0


def run_prefs_label(path: Path, experiment: str, from_run: Path | None = None, k: int = 2,
                    clip_steps: int = 25, seed: int = 0, video_dir: Path | None = None,
                    stdin_fd: int | None = None) -> int:
    """Ask for rankings until the person quits; return how many were saved in this session."""
    if not 2 <= k <= MAX_CLIPS_PER_RANKING:
        raise LabError(f"prefs label: --clips must be in [2, {MAX_CLIPS_PER_RANKING}] (a key each), got {k}")
    fd = terminal_fd(stdin_fd, "prefs label")
    config = load_experiment(experiment)
    check_experiment(config)
    kwargs = env_kwargs(config)
    done = _existing(Path(path), config.env.id)
    policy = _policy(from_run)
    path.parent.mkdir(parents=True, exist_ok=True)
    fps = float(gymnasium.make(config.env.id, **kwargs).metadata.get("render_fps", 20))
    print(f"already in {path.name}: {done}")
    print(f"ranking {k} clips of {clip_steps} steps of {config.env.id} into {path}")
    print("type the clip numbers best first; Backspace undoes, s skips, q or Ctrl-C quits", flush=True)
    stream = (seed * 1_000_003 + zlib.crc32(path.name.encode())) % 2**31
    saved = 0

    with keystrokes(fd) as key:
        try:
            while True:
                number = done + saved + 1
                rng = np.random.default_rng(stream + number)
                seeds = rng.integers(2**31, size=k)
                clips: list[Clip] = []
                frames = []
                for s in seeds:
                    played = play_clip(config.env.id, kwargs, int(s), clip_steps, policy, rng)
                    clip, clip_frames = replay_clip(played, render=True)
                    clips.append(clip)
                    frames.append(clip_frames)
                print(f"--- ranking {number}: clips 1..{k}, left to right", flush=True)
                _show(side_by_side(frames), fps, video_dir, number)
                order = ask_order(key, k)
                if order is None:
                    break
                if order == "skip":
                    continue
                append_labels(path, clips, order)
                saved += 1
                print(f"  saved {' > '.join(str(i + 1) for i in order)} ({done + saved} in {path.name})",
                      flush=True)
        except KeyboardInterrupt:
            print()
    print(f"rankings saved this session: {saved}; in {path.name}: {done + saved}")
    print(f"(in {path}; the same command continues; train with rl-lab prefs train {experiment} "
          f"--labels-file {path})")
    return saved
