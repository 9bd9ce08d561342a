"""Build the environments an experiment trains and evaluates on, as SB3 vectorised envs."""

from __future__ import annotations

from typing import Any

import gymnasium
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import (
    DummyVecEnv,
    SubprocVecEnv,
    VecEnv,
    VecFrameStack,
    VecMonitor,
    VecNormalize,
)

from rl_lab.config import ExperimentConfig
from rl_lab.errors import LabError
from rl_lab.training.native_vec_env import NativeVecEnv


def env_kwargs(config: ExperimentConfig, for_eval: bool = False) -> dict[str, Any]:
    """Constructor arguments of the environment (evaluation may override some, e.g. time limits)."""
    kwargs = dict(config.env.kwargs)
    if for_eval:
        kwargs.update(config.env.eval_kwargs)
    return kwargs


def make_vec_env(
    config: ExperimentConfig,
    n_envs: int,
    seed: int,
    kind: str | None = None,
    for_eval: bool = False,
    render_mode: str | None = None,
) -> VecEnv:
    """``n_envs`` copies seeded ``seed, seed+1, ...``, monitored, frame-stacked if configured.

    ``kind`` is ``native`` (rl-lab's batched env, the fast path), ``dummy`` or ``subproc``
    (SB3's generic vectorisation over single envs). A ``render_mode`` needs single envs, so it
    implies ``dummy``.
    """
    kind = "dummy" if render_mode else (kind or config.vec_env)
    kwargs = env_kwargs(config, for_eval)
    if render_mode:
        kwargs["render_mode"] = render_mode
    creator = _native_creator(config.env.id) if kind == "native" else None
    if creator is not None:
        venv: VecEnv = _construct(lambda: NativeVecEnv(creator(num_envs=n_envs, **kwargs)))
    else:
        factories = [lambda: gymnasium.make(config.env.id, **kwargs) for _ in range(n_envs)]
        venv = _construct(lambda: (SubprocVecEnv if kind == "subproc" else DummyVecEnv)(factories))
    venv.seed(seed)
    venv = VecMonitor(venv)  # before any normalisation: logged returns stay the env's own
    if config.normalize_reward and not for_eval:
        # Scales rewards for the learner only; evaluation and logs see the env's own rewards.
        gamma = float(config.algo_kwargs.get("gamma", 0.99))
        venv = VecNormalize(venv, norm_obs=False, norm_reward=True, gamma=gamma)
    if config.frame_stack > 1:
        venv = VecFrameStack(venv, config.frame_stack, channels_order="last")
    return venv


def _native_creator(env_id: str) -> Any:
    """The env's own batched implementation if it autoresets as SB3 expects, else None (then SB3's
    DummyVecEnv is used: e.g. CartPole's vector env resets on the step after an episode ends)."""
    spec = gymnasium.spec(env_id)
    if spec.vector_entry_point is None:
        return None
    creator = load_env_creator(spec.vector_entry_point)
    mode = getattr(creator, "metadata", {}).get("autoreset_mode")
    return creator if mode == AutoresetMode.SAME_STEP else None


def _construct(build: Any) -> Any:
    """Run an env constructor, turning a rejected argument into a LabError naming the env."""
    try:
        return build()
    except (ValueError, TypeError) as error:
        raise LabError(f"cannot build the environment: {error}") from None
