"""A small CNN for pixel observations, sized for a 2-core CPU.

SB3's ``NatureCNN`` (3 conv layers + a 512-unit layer, ~7M multiply-adds per 84x84 frame) trains
at a few hundred steps per second on two cores. :class:`SmallCNN` sees a 36-48 px frame through
three stride-2 convolutions and a narrow linear layer: ~0.9M multiply-adds and ~65k parameters
at 40x40. With ``share_features_extractor=False`` the policy and the value network each get one.
"""

from __future__ import annotations

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


class SmallCNN(BaseFeaturesExtractor):
    """Three stride-2 conv layers (5x5, 3x3, 3x3) then a linear layer to ``features_dim``.

    Expects SB3's channel-first image batch ``(B, C, H, W)``, already scaled to [0, 1] by SB3
    (uint8 image spaces are normalised by the policy before the extractor sees them).
    """

    def __init__(
        self,
        observation_space: spaces.Box,
        features_dim: int = 64,
        channels: tuple[int, int, int] = (16, 32, 32),
    ) -> None:
        super().__init__(observation_space, features_dim)
        if len(observation_space.shape) != 3:
            raise ValueError(f"SmallCNN needs image observations (C, H, W), got {observation_space.shape}")
        c1, c2, c3 = channels
        self.cnn = nn.Sequential(
            nn.Conv2d(observation_space.shape[0], c1, kernel_size=5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c2, c3, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = self.cnn(torch.zeros(1, *observation_space.shape)).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flat, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.linear(self.cnn(observations))
