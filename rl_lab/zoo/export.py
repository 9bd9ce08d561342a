"""RL Zoo hyperparameter files generated from the lab's experiments (``rl-lab export-zoo DIR``).

RL Zoo (rl_zoo3) reads ``<algo>.yml`` files keyed by env id. Each entry here is one shipped
experiment translated key by key, so ``python -m rl_zoo3.train -conf DIR/<algo>.yml`` trains with
the lab's settings rather than Zoo's defaults:

* ``env.kwargs`` -> Zoo's ``env_kwargs`` entry (the env's constructor arguments, e.g.
  ``action_repeat``); Zoo gives them to the training env only, so the commands from
  :func:`zoo_commands` repeat them as ``--eval-env-kwargs`` and, for ``record_video``, ``--env-kwargs``;
* ``networks`` -> a ``policy_kwargs`` string that Zoo ``eval``s with ``nn`` and ``get_class_by_name``
  in scope, written from the same ``model_factory.policy_kwargs`` the lab's ``build_model`` uses;
* ``algo_kwargs`` unchanged (``"lin_5e-4"`` schedules are Zoo's own syntax), plus ``n_envs``,
  ``n_timesteps``, ``frame_stack`` and ``normalize_reward`` as Zoo's ``normalize``.

``rl_lab/TextResponse-v0`` has no entry: its reward is a learned reward model built by the RLHF
pipeline (``rl-lab rlhf``), which Zoo cannot construct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
from torch import nn

from rl_lab.agents.features import is_image_space
from rl_lab.config import ExperimentConfig, load_experiment
from rl_lab.errors import LabError
from rl_lab.training.model_factory import policy_kwargs

# One experiment per (algorithm, env id): Zoo's files hold one entry per env id. The pixel
# paddle shares PaddleBall-v0 with paddle_vector_ppo, so it is left out of ppo.yml (pass it
# alone in ``names`` to export it: its keypoint CNN is expressible).
ZOO_EXPERIMENTS = (
    "bike_balance_ppo",
    "bike_ride_ppo",
    "paddle_vector_ppo",
    "bike_balance_dqn",
    "paddle_vector_dqn",
    "bike_ride_sac_continuous",
)


def _zoo_literal(value: Any) -> str:
    """``value`` as Python source that Zoo's ``eval`` (torch's ``nn`` and ``get_class_by_name`` in
    scope) turns back into the same object."""
    if isinstance(value, dict):
        return "dict(" + ", ".join(f"{k}={_zoo_literal(v)}" for k, v in value.items()) + ")"
    if isinstance(value, type):
        if getattr(nn, value.__name__, None) is value:
            return f"nn.{value.__name__}"
        return f"get_class_by_name({value.__module__ + '.' + value.__qualname__!r})"
    if isinstance(value, (list, bool, int, float, str)):
        return repr(value)
    raise TypeError(f"cannot write {value!r} for RL Zoo")


def _probe_env(config: ExperimentConfig) -> tuple[bool, int]:
    """Whether ``config``'s env observes images, and its episode length limit in steps."""
    env = gymnasium.make(config.env.id, **config.env.kwargs)
    try:
        return is_image_space(env.observation_space), int(env.unwrapped.max_episode_steps)
    finally:
        env.close()


def zoo_entry(config: ExperimentConfig) -> dict[str, Any]:
    """Zoo's hyperparameters for ``config``'s env id (one value of an ``<algo>.yml`` file)."""
    image, _ = _probe_env(config)
    entry: dict[str, Any] = {
        "n_envs": config.n_envs,
        "n_timesteps": config.total_timesteps,
        "policy": "CnnPolicy" if image else "MlpPolicy",  # as build_model chooses
        "policy_kwargs": _zoo_literal(policy_kwargs(config, image)),
    }
    if config.frame_stack > 1:
        entry["frame_stack"] = config.frame_stack
    if config.normalize_reward:
        entry["normalize"] = "dict(norm_obs=False, norm_reward=True)"
    entry.update(config.algo_kwargs)
    if config.env.kwargs:
        entry["env_kwargs"] = dict(config.env.kwargs)
    return entry


def zoo_hyperparams(names: tuple[str, ...] = ZOO_EXPERIMENTS) -> dict[str, dict[str, dict[str, Any]]]:
    """``{algo: {env id: entry}}`` for the experiments ``names``; two for one algo and id clash."""
    files: dict[str, dict[str, dict[str, Any]]] = {}
    sources: dict[tuple[str, str], str] = {}
    for name in names:
        config = load_experiment(name)
        key = (config.algo, config.env.id)
        if key in sources:
            raise LabError(
                f"export-zoo: '{name}' and '{sources[key]}' are both {config.algo} on {config.env.id}; "
                "RL Zoo's file holds one entry per env id"
            )
        sources[key] = name
        files.setdefault(config.algo, {})[config.env.id] = zoo_entry(config)
    return files


def export_zoo(directory: Path, names: tuple[str, ...] = ZOO_EXPERIMENTS) -> list[Path]:
    """Write ``directory/<algo>.yml`` for the experiments ``names``; return the files written."""
    try:
        import yaml  # Zoo's own reader; not a dependency of the lab itself
    except ImportError:
        raise LabError("export-zoo needs PyYAML: pip install 'rl-lab[zoo]'") from None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LabError(f"export-zoo: cannot create {directory}: {error.strerror}") from None
    written = []
    for algo, entries in sorted(zoo_hyperparams(names).items()):
        path = directory / f"{algo}.yml"
        header = f"# RL Zoo hyperparameters for {algo.upper()}, generated by `rl-lab export-zoo` from the\n"
        header += "# experiments/*.toml of the same settings: edit those, then export again.\n"
        path.write_text(header + yaml.safe_dump(entries, sort_keys=False, width=110), encoding="utf-8")
        written.append(path)
    return written


def _kwargs_args(kwargs: dict[str, Any]) -> str:
    """``--env-kwargs``'s syntax: ``key:value`` with each value a Python literal (Zoo evals it)."""
    tokens = [f"{k}:{v!r}" for k, v in kwargs.items()]
    # repr quotes strings with ', so a double-quoted token survives the shell unchanged
    return " ".join(f'"{t}"' if "'" in t else t for t in tokens)


def zoo_commands(name: str, directory: Path, folder: str = "logs", episodes: int = 3) -> list[str]:
    """Zoo's train, enjoy (``episodes`` full-length episodes at most) and record_video commands
    for experiment ``name`` exported to ``directory``, with the experiment's seed, threads,
    evaluation schedule and video length.

    ``record_video`` takes no ``--gym-packages``, so it runs through :mod:`rl_lab.zoo.record_video`;
    it reads no ``env_kwargs`` from the saved hyperparameters, so they are passed on its command line.
    """
    config = load_experiment(name)
    env_id, algo = config.env.id, config.algo
    _, max_steps = _probe_env(config)
    common = f"--algo {algo} -f {folder}"
    train = (
        f"python -m rl_zoo3.train {common} --env {env_id} --gym-packages rl_lab "
        f"-conf {directory / f'{algo}.yml'} --seed {config.seed} --device cpu "
        f"--num-threads {config.torch_threads} "
        f"--eval-freq {config.eval.freq} --eval-episodes {config.eval.episodes}"
    )
    enjoy = (
        f"python -m rl_zoo3.enjoy {common} --env {env_id} --gym-packages rl_lab --no-render "
        f"-n {episodes * max_steps}"
    )
    video = f"python -m rl_lab.zoo.record_video {common} --env {env_id} -n {config.eval.video_max_steps}"
    eval_kwargs = {**config.env.kwargs, **config.env.eval_kwargs}
    if eval_kwargs:
        train += f" --eval-env-kwargs {_kwargs_args(eval_kwargs)}"
        video += f" --env-kwargs {_kwargs_args(eval_kwargs)}"
    return [train, enjoy, video]
