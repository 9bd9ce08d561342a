"""The RLHF experiment file (``experiments/rlhf_toy.toml``), validated into dataclasses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rl_lab.config import apply_overrides, parse_dataclass, read_toml, resolve_experiment
from rl_lab.errors import LabError
from rl_lab.rlhf.ppo_stage import PPOSettings
from rl_lab.runs.layout import RLHF_KIND as KIND


@dataclass
class WorldSettings:
    """The toy language: response length limit and the hidden language's seed."""

    max_len: int = 10
    seed: int = 0


@dataclass
class DataSettings:
    """Demonstrations and synthetic rankings (labeller and held-out labeller)."""

    demonstrations: int = 8_000
    rankings: int = 16_000
    responses_per_prompt: int = 6
    heldout_rankings: int = 1_000
    heldout_fraction: float = 0.1  # of a user's --ranked-data file, kept out of training
    labeller_temperature: float = 0.7
    heldout_labeller_temperature: float = 0.9
    heldout_labeller_length_bias: float = 0.08


@dataclass
class PolicyNetSettings:
    """The token policy network and its separate value network."""

    embed_dim: int = 32
    hidden_dim: int = 64
    policy: list[int] = field(default_factory=lambda: [64])
    value: list[int] = field(default_factory=lambda: [64])


@dataclass
class SFTSettings:
    """Supervised fine-tuning on demonstrations."""

    epochs: int = 6
    learning_rate: float = 3e-3
    batch_size: int = 128


@dataclass
class RewardModelSettings:
    """The reward network and its training (grouped loss); ``compare_epochs`` for grouped vs pairs."""

    embed_dim: int = 16
    hidden_dim: int = 64
    head: list[int] = field(default_factory=lambda: [64])
    epochs: int = 8
    learning_rate: float = 3e-3
    batch_size: int = 32
    compare_epochs: int = 2  # 0 skips the grouped-vs-pairs comparison
    reference_samples: int = 2_048


@dataclass
class BestOfNSettings:
    """Best-of-n: samples per prompt drawn once, n up to ``max_n`` (a power of two)."""

    groups_per_prompt: int = 4
    max_n: int = 512


@dataclass
class DPOSettings:
    """Direct preference optimisation on the ranked pairs."""

    beta: float = 0.1
    epochs: int = 2
    learning_rate: float = 1e-3
    batch_size: int = 256
    max_pairs: int = 40_000


@dataclass
class OverOptSettings:
    """The over-optimisation demo: a weak reward model (few rankings) and a small fixed β."""

    enabled: bool = True
    rankings: int = 300
    rm_epochs: int = 40
    beta: float = 0.002
    total_timesteps: int = 60_000
    eval_every: int = 3


@dataclass
class EvalSettings:
    """Evaluation samples per prompt, and how many sample texts to log."""

    samples_per_prompt: int = 64
    text_samples: int = 12


@dataclass
class RLHFConfig:
    """One RLHF experiment: SFT -> reward model -> PPO, plus best-of-n, DPO and over-optimisation."""

    name: str
    description: str = ""
    seed: int = 0
    torch_threads: int = 1
    progress: bool = True
    world: WorldSettings = field(default_factory=WorldSettings)
    data: DataSettings = field(default_factory=DataSettings)
    policy: PolicyNetSettings = field(default_factory=PolicyNetSettings)
    sft: SFTSettings = field(default_factory=SFTSettings)
    reward_model: RewardModelSettings = field(default_factory=RewardModelSettings)
    ppo: PPOSettings = field(default_factory=PPOSettings)
    best_of_n: BestOfNSettings = field(default_factory=BestOfNSettings)
    dpo: DPOSettings = field(default_factory=DPOSettings)
    overopt: OverOptSettings = field(default_factory=OverOptSettings)
    eval: EvalSettings = field(default_factory=EvalSettings)


def _check(config: RLHFConfig, source: str) -> None:
    """Positive sizes and sensible ranges, named by key."""
    positive = {
        "world.max_len": config.world.max_len, "data.demonstrations": config.data.demonstrations,
        "data.rankings": config.data.rankings, "data.heldout_rankings": config.data.heldout_rankings,
        "sft.epochs": config.sft.epochs, "reward_model.epochs": config.reward_model.epochs,
        "ppo.total_timesteps": config.ppo.total_timesteps, "ppo.n_envs": config.ppo.n_envs,
        "ppo.n_steps": config.ppo.n_steps, "ppo.eval_every": config.ppo.eval_every,
        "eval.samples_per_prompt": config.eval.samples_per_prompt, "torch_threads": config.torch_threads,
        "best_of_n.max_n": config.best_of_n.max_n, "overopt.rankings": config.overopt.rankings,
    }
    for key, value in positive.items():
        if value < 1:
            raise LabError(f"{source}: '{key}' must be >= 1, got {value}")
    if not 2 <= config.world.max_len <= 16:
        raise LabError(f"{source}: 'world.max_len' must be in [2, 16], got {config.world.max_len}")
    if config.data.responses_per_prompt < 2:
        raise LabError(f"{source}: 'data.responses_per_prompt' must be >= 2")
    if not 0.0 < config.data.heldout_fraction < 1.0:
        raise LabError(f"{source}: 'data.heldout_fraction' must be in (0, 1)")
    for key in ("labeller_temperature", "heldout_labeller_temperature"):
        if getattr(config.data, key) <= 0:
            raise LabError(f"{source}: 'data.{key}' must be > 0")


def load_rlhf_config(experiment: str | Path, overrides: list[str] | None = None,
                     seed: int | None = None) -> tuple[RLHFConfig, Path]:
    """Load, override and validate an RLHF experiment; return it and its file."""
    path = resolve_experiment(str(experiment))
    data = apply_overrides(read_toml(path), overrides or [])
    data.setdefault("name", path.stem)
    config = parse_dataclass(RLHFConfig, data, str(path))
    if seed is not None:
        config.seed = seed
    _check(config, str(path))
    return config, path


def config_as_dict(config: RLHFConfig) -> dict[str, Any]:
    """The resolved config as plain data (for ``config.toml``)."""
    return dataclasses.asdict(config)


RUN_TABLE = "run"  # config.toml's [run] table: what the run was given besides the experiment


def run_config_text(config: RLHFConfig, run: dict[str, Any]) -> dict[str, Any]:
    """What ``config.toml`` holds: the resolved experiment plus the ``[run]`` table (kind, data files
    and their SHA-256, the --gold scorer)."""
    return {**config_as_dict(config), RUN_TABLE: {"kind": KIND, **run}}


def read_run_config(run_dir: Path) -> tuple[RLHFConfig, dict[str, Any]]:
    """The config an RLHF run was made with and its ``[run]`` table; a LabError if it is not one."""
    path = Path(run_dir) / "config.toml"
    if not Path(run_dir).is_dir():
        raise LabError(f"{run_dir}: no such run directory")
    if not path.is_file():
        raise LabError(f"{run_dir}: not a run directory (no config.toml)")
    data = read_toml(path)
    run = data.pop(RUN_TABLE, None)
    if not isinstance(run, dict) or run.get("kind") != KIND:
        raise LabError(f"{path}: not an RLHF run (no [run] kind = \"{KIND}\"; runs of `rl-lab rlhf` have it)")
    config = parse_dataclass(RLHFConfig, data, str(path))
    _check(config, str(path))
    return config, run
