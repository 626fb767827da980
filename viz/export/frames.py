"""An animation's frames, composited with PIL on the still picture of :mod:`.static`.

The fast recipe: the background is quantized once to a palette which also holds every
optimizer colour, and each frame is a copy of that palette image with the paths drawn by
``PIL.ImageDraw`` straight in palette indices, so frames need no per-frame quantization.
Paths (and, on a wide slide, the loss curves) are drawn incrementally on a persistent layer
per panel (each step's segment once); the bright trail and the heads on a per-frame copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path as MplPath
from PIL import Image, ImageDraw, ImageFont

from analysis.race import RaceEntry
from surfaces import Surface
from viz import theme
from viz.export.static import render_background
from viz.export.style import (
    FONT_PATH,
    MARKER_SCALE,
    STRIP,
    TEXT_COLOR,
    check_size,
    check_text_scale,
    marker,
    rgb255,
    scale,
)
from viz.race import drawn_path, frame_steps

Array = npt.NDArray[np.float64]

HOLD_LAST_MS = 1500
MIN_FRAME_MS = 20  # browsers slow GIF delays below 20 ms down to 100 ms
TRANSPARENT = 255  # the palette slot kept free: "unchanged" in delta frames
LOSS_HEAD = 0.75  # a loss chart's head, relative to a map head


def clip_runs(points: Array, lo: tuple[float, float], hi: tuple[float, float]) -> list[Array]:
    """Clip the polyline ``points`` to the box ``[lo, hi]`` (Liang-Barsky, vectorized) and
    return the visible pieces as polylines, so PIL never sees a coordinate like 1e6 and no
    visible segment changes direction."""
    if len(points) < 2:
        return []
    a, d = points[:-1], np.diff(points, axis=0)
    t0, t1 = np.zeros(len(d)), np.ones(len(d))
    visible = np.ones(len(d), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # p ~ 0: r is +-inf
        for axis in (0, 1):
            for p, q in ((-d[:, axis], a[:, axis] - lo[axis]), (d[:, axis], hi[axis] - a[:, axis])):
                r = q / p
                t0 = np.where(p < 0, np.maximum(t0, r), t0)
                t1 = np.where(p > 0, np.minimum(t1, r), t1)
                visible &= ~((p == 0) & (q < 0))
    visible &= t0 <= t1
    start = a + t0[:, None] * d
    end = a + t1[:, None] * d
    joined = np.zeros(len(d), dtype=bool)  # segment i continues segment i - 1 unchanged
    joined[1:] = visible[1:] & visible[:-1] & (t1[:-1] == 1.0) & (t0[1:] == 0.0)
    runs = []
    for i in np.flatnonzero(visible & ~joined).tolist():
        j = i + 1
        while j < len(d) and joined[j]:
            j += 1
        runs.append(np.concatenate([start[i : i + 1], end[i:j]]))
    return runs


def _head_shape(name: str, size: float) -> Array | None:
    """Polygon vertices (pixels, around 0) of the optimizer's marker; None for a circle."""
    mark = marker(name)
    if isinstance(mark, str) and mark == "o":
        return None
    style = MarkerStyle(mark)
    path = style.get_path().transformed(style.get_transform())
    verts = path.vertices if path.codes is None else path.vertices[path.codes != MplPath.CLOSEPOLY]
    return verts * np.array([size, -size])


@dataclass(frozen=True, eq=False)
class _Track:
    """One optimizer's drawn line in panel pixels (row i = step i), palette index and head."""

    pixels: Array
    color: int
    head: Array | None
    size: float
    outside: npt.NDArray[np.int64]  # outside[i] = points before i that lie outside the clip box
    hollow: bool = False  # a copy of an optimizer in the race: an open marker, as on the page

    def runs(self, a: int, b: int, lo: tuple[float, float], hi: tuple[float, float]) -> list:
        """The visible polylines of points ``a..b`` (inclusive)."""
        if b <= a:
            return []
        if self.outside[b + 1] == self.outside[a]:  # the usual case: nothing to clip
            return [self.pixels[a : b + 1]]
        return clip_runs(self.pixels[a : b + 1], lo, hi)

    def draw_head(self, draw: ImageDraw.ImageDraw, i: int, white: int, outline: int) -> None:
        if self.outside[i + 1] != self.outside[i]:
            return
        x, y = self.pixels[i]
        fill, edge = (white, self.color) if self.hollow else (self.color, white)
        width = max(2, 2 * outline) if self.hollow else outline
        if self.head is None:
            r = self.size / 2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=edge,
                         width=width)  # fmt: skip
        else:
            draw.polygon((self.head + self.pixels[i]).ravel().tolist(), fill=fill,
                         outline=edge, width=width)  # fmt: skip


@dataclass(frozen=True, eq=False)
class _Panel:
    """A plot area of the picture (map or loss chart): its box, persistent layer and tracks.

    ``trail_width`` is the width of the bold recent stretch (0: none, as on the loss chart).
    """

    box: tuple[int, int, int, int]
    layer: Image.Image
    tracks: tuple[_Track, ...]
    lo: tuple[float, float]
    hi: tuple[float, float]
    trail_width: int

    @classmethod
    def of(
        cls,
        background: Image.Image,
        box: tuple[int, int, int, int],
        lines: Sequence[tuple[Array, int, str]],
        head_size: float,
        trail_width: int,
    ) -> _Panel:
        """``lines`` are ``(image pixels, palette index, optimizer name)``."""  # fmt: skip
        left, top, right, bottom = box
        margin = 2.0 * max(right - left, bottom - top)
        lo, hi = (-margin, -margin), (right - left + margin, bottom - top + margin)
        tracks = []
        for pixels, color, name in lines:
            local = pixels - np.array([left, top])
            inside = ((local > lo) & (local < hi)).all(axis=-1)
            size = head_size * MARKER_SCALE.get(str(marker(name)), 1.0)
            tracks.append(
                _Track(
                    pixels=local,
                    color=color,
                    head=_head_shape(name, size),
                    size=size,
                    outside=np.concatenate([[0], np.cumsum(~inside)]),
                    hollow=theme.symbol(name).endswith("-open"),
                )
            )
        # PIL clips what is drawn on the cropped layer to the plot area.
        return cls(box, background.crop(box), tuple(tracks), lo, hi, trail_width)

    def advance(self, done: int, k: int, width: int) -> None:
        """Draw each track's segments from step ``done`` to ``k`` on the persistent layer."""
        draw = ImageDraw.Draw(self.layer)
        for track in self.tracks:
            for run in track.runs(done, min(k, len(track.pixels) - 1), self.lo, self.hi):
                _polyline(draw, run, track.color, width)

    def frame(self, k: int, trail: int, white: int, outline: int) -> Image.Image:
        """The panel at step ``k``: the layer, bold trails (if any) and every head on top."""
        plot = self.layer.copy()
        draw = ImageDraw.Draw(plot)
        for track in self.tracks if self.trail_width else ():
            upto = min(k, len(track.pixels) - 1)
            for run in track.runs(max(0, upto - trail + 1), upto, self.lo, self.hi):
                _polyline(draw, run, track.color, self.trail_width)
        for track in self.tracks:
            if len(track.pixels):
                track.draw_head(draw, min(k, len(track.pixels) - 1), white, outline)
        return plot


def _polyline(draw: ImageDraw.ImageDraw, run: Array, fill: int, width: int) -> None:
    draw.line(run.ravel().tolist(), fill=fill, width=width, joint="curve")


@dataclass(frozen=True, eq=False)
class _Palette:
    index: dict[tuple[int, int, int], int]  # exact drawing colours -> palette slot
    image: Image.Image  # 1x1 "P" image of the used entries only, for Image.quantize(palette=)


def _palette(
    background: npt.NDArray[np.uint8], colors: Sequence[str]
) -> tuple[Image.Image, _Palette]:
    """Quantize the background once to an adaptive palette plus the exact drawing colours,
    slot 255 (TRANSPARENT) left free. Returns the "P" background and the palette."""
    extra = list(dict.fromkeys(rgb255(c) for c in colors))
    quantized = Image.fromarray(background).quantize(
        colors=255 - len(extra), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    flat = quantized.getpalette() or []
    used = int(np.asarray(quantized).max()) + 1
    entries = [(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]) for i in range(used)]
    index: dict[tuple[int, int, int], int] = {}
    for i, rgb in enumerate(entries):
        index.setdefault(rgb, i)
    for rgb in extra:
        if rgb not in index:
            index[rgb] = len(entries)
            entries.append(rgb)
    holder = Image.new("P", (1, 1))
    holder.putpalette([v for rgb in entries for v in rgb])
    # Map once more with the full palette, so the legend's swatches get the exact colours.
    quantized = Image.fromarray(background).quantize(palette=holder, dither=Image.Dither.NONE)
    quantized.putpalette([v for rgb in entries for v in rgb] + [0] * 3 * (256 - len(entries)))
    return quantized, _Palette(index, holder)


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), max(8, round(size)))
    except OSError:  # pragma: no cover - matplotlib always ships DejaVu Sans
        return ImageFont.load_default(max(8, round(size)))


@dataclass(frozen=True, eq=False)
class Animation:
    """``count`` frames (palette images on ``background``'s palette), made lazily."""

    count: int
    background: Image.Image  # "P", with the shared palette
    frames: Iterator[Image.Image]


def animation(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int,
    height: int,
    max_frames: int,
    trail: int,
    attribution: str,
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> Animation:
    """The frames of ``frame_steps(steps, max_frames)``: on the map every path so far, its
    last ``trail`` points bold and a head; on the loss chart (``loss_panel``) each curve so
    far and a head; "step k / N" in the bottom strip."""
    steps = max((len(e.points) - 1 for e in entries), default=0)
    shown = frame_steps(steps, max_frames).tolist()
    drawn = render_background(surface, entries, width=width, height=height,
                              attribution=attribution, loss_panel=loss_panel,
                              text_scale=text_scale)  # fmt: skip
    colors = [theme.color(e.name) for e in entries]
    bg, palette = _palette(drawn.rgb, [*colors, "#ffffff", TEXT_COLOR])
    white = palette.index[(255, 255, 255)]
    ink = [palette.index[rgb255(c)] for c in colors]

    s = scale(width, height) * text_scale
    line_w, trail_w, outline = max(2, round(2.5 * s)), max(3, round(4.5 * s)), max(1, round(2 * s))
    map_lines = [
        (drawn.map.to_pixels(drawn_path(e)), i, e.name) for e, i in zip(entries, ink, strict=True)
    ]
    panels = [_Panel.of(bg, drawn.map.box, map_lines, 15 * s, trail_w)]
    if drawn.loss is not None:
        loss_lines = [
            (c, i, e.name) for c, i, e in zip(drawn.loss.curves, ink, entries, strict=True)
        ]
        panels.append(_Panel.of(bg, drawn.loss.box, loss_lines, 15 * s * LOSS_HEAD, 0))

    font = _font(13 * s)
    pad = round(8 * s)
    text_w = font.getbbox(f"step {steps} / {steps}")[2]
    label_box = (width - pad - text_w - 2, height - round(STRIP * height), width - pad + 2, height)
    label_bg = bg.crop(label_box).convert("RGB")  # palette colours: re-quantizes exactly
    label_xy = (label_bg.width - 2, label_bg.height // 2)

    def frames() -> Iterator[Image.Image]:
        done = 0
        for k in shown:
            frame = bg.copy()
            for panel in panels:
                panel.advance(done, k, line_w)
                frame.paste(panel.frame(k, trail, white, outline), panel.box[:2])
            done = k
            label = label_bg.copy()
            ImageDraw.Draw(label).text(label_xy, f"step {k} / {steps}", font=font,
                                       fill=TEXT_COLOR, anchor="rm")  # fmt: skip
            frame.paste(label.quantize(palette=palette.image, dither=Image.Dither.NONE),
                        label_box[:2])  # fmt: skip
            yield frame

    return Animation(len(shown), bg, frames())


def durations(count: int, fps: float) -> list[int]:
    """Per-frame delays in ms (whole centiseconds, as GIF stores them), the last held longer."""
    frame_ms = max(MIN_FRAME_MS, int(round(100.0 / fps)) * 10)
    out = [frame_ms] * count
    out[-1] += HOLD_LAST_MS
    return out


def check_animation(
    width: int, height: int, max_frames: int, fps: float, trail: int, text_scale: float
) -> None:
    check_size(width, height)
    check_text_scale(text_scale)
    if max_frames < 1:
        raise ValueError(f"Invalid max_frames: {max_frames}")
    if not 0 < fps <= 60:
        raise ValueError(f"Invalid fps: {fps}")
    if trail < 1:
        raise ValueError(f"Invalid trail: {trail}")
