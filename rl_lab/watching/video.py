"""Episodes as files: an MP4 for people, a small animated GIF for TensorBoard's image tab."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from rl_lab.errors import LabError
from rl_lab.runs import atomic

GIF_MAX_WIDTH = 480  # TensorBoard shows images at their own size: keep them readable in a browser


def _even_canvas(frames: list[np.ndarray]) -> tuple[int, int]:
    # H.264 needs even sizes; frames of one video share the first frame's size.
    return frames[0].shape[0] + frames[0].shape[0] % 2, frames[0].shape[1] + frames[0].shape[1] % 2


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """Write ``frames`` as an H.264 MP4 atomically (padding to even sizes, as the codec needs)."""
    import imageio.v2 as imageio

    if not frames:
        raise ValueError("no frames to write")
    height, width = _even_canvas(frames)

    def writer(tmp: Path) -> None:
        # x264's "veryfast" preset: half the encoding time of its default, files ~20 % larger.
        with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=7, macro_block_size=1,
                                output_params=["-preset", "veryfast"]) as video:
            for frame in frames:
                if frame.shape[:2] != (height, width):
                    padded = np.zeros((height, width, 3), dtype=np.uint8)
                    padded[: frame.shape[0], : frame.shape[1]] = frame
                    frame = padded
                video.append_data(frame)

    try:
        atomic.write_with(path, writer)
    except (OSError, RuntimeError) as error:  # ffmpeg gone, disk full, an unwritable folder
        raise LabError(f"{path}: cannot write the video ({error})") from None
    return path


def gif_bytes(frames: list[np.ndarray], fps: float, max_width: int = GIF_MAX_WIDTH) -> tuple[bytes, int, int]:
    """An animated GIF of ``frames``, shrunk by whole-pixel striding to at most ``max_width``:
    (its bytes, height, width)."""
    import imageio.v2 as imageio

    if not frames:
        raise ValueError("no frames to write")
    stride = max(1, -(-frames[0].shape[1] // max_width))
    small = [f[::stride, ::stride] for f in frames]
    buffer = io.BytesIO()
    imageio.mimwrite(buffer, small, format="GIF", duration=1000.0 / fps, loop=0)
    return buffer.getvalue(), small[0].shape[0], small[0].shape[1]
