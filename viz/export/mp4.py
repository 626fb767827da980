"""An animation's frames as an H.264 MP4, where the optional ``imageio-ffmpeg`` is installed."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path

from analysis.race import RaceEntry
from surfaces import Surface
from viz.export.frames import HOLD_LAST_MS, animation, check_animation
from viz.export.gif import Progress


def mp4_available() -> bool:
    """Whether :func:`race_mp4` can run (the optional ``imageio-ffmpeg`` wheel is installed)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def race_mp4(
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
    """The animation of :func:`~viz.export.race_gif` as an H.264 MP4 (yuv420p, faststart,
    CRF 23).

    Needs the optional ``imageio-ffmpeg`` wheel (it ships an ffmpeg binary; see
    :func:`mp4_available`) and raises ImportError without it. Odd sizes are rounded down to
    even ones, as yuv420p requires.
    """
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise ImportError("race_mp4 needs the optional package imageio-ffmpeg "
                          "(pip install imageio-ffmpeg)") from err  # fmt: skip
    check_animation(width, height, max_frames, fps, trail, text_scale)
    width, height = width - width % 2, height - height % 2
    report = progress or (lambda fraction: None)
    frames = animation(surface, entries, width=width, height=height, max_frames=max_frames,
                       trail=trail, attribution=attribution, loss_panel=loss_panel,
                       text_scale=text_scale)  # fmt: skip
    report(0.1)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder, "race.mp4")
        writer = imageio_ffmpeg.write_frames(
            str(target), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", "23", "-preset", "veryfast", "-movflags", "+faststart",
                           "-metadata", f"comment={attribution}"],
        )  # fmt: skip
        writer.send(None)
        try:
            rgb = b""
            for i, frame in enumerate(frames.frames):
                rgb = frame.convert("RGB").tobytes()
                writer.send(rgb)
                if (i + 1) % 10 == 0 and i + 1 < frames.count:
                    report(0.1 + 0.9 * (i + 1) / frames.count)
            for _ in range(round(HOLD_LAST_MS / 1000 * fps)):
                writer.send(rgb)
        finally:
            writer.close()
        video = target.read_bytes()
    report(1.0)
    return video
