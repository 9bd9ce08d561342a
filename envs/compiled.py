"""Environments whose dynamics are compiled kernels over N copies, as one ``gymnasium.Env`` and as
a ``gymnasium.vector.VectorEnv``.

An environment here is a :class:`KernelDynamics` subclass: the state of N copies in a few arrays
(one row per copy) and three kernels (numba) that step every copy, with the reward, the time
limit and same-step autoreset inside, or reset the copies chosen by a mask. :class:`KernelEnv`
runs it with N = 1 (a thin shell: no Python per physics step, one copy of the observation per
step); :class:`KernelVectorEnv` with N copies, optionally on all cores.

Seeding rule. Every random number is a hash of (seed, episode, draw) (:mod:`rl_lab.envs.noise`):
``reset(seed=s)`` gives the env seed ``s`` and starts its episode 0; each later ``reset()`` (or,
in a batch, each autoreset of that copy) starts the next episode of the same seed. A batch reset
with seed ``s`` gives copy ``i`` seed ``s + i`` (a list gives each copy its own), so copy ``i``
plays exactly the episodes of a single env reset with seed ``s + i`` and then reset after each
episode, whatever happens to the other copies and whether the batch runs serial or parallel.
``reset()`` before any seed draws one from the OS (Gymnasium's ``np_random``).
"""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import fields
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rl_lab.envs import actions as act
from rl_lab.envs._numba import numba
from rl_lab.envs.noise import copy_seeds

PARALLEL_MIN_ENVS = 512  # ``parallel=None`` uses the parallel kernel from this many copies up
# Columns every kernel state shares: I[:, EPISODE], I[:, STEPS] (agent steps in the episode),
# K[:, SEED], K[:, KEY] (the episode's key).
EPISODE, STEPS = 0, 1
SEED, KEY = 0, 1


def auto_parallel(num_envs: int) -> bool:
    """``parallel=None``: the parallel kernel for :data:`PARALLEL_MIN_ENVS` copies or more, when
    numba has several threads and the machine an idle core (1-minute load average at least one
    below the core count). On busy cores a parallel step waits for its slowest thread to be
    scheduled (milliseconds), so the serial kernel is faster there; the results are the same."""
    if num_envs < PARALLEL_MIN_ENVS or numba.config.NUMBA_NUM_THREADS < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform: assume idle
        load = 0.0
    return load + 1.0 <= (os.cpu_count() or 1)


class KernelDynamics:
    """N copies of one environment: state arrays, output buffers and the kernels that step them.

    Subclasses build ``F`` (float64), ``I`` (int64), ``K`` (uint64), ``P`` (float64 settings,
    autoreset in the last slot), the spaces of ONE copy, ``info_keys`` and ``metric_keys`` (the
    rows of the float64 info and metrics buffers; ``bool_info_keys`` / ``int_info_keys`` are
    converted) and set ``kernels = (step_serial, step_parallel, reset_where)``, the steps taking
    ``(F, I, K, P, act_i, act_f, obs, final_obs, info, metrics, rewards, terminated, truncated)``,
    the reset ``(F, I, K, P, mask, obs, info)``.
    """

    observation_space: gym.Space
    action_space: gym.Space
    info_keys: tuple[str, ...]
    bool_info_keys: frozenset[str] = frozenset()
    int_info_keys: frozenset[str] = frozenset()
    metric_keys: tuple[str, ...]
    kernels: tuple[Any, Any, Any]

    def __init__(self, num_envs: int, parallel: bool | None = None) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if parallel is not None and not isinstance(parallel, bool):
            raise ValueError(f"parallel must be True, False or None (auto), got {parallel!r}")
        self.num_envs = int(num_envs)
        self.parallel = parallel if parallel is not None else auto_parallel(self.num_envs)

    def _allocate(self, action_width: int) -> None:
        """Buffers shared by every environment (call after the spaces and keys are set)."""
        n, space = self.num_envs, self.observation_space
        self.discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self.act_i = np.zeros(n, np.int64)
        self.act_f = np.zeros((n, action_width))
        # Observations written by reset and step (the batch's steps write into unshared arrays).
        self.obs = np.zeros((n, *space.shape), space.dtype)
        self.final_obs = np.zeros_like(self.obs)
        self.info = np.zeros((n, len(self.info_keys)))  # a row per copy: the single env reads one
        self.metrics = np.zeros((n, len(self.metric_keys)))
        self.rewards = np.zeros(n)
        self.terminated = np.zeros(n, bool)
        self.truncated = np.zeros(n, bool)
        self._bool_rows = [j for j, k in enumerate(self.info_keys) if k in self.bool_info_keys]
        self._int_rows = [j for j, k in enumerate(self.info_keys) if k in self.int_info_keys]
        self._all = np.ones(n, bool)
        self._obs_pool: list[np.ndarray] = []
        # The kernels' arguments, gathered once (attribute look-ups cost more than the physics).
        self.step_args = (
            self.F, self.I, self.K, self.P, self.act_i, self.act_f, self.obs, self.final_obs,
            self.info, self.metrics, self.rewards, self.terminated, self.truncated,
        )  # fmt: skip
        self.step_kernel = self.kernels[1] if self.parallel else self.kernels[0]

    # --- seeding and resets --------------------------------------------------------------------
    def seed(self, seeds: np.ndarray) -> None:
        """Give the copies these seeds (uint64) and restart their episode numbering at 0."""
        self.K[:, SEED] = seeds
        self.I[:, EPISODE] = -1  # the reset that follows starts episode 0

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Start the next episode of the copies where ``mask`` (all by default)."""
        mask = self._all if mask is None else mask
        self.I[mask, EPISODE] += 1
        self.kernels[2](self.F, self.I, self.K, self.P, mask, self.obs, self.info)

    # --- stepping -------------------------------------------------------------------------------
    def set_actions(self, actions: Any) -> None:
        """Check a batch of N actions (``ValueError`` if invalid) and store them for the kernel."""
        checked = act.check_actions(actions, self.action_space, self.num_envs)
        if self.discrete:
            self.act_i[:] = checked
        else:
            self.act_f[:, : checked.shape[1]] = checked

    def set_action(self, action: Any) -> None:
        """Check one action (copy 0) and store it; the fast path of the single env."""
        if self.discrete:
            self.act_i[0] = act.discrete_action(action, self.action_space)
        else:
            checked = act.box_actions(action, self.action_space, None)
            self.act_f[0, : checked.shape[0]] = checked

    def step(self, autoreset: bool) -> None:
        """Step every copy with the stored actions (autoreset: finished copies start anew)."""
        self.P[-1] = float(autoreset)  # every kernel's last setting
        self.step_kernel(*self.step_args)

    def step_batch(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Step every copy with autoreset; return the observations, in an array nobody else holds,
        and (if an episode ended) the finished copies' last observations (zero elsewhere)."""
        self.P[-1] = 1.0
        obs = self._unshared_obs()
        args = self.step_args
        self.step_kernel(*args[:6], obs, *args[7:])
        done = self.terminated | self.truncated
        if not done.any():
            return obs, None
        final_obs = np.zeros(self.obs.shape, self.obs.dtype)  # calloc: untouched pages cost nothing
        final_obs[done] = self.final_obs[done]
        return obs, final_obs

    def _unshared_obs(self) -> np.ndarray:
        """An observation array for the kernel to fill: one returned earlier whose every reference
        (the caller's variables, views, torch tensors sharing it) is gone, else a new one. Fresh
        memory costs page faults on every write (a batch of frames is megabytes), reuse does not."""
        for array in self._obs_pool:
            if sys.getrefcount(array) <= 3:  # the pool, this loop's variable, getrefcount's argument
                return array
        array = np.empty(self.obs.shape, self.obs.dtype)
        if len(self._obs_pool) < 4:
            self._obs_pool.append(array)
        return array

    # --- reading the results --------------------------------------------------------------------
    def info_of(self, i: int) -> dict[str, Any]:
        """The info dict of copy ``i`` (Python floats and bools)."""
        info = dict(zip(self.info_keys, self.info[i].tolist(), strict=True))
        if self._bool_rows or self._int_rows:
            for key in self.bool_info_keys:
                info[key] = bool(info[key])
            for key in self.int_info_keys:
                info[key] = int(info[key])
        return info

    def info_arrays(self) -> dict[str, np.ndarray]:
        """The info of every copy: one fresh array (N,) per key."""
        rows = self.info.T.copy()
        info = dict(zip(self.info_keys, rows, strict=True))
        for j in self._bool_rows:
            info[self.info_keys[j]] = rows[j] != 0.0
        for j in self._int_rows:
            info[self.info_keys[j]] = rows[j].astype(np.int64)
        return info

    def metrics_of(self, i: int) -> dict[str, float]:
        """The measures of copy ``i``'s episode that ended in the last step."""
        return dict(zip(self.metric_keys, self.metrics[i].tolist(), strict=True))

    def metrics_arrays(self) -> dict[str, np.ndarray]:
        """The episode measures of every copy (valid for the copies whose episode just ended)."""
        return dict(zip(self.metric_keys, self.metrics.T.copy(), strict=True))

    @property
    def elapsed_steps(self) -> np.ndarray:
        """Agent steps taken in each copy's current episode."""
        return self.I[:, STEPS]


def params_signature(params_class: type, leading: tuple[inspect.Parameter, ...]) -> inspect.Signature:
    """A constructor signature: ``leading`` parameters, then the params' fields as keywords with
    their defaults (so tools that read signatures see the real names and defaults)."""
    keyword = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
        for f in fields(params_class)
    ]
    return inspect.Signature([*leading, *keyword])


def make_params(params_class: type, kwargs: dict[str, Any]) -> Any:
    """``params_class(**kwargs)``, an unknown name a ``ValueError`` that names it."""
    known = {f.name for f in fields(params_class)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ValueError(
            f"unknown argument(s) {', '.join(unknown)} for {params_class.__name__} "
            f"(known: {', '.join(sorted(known))})"
        )
    return params_class(**kwargs)


_RENDER_MODE = inspect.Parameter("render_mode", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
_SELF = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)


class KernelEnv(gym.Env):
    """One copy of a :class:`KernelDynamics` as a standard Gymnasium environment.

    The environment owns its time limit, so the last step of every episode carries
    ``info["episode_metrics"]``. Subclasses set ``params_class`` (a frozen dataclass of their
    settings: the single env, the batch and config validators all read it) and build the
    dynamics in ``_make_dynamics``; their constructor keywords are the params' fields.
    """

    params_class: ClassVar[type]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "params_class" in cls.__dict__:
            cls.__signature__ = params_signature(cls.params_class, (_RENDER_MODE,))

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.params = make_params(self.params_class, kwargs)
        self.dynamics: KernelDynamics = self._make_dynamics(self.params, 1, False)
        self.render_mode = render_mode
        self.observation_space = self.dynamics.observation_space
        self.action_space = self.dynamics.action_space
        self.max_episode_steps = self.dynamics.max_episode_steps
        self._needs_reset = True
        self._seeded = False
        space = self.action_space  # valid discrete actions 0..n-1 take the fast path in step
        self._fast_actions = space.n if isinstance(space, gym.spaces.Discrete) and space.start == 0 else 0

    @staticmethod
    def _make_dynamics(params: Any, num_envs: int, parallel: bool | None) -> KernelDynamics:
        raise NotImplementedError

    @property
    def elapsed_steps(self) -> int:
        """Agent steps taken in the current episode."""
        return int(self.dynamics.I[0, STEPS])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        d = self.dynamics
        if seed is not None:
            d.seed(copy_seeds(seed, 1))
        elif not self._seeded:  # never seeded: a seed from Gymnasium's (OS-seeded) np_random
            d.seed(np.array([self.np_random.integers(0, 2**63)], np.uint64))
        self._seeded = True
        d.reset()
        self._needs_reset = False
        return d.obs[0].copy(), d.info_of(0)

    def show_copy(self, batch: KernelDynamics, index: int) -> None:
        """Take copy ``index`` of ``batch`` (the same environment) as this env's state, so that
        ``render()`` draws that copy: a batch's episode filmed without playing it again."""
        d = self.dynamics
        new_episode = d.I[0, EPISODE] != batch.I[index, EPISODE] or batch.I[index, STEPS] == 0
        d.F[0], d.I[0], d.K[0] = batch.F[index], batch.I[index], batch.K[index]
        self._took_state(bool(new_episode))

    def _took_state(self, new_episode: bool) -> None:
        """Hook: the state was set from outside (:meth:`show_copy`); update what rendering keeps."""

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step() (the episode has ended or not begun)")
        d = self.dynamics
        if (type(action) is int or type(action) is np.int64) and 0 <= action < self._fast_actions:
            d.act_i[0] = action  # the common case, checked without a function call
        else:
            d.set_action(action)
        d.step_kernel(*d.step_args)
        terminated, truncated = d.terminated.item(0), d.truncated.item(0)
        info = d.info_of(0)
        if terminated or truncated:
            self._needs_reset = True
            info["episode_metrics"] = d.metrics_of(0)
        if self.render_mode == "human":
            self.render()
        return d.obs[0].copy(), d.rewards.item(0), terminated, truncated, info


class KernelVectorEnv(VectorEnv):
    """N copies of a :class:`KernelDynamics` as a Gymnasium ``VectorEnv`` that autoresets in the
    same step (SB3's contract): finished copies return their next episode's first observation,
    with ``infos["final_obs"]`` and ``infos["episode_metrics"]`` valid where ``infos["_final_obs"]``.

    ``parallel``: True runs the kernel on numba's threads (``prange``), False on one thread, None
    (default) chooses by :func:`auto_parallel` (parallel from :data:`PARALLEL_MIN_ENVS` copies up
    on a machine with an idle core). The results are identical either way. Subclasses set
    ``single_env_class`` (whose ``params_class`` and ``_make_dynamics`` they share, so the batch
    and the single env take the same keywords with the same defaults).
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.SAME_STEP}
    single_env_class: ClassVar[type[KernelEnv]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "single_env_class" in cls.__dict__:
            num_envs = inspect.Parameter("num_envs", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1)
            parallel = inspect.Parameter("parallel", inspect.Parameter.KEYWORD_ONLY, default=None)
            render = _RENDER_MODE.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            leading = (num_envs, parallel, render)
            cls.__signature__ = params_signature(cls.single_env_class.params_class, leading)

    def __init__(
        self,
        num_envs: int = 1,
        *,
        parallel: bool | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        modes = self.metadata.get("render_modes", [])
        if render_mode is not None and render_mode not in modes:
            raise ValueError(f"render_mode must be one of {modes} or None for the batch, got {render_mode!r}")
        self.params = make_params(self.single_env_class.params_class, kwargs)
        self.dynamics = self.single_env_class._make_dynamics(self.params, num_envs, parallel)
        self.render_mode = render_mode
        self.num_envs = self.dynamics.num_envs
        self.max_episode_steps = self.dynamics.max_episode_steps
        self.single_observation_space = self.dynamics.observation_space
        self.single_action_space = self.dynamics.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._started = False

    @property
    def parallel(self) -> bool:
        """Whether the parallel kernel runs the batch."""
        return self.dynamics.parallel

    @property
    def elapsed_steps(self) -> np.ndarray:
        """Agent steps taken in each copy's current episode."""
        return self.dynamics.elapsed_steps

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        d = self.dynamics
        if seed is not None:
            d.seed(copy_seeds(seed, self.num_envs))
        elif not self._started:  # never seeded: seed + i from a seed drawn from the OS
            d.seed(copy_seeds(int(np.random.SeedSequence().entropy) % 2**63, self.num_envs))
        self._started = True
        d.reset()
        return d.obs.copy(), d.info_arrays()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        d = self.dynamics
        d.set_actions(actions)
        obs, final_obs = d.step_batch()
        infos = d.info_arrays()
        if final_obs is not None:
            infos["final_obs"] = final_obs
            infos["_final_obs"] = d.terminated | d.truncated
            infos["episode_metrics"] = d.metrics_arrays()
        return obs, d.rewards.copy(), d.terminated.copy(), d.truncated.copy(), infos
