"""rl-lab's custom Gymnasium environments, registered under the ``rl_lab/`` namespace.

``import rl_lab`` registers them; without the import, Gymnasium's module-prefixed form
``gymnasium.make("rl_lab:rl_lab/BikeBalance-v0")`` imports and registers them itself.

Every environment here follows one contract, so the runner treats them all alike:

* a single ``gymnasium.Env`` and a batched ``gymnasium.vector.VectorEnv`` built on the same
  dynamics (compiled numba kernels over N copies for the bicycle and PaddleBall,
  :mod:`rl_lab.envs.compiled`), with identical trajectories for the same seeds: copy ``i`` of a
  batch reset with seed ``s`` plays the episodes of a single env reset with seed ``s + i``;
* one frozen params dataclass per environment (``env_class.params_class``) holding every
  constructor keyword's default and check, read by the single env and the batch alike;
* the environment owns its time limit (``max_episode_steps``): the batch needs one anyway, and
  owning it lets the env report ``info["episode_metrics"]`` (a dict of floats, the measures
  TensorBoard shows under ``custom/``) on the last step of every episode, terminated or truncated;
* the batch autoresets in the same step (``AutoresetMode.SAME_STEP``) and returns, for the
  environments that just finished, ``infos["final_obs"]`` (an array shaped like the observations,
  valid where ``infos["_final_obs"]``) and ``infos["episode_metrics"]`` (a dict of arrays).
"""

from __future__ import annotations

import gymnasium

ENV_SPECS: dict[str, tuple[str, str]] = {
    "rl_lab/BikeBalance-v0": (
        "rl_lab.envs.bicycle.env:BikeBalanceEnv",
        "rl_lab.envs.bicycle.vector:BikeBalanceVectorEnv",
    ),
    "rl_lab/BikeRide-v0": (
        "rl_lab.envs.bicycle.env:BikeRideEnv",
        "rl_lab.envs.bicycle.vector:BikeRideVectorEnv",
    ),
    "rl_lab/PaddleBall-v0": (
        "rl_lab.envs.paddle.env:PaddleBallEnv",
        "rl_lab.envs.paddle.vector:PaddleBallVectorEnv",
    ),
    "rl_lab/TextResponse-v0": ("rl_lab.envs.text.env:TextResponseEnv", ""),
}


def register_envs() -> None:
    """Register every rl-lab environment with Gymnasium (idempotent)."""
    for env_id, (entry_point, vector_entry_point) in ENV_SPECS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=entry_point,
            vector_entry_point=vector_entry_point or None,
        )


register_envs()
