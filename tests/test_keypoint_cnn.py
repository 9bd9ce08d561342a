"""The keypoint CNN: its spatial soft-argmax reads a sprite's position as coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_lab.agents.keypoint_cnn import KeypointCNN


def _pass_through(cnn: KeypointCNN) -> None:
    """Weights that carry the image's intensity (subsampled by the stride) to every keypoint map."""
    first, second, projection = cnn.cnn[0], cnn.cnn[2], cnn.cnn[4]
    with torch.no_grad():
        for conv in (first, second, projection):
            conv.weight.zero_()
            conv.bias.zero_()
        first.weight[:, 0, 2, 2] = 1.0  # centre tap of the 5x5 kernel
        for channel in range(second.out_channels):
            second.weight[channel, channel, 1, 1] = 1.0
        projection.weight[:, 0, 0, 0] = 1.0
        cnn.log_temperature.fill_(math.log(50.0))  # sharp: the bright pixel takes all the weight


def test_soft_argmax_finds_the_bright_sprite() -> None:
    cnn = KeypointCNN(spaces.Box(0, 255, (1, 40, 40), np.uint8), keypoints=3)
    _pass_through(cnn)
    frame = torch.zeros(1, 1, 40, 40)
    frame[0, 0, 10:12, 30:32] = 1.0  # seen at (row 5, col 15) of the 20x20 maps
    features = cnn(frame)
    grid = torch.linspace(-1, 1, 20)
    assert features.shape == (1, 6)
    assert torch.allclose(features[0, :3], grid[15].expand(3), atol=1e-3)  # x of each keypoint
    assert torch.allclose(features[0, 3:], grid[5].expand(3), atol=1e-3)  # y of each keypoint


def test_moving_the_sprite_moves_the_keypoint() -> None:
    cnn = KeypointCNN(spaces.Box(0, 255, (1, 40, 40), np.uint8), keypoints=1)
    _pass_through(cnn)
    frames = torch.zeros(2, 1, 40, 40)
    frames[0, 0, 20:22, 4:6] = 1.0
    frames[1, 0, 20:22, 24:26] = 1.0
    x, y = cnn(frames).detach().T.tolist()
    assert x[1] - x[0] == pytest.approx(10 * 2 / 19, abs=1e-3)  # 10 map columns to the right
    assert y[1] == pytest.approx(y[0], abs=1e-6)


def test_stacked_frames_give_two_coordinates_per_keypoint() -> None:
    cnn = KeypointCNN(spaces.Box(0, 255, (4, 40, 40), np.uint8), keypoints=16)
    out = cnn(torch.rand(5, 4, 40, 40))
    assert out.shape == (5, 32) and cnn.features_dim == 32


def test_rejects_non_image_spaces() -> None:
    with pytest.raises(ValueError, match="image observations"):
        KeypointCNN(spaces.Box(-1, 1, (5,), np.float32))
