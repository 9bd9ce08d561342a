"""Preference learning on the control tasks (Christiano et al. 2017, "Deep reinforcement learning
from human preferences"): ranked trajectory clips -> a reward model r̂(s, a) -> PPO on r̂."""
