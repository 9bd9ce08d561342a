"""Seed everything a run touches and fix the torch thread count, the two things determinism needs."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, torch_threads: int) -> None:
    """Seed Python, numpy and torch, and pin torch to ``torch_threads`` intra-op threads.

    Results are bitwise reproducible only for the same thread count: a different count changes
    the order of floating-point reductions inside torch.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(torch_threads)
