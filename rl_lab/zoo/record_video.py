"""``python -m rl_lab.zoo.record_video ARGS``: RL Zoo's ``record_video`` with rl-lab's env ids known.

Zoo's ``train`` and ``enjoy`` import env packages with ``--gym-packages rl_lab``; ``record_video``
has no such flag, and Gymnasium's module-prefixed id (``rl_lab:rl_lab/BikeBalance-v0``) does not
help either: the script looks the id up in ``gymnasium.registry`` before anything imports the
module. Importing :mod:`rl_lab` first registers the ids; the arguments are ``record_video``'s own.
"""

from __future__ import annotations

import runpy

import rl_lab  # noqa: F401  registers rl_lab/* before Zoo looks the id up

if __name__ == "__main__":
    runpy.run_module("rl_zoo3.record_video", run_name="__main__", alter_sys=True)
