"""Animated evaluation episodes in TensorBoard's image tab.

TensorBoard shows an image summary's encoded bytes as the browser decodes them, so a GIF plays
as an animation; SB3's ``Image`` would re-encode one still PNG. The summary goes straight to the
event file of SB3's TensorBoard output, at the evaluation's timestep.
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.logger import Logger, TensorBoardOutputFormat
from tensorboard.compat.proto.summary_pb2 import Summary

from rl_lab.watching.video import gif_bytes


def log_gif(logger: Logger, tag: str, frames: list[np.ndarray], fps: float, step: int) -> bool:
    """Write ``frames`` as an animated GIF under ``tag`` at ``step``; False without a TensorBoard
    output (or without frames)."""
    writers = [f.writer for f in logger.output_formats if isinstance(f, TensorBoardOutputFormat)]
    if not writers or not frames:
        return False
    data, height, width = gif_bytes(frames, fps)
    image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=data)
    summary = Summary(value=[Summary.Value(tag=tag, image=image)])
    for writer in writers:
        writer.file_writer.add_summary(summary, step)
        writer.flush()
    return True
