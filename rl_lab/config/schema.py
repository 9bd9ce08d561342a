"""The experiment schema: every key an experiment TOML may hold, its type, default and range.

Each field says what it means right under it (as CleanRL's ``Args`` does) and carries its allowed
range or choices in ``metadata`` (:func:`setting`), which the one validation pass
(:mod:`rl_lab.config.validation`) reads. A key is documented, typed and bounded in one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

MAX_SEED = 2**32 - 1  # numpy's and Gymnasium's seeds are 32-bit
MAX_TIMESTEPS = 10**10  # far past any run a person waits for; rejects typos such as 1e30
MAX_ENVS = 65_536


def setting(
    default: Any = None,
    *,
    factory: Any = None,
    low: float | None = None,
    high: float | None = None,
    choices: str | None = None,
    name: bool = False,
) -> Any:
    """A dataclass field with its checks: ``low``/``high`` bound numbers (and each item of a list),
    ``choices`` names a registry in :mod:`rl_lab.config.validation`, ``name`` asks for a safe
    file-system name."""
    checks = {"low": low, "high": high, "choices": choices, "name": name}
    if factory is not None:
        return field(default_factory=factory, metadata=checks)
    return field(default=default, metadata=checks)


@dataclass
class EnvConfig:
    """Which environment to build and with which constructor arguments."""

    id: str
    """A Gymnasium id (``rl_lab/BikeRide-v0``, ``CartPole-v1``)."""
    kwargs: dict[str, Any] = setting(factory=dict)
    """Constructor arguments of the environment, checked against its params object or signature."""
    eval_kwargs: dict[str, Any] = setting(factory=dict)
    """Overrides of ``kwargs`` for evaluation only (e.g. a longer time limit)."""


@dataclass
class NetworkConfig:
    """The agent's two networks (see :mod:`rl_lab.agents.two_network`)."""

    policy: list[int] = setting(factory=lambda: [64, 64], low=1, high=4096)
    """Hidden layer sizes of the policy network (PPO/A2C ``net_arch["pi"]``, SAC's actor)."""
    value: list[int] = setting(factory=lambda: [64, 64], low=1, high=4096)
    """Hidden layer sizes of the value network: V(s) for PPO/A2C, Q(s, a) for DQN and SAC."""
    activation: str = setting("tanh", choices="activations")
    """Activation between hidden layers."""
    features: str = setting("flatten", choices="features")
    """What each network sees first: ``flatten`` for vectors, a CNN for pixels."""


@dataclass
class EvalConfig:
    """How often and how long to evaluate, and the video of the final policy."""

    freq: int = setting(20_000, low=1, high=MAX_TIMESTEPS)
    """Training timesteps between evaluations."""
    episodes: int = setting(10, low=1, high=10_000)
    """Episodes per evaluation (all run in one batch when there are at most 64)."""
    deterministic: bool = True
    """Greedy actions in evaluation (the policy's mode) rather than samples."""
    video: bool = True
    """Record ``videos/eval.mp4`` of one evaluation episode at the end of training."""
    video_max_steps: int = setting(1_000, low=1, high=1_000_000)
    """Frames per video at most."""
    video_every: int = setting(1, low=1, high=10_000)
    """Keep every n-th step in videos, so long episodes play faster."""
    criterion_success_rate: float = setting(1.0, low=0.0, high=1.0)
    """The task counts as learned at the first evaluation whose success rate reaches this."""
    stop_at_criterion: bool = False
    """Stop training at the first evaluation that reaches ``criterion_success_rate``
    (``total_timesteps`` is then a budget); that evaluation is the run's final one."""
    stop_after_seconds: float = setting(0.0, low=0.0, high=1e7)
    """Stop training at the first evaluation after this many seconds of training (evaluations
    excluded; 0: no limit); that evaluation is the run's final one. A wall-clock budget: where a
    run stops depends on the machine and its load, so such a run is not reproducible step for step."""


@dataclass
class ExperimentConfig:
    """One experiment: environment, algorithm, hyperparameters, networks, budget and seeds."""

    name: str = field(metadata={"name": True})
    """The run folder's name under ``--runs-dir`` (default: the TOML file's name)."""
    env: EnvConfig
    """The environment (``[env]`` table)."""
    algo: str = setting("ppo", choices="algorithms")
    """Stable-Baselines3 algorithm: ``ppo``, ``a2c``, ``dqn`` or ``sac``."""
    description: str = ""
    """One sentence on what the experiment shows."""
    total_timesteps: int = setting(100_000, low=1, high=MAX_TIMESTEPS)
    """Environment steps of training (summed over all envs)."""
    seed: int = setting(0, low=0, high=MAX_SEED)
    """The run's seed (``rl-lab train --seed`` overrides it)."""
    seeds: list[int] = setting(factory=lambda: [0, 1, 2], low=0, high=MAX_SEED)
    """The seeds benchmarks and ``report`` use by default."""
    n_envs: int = setting(8, low=1, high=MAX_ENVS)
    """Environments stepped together during training."""
    vec_env: str = setting("native", choices="vec_env_kinds")
    """``native`` (the env's own batch), ``dummy`` or ``subproc`` (SB3's)."""
    frame_stack: int = setting(0, low=0, high=64)
    """Stack this many frames (SB3's ``VecFrameStack``); 0 or 1: none."""
    normalize_reward: bool = False
    """Scale rewards for the learner with SB3's ``VecNormalize`` (logs keep the env's own)."""
    torch_threads: int = setting(1, low=1, choices="cpu_count")
    """torch's intra-op threads; results are bitwise reproducible for one thread count."""
    checkpoint_freq: int = setting(50_000, low=1, high=MAX_TIMESTEPS)
    """Timesteps between checkpoints in ``checkpoints/``."""
    algo_kwargs: dict[str, Any] = setting(factory=dict)
    """Keyword arguments of the SB3 algorithm (``learning_rate`` may be ``"lin_<start>"``)."""
    networks: NetworkConfig = setting(factory=NetworkConfig)
    """The two networks (``[networks]`` table)."""
    eval: EvalConfig = setting(factory=EvalConfig)
    """Evaluation (``[eval]`` table)."""
    success_metric: str = ""
    """An episode measure of the env (or ``survived``) that decides an episode's success."""
    success_threshold: float = 1.0
    """An episode succeeds when ``success_metric`` >= this."""


def as_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The config as plain data, as a run's ``config.toml`` records it (reloadable as is: keys that
    do not apply to the algorithm are left out)."""
    from rl_lab.config.algorithms import Q_GREEDY

    data = dataclasses.asdict(config)
    if config.algo in Q_GREEDY:
        del data["networks"]["policy"]
    return data
