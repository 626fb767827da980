"""The still picture of a race, drawn once with matplotlib (Agg, through ``Figure`` +
``FigureCanvasAgg``, never pyplot): contour map, landmarks, start, legend, title, attribution
and, on a wide slide, the loss chart beside the map.

The PNG and SVG are this picture with every full path; an animation's background is it
without the paths, plus where each panel sits in pixels (:class:`Background`), so that the
frames can draw the paths with PIL. Pure: no rcParams, the same bytes for the same input.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from analysis.race import RaceEntry
from surfaces import Surface
from viz import theme
from viz.export.style import (
    CONTOUR_LINE_COLOR,
    MARKER_SCALE,
    MPL_DASHES,
    MUTED_TEXT_COLOR,
    STRIP,
    SURFACE_CMAP,
    TEXT_COLOR,
    check_size,
    check_text_scale,
    marker,
    scale,
)
from viz.race import (
    LevelScale,
    drawn_path,
    entry_name,
    finite_prefix,
    loss_curve,
    loss_range,
    loss_top,
)

Array = npt.NDArray[np.float64]

GRID_RESOLUTION = 200
CONTOUR_LEVELS = 24


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


@dataclass(frozen=True, eq=False)
class LossLayout:
    """The loss chart in a rendered picture: its plot area ``box`` (as :class:`MapLayout`'s)
    and each entry's loss curve ``(step, loss)`` already in image pixels (the axis may be
    logarithmic, so matplotlib maps the points, not an affine transform)."""

    box: tuple[int, int, int, int]
    curves: tuple[Array, ...]


@dataclass(frozen=True, eq=False)
class Background:
    """An animation's still picture (RGB) and where its panels are."""

    rgb: npt.NDArray[np.uint8]
    map: MapLayout
    loss: LossLayout | None


def _figure(width: int, height: int, text_scale: float) -> tuple[Figure, FigureCanvasAgg]:
    # Type, lines and markers are sized in points: the dpi scales them all at once.
    # The 0.01 px keeps Agg's int() from losing a pixel.
    dpi = 100 * scale(width, height) * text_scale
    fig = Figure(figsize=((width + 0.01) / dpi, (height + 0.01) / dpi), dpi=dpi,
                 facecolor="white", layout="constrained")  # fmt: skip
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
    ax.set_position(
        ax.get_position(original=False).translated(dx / width, (bottom - group.y0) / height)
    )
    title.set_y((bottom + block) / height)
    title.set_verticalalignment("top")


def _draw_contours(ax: Axes, surface: Surface) -> None:
    with np.errstate(all="ignore"):
        xs, ys, Z = surface.grid(GRID_RESOLUTION)
        levels = LevelScale.for_values(surface, Z)(Z)
    finite = levels[np.isfinite(levels)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    bounds = np.linspace(lo, hi, CONTOUR_LEVELS + 1)
    masked = np.ma.masked_invalid(levels)
    ax.contourf(xs, ys, masked, levels=bounds, cmap=SURFACE_CMAP, zorder=0)
    ax.contour(xs, ys, masked, levels=bounds, colors=[CONTOUR_LINE_COLOR], linewidths=0.4,
               zorder=1)  # fmt: skip


def _landmark_handles(ax: Axes, surface: Surface, entries: Sequence[RaceEntry]) -> list[Line2D]:
    handles = []
    if len(surface.minima):
        handles += ax.plot(surface.minima[:, 0], surface.minima[:, 1], linestyle="none",
                           marker="*", markersize=13, markerfacecolor="white",
                           markeredgecolor="black", markeredgewidth=1.1, zorder=5,
                           label="minimum")  # fmt: skip
    if len(surface.saddles):
        handles += ax.plot(surface.saddles[:, 0], surface.saddles[:, 1], linestyle="none",
                           marker="x", markersize=9, markeredgecolor="black",
                           markeredgewidth=2.2, zorder=5, label="saddle")  # fmt: skip
    starts = [path[0] for path in map(drawn_path, entries) if len(path)]
    if starts:
        unique = np.unique(np.asarray(starts), axis=0)
        handles += ax.plot(unique[:, 0], unique[:, 1], linestyle="none", marker="o",
                           markersize=7, markerfacecolor="white", markeredgecolor="black",
                           markeredgewidth=1.4, zorder=6, label="start")  # fmt: skip
    return handles


def _style(name: str, static: bool) -> dict[str, object]:
    """An optimizer's line and marker, as on the page (dashes only where paths are drawn)."""
    col, mark = theme.color(name), marker(name)
    hollow = theme.symbol(name).endswith("-open")  # a copy of an optimizer in the race
    return {"color": col, "linewidth": 2.0,
            "linestyle": MPL_DASHES.get(theme.dash(name), "-") if static else "-",
            "marker": mark, "markersize": 8 * MARKER_SCALE.get(str(mark), 1.0),
            "markerfacecolor": "white" if hollow else col,
            "markeredgecolor": col if hollow else "white",
            "markeredgewidth": 1.5 if hollow else 1.0}  # fmt: skip


def _draw_paths(ax: Axes, entries: Sequence[RaceEntry]) -> None:
    for entry in entries:
        style, path = _style(entry.name, static=True), drawn_path(entry)
        if len(path):
            ax.plot(
                path[:, 0],
                path[:, 1],
                color=style["color"],
                linewidth=2.0,
                linestyle=style["linestyle"],
                alpha=0.9,
                solid_capstyle="round",
                zorder=3,
            )
            ax.plot(path[-1:, 0], path[-1:, 1], **{**style, "linestyle": "none"}, zorder=7)


def loss_points(surface: Surface, entry: RaceEntry) -> Array:
    """``(step, loss)`` rows of ``entry`` as the loss chart draws them: the page's loss
    (``viz.race.loss_curve``) over the steps of its drawn path, up to a non-finite loss."""
    y, _ = loss_curve(surface, entry)
    n = len(drawn_path(entry))
    return finite_prefix(np.stack([np.arange(n, dtype=np.float64), y[:n]], axis=-1))


def _loss_axes(ax: Axes, surface: Surface, entries: Sequence[RaceEntry], static: bool) -> None:
    """The loss-vs-step chart with the page's axis: ``f - min f`` on a log axis where the
    minimum is known (with the same range rule), else ``f``."""
    curves = [loss_points(surface, e) for e in entries]
    log = bool(entries) and loss_curve(surface, entries[0])[1]
    ys = np.concatenate([c[:, 1] for c in curves]) if curves else np.zeros(0)
    lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (1e-3, 1.0)
    lo, top = loss_range(lo, loss_top([c[:, 1] for c in curves], hi, log), log)
    steps = max((len(e.points) - 1 for e in entries), default=0)
    if log:
        ax.set_yscale("log")
        lo, top = 10.0**lo, 10.0**top
    ax.set_ylim(lo, top)
    span = max(steps, 1)
    ax.set_xlim(-0.02 * span, 1.03 * span)  # room for the heads at the first and last step
    for entry, curve in zip(entries, curves, strict=True):
        style = _style(entry.name, static)
        if static and len(curve):
            ax.plot(
                curve[:, 0],
                curve[:, 1],
                color=style["color"],
                linewidth=2.0,
                linestyle=style["linestyle"],
                alpha=0.9,
                zorder=3,
            )
            ax.plot(curve[-1:, 0], curve[-1:, 1], **{**style, "linestyle": "none"}, zorder=7)
    ax.set_xlabel("step", fontsize=10, color=TEXT_COLOR)
    ax.set_ylabel("f − min f" if log else "f", fontsize=10, color=TEXT_COLOR)
    ax.set_title("loss", fontsize=11, color=TEXT_COLOR, loc="left")
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    _ticks(ax)


def _ticks(ax: Axes) -> None:
    ax.tick_params(labelsize=8.5, colors="#444444", direction="out")
    for spine in ax.spines.values():
        spine.set_color("#444444")


LEGEND_STYLE = {"fontsize": 8.5, "frameon": True, "framealpha": 0.92, "edgecolor": "#cccccc",
                "labelcolor": TEXT_COLOR, "handlelength": 2.4}  # fmt: skip


@dataclass(frozen=True, eq=False)
class _Drawn:
    fig: Figure
    canvas: FigureCanvasAgg
    map: Axes
    loss: Axes | None


def race_picture(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int,
    height: int,
    attribution: str,
    static: bool,
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> _Drawn:
    """The map with its decorations (and the loss chart beside it with ``loss_panel``); with
    ``static`` also every full path and final marker (dashed per optimizer), else only what
    an animation keeps still."""
    check_size(width, height)
    check_text_scale(text_scale)
    fig, canvas = _figure(width, height, text_scale)
    decayed = any(e.scheduled for e in entries)
    handles = [Line2D([], [], label=entry_name(e, constant=decayed and not e.scheduled),
                      **_style(e.name, static)) for e in entries]
    columns = 1 if len(handles) + 3 <= 6 else 2  # + minimum, saddle, start
    if loss_panel:
        # The legend's cell is as tall as its rows, up to 3/8 of the column; the loss chart
        # takes the rest (a longer legend gets smaller type: _fit_legend).
        rows = -(-(len(handles) + 3) // columns)
        legend_share = min(0.25 + 0.3 * rows, 1.8)
        map_share = _map_share(surface, width, height)
        grid = fig.add_gridspec(2, 2, width_ratios=(map_share, 1.0),
                                height_ratios=(3.0, legend_share))  # fmt: skip
        ax = fig.add_subplot(grid[:, 0])
        loss_ax: Axes | None = fig.add_subplot(grid[0, 1])
        legend_ax = fig.add_subplot(grid[1, 1])
        legend_ax.axis("off")
    else:
        ax, loss_ax = fig.add_subplot(), None
    _draw_contours(ax, surface)
    if static:
        _draw_paths(ax, entries)
    handles += _landmark_handles(ax, surface, entries)

    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x", fontsize=10, color=TEXT_COLOR)
    ax.set_ylabel("y", fontsize=10, color=TEXT_COLOR)
    _ticks(ax)
    name = surface.title if len(surface.title) <= 70 else surface.title[:69] + "…"
    title = fig.suptitle(name, fontsize=13, color=TEXT_COLOR, fontweight="bold")
    if loss_ax is not None:
        _loss_axes(loss_ax, surface, entries, static)
        if handles:
            cell = (
                width / (1 + map_share) - 0.06 * width,
                height * (1 - 2 * STRIP - 0.12) * legend_share / (3.0 + legend_share),
            )
            _fit_legend(legend_ax, handles, columns, cell)
    elif handles:
        if (x1 - x0) / (y1 - y0) > 0.94 * width / height:  # a wide map: legend above it
            ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01),
                      ncols=min(len(handles), 4), **LEGEND_STYLE)  # fmt: skip
        else:  # a square or tall map leaves room on the right
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      **LEGEND_STYLE)  # fmt: skip
    if attribution:
        fig.text(0.012, STRIP / 2, attribution, fontsize=8, color=MUTED_TEXT_COLOR,
                 ha="left", va="center")  # fmt: skip
    if loss_ax is None:
        _centre(fig, ax, title)
    return _Drawn(fig, canvas, ax, loss_ax)


def _fit_legend(ax: Axes, handles: list[Line2D], columns: int, cell: tuple[float, float]) -> None:
    """The legend in its cell (``(width, height)`` pixels, roughly): in the house size if it
    fits, else in smaller type (down to 60 %), so that a race of many optimizers never
    squeezes the map or runs off the picture."""
    renderer = ax.figure.canvas.get_renderer()
    size = float(LEGEND_STYLE["fontsize"])
    for _ in range(5):
        legend = ax.legend(handles=handles, loc="upper left", ncols=columns, borderaxespad=0.0,
                           **{**LEGEND_STYLE, "fontsize": size})  # fmt: skip
        box = legend.get_window_extent(renderer)
        if box.width <= cell[0] and box.height <= cell[1]:
            return
        size *= 0.88


def _map_share(surface: Surface, width: int, height: int) -> float:
    """The map column's width relative to the loss column's: as wide as the map is at full
    height, within [0.8, 1.6] so neither panel is squeezed."""
    (x0, x1), (y0, y1) = surface.bounds
    full = (x1 - x0) / (y1 - y0) * height * (1 - 2 * STRIP)
    return float(np.clip(full / max(width - full, 1.0), 0.8, 1.6))


def _box(ax: Axes, width: int, height: int, text_scale: float) -> tuple[int, int, int, int]:
    """The plot area of ``ax`` in image pixels, inside its spines."""
    extent = ax.get_window_extent()
    inset = 1 + int(scale(width, height) * text_scale)  # keep the spines
    return (
        int(np.ceil(extent.x0)) + inset, int(np.ceil(height - extent.y1)) + inset,
        int(np.floor(extent.x1)) - inset, int(np.floor(height - extent.y0)) - inset,
    )  # fmt: skip


def _to_image(xy: Array, height: int) -> Array:
    # Agg: display (X, Y) from the bottom-left corner; PIL: (X - 0.5, H - Y - 0.5).
    return np.stack([xy[..., 0] - 0.5, height - xy[..., 1] - 0.5], axis=-1)


def _map_layout(ax: Axes, width: int, height: int, text_scale: float) -> MapLayout:
    """Read the (final, drawn) axes transform once: data -> PIL pixel coordinates."""
    (ox, oy), (px, _), (_, py) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])
    return MapLayout(size=(width, height), scale=(px - ox, -(py - oy)),
                     offset=(ox - 0.5, height - oy - 0.5),
                     box=_box(ax, width, height, text_scale))  # fmt: skip


def _canvas_rgb(canvas: FigureCanvasAgg, width: int, height: int) -> npt.NDArray[np.uint8]:
    rgba = np.asarray(canvas.buffer_rgba())
    rgb = np.full((height, width, 3), 255, dtype=np.uint8)
    h, w = min(height, rgba.shape[0]), min(width, rgba.shape[1])
    rgb[:h, :w] = rgba[:h, :w, :3]
    return rgb


def render_background(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int,
    height: int,
    attribution: str,
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> Background:
    """The still picture of an animation and where its panels are, in image pixels."""
    drawn = race_picture(surface, entries, width=width, height=height, attribution=attribution,
                         static=False, loss_panel=loss_panel, text_scale=text_scale)  # fmt: skip
    drawn.canvas.draw()
    loss = None
    if drawn.loss is not None:
        curves = tuple(
            _to_image(drawn.loss.transData.transform(loss_points(surface, e)), height)
            if len(loss_points(surface, e)) else np.zeros((0, 2))
            for e in entries
        )  # fmt: skip
        loss = LossLayout(_box(drawn.loss, width, height, text_scale), curves)
    return Background(
        rgb=_canvas_rgb(drawn.canvas, width, height),
        map=_map_layout(drawn.map, width, height, text_scale),
        loss=loss,
    )


def gif_layout(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 800,
    height: int = 600,
    attribution: str = "",
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> MapLayout:
    """The data-to-pixel mapping of the map that :func:`~viz.export.race_gif` uses for the
    same arguments."""
    return render_background(surface, entries, width=width, height=height,
                             attribution=attribution, loss_panel=loss_panel,
                             text_scale=text_scale).map  # fmt: skip


def race_png(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 1600,
    height: int = 1200,
    attribution: str = "",
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> bytes:
    """The whole race as a PNG of ``width x height`` pixels: every path complete (dashed per
    optimizer, as on the page), start and final markers, legend and attribution; with
    ``loss_panel`` the loss-vs-step chart beside the map (for a 16:9 slide)."""
    fig = race_picture(surface, entries, width=width, height=height, attribution=attribution,
                       static=True, loss_panel=loss_panel, text_scale=text_scale).fig  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buffer.getvalue()
