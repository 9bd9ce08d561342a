"""A CNN that reads a frame as a few keypoints: where things are, as coordinates.

A game like paddle-ball is decided by *positions*: the ball's, the paddle's, and where the ball
was a moment ago. A plain CNN has to learn to turn pixels into coordinates through a dense
layer; a spatial soft-argmax (Levine et al. 2016, "End-to-End Training of Deep Visuomotor
Policies") gives them directly: each of ``keypoints`` feature maps becomes a probability map over
the image, and its expected (x, y) is the feature. The networks on top then work on a compact
state, much like the vector mode's, and learn at a similar pace in steps.
"""

from __future__ import annotations

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


class KeypointCNN(BaseFeaturesExtractor):
    """Two convolutions, a 1x1 projection to ``keypoints`` maps, then a spatial soft-argmax.

    Output: ``2 * keypoints`` coordinates in [-1, 1]: the x of every map, then the y of every
    map. Expects SB3's channel-first image batch ``(B, C, H, W)`` scaled to [0, 1].
    """

    def __init__(
        self,
        observation_space: spaces.Box,
        keypoints: int = 16,
        channels: tuple[int, int] = (16, 16),
    ) -> None:
        super().__init__(observation_space, 2 * keypoints)
        if len(observation_space.shape) != 3:
            raise ValueError(f"KeypointCNN needs image observations (C, H, W), got {observation_space.shape}")
        c1, c2 = channels
        self.cnn = nn.Sequential(
            nn.Conv2d(observation_space.shape[0], c1, kernel_size=5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            nn.Conv2d(c2, keypoints, kernel_size=1),
        )
        with torch.no_grad():
            _, _, height, width = self.cnn(torch.zeros(1, *observation_space.shape)).shape
        # Learnable sharpness: a sharp softmax pins a keypoint on one sprite.
        self.log_temperature = nn.Parameter(torch.zeros(()))
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        self.register_buffer("grid_x", xs.reshape(-1))
        self.register_buffer("grid_y", ys.reshape(-1))

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        maps = self.cnn(observations).flatten(2)  # (B, K, H*W)
        attention = torch.softmax(maps * self.log_temperature.exp(), dim=-1)
        x = attention @ self.grid_x
        y = attention @ self.grid_y
        return torch.cat([x, y], dim=1)
