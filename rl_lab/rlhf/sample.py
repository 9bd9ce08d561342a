"""What each stage's policy of a finished RLHF run writes, side by side (``rl-lab rlhf sample``).

Stages: SFT, PPO, DPO and best-of-n (n SFT samples, the one the reward model scores highest).
Every response is shown with the reward model's score. Weights are read with
``torch.load(weights_only=True)``: no pickle.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rl_lab.envs.text.world import TextWorld
from rl_lab.errors import LabError
from rl_lab.rlhf.generation import sample_responses
from rl_lab.rlhf.reward_training import score_responses
from rl_lab.rlhf.settings import read_run_config
from rl_lab.rlhf.weights import POLICY_FILES, REWARD_MODEL_FILE, load_policy, load_reward_model


@dataclass
class StageSamples:
    """``responses[stage][i]`` and ``scores[stage][i]`` answer ``prompts[i]``."""

    prompts: list[str]
    responses: dict[str, list[str]]
    scores: dict[str, list[float]]


def prompt_ids(world: TextWorld, prompt: str | None) -> list[int]:
    """All prompts, or the one named (a LabError listing the prompts if unknown)."""
    if prompt is None:
        return list(range(world.n_prompts))
    if prompt not in world.prompt_id:
        raise LabError(f"--prompt {prompt!r}: unknown prompt (known: {', '.join(world.prompts)})")
    return [world.prompt_id[prompt]]


def sample_stages(run_dir: Path, prompt: str | None = None, n: int = 2, seed: int = 0) -> StageSamples:
    """``n`` responses per prompt from each stage of ``run_dir`` (all prompts, or ``prompt``)."""
    run_dir = Path(run_dir)
    config, _ = read_run_config(run_dir)
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)
    prompts = np.repeat(prompt_ids(world, prompt), n)
    rm = load_reward_model(run_dir / REWARD_MODEL_FILE, world, config)
    policies = {stage: load_policy(run_dir / name, world, config) for stage, name in POLICY_FILES.items()}
    responses = {stage: sample_responses(policy, world, prompts, torch.Generator().manual_seed(seed))
                 for stage, policy in policies.items()}
    big_n = config.best_of_n.max_n
    pool = sample_responses(policies["sft"], world, np.repeat(prompts, big_n),
                            torch.Generator().manual_seed(seed + 1))
    pool_scores = score_responses(rm, world, np.repeat(prompts, big_n), pool).reshape(len(prompts), big_n)
    best = np.argmax(pool_scores, axis=1)
    responses[f"best-of-{big_n}"] = pool.reshape(len(prompts), big_n, -1)[np.arange(len(prompts)), best]
    scores = {stage: score_responses(rm, world, prompts, out).tolist() for stage, out in responses.items()}
    texts = {stage: [world.decode(r) for r in out] for stage, out in responses.items()}
    return StageSamples([world.prompts[p] for p in prompts], texts, scores)


def samples_table(samples: StageSamples) -> str:
    """The samples as a table (rich's, plain text): one row per response, one column per stage."""
    from rich.console import Console
    from rich.table import Table

    stages = list(samples.responses)
    table = Table(title="What each stage writes (reward-model score in brackets)", show_lines=False)
    table.add_column("prompt")
    for stage in stages:
        table.add_column(stage.upper() if stage in POLICY_FILES else stage)
    for i, prompt in enumerate(samples.prompts):
        cells = [f"{samples.responses[s][i] or '(empty)'} ({samples.scores[s][i]:+.2f})" for s in stages]
        table.add_row(prompt, *cells)
    width = shutil.get_terminal_size((160, 24)).columns
    console = Console(width=width, force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(table)
    return capture.get()
