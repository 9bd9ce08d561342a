"""``rl_lab/TextResponse-v0``: write a response to a prompt, one token at a time."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rl_lab.envs.batch import SingleEnv
from rl_lab.envs.text.dynamics import RewardFn, TextDynamics
from rl_lab.envs.text.gold import gold_reward
from rl_lab.envs.text.world import TextWorld


class TextResponseEnv(SingleEnv):
    """
    ## Description

    The RLHF toy's language game. A prompt (one of 12 topics such as ``weather`` or ``music``) is
    drawn at reset; the agent writes a response of at most ``max_len`` words from a 26-word
    vocabulary, one token per step, and ends it with end-of-sequence (EOS). The response is then
    scored by the reward function the environment was given: in the RLHF pipeline, a reward model
    learned from rankings.

    ## Action Space

    ``Discrete(27)``: 0 is EOS, 1..26 the words of ``TextWorld.words``.

    ## Observation Space

    ``Box(0, 27, (max_len + 1,), float32)`` holding integers: the prompt id, then the token ids
    written so far, then the padding id 27 in the unused positions.

    ## Rewards

    0 on every step but the last; on the last, ``reward_fn(prompt ids, responses)`` of the
    finished response (arrays of shape (1,) and (1, max_len)). Without a ``reward_fn`` the hidden
    gold reward is used (an oracle for experiments and tests; RLHF never trains on it).

    ## Starting State

    A uniformly random prompt and an empty response.

    ## Episode End

    Terminated when the agent emits EOS or the response reaches ``max_len`` words (the response
    is then cut and scored: the length limit is part of the task, not a time limit, so it is not
    a truncation). ``info["episode_metrics"]`` holds ``length`` and ``score`` on the last step.

    ## Arguments

    * ``reward_fn``: a plain callable scoring finished responses (see Rewards); default gold.
    * ``max_len``: the longest response in words (default 10).
    * ``world_seed``: seed of the hidden language (default 0).
    * ``render_mode``: ``"ansi"`` (returns the text) or ``"human"`` (prints it).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(
        self,
        reward_fn: RewardFn | None = None,
        max_len: int = 10,
        world_seed: int = 0,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            modes = self.metadata["render_modes"]
            raise ValueError(f"render_mode must be one of {modes}, got {render_mode!r}")
        self.world = TextWorld(max_len=max_len, seed=world_seed)
        if reward_fn is None:
            world = self.world

            def reward_fn(prompts: np.ndarray, responses: np.ndarray) -> np.ndarray:
                return gold_reward(world, prompts, responses)

        super().__init__(TextDynamics(1, self.world, reward_fn), max_episode_steps=max_len + 1)
        self.render_mode = render_mode

    def render(self) -> str | None:
        d = self.dynamics
        text = f"[{self.world.prompts[d.prompts[0]]}] {self.world.decode(d.tokens[0])}"
        if self.render_mode == "human":
            print(text)
            return None
        return text
