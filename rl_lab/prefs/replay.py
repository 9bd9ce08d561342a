"""Re-simulate a clip from its replay description, optionally drawing its frames.

The description (:meth:`rl_lab.prefs.clips.Clip.replay_info`) names the env, its arguments, the
seed, the episode number and the clip's start, and lists every action of the episode up to the
clip's end; the envs' seeding rule (each ``reset()`` after ``reset(seed=s)`` starts the next
episode of seed ``s``) makes the replay exact.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from rl_lab.prefs.clips import Clip, padded_clip


def replay_clip(info: dict[str, Any], render: bool = False) -> tuple[Clip, list[np.ndarray]]:
    """The clip ``info`` describes, and with ``render`` its frames (one per step, then the last
    state). Raises ValueError when the description does not fit the env (the caller names the file)."""
    kwargs = dict(info["env_kwargs"])
    if render:
        kwargs["render_mode"] = "rgb_array"
    env = gymnasium.make(info["env_id"], **kwargs)
    try:
        obs, _ = env.reset(seed=int(info["seed"]))
        for _ in range(int(info["episode"])):
            obs, _ = env.reset()
        actions = info["actions"]
        start, steps = int(info["start"]), int(info["steps"])
        if not 0 <= start < len(actions) or len(actions) - start > steps:
            raise ValueError(f"start {start} and {len(actions)} actions do not make a clip of {steps} steps")
        frames: list[np.ndarray] = []
        rows: list[tuple[np.ndarray, Any, float]] = []
        prefix: list[Any] = []
        for t, action in enumerate(actions):
            a = np.asarray(action, dtype=np.int64 if isinstance(env.action_space, gymnasium.spaces.Discrete)
                           else np.float32)
            if t >= start and render:
                frames.append(env.render())
            before = obs
            obs, reward, terminated, truncated, _ = env.step(a)
            if t >= start:
                rows.append((np.asarray(before, np.float32), a, float(reward)))
            else:
                prefix.append(a)
            if (terminated or truncated) and t < len(actions) - 1:
                raise ValueError(f"the episode ended at step {t}, before the clip's last action")
        if render:
            frames.append(env.render())
        ended = bool(terminated)
    finally:
        env.close()
    length = len(rows)
    if length < steps and not ended:
        raise ValueError(f"a clip of {length} steps must end with the episode's end (it has {steps})")
    clip = padded_clip(rows, steps, prefix, info["env_id"], info["env_kwargs"], int(info["seed"]),
                       int(info["episode"]), start)
    return clip, frames
