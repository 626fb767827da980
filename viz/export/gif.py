"""A GIF89a writer for an animation's frames: one global palette, delta frames."""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from PIL import GifImagePlugin, Image

from analysis.race import RaceEntry
from surfaces import Surface
from viz.export.frames import TRANSPARENT, animation, check_animation, durations

Progress = Callable[[float], None]


def _sub_blocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255]
                    for i in range(0, len(data), 255)) + b"\x00"  # fmt: skip


class GifStream:
    """A GIF89a written frame by frame, all frames on one global palette. After the first,
    a frame stores only the bounding box of what changed, with unchanged pixels transparent
    (so memory stays at two frames and the file small). PIL's LZW encoder does the bytes."""

    def __init__(self, background: Image.Image, comment: str) -> None:
        width, height = background.size
        palette = bytes((background.getpalette() or []) + [0] * 768)[:768]
        self._parts = [b"GIF89a", struct.pack("<HHBBB", width, height, 0xF7, 0, 0), palette,
                       b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"]  # loop forever  # fmt: skip
        if comment:
            self._parts.append(b"!\xfe" + _sub_blocks(comment.encode("utf-8")))
        self._previous: npt.NDArray[np.uint8] | None = None

    def add(self, frame: Image.Image, duration_ms: int) -> None:
        pixels = np.asarray(frame)
        offset = (0, 0)
        if self._previous is not None:
            changed = pixels != self._previous
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size == 0:
                rows = cols = np.zeros(1, dtype=np.intp)
            r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            box = np.where(changed[r0:r1, c0:c1], pixels[r0:r1, c0:c1], TRANSPARENT)
            frame = Image.frombytes("P", (c1 - c0, r1 - r0), box.astype(np.uint8).tobytes())
            offset = (int(c0), int(r0))
        self._previous = pixels
        self._parts += GifImagePlugin.getdata(frame, offset, duration=duration_ms,
                                              transparency=TRANSPARENT, disposal=1)  # fmt: skip

    def getvalue(self) -> bytes:
        return b"".join([*self._parts, b";"])


def race_gif(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 800,
    height: int = 600,
    max_frames: int = 300,
    fps: float = 30,
    trail: int = 12,
    attribution: str = "",
    progress: Progress | None = None,
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> bytes:
    """An animated GIF of the race, looping forever, the last frame held 1.5 s longer.

    One frame per step of ``frame_steps(steps, max_frames)``: every optimizer's path so far,
    its last ``trail`` points in bold, a head in its colour and marker shape, "step k / N"
    and the ``attribution`` line (also stored as the GIF comment); with ``loss_panel`` the
    loss chart beside the map, each curve drawn up to the frame's step. ``progress(fraction)``
    is called with increasing fractions as frames are rendered, the last call with 1.0.

    GIF frame delays are whole centiseconds (and at least 20 ms), so 30 fps plays at ~33 fps.
    """
    check_animation(width, height, max_frames, fps, trail, text_scale)
    report = progress or (lambda fraction: None)
    frames = animation(surface, entries, width=width, height=height, max_frames=max_frames,
                       trail=trail, attribution=attribution, loss_panel=loss_panel,
                       text_scale=text_scale)  # fmt: skip
    report(0.1)
    gif = GifStream(frames.background, attribution)
    delays = durations(frames.count, fps)
    for i, frame in enumerate(frames.frames):
        gif.add(frame, delays[i])
        if (i + 1) % 10 == 0 and i + 1 < frames.count:
            report(0.1 + 0.9 * (i + 1) / frames.count)
    data = gif.getvalue()
    report(1.0)
    return data
