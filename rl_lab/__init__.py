"""rl-lab: reinforcement learning you can watch, on Gymnasium and Stable-Baselines3.

Importing the package registers its environments (``rl_lab/BikeBalance-v0`` and friends) and
nothing heavier; the functions for experiment scripts and notebooks load on first use::

    import rl_lab
    run = rl_lab.train("bike_balance_ppo", seed=1, overrides=["total_timesteps=20000"])
    loaded = rl_lab.load_run(run.run_dir)          # config, model, summary
    print(rl_lab.evaluate(run.run_dir, episodes=5).summary())
    rl_lab.report(["bike_balance_ppo"])

See :mod:`rl_lab.api` for each function's arguments; the ``rl-lab`` command line is a thin
layer over the same functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# In a source checkout (not installed), ``envs/``, ``agents/`` and ``experiments/`` sit beside this
# folder; making the checkout's root part of the package path lets ``rl_lab.envs`` resolve to
# ``envs/`` there too, as the wheel's layout does, without an editable install.
_CHECKOUT = Path(__file__).resolve().parent.parent
if not (Path(__file__).resolve().parent / "envs").is_dir() and (_CHECKOUT / "envs" / "__init__.py").is_file():
    __path__.append(str(_CHECKOUT))

from rl_lab import envs as envs  # noqa: E402  (registers the environment ids)

__version__ = "0.1.0"
API = ("train", "load_run", "evaluate", "watch", "report", "compare", "list_experiments", "load_experiment")
__all__ = [*API, "envs"]


def __getattr__(name: str) -> Any:
    # The public functions import torch and SB3: load them only when a script asks for one.
    if name in API:
        from rl_lab import api

        return getattr(api, name)
    raise AttributeError(f"module 'rl_lab' has no attribute {name!r}")
