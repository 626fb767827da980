"""Slide exports of a race: an animated GIF (an MP4 where imageio-ffmpeg is installed) and
static PNG / SVG pictures, in the page's colours.

The animation follows the fast recipe. matplotlib (Agg, through ``Figure`` + ``FigureCanvasAgg``,
never pyplot) renders the contour map, landmarks, start, legend, title and attribution ONCE.
That picture is quantized once to a palette which also holds every optimizer colour, and each
frame is a copy of the palette image with the paths drawn by ``PIL.ImageDraw`` straight in
palette indices, so frames need no per-frame quantization. Paths are drawn incrementally on a
persistent layer (each step's segment once), the bright trail and heads on a per-frame copy.

Everything here is pure: no pyplot, no rcParams, the same bytes for the same input.
"""

from __future__ import annotations

import importlib.util
import io
import re
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from PIL import GifImagePlugin, Image, ImageDraw, ImageFont

from analysis.race import RaceEntry
from surfaces import Surface
from viz import theme
from viz.race import LevelScale, entry_name, frame_steps

Array = npt.NDArray[np.float64]
Progress = Callable[[float], None]

GRID_RESOLUTION = 200
CONTOUR_LEVELS = 24
HOLD_LAST_MS = 1500
STRIP = 0.05  # bottom strip of the picture (fraction of its height): attribution, step label
MIN_FRAME_MS = 20  # browsers slow GIF delays below 20 ms down to 100 ms

TEXT_COLOR = "#222222"
MUTED_TEXT_COLOR = "#555555"
CONTOUR_LINE_COLOR = (40 / 255, 50 / 255, 70 / 255, 0.35)
SURFACE_CMAP = LinearSegmentedColormap.from_list("descent-surface", list(theme.SURFACE_COLORSCALE))
FONT_PATH = Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")

# theme.symbol() names Plotly markers; these are the matplotlib markers closest to them.
_BOWTIE = MplPath([(-1, -1), (-1, 1), (1, -1), (1, 1), (0, 0)], closed=True)
_HOURGLASS = MplPath([(-1, 1), (1, 1), (-1, -1), (1, -1), (0, 0)], closed=True)
_MPL_MARKERS: dict[str, str | MplPath] = {
    "circle": "o", "square": "s", "diamond": "D", "triangle-up": "^", "triangle-down": "v",
    "star": "*", "hexagon": "h", "pentagon": "p", "cross": "P", "x": "X", "hourglass": _HOURGLASS,
    "bowtie": _BOWTIE, "star-diamond": "d", "octagon": "8",
}
_MARKER_SCALE = {"*": 1.4}  # matplotlib's star looks small next to the other markers
_MPL_DASHES = {
    "solid": "-", "dash": (0, (5, 2.5)), "dot": (0, (1, 1.6)), "dashdot": (0, (5, 2, 1, 2)),
    "longdash": (0, (9, 3)), "longdashdot": (0, (9, 2.5, 1, 2.5)),
}


# --------------------------------------------------------------------------------- helpers


def attribution_line(surface_title: str, settings: str) -> str:
    """``"Descent · <surface> · <settings>"`` (empty parts left out)."""
    return " · ".join(part for part in ("Descent", surface_title, settings) if part)


def mp4_available() -> bool:
    """Whether :func:`race_mp4` can run (the optional ``imageio-ffmpeg`` wheel is installed)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def _marker(name: str) -> str | MplPath:
    return _MPL_MARKERS.get(theme.symbol(name), "o")


def _rgb255(color: str) -> tuple[int, int, int]:
    r, g, b = to_rgb(color)
    return round(r * 255), round(g * 255), round(b * 255)


def _drawn_path(entry: RaceEntry) -> Array:
    """The path up to its last finite point (a diverged run stops where it blew up)."""
    points = np.asarray(entry.points, dtype=np.float64)
    if entry.diverged_at >= 0:
        points = points[: entry.diverged_at]
    finite = np.isfinite(points).all(axis=-1)
    return points if finite.all() else points[: int(np.argmin(finite))]


def _check_size(width: int, height: int) -> None:
    if not (200 <= width <= 8000 and 150 <= height <= 8000):
        raise ValueError(f"Invalid export size: {width}x{height}")


# ------------------------------------------------------------------- the matplotlib picture


@dataclass(frozen=True)
class MapLayout:
    """Where the map sits in a rendered picture of ``size`` pixels.

    ``to_pixels`` is the axes' data transform (``ax.transData``, affine for linear axes), in
    image coordinates (origin top-left, y down, integer = pixel centre) as PIL draws them.
    ``box`` is the plot area ``(left, top, right, bottom)``, right/bottom exclusive.
    """

    size: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[float, float]
    box: tuple[int, int, int, int]

    def to_pixels(self, points: npt.ArrayLike) -> Array:
        points = np.asarray(points, dtype=np.float64)
        return points * np.asarray(self.scale) + np.asarray(self.offset)


def _scale(width: int, height: int) -> float:
    """Pixels per "800x600 pixel": fonts, lines and markers grow with the picture, so a
    1600x1200 PNG looks like a 800x600 GIF, only sharper (a portrait picture scales by width)."""
    return min(height, 0.75 * width) / 600


def _figure(width: int, height: int) -> tuple[Figure, FigureCanvasAgg]:
    # The 0.01 px keeps Agg's int() from losing a pixel.
    dpi = 100 * _scale(width, height)
    fig = Figure(figsize=((width + 0.01) / dpi, (height + 0.01) / dpi), dpi=dpi,
                 facecolor="white", layout="constrained")
    fig.get_layout_engine().set(rect=(0.0, STRIP, 1.0, 1.0 - STRIP), w_pad=0.06, h_pad=0.06)
    return fig, FigureCanvasAgg(fig)


def _centre(fig: Figure, ax: Axes, title: Text) -> None:
    """Lay out once (constrained), then freeze the layout with the title, the map, its ticks
    and legend centred as one block above the bottom strip. Constrained layout alone centres
    the equal-aspect axes without its legend and pins the title to the top, leaving gaps."""
    renderer = fig.canvas.get_renderer()
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    ax.apply_aspect()
    group = ax.get_tightbbox(renderer)
    heading = title.get_window_extent(renderer)
    width, height = fig.bbox.width, fig.bbox.height
    gap = 0.015 * height
    block = group.height + gap + heading.height
    bottom = STRIP * height + max(0.0, (height * (1 - STRIP) - 0.01 * height - block) / 2)
    dx = (width - group.x1 - group.x0) / 2
    ax.set_position(ax.get_position(original=False).translated(
        dx / width, (bottom - group.y0) / height))
    title.set_y((bottom + block) / height)
    title.set_verticalalignment("top")


def _draw_contours(ax: Axes, surface: Surface) -> None:
    with np.errstate(all="ignore"):
        xs, ys, Z = surface.grid(GRID_RESOLUTION)
        scale = LevelScale.for_values(surface, Z)
        levels = scale(Z)
    finite = levels[np.isfinite(levels)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    bounds = np.linspace(lo, hi, CONTOUR_LEVELS + 1)
    masked = np.ma.masked_invalid(levels)
    ax.contourf(xs, ys, masked, levels=bounds, cmap=SURFACE_CMAP, zorder=0)
    ax.contour(xs, ys, masked, levels=bounds, colors=[CONTOUR_LINE_COLOR], linewidths=0.4,
               zorder=1)


def _landmark_handles(ax: Axes, surface: Surface, entries: Sequence[RaceEntry]) -> list[Line2D]:
    handles = []
    if len(surface.minima):
        handles += ax.plot(surface.minima[:, 0], surface.minima[:, 1], linestyle="none",
                           marker="*", markersize=13, markerfacecolor="white",
                           markeredgecolor="black", markeredgewidth=1.1, zorder=5,
                           label="minimum")
    if len(surface.saddles):
        handles += ax.plot(surface.saddles[:, 0], surface.saddles[:, 1], linestyle="none",
                           marker="x", markersize=9, markeredgecolor="black",
                           markeredgewidth=2.2, zorder=5, label="saddle")
    starts = [path[0] for path in map(_drawn_path, entries) if len(path)]
    if starts:
        unique = np.unique(np.asarray(starts), axis=0)
        handles += ax.plot(unique[:, 0], unique[:, 1], linestyle="none", marker="o",
                           markersize=7, markerfacecolor="white", markeredgecolor="black",
                           markeredgewidth=1.4, zorder=6, label="start")
    return handles


def _race_figure(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int,
    height: int,
    attribution: str,
    static: bool,
) -> tuple[Figure, FigureCanvasAgg, Axes]:
    """The map with its decorations; with ``static`` also every full path and final marker
    (dashed per optimizer), else only what the animation keeps still."""
    fig, canvas = _figure(width, height)
    ax = fig.add_subplot()
    _draw_contours(ax, surface)
    opt_handles = []
    for entry in entries:
        col, mark = theme.color(entry.name), _marker(entry.name)
        dash = _MPL_DASHES.get(theme.dash(entry.name), "-") if static else "-"
        style = {"color": col, "linewidth": 2.0, "linestyle": dash, "marker": mark,
                 "markersize": 8 * _MARKER_SCALE.get(str(mark), 1.0), "markerfacecolor": col,
                 "markeredgecolor": "white", "markeredgewidth": 1.0}
        path = _drawn_path(entry)
        if static and len(path):
            ax.plot(path[:, 0], path[:, 1], color=col, linewidth=2.0, linestyle=dash,
                    alpha=0.9, solid_capstyle="round", zorder=3)
            ax.plot(path[-1:, 0], path[-1:, 1], **{**style, "linestyle": "none"}, zorder=7)
        opt_handles.append(Line2D([], [], label=entry_name(entry), **style))
    handles = opt_handles + _landmark_handles(ax, surface, entries)

    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x", fontsize=10, color=TEXT_COLOR)
    ax.set_ylabel("y", fontsize=10, color=TEXT_COLOR)
    ax.tick_params(labelsize=8.5, colors="#444444", direction="out")
    for spine in ax.spines.values():
        spine.set_color("#444444")
    name = surface.title if len(surface.title) <= 70 else surface.title[:69] + "…"
    title = fig.suptitle(name, fontsize=13, color=TEXT_COLOR, fontweight="bold")
    legend_style = {"fontsize": 8.5, "frameon": True, "framealpha": 0.92, "edgecolor": "#cccccc",
                    "labelcolor": TEXT_COLOR, "handlelength": 2.4}
    if handles:
        if (x1 - x0) / (y1 - y0) > 0.94 * width / height:  # a wide map: legend above it
            ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01),
                      ncols=min(len(handles), 4), **legend_style)
        else:  # a square or tall map leaves room on the right
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      **legend_style)
    if attribution:
        fig.text(0.012, STRIP / 2, attribution, fontsize=8, color=MUTED_TEXT_COLOR,
                 ha="left", va="center")
    _centre(fig, ax, title)
    return fig, canvas, ax


def _layout(ax: Axes, width: int, height: int) -> MapLayout:
    """Read the (final, drawn) axes transform once: data -> PIL pixel coordinates."""
    (ox, oy), (px, _), (_, py) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])
    # Agg: display (X, Y) from the bottom-left corner; PIL: (X - 0.5, H - Y - 0.5).
    extent = ax.get_window_extent()
    inset = 1 + int(_scale(width, height))  # keep the spines
    box = (
        int(np.ceil(extent.x0)) + inset, int(np.ceil(height - extent.y1)) + inset,
        int(np.floor(extent.x1)) - inset, int(np.floor(height - extent.y0)) - inset,
    )
    return MapLayout(size=(width, height), scale=(px - ox, -(py - oy)),
                     offset=(ox - 0.5, height - oy - 0.5), box=box)


def _canvas_rgb(canvas: FigureCanvasAgg, width: int, height: int) -> npt.NDArray[np.uint8]:
    rgba = np.asarray(canvas.buffer_rgba())
    rgb = np.full((height, width, 3), 255, dtype=np.uint8)
    h, w = min(height, rgba.shape[0]), min(width, rgba.shape[1])
    rgb[:h, :w] = rgba[:h, :w, :3]
    return rgb


def _render_background(
    surface: Surface, entries: Sequence[RaceEntry], width: int, height: int, attribution: str
) -> tuple[npt.NDArray[np.uint8], MapLayout]:
    fig, canvas, ax = _race_figure(surface, entries, width=width, height=height,
                                   attribution=attribution, static=False)
    canvas.draw()
    return _canvas_rgb(canvas, width, height), _layout(ax, width, height)


def gif_layout(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 800,
    height: int = 600,
    attribution: str = "",
) -> MapLayout:
    """The data-to-pixel mapping :func:`race_gif` uses for the same arguments."""
    _check_size(width, height)
    return _render_background(surface, entries, width, height, attribution)[1]


# ---------------------------------------------------------------------- the PIL animation


def _clip_runs(points: Array, lo: tuple[float, float], hi: tuple[float, float]) -> list[Array]:
    """Clip the polyline ``points`` to the box ``[lo, hi]`` (Liang-Barsky, vectorized) and
    return the visible pieces as polylines, so PIL never sees a coordinate like 1e6 and no
    visible segment changes direction."""
    if len(points) < 2:
        return []
    a, d = points[:-1], np.diff(points, axis=0)
    t0, t1 = np.zeros(len(d)), np.ones(len(d))
    visible = np.ones(len(d), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
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
    marker = _marker(name)
    if isinstance(marker, str) and marker == "o":
        return None
    style = MarkerStyle(marker)
    path = style.get_path().transformed(style.get_transform())
    verts = path.vertices if path.codes is None else path.vertices[path.codes != MplPath.CLOSEPOLY]
    return verts * np.array([size, -size])


@dataclass(frozen=True, eq=False)
class _Track:
    """One optimizer's drawn path in plot-area pixels, its palette index and head shape."""

    pixels: Array
    color: int
    head: Array | None
    size: float
    outside: npt.NDArray[np.int64]  # outside[i] = points before i that lie outside the clip box

    def runs(self, a: int, b: int, lo: tuple[float, float], hi: tuple[float, float]) -> list:
        """The visible polylines of points ``a..b`` (inclusive)."""
        if b <= a:
            return []
        if self.outside[b + 1] == self.outside[a]:  # the usual case: nothing to clip
            return [self.pixels[a : b + 1]]
        return _clip_runs(self.pixels[a : b + 1], lo, hi)

    def draw_head(self, draw: ImageDraw.ImageDraw, i: int, white: int, outline: int) -> None:
        if self.outside[i + 1] != self.outside[i]:
            return
        x, y = self.pixels[i]
        if self.head is None:
            r = self.size / 2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=self.color, outline=white,
                         width=outline)
        else:
            draw.polygon((self.head + self.pixels[i]).ravel().tolist(), fill=self.color,
                         outline=white, width=outline)


def _polyline(draw: ImageDraw.ImageDraw, run: Array, fill: int, width: int) -> None:
    draw.line(run.ravel().tolist(), fill=fill, width=width, joint="curve")


TRANSPARENT = 255  # the palette slot kept free: "unchanged" in delta frames


@dataclass(frozen=True, eq=False)
class _Palette:
    index: dict[tuple[int, int, int], int]  # exact drawing colours -> palette slot
    image: Image.Image  # 1x1 "P" image of the used entries only, for Image.quantize(palette=)


def _palette(
    background: npt.NDArray[np.uint8], colors: Sequence[str]
) -> tuple[Image.Image, _Palette]:
    """Quantize the background once to an adaptive palette plus the exact drawing colours,
    slot 255 (TRANSPARENT) left free. Returns the "P" background and the palette."""
    extra = list(dict.fromkeys(_rgb255(c) for c in colors))
    quantized = Image.fromarray(background).quantize(
        colors=255 - len(extra), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
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
class _Animation:
    count: int
    background: Image.Image  # "P", with the shared palette
    frames: Iterator[Image.Image]


def _animation(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int,
    height: int,
    max_frames: int,
    trail: int,
    attribution: str,
) -> _Animation:
    steps = max((len(e.points) - 1 for e in entries), default=0)
    shown = frame_steps(steps, max_frames).tolist()
    background, layout = _render_background(surface, entries, width, height, attribution)
    bg, palette = _palette(background,
                           [theme.color(e.name) for e in entries] + ["#ffffff", TEXT_COLOR])
    white = palette.index[(255, 255, 255)]

    s = _scale(width, height)
    line_w, trail_w, outline = max(2, round(2.5 * s)), max(3, round(4.5 * s)), max(1, round(2 * s))
    left, top, right, bottom = layout.box
    region = bg.crop(layout.box)  # the plot area: PIL clips what is drawn on it
    margin = 2.0 * max(right - left, bottom - top)
    lo, hi = (-margin, -margin), (right - left + margin, bottom - top + margin)
    tracks = []
    for e in entries:
        pixels = layout.to_pixels(_drawn_path(e)) - np.array([left, top])
        inside = ((pixels > lo) & (pixels < hi)).all(axis=-1)
        size = 15 * s * _MARKER_SCALE.get(str(_marker(e.name)), 1.0)
        tracks.append(_Track(
            pixels=pixels, color=palette.index[_rgb255(theme.color(e.name))],
            head=_head_shape(e.name, size), size=size,
            outside=np.concatenate([[0], np.cumsum(~inside)]),
        ))

    font = _font(13 * s)
    pad = round(8 * s)
    text_w = font.getbbox(f"step {steps} / {steps}")[2]
    label_box = (width - pad - text_w - 2, height - round(STRIP * height), width - pad + 2, height)
    label_bg = bg.crop(label_box).convert("RGB")  # palette colours: re-quantizes exactly
    label_xy = (label_bg.width - 2, label_bg.height // 2)

    def frames() -> Iterator[Image.Image]:
        paths = ImageDraw.Draw(region)
        done = 0
        for k in shown:
            for track in tracks:  # each step's segment once, on the persistent layer
                for run in track.runs(done, min(k, len(track.pixels) - 1), lo, hi):
                    _polyline(paths, run, track.color, line_w)
            done = k
            plot = region.copy()
            draw = ImageDraw.Draw(plot)
            for track in tracks:
                upto = min(k, len(track.pixels) - 1)
                for run in track.runs(max(0, upto - trail + 1), upto, lo, hi):
                    _polyline(draw, run, track.color, trail_w)
            for track in tracks:  # heads on top of every trail
                if len(track.pixels):
                    track.draw_head(draw, min(k, len(track.pixels) - 1), white, outline)
            label = label_bg.copy()
            ImageDraw.Draw(label).text(label_xy, f"step {k} / {steps}", font=font,
                                       fill=TEXT_COLOR, anchor="rm")
            frame = bg.copy()
            frame.paste(plot, (left, top))
            label = label.quantize(palette=palette.image, dither=Image.Dither.NONE)
            frame.paste(label, label_box[:2])
            yield frame

    return _Animation(len(shown), bg, frames())


def _sub_blocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255]
                    for i in range(0, len(data), 255)) + b"\x00"


class _GifStream:
    """A GIF89a written frame by frame, all frames on one global palette. After the first,
    a frame stores only the bounding box of what changed, with unchanged pixels transparent
    (so memory stays at two frames and the file small). PIL's LZW encoder does the bytes."""

    def __init__(self, background: Image.Image, comment: str) -> None:
        width, height = background.size
        palette = bytes((background.getpalette() or []) + [0] * 768)[:768]
        self._parts = [b"GIF89a", struct.pack("<HHBBB", width, height, 0xF7, 0, 0), palette,
                       b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"]  # loop forever
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
                                              transparency=TRANSPARENT, disposal=1)

    def getvalue(self) -> bytes:
        return b"".join([*self._parts, b";"])


def _durations(count: int, fps: float) -> list[int]:
    frame_ms = max(MIN_FRAME_MS, int(round(100.0 / fps)) * 10)  # GIF delays are centiseconds
    durations = [frame_ms] * count
    durations[-1] += HOLD_LAST_MS
    return durations


def _check_animation(width: int, height: int, max_frames: int, fps: float, trail: int) -> None:
    _check_size(width, height)
    if max_frames < 1:
        raise ValueError(f"Invalid max_frames: {max_frames}")
    if not 0 < fps <= 60:
        raise ValueError(f"Invalid fps: {fps}")
    if trail < 1:
        raise ValueError(f"Invalid trail: {trail}")


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
) -> bytes:
    """An animated GIF of the race, looping forever, the last frame held 1.5 s longer.

    One frame per step of ``frame_steps(steps, max_frames)``: every optimizer's path so far,
    its last ``trail`` points in bold, a head in its colour and marker shape, "step k / N"
    and the ``attribution`` line (also stored as the GIF comment). ``progress(fraction)`` is
    called with increasing fractions as frames are rendered, the last call with 1.0.

    GIF frame delays are whole centiseconds (and at least 20 ms), so 30 fps plays at ~33 fps.
    """
    _check_animation(width, height, max_frames, fps, trail)
    report = progress or (lambda fraction: None)
    animation = _animation(surface, entries, width=width, height=height,
                           max_frames=max_frames, trail=trail, attribution=attribution)
    report(0.1)
    gif = _GifStream(animation.background, attribution)
    durations = _durations(animation.count, fps)
    for i, frame in enumerate(animation.frames):
        gif.add(frame, durations[i])
        if (i + 1) % 10 == 0 and i + 1 < animation.count:
            report(0.1 + 0.9 * (i + 1) / animation.count)
    data = gif.getvalue()
    report(1.0)
    return data


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
) -> bytes:
    """The animation of :func:`race_gif` as an H.264 MP4 (yuv420p, faststart, CRF 23).

    Needs the optional ``imageio-ffmpeg`` wheel (it ships an ffmpeg binary; see
    :func:`mp4_available`) and raises ImportError without it. Odd sizes are rounded down to
    even ones, as yuv420p requires.
    """
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise ImportError("race_mp4 needs the optional package imageio-ffmpeg "
                          "(pip install imageio-ffmpeg)") from err
    _check_animation(width, height, max_frames, fps, trail)
    width, height = width - width % 2, height - height % 2
    report = progress or (lambda fraction: None)
    animation = _animation(surface, entries, width=width, height=height,
                           max_frames=max_frames, trail=trail, attribution=attribution)
    report(0.1)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder, "race.mp4")
        writer = imageio_ffmpeg.write_frames(
            str(target), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", "23", "-preset", "veryfast", "-movflags", "+faststart",
                           "-metadata", f"comment={attribution}"],
        )
        writer.send(None)
        try:
            rgb = b""
            for i, frame in enumerate(animation.frames):
                rgb = frame.convert("RGB").tobytes()
                writer.send(rgb)
                if (i + 1) % 10 == 0 and i + 1 < animation.count:
                    report(0.1 + 0.9 * (i + 1) / animation.count)
            for _ in range(round(HOLD_LAST_MS / 1000 * fps)):
                writer.send(rgb)
        finally:
            writer.close()
        video = target.read_bytes()
    report(1.0)
    return video


# ------------------------------------------------------------------------ static pictures


def _static(surface: Surface, entries: Sequence[RaceEntry], width: int, height: int,
            attribution: str) -> Figure:
    _check_size(width, height)
    return _race_figure(surface, entries, width=width, height=height, attribution=attribution,
                        static=True)[0]


def race_png(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 1600,
    height: int = 1200,
    attribution: str = "",
) -> bytes:
    """The whole race as a PNG of ``width x height`` pixels: every path complete (dashed per
    optimizer, as on the page), start and final markers, legend and attribution."""
    fig = _static(surface, entries, width, height, attribution)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buffer.getvalue()


_SVG_ID = re.compile(r'id="([^"]*[0-9a-f]{10})"')


def race_svg(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 1600,
    height: int = 1200,
    attribution: str = "",
) -> bytes:
    """The picture of :func:`race_png` as vector SVG (``width x height`` sets the proportions
    and font sizes; text is drawn as paths, so it looks the same without the fonts)."""
    fig = _static(surface, entries, width, height, attribution)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", dpi=fig.dpi,
                metadata={"Date": None, "Title": attribution or surface.title})
    text = buffer.getvalue().decode("utf-8")
    # matplotlib salts its ids with uuid4 unless rcParams say otherwise: renumber them
    # (without touching global state) so the same race gives the same bytes.
    ids = {old: f"{old[:-10]}{n}" for n, old in enumerate(dict.fromkeys(_SVG_ID.findall(text)))}
    if ids:
        pattern = re.compile("|".join(map(re.escape, ids)))
        text = pattern.sub(lambda match: ids[match.group(0)], text)
    return text.encode("utf-8")
