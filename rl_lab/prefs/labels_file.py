"""The JSONL file of a person's clip rankings, one ranking a line, written by ``rl-lab prefs label``.

A line: ``{"clips": [CLIP, ...], "ranking": [i, ...]}`` where each CLIP is a replay description
(:meth:`rl_lab.prefs.clips.Clip.replay_info`: ``env_id``, ``env_kwargs``, ``seed``, ``episode``,
``start``, ``steps``, ``actions``) and ``ranking`` lists the clips' indices best first. Reading a
file re-simulates every clip, so observations and true rewards are never taken on trust.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.errors import LabError
from rl_lab.prefs.clips import Clip
from rl_lab.prefs.dataset import RankedClips
from rl_lab.prefs.replay import replay_clip
from rl_lab.runs.answers_file import append_answer

CLIP_KEYS = {"env_id", "env_kwargs", "seed", "episode", "start", "steps", "actions"}


def _check_line(data: Any, env_id: str | None) -> None:
    if not isinstance(data, dict) or set(data) != {"clips", "ranking"}:
        raise ValueError('expected an object with exactly "clips" and "ranking"')
    clips, ranking = data["clips"], data["ranking"]
    if not isinstance(clips, list) or len(clips) < 2:
        raise ValueError('"clips" must be a list of at least 2 clips')
    if not isinstance(ranking, list) or sorted(ranking) != list(range(len(clips))) or any(
            isinstance(i, bool) for i in ranking):
        raise ValueError(f'"ranking" must list each of the {len(clips)} clips once (0..{len(clips) - 1})')
    for clip in clips:
        if not isinstance(clip, dict) or set(clip) != CLIP_KEYS:
            raise ValueError(f"each clip needs exactly the keys {', '.join(sorted(CLIP_KEYS))}")
        if env_id is not None and clip["env_id"] != env_id:
            raise ValueError(f"a clip of {clip['env_id']!r}, but the experiment's env is {env_id!r}")
        if not isinstance(clip["actions"], list) or not isinstance(clip["env_kwargs"], dict):
            raise ValueError('"actions" must be a list and "env_kwargs" a table')


def read_labels(path: Path, env_id: str | None = None) -> RankedClips:
    """Every ranking of ``path`` with its clips re-simulated; one line naming the file and line if
    anything is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LabError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LabError(f"{path}: cannot read it as UTF-8 text ({error})") from None
    ranked = RankedClips()
    steps: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            _check_line(data, env_id)
            clips = [replay_clip(c)[0] for c in data["clips"]]
        except json.JSONDecodeError as error:
            raise LabError(f"{path}:{number}: not JSON ({error.msg})") from None
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise LabError(f"{path}:{number}: {error}") from None
        if steps is not None and any(c.steps != steps for c in clips):
            raise LabError(f"{path}:{number}: clips of {clips[0].steps} steps; earlier lines had {steps}")
        steps = clips[0].steps
        ranked.add([clips], [np.asarray(data["ranking"])])
    if not len(ranked):
        raise LabError(f"{path}: no rankings in the file")
    return ranked


def append_labels(path: Path, clips: list[Clip], ranking: list[int]) -> None:
    """Append one ranking and make it durable before the next question is asked."""
    append_answer(path, {"clips": [c.replay_info() for c in clips], "ranking": [int(i) for i in ranking]})
