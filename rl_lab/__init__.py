"""rl-lab: reinforcement learning you can watch, on Gymnasium and Stable-Baselines3.

Importing the package registers its environments (``rl_lab/BikeBalance-v0`` and friends).
"""

from rl_lab import envs as envs  # registers the environment ids

__version__ = "0.1.0"
