"""The networks' building blocks by config name: ``networks.features`` (what each network sees
first) and ``networks.activation``."""

from __future__ import annotations

import importlib

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU}

# Import paths rather than classes, so torch-heavy extractors load only when asked for.
FEATURE_EXTRACTORS: dict[str, str | None] = {
    "flatten": None,  # SB3's default for vectors: FlattenExtractor (MLP policies)
    "nature_cnn": "stable_baselines3.common.torch_layers:NatureCNN",
    "small_cnn": "rl_lab.agents.cnn:SmallCNN",
    "keypoint_cnn": "rl_lab.agents.keypoint_cnn:KeypointCNN",
}


def features_extractor_class(name: str) -> type[BaseFeaturesExtractor] | None:
    """The extractor class for ``name`` (None: SB3's default), or ValueError naming the choices."""
    if name not in FEATURE_EXTRACTORS:
        raise ValueError(f"unknown features {name!r} (known: {', '.join(FEATURE_EXTRACTORS)})")
    path = FEATURE_EXTRACTORS[name]
    if path is None:
        return None
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def is_image_space(space: spaces.Space) -> bool:
    """True for uint8 (H, W, C) boxes: what SB3's CNN policies take (and what the panel shows)."""
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3
