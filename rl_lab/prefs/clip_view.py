"""K clips side by side, numbered, as one list of frames: for a window or a video file."""

from __future__ import annotations

import os

import numpy as np

GAP = 8  # pixels between clips
HEADER = 28  # pixels above each clip for its number


def _number_strip(width: int, number: int) -> np.ndarray:
    """A dark strip with ``number`` written in its middle (pygame's default font)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    text = pygame.font.Font(None, 26).render(str(number), True, (255, 255, 255))
    strip = np.full((HEADER, width, 3), 40, np.uint8)
    pixels = pygame.surfarray.array3d(text).transpose(1, 0, 2)
    h, w = min(pixels.shape[0], HEADER), min(pixels.shape[1], width)
    top, left = (HEADER - h) // 2, (width - w) // 2
    strip[top : top + h, left : left + w] = np.maximum(strip[top : top + h, left : left + w], pixels[:h, :w])
    return strip


def side_by_side(clips_frames: list[list[np.ndarray]]) -> list[np.ndarray]:
    """One frame per step: clip 1 on the left, numbered 1..K; a clip that ended (shorter) holds
    its last frame, darkened, so the end is visible."""
    height = max(f[0].shape[0] for f in clips_frames)
    widths = [f[0].shape[1] for f in clips_frames]
    length = max(len(f) for f in clips_frames)
    strips = [_number_strip(w, i + 1) for i, w in enumerate(widths)]
    canvas_width = sum(widths) + GAP * (len(widths) - 1)
    out = []
    for t in range(length):
        canvas = np.zeros((HEADER + height, canvas_width, 3), np.uint8)
        left = 0
        for frames, strip, width in zip(clips_frames, strips, widths, strict=True):
            frame = frames[min(t, len(frames) - 1)]
            if t >= len(frames):
                frame = frame // 3  # the episode ended: the last picture, dimmed
            canvas[:HEADER, left : left + width] = strip
            canvas[HEADER : HEADER + frame.shape[0], left : left + width] = frame[:, :width]
            left += width + GAP
        out.append(canvas)
    return out
