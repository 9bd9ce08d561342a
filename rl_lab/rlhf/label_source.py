"""Where ``rl-lab rlhf label`` gets the responses a person ranks.

* ``--from RUN``: a finished RLHF run's policy (SFT by default, or ``--stage ppo|dpo``).
* Without it: the toy's hidden language itself (``TextWorld.sample_responses``), the generator
  the pipeline's SFT demonstrations and its built-in labeller's rankings are both drawn from. SFT
  is trained by maximum likelihood to write exactly this, so these are the responses an ideal SFT
  policy writes, and a file ranked from them stands in for the built-in rankings one for one. No
  run and no training is needed before the first question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_lab.envs.text.world import TextWorld

DEFAULT_EXPERIMENT = "rlhf_toy"  # whose world (vocabulary, length limit) the default responses use

# draw(n): n responses to one prompt, continuing one round's random stream
Draw = Callable[[int], np.ndarray]


@dataclass
class ResponseSource:
    """A world and a way to draw responses for a round: ``round(prompt_id, seed)`` returns ``draw``."""

    world: TextWorld
    description: str
    round: Callable[[int, int], Draw]


def policy_source(run_dir: Path, stage: str) -> ResponseSource:
    """The policy of ``stage`` saved in the RLHF run ``run_dir``."""
    import torch

    from rl_lab.rlhf.generation import sample_responses
    from rl_lab.rlhf.settings import read_run_config
    from rl_lab.rlhf.weights import POLICY_FILES, load_policy

    config, _ = read_run_config(run_dir)
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)
    policy = load_policy(Path(run_dir) / POLICY_FILES[stage], world, config)

    def round_(prompt: int, seed: int) -> Draw:
        generator = torch.Generator().manual_seed(seed)
        return lambda n: sample_responses(policy, world, np.full(n, prompt), generator)

    return ResponseSource(world, f"{stage.upper()} responses of {run_dir}", round_)


def language_source(experiment: str = DEFAULT_EXPERIMENT) -> ResponseSource:
    """The hidden language of ``experiment``'s world: what SFT learns to imitate."""
    from rl_lab.rlhf.settings import load_rlhf_config

    config, _ = load_rlhf_config(experiment)
    world = TextWorld(max_len=config.world.max_len, seed=config.world.seed)

    def round_(prompt: int, seed: int) -> Draw:
        rng = np.random.default_rng(seed)
        return lambda n: world.sample_responses(np.full(n, prompt), rng)

    return ResponseSource(world, f"responses of the toy's hidden language (what {experiment}'s SFT imitates; "
                                 "--from RUN ranks a trained policy's)", round_)
