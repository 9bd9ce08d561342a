"""Which config changes count as training differently (for --reuse and for reports)."""

from __future__ import annotations

from dataclasses import replace

from rl_lab.config import load_experiment
from rl_lab.config.diff import training_differences


def test_presentation_settings_do_not_count_but_training_settings_do() -> None:
    config = load_experiment("paddle_vector_ppo")
    cosmetic = replace(config, description="new words", checkpoint_freq=7, seeds=[5],
                       eval=replace(config.eval, video=False, video_max_steps=3))
    assert training_differences(config, cosmetic) == []
    other = replace(config, seed=9, algo_kwargs={**config.algo_kwargs, "n_epochs": 3},
                    eval=replace(config.eval, freq=1))
    assert training_differences(config, other) == ["algo_kwargs.n_epochs", "eval.freq"]
    with_seed = training_differences(config, other, ignore_seed=False)
    assert with_seed == ["algo_kwargs.n_epochs", "eval.freq", "seed"]
