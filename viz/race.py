"""Figures of a race: the animated contour map, the loss-vs-step chart and the 3D view.

Every builder is pure: arrays in, a :class:`~viz.spec.SpecFigure` out. The animation is
client-side: the static part (contour, full faint paths, minima) is sent once, and each frame
carries only a short bright trail per optimizer (``trail`` points), never the contour again.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import contourpy
import numpy as np
import numpy.typing as npt
from PIL import Image

from analysis.race import RaceEntry, base_name, optimum_value
from surfaces import Surface
from viz import theme
from viz.spec import Spec, SpecFigure, typed_array

Array = npt.NDArray[np.float64]

MAX_FRAMES = 150
# Plotly draws every slider step as DOM on each render, so their number sets the chart's
# redraw time (docs/performance.md). Play still shows every frame.
MAX_SLIDER_STEPS = 50
MAP_DOMAIN = (0.0, 0.55)
BOTTOM_MARGIN = 125  # x title, Play/Pause and the step slider, the attribution line


def panel_margin(font_size: int) -> int:
    """The bottom margin of a figure for the race panel, which has its own playback
    controls: the x tick labels and title only (45 px at 14 px type, 65 at 20)."""
    return 17 + 2 * font_size
LOSS_DOMAIN = (0.74, 1.0)
# Just right of the map's domain (the map may be narrower: equal axis scales shrink it).
_COLORBAR = {"thickness": 10, "len": 0.8, "x": MAP_DOMAIN[1] + 0.005, "xanchor": "left",
             "outlinewidth": 0}
TRAIL = 10


@dataclass(frozen=True)
class LevelScale:
    """How surface values map to contour levels: linear, or log10 of the gap above the floor.

    Log levels make Rosenbrock's banana valley visible at all: its values span six decades.
    """

    log: bool
    floor: float = 0.0
    delta: float = 1.0

    @classmethod
    def for_values(cls, surface: Surface, Z: Array) -> LevelScale:
        """Log levels where the surface asks for them or has a known minimum: rings that get
        denser towards the minimum show the last stretch of a race, which linear levels hide.
        Surfaces unbounded below (saddles) keep linear levels."""
        if not (surface.log_levels or len(surface.minima)):
            return cls(log=False)
        finite = Z[np.isfinite(Z)]
        lo, hi = float(finite.min()), float(finite.max())
        return cls(log=True, floor=lo, delta=max((hi - lo) * 1e-6, 1e-12))

    def __call__(self, values: npt.ArrayLike) -> Array:
        values = np.asarray(values, dtype=np.float64)
        if not self.log:
            return values
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(np.maximum(values - self.floor, 0.0) + self.delta)

    def colorbar(self, lo: float, hi: float) -> Spec:
        if not self.log:
            return {**_COLORBAR, "title": {"text": "f", "side": "top"}}
        decades = np.arange(np.ceil(lo), np.floor(hi) + 1)
        text = [_format_gap(10.0 ** d) for d in decades]
        return {
            **_COLORBAR, "tickvals": decades.tolist(), "ticktext": text,
            "title": {"text": "f −<br>min f", "side": "top"},
        }


def _format_gap(v: float) -> str:
    return f"{v:g}" if 1e-2 <= v <= 1e4 else f"1e{int(round(np.log10(v)))}"


def entry_name(entry: RaceEntry, show_lr: bool = True, constant: bool = False) -> str:
    """Legend text: the optimizer's label and its effective lr (``constant``: and that it
    ignores the race's decay schedule), plus its fate if it blew up."""
    lr = entry.hparams.get("lr")
    text = theme.label(entry.name) + (f" · lr {lr:.4g}" if lr is not None and show_lr else "")
    if constant:
        text += " · no decay"
    if base_name(entry.name) == "nesterov" and not entry.hparams.get("nesterov", True):
        text += " (μ = 0: plain SGD)"
    if entry.diverged:
        text += f" (diverged at step {entry.diverged_at})"
    return text


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> Array:
    """The steps that get an animation frame: every ``stride``-th step with the smallest
    stride that keeps the count within ``max_frames`` (+1), plus the last step."""
    stride = max(1, -(-steps // max_frames))
    return np.unique(np.append(np.arange(0, steps + 1, stride), steps))


def finite_prefix(points: npt.ArrayLike) -> Array:
    """The rows of ``points`` (n, 2) before the first one with a non-finite coordinate."""
    points = np.asarray(points, dtype=np.float64)
    finite = np.isfinite(points).all(axis=-1)
    return points if finite.all() else points[: int(np.argmin(finite))]


def drawn_path(entry: RaceEntry) -> Array:
    """The path as drawn, on the chart and in every export: up to the step it diverged at
    (a diverged line stops where it left), and never past a non-finite point."""
    return finite_prefix(entry.points[: entry.diverged_at] if entry.diverged else entry.points)


N_LEVELS = 24


def _colorize(levels: Array, lo: float, hi: float) -> npt.NDArray[np.uint8]:
    """Map level values to RGB with the theme's surface colour scale (NaN -> highest)."""
    t = np.clip((np.nan_to_num(levels, nan=hi) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    stops = np.array([p for p, _ in theme.SURFACE_COLORSCALE])
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in theme.SURFACE_COLORSCALE])
    channels = [np.interp(t, stops, rgb[:, i]) for i in range(3)]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def _png_data_uri(rgb: npt.NDArray[np.uint8]) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _isolines(xs: Array, ys: Array, levels: Array, lo: float, hi: float) -> Array:
    """Every contour line of ``N_LEVELS`` evenly spaced levels as one (n, 2) polyline with
    NaN rows between pieces (one SVG path in the browser)."""
    finite = np.where(np.isfinite(levels), levels, hi)
    generator = contourpy.contour_generator(xs, ys, finite, line_type="ChunkCombinedNan")
    pieces = []
    for level in np.linspace(lo, hi, N_LEVELS + 1)[1:-1]:
        chunk = generator.lines(level)[0]
        pieces.extend(c for c in chunk if c is not None)
    if not pieces:
        return np.zeros((0, 2))
    return np.concatenate([np.vstack([p, [[np.nan, np.nan]]]) for p in pieces])


def map_background(
    surface: Surface, grid: tuple[Array, Array, Array], *, colorbar: bool = True,
    xaxis: str = "x", yaxis: str = "y",
) -> tuple[list[Spec], list[Spec]]:
    """The contour map as (traces, layout images): the filled levels as one PNG image and
    the contour lines as one NaN-separated line trace, both computed here.

    Why not a Plotly ``contour`` trace: plotly.js recomputes and redraws every filled level
    polygon on each render, and Streamlit re-renders the chart on every slider change; an
    image and one path cost the browser almost nothing. A one-point invisible marker trace
    carries the colour bar.
    """
    xs, ys, Z = grid
    scale = LevelScale.for_values(surface, Z)
    levels = scale(Z)
    finite = levels[np.isfinite(levels)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    image = {
        "source": _png_data_uri(_colorize(levels, lo, hi)[::-1]),  # image rows run top-down
        "xref": xaxis, "yref": yaxis, "x": float(xs[0]), "y": float(ys[-1]),
        "sizex": float(xs[-1] - xs[0]), "sizey": float(ys[-1] - ys[0]),
        "sizing": "stretch", "layer": "below", "xanchor": "left", "yanchor": "top",
    }
    lines = _isolines(xs, ys, levels, lo, hi)
    traces: list[Spec] = [{
        "type": "scatter", "mode": "lines", "name": "contours", "showlegend": False,
        "x": typed_array(lines[:, 0]), "y": typed_array(lines[:, 1]),
        "line": {"width": 0.6, "color": "rgba(40,50,70,0.38)"}, "hoverinfo": "skip",
        "xaxis": xaxis, "yaxis": yaxis,
    }]
    if colorbar:
        traces.append({
            "type": "scatter", "mode": "markers", "name": "level scale", "showlegend": False,
            "x": [float(xs[0])], "y": [float(ys[0])], "hoverinfo": "skip",
            "xaxis": xaxis, "yaxis": yaxis,
            "marker": {"size": 0.1, "opacity": 0, "color": [lo], "cmin": lo, "cmax": hi,
                       "colorscale": [list(stop) for stop in theme.SURFACE_COLORSCALE],
                       "showscale": True, "colorbar": scale.colorbar(lo, hi)},
        })
    return traces, [image]


def landmark_traces(surface: Surface) -> list[Spec]:
    traces = []
    if len(surface.minima):
        traces.append({
            "type": "scatter", "mode": "markers", "name": "minimum", "showlegend": False,
            "x": surface.minima[:, 0].tolist(), "y": surface.minima[:, 1].tolist(),
            "marker": {"symbol": "star", "size": 14, "color": "#ffffff",
                       "line": {"color": "#000", "width": 1.5}},
            "hovertemplate": "minimum (%{x:.3f}, %{y:.3f})<extra></extra>",
        })
    if len(surface.saddles):
        traces.append({
            "type": "scatter", "mode": "markers", "name": "saddle", "showlegend": False,
            "x": surface.saddles[:, 0].tolist(), "y": surface.saddles[:, 1].tolist(),
            "marker": {"symbol": "x-thin", "size": 12, "line": {"color": "#000", "width": 2.5}},
            "hovertemplate": "saddle (%{x:.3f}, %{y:.3f})<extra></extra>",
        })
    return traces


def _path_trace(entry: RaceEntry, path: Array, name: str, font_size: int) -> Spec:
    return {
        "type": "scatter", "mode": "lines", "name": name,
        "legendgroup": entry.name,
        "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]),
        "line": {"color": theme.color(entry.name), "width": 2 + font_size / 14,
                 "dash": theme.dash(entry.name)},
        "opacity": 0.55,
        "hovertemplate": theme.label(entry.name)
        + " step %{pointNumber}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
    }


def _comets(entries: Sequence[RaceEntry], ks: Array, trail: int) -> Array:
    """For every step in ``ks``, every entry's last ``trail`` points up to that step, stacked
    per step: shape (len(ks), n * trail, 2). One fancy-indexing pass for all frames."""
    if not entries:
        return np.zeros((len(ks), 0, 2))
    paths = np.stack([e.points for e in entries])  # (n, steps + 1, 2)
    idx = np.clip(np.asarray(ks)[:, None] + np.arange(1 - trail, 1), 0, None)  # (frames, T)
    comets = paths[:, idx]  # (n, frames, T, 2)
    return comets.transpose(1, 0, 2, 3).reshape(len(ks), -1, 2)


def _comet_trace(entries: Sequence[RaceEntry], k: int, trail: int, font_size: int) -> Spec:
    """One markers trace for all optimizers: a fading comet tail ending in a head marker.

    One trace (not one per optimizer) because every frame re-sends it: per-trace overhead
    would dominate the bytes. Colours, sizes and symbols are static; frames send only x, y.
    """
    pts = _comets(entries, np.array([k]), trail)[0]
    head = 10 + font_size / 2
    sizes = np.round(np.linspace(3, 0.6 * head, trail)).tolist()[:-1] + [head]
    colors, symbols, line_widths = [], [], []
    for e in entries:
        colors += [theme.color(e.name)] * trail
        symbols += ["circle"] * (trail - 1) + [theme.symbol(e.name)]
        line_widths += [0] * (trail - 1) + [1.5]
    return {
        "type": "scatter", "mode": "markers", "showlegend": False, "name": "now",
        "x": typed_array(pts[:, 0]), "y": typed_array(pts[:, 1]),
        "marker": {"color": colors, "size": sizes * len(entries), "symbol": symbols,
                   "opacity": 1, "line": {"color": "#fff", "width": line_widths}},
        "hoverinfo": "skip",
    }


def slider_steps(frames: Array, max_steps: int = MAX_SLIDER_STEPS) -> Array:
    """The frames the step slider can stop at: evenly spaced, always the first and the last."""
    stride = max(1, -(-(len(frames) - 1) // max_steps))
    picked = frames[::stride]
    return picked if picked[-1] == frames[-1] else np.append(picked, frames[-1])


def _animation_controls(steps_shown: Array, font_size: int, frame_ms: int) -> tuple[list, list]:
    play = {
        "label": "▶ Play", "method": "animate",
        "args": [None, {"frame": {"duration": frame_ms, "redraw": False}, "fromcurrent": True,
                        "transition": {"duration": 0}, "mode": "immediate"}],
    }
    pause = {
        "label": "❚❚ Pause", "method": "animate",
        "args": [[None], {"frame": {"duration": 0, "redraw": False},
                          "transition": {"duration": 0}, "mode": "immediate"}],
    }
    menus = [{
        "type": "buttons", "direction": "left", "showactive": False, "buttons": [play, pause],
        "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top", "pad": {"t": 55, "r": 10},
        "font": {"size": font_size},
    }]
    slider = {
        "active": len(slider_steps(steps_shown)) - 1,
        "x": 0.22, "len": 0.78, "y": 0.0, "yanchor": "top",
        "pad": {"t": 45, "b": 10},
        "currentvalue": {"prefix": "step ", "xanchor": "right",
                         "font": {"size": font_size, "color": "#222"}},
        # One label per frame would overprint; the current value above the slider says it.
        "font": {"color": "rgba(0,0,0,0)", "size": 1}, "ticklen": 0, "minorticklen": 0,
        "steps": [
            {"label": str(k), "method": "animate",
             "args": [[str(k)], {"mode": "immediate", "frame": {"redraw": False},
                                 "transition": {"duration": 0}}]}
            for k in slider_steps(steps_shown).tolist()
        ],
    }
    return menus, [slider]


def loss_curve(surface: Surface, entry: RaceEntry) -> tuple[Array, bool]:
    """What the loss panel plots for ``entry``: the gap ``f - min f`` (floored for a log axis)
    where the minimum is known, else ``f`` itself; and whether the axis is logarithmic."""
    return loss_values(surface, entry.values)


def loss_values(surface: Surface, values: npt.ArrayLike) -> tuple[Array, bool]:
    """:func:`loss_curve` of surface values of any shape (elementwise: a block of curves
    gives each curve's own)."""
    f_star = optimum_value(surface)
    if not np.isfinite(f_star):
        return values, False
    gap = np.asarray(values) - f_star
    # The gap can reach exactly 0 (or -1e-17 by rounding): floor it for the log axis.
    return np.where(np.isnan(gap), np.nan, np.maximum(gap, 1e-16)), True


def _loss_trace(entry: RaceEntry, y: Array, name: str, font_size: int) -> Spec:
    return {
        "type": "scatter", "mode": "lines", "name": name,
        "legendgroup": entry.name, "showlegend": False, "xaxis": "x2", "yaxis": "y2",
        "y": typed_array(y),
        "line": {"color": theme.color(entry.name), "width": 2 + font_size / 14,
                 "dash": theme.dash(entry.name)},
        "hovertemplate": theme.label(entry.name) + " step %{x}: %{y:.3g}<extra></extra>",
    }


def loss_range(lo: float, hi: float, log: bool) -> list[float]:
    """The loss axis range: explicit, so that a chart updated in place (without a full
    redraw) still fits the new curves. A log axis ends on whole decades (plus a margin), so
    that most slider moves leave it unchanged and the chart need not redraw its axes."""
    if log:
        lo, hi = np.floor(np.log10(max(lo, 1e-300))), np.ceil(np.log10(max(hi, 1e-300)))
        return [float(lo - 0.15), float(max(hi, lo + 1) + 0.15)]
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return [float(lo - pad), float(hi + pad)]


# How far above the highest starting loss the log loss axis reaches: a run that blows up
# leaves the panel through its top instead of squeezing every other curve into its bottom
# (and, the slider moving in and out of divergence, the axis stays put).
HEADROOM_DECADES = 3


@functools.lru_cache(maxsize=64)
def map_loss_span(surface: Surface, resolution: int = 41) -> tuple[float, float]:
    """The lowest and highest loss on the map's window (a coarse grid of it)."""
    with np.errstate(all="ignore"):
        z = surface.grid(resolution)[2]
    finite = z[np.isfinite(z)]
    return (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)


def clip_to_map(surface: Surface, lo: float, hi: float) -> tuple[float, float]:
    """A linear loss axis's ``[lo, hi]`` (the surfaces without a known minimum, e.g. those
    unbounded below) within the losses on the map: a run that leaves the map towards -inf
    leaves the loss panel through its bottom, instead of turning the axis into -7e11 ... 0
    with every other curve a flat line at its top."""
    floor, ceiling = map_loss_span(surface)
    lo, hi = max(lo, floor), min(hi, ceiling)
    return (lo, hi) if lo < hi else (floor, ceiling)


def loss_top(curves: Sequence[Array], hi: float, log: bool) -> float:
    return _top([c[0] for c in curves if len(c)], hi, log)


def _top(starts: Sequence[float], hi: float, log: bool) -> float:
    starts = [s for s in starts if np.isfinite(s)]
    if not log or not starts:
        return hi
    return min(hi, max(starts) * 10.0**HEADROOM_DECADES)


def _decade_step(lo: float, hi: float, max_labels: int = 7) -> int:
    """Label every decade, or every n-th one when a loss spans many decades."""
    decades = np.log10(max(hi, 1e-300)) - np.log10(max(lo, 1e-300))
    return max(1, int(np.ceil(decades / max_labels)))


class RaceMotion(NamedTuple):
    """What a move of the lr, momentum or decay slider changes in a race figure (the rest
    stays): per entry its legend name, its drawn path and its loss curve; the loss axis's
    range and tick spacing; the loss cursor's extent. ``race_figure`` is built from it, and
    the race panel is sent it for every slider stop (``viz.scrub``)."""

    names: list[str]
    paths: list[Array]  # (n_i, 2): up to the last finite point
    curves: list[Array]  # what the loss panel plots (see loss_curve)
    log: bool  # whether the loss axis is logarithmic
    loss_range: list[float]
    dtick: int | None  # None: Plotly's own (a linear axis)
    cursor: list[float]  # the loss cursor's [bottom, top]


def race_motion(surface: Surface, entries: Sequence[RaceEntry]) -> RaceMotion:
    """The moving parts of the race figure of ``entries`` on ``surface``."""
    curves, log = [], True
    for e in entries:
        y, log = loss_curve(surface, e)
        curves.append(y)
    scale = loss_scale(surface, [curve_stats(c) for c in curves], log)
    return RaceMotion(names=legend_names(entries), paths=[drawn_path(e) for e in entries],
                      curves=curves, log=log, loss_range=scale.loss_range, dtick=scale.dtick,
                      cursor=scale.cursor)


class Legend(NamedTuple):
    """What an entry's legend text depends on besides the other entries: its lr (None: it
    has none), whether the race's schedule drove it, and :func:`entry_name`'s text for
    each ``(show_lr, constant)``: (no, no), (no, yes), (yes, no), (yes, yes)."""

    lr: float | None
    scheduled: bool
    texts: tuple[str, str, str, str]


def legend_of(entry: RaceEntry) -> Legend:
    return Legend(entry.hparams.get("lr"), entry.scheduled,
                  tuple(entry_name(entry, show, const)  # type: ignore[arg-type]
                        for show in (False, True) for const in (False, True)))


def legend_names(entries: Sequence[RaceEntry | Legend]) -> list[str]:
    """Every entry's legend text (:func:`entry_name`), from the entries or their
    :func:`legend_of`."""
    legends = [e if isinstance(e, Legend) else legend_of(e) for e in entries]
    # The legend names each optimizer's lr only when they differ: a shared lr is in the
    # attribution line, and an lr slider move then changes no legend text (no legend redraw).
    show_lr = len({g.lr for g in legends}) > 1
    decayed = any(g.scheduled for g in legends)
    return [g.texts[2 * show_lr + (decayed and not g.scheduled)] for g in legends]


class CurveStats(NamedTuple):
    """What the loss axis needs of one loss curve: its finite minimum and maximum (NaN if it
    has no finite value) and its first value (NaN for an empty curve)."""

    lo: float
    hi: float
    first: float


def curve_stats(curve: npt.ArrayLike) -> CurveStats:
    c = np.asarray(curve, dtype=np.float64)
    finite = c[np.isfinite(c)]
    if not finite.size:
        return CurveStats(np.nan, np.nan, float(c[0]) if c.size else np.nan)
    return CurveStats(float(finite.min()), float(finite.max()), float(c[0]))


def curve_stats_rows(curves: npt.ArrayLike) -> list[CurveStats]:
    """:func:`curve_stats` of every row of ``curves`` (n, length), in one pass."""
    c = np.asarray(curves, dtype=np.float64)
    finite = np.isfinite(c)
    any_finite = finite.any(axis=1)
    lo = np.where(any_finite, np.where(finite, c, np.inf).min(axis=1), np.nan)
    hi = np.where(any_finite, np.where(finite, c, -np.inf).max(axis=1), np.nan)
    first = c[:, 0] if c.shape[1] else np.full(len(c), np.nan)
    return [CurveStats(*row) for row in zip(lo.tolist(), hi.tolist(), first.tolist(),
                                            strict=True)]


class LossScale(NamedTuple):
    """The loss axis of a race (see :class:`RaceMotion`)."""

    loss_range: list[float]
    dtick: int | None
    cursor: list[float]


def loss_scale(surface: Surface, stats: Sequence[CurveStats], log: bool) -> LossScale:
    """The loss axis's range and tick spacing and the cursor's extent for curves on
    ``surface`` with these :func:`curve_stats`."""
    los = [s.lo for s in stats if s.lo == s.lo]  # NaN: no finite value
    lo, hi = (min(los), max(s.hi for s in stats if s.hi == s.hi)) if los else (0.0, 1.0)
    if not log:  # unbounded below: a run escaping to -inf leaves through the bottom
        lo, hi = clip_to_map(surface, lo, hi)
    top = _top([s.first for s in stats], hi, log)
    return LossScale(loss_range(lo, top, log), _decade_step(lo, top) if log else None,
                     [lo, hi])


def attribution_annotation(text: str, font_size: int = 14) -> Spec:
    """The attribution line at the foot of the race figure, under the slider, so that
    exported images carry the surface and the settings."""
    return {
        "text": text, "xref": "paper", "yref": "paper", "x": 1.0, "y": 0.0,
        "yshift": -BOTTOM_MARGIN + 4, "xanchor": "right", "yanchor": "bottom",
        "showarrow": False, "font": {"size": max(9, font_size - 4), "color": "#777"},
    }


def race_figure(
    surface: Surface,
    grid: tuple[Array, Array, Array],
    entries: Sequence[RaceEntry],
    *,
    max_frames: int = MAX_FRAMES,
    trail: int = TRAIL,
    font_size: int = 14,
    height: int = 560,
    playback_seconds: float = 8.0,
    attribution: str = "",
    background: tuple[list[Spec], list[Spec]] | None = None,
    with_frames: bool = True,
) -> SpecFigure:
    """The race: contour map with every optimizer's path (left) and loss per step (right),
    animated together client-side on one Play button and one step slider.

    ``grid`` is ``surface.grid(resolution)`` (passed in so the caller can cache it).
    Trace order: contour, landmarks, one faint full path per entry, one loss
    curve per entry, then the three animated traces: the comets (a fading tail and a head per
    entry), the loss heads and the loss cursor. Frames update only the animated traces,
    never the contour.
    ``background`` is ``map_background(surface, grid)`` when the caller has it already: it
    depends on the surface alone, and costs more than the rest of the figure.
    ``layout.meta.motion`` says how the frames follow from the traces (the frame steps, the
    comet trail, which traces are paths, losses and animated); ``with_frames=False`` leaves
    the frames and Plotly's Play button and step slider out, for a consumer that rebuilds
    the frames from it and plays them with its own controls (the race panel).
    """
    traces, images = background if background is not None else map_background(surface, grid)
    data = list(traces)
    data += landmark_traces(surface)
    moving = race_motion(surface, entries)
    paths = list(range(len(data), len(data) + len(entries)))
    data += [_path_trace(e, p, n, font_size)
             for e, p, n in zip(entries, moving.paths, moving.names, strict=True)]
    losses = list(range(len(data), len(data) + len(entries)))
    data += [_loss_trace(e, c, n, font_size)
             for e, c, n in zip(entries, moving.curves, moving.names, strict=True)]
    curves, log = moving.curves, moving.log
    steps = max((len(e.points) - 1 for e in entries), default=0)
    animated = list(range(len(data), len(data) + 3))
    data.append(_comet_trace(entries, steps, trail, font_size))
    data.append({
        "type": "scatter", "mode": "markers", "xaxis": "x2", "yaxis": "y2", "showlegend": False,
        "marker": {"size": 9 + font_size / 3, "color": [theme.color(e.name) for e in entries],
                   "symbol": [theme.symbol(e.name) for e in entries],
                   "line": {"color": "#fff", "width": 1}},
        "hoverinfo": "skip", "x": [steps] * len(entries),
        "y": typed_array([c[-1] for c in curves]),
    })
    data.append({
        "type": "scatter", "mode": "lines", "xaxis": "x2", "yaxis": "y2", "showlegend": False,
        "line": {"color": "#888", "width": 1, "dash": "dot"}, "hoverinfo": "skip",
        "x": [steps, steps], "y": moving.cursor,
    })

    layout = theme.layout_base(font_size)
    layout["images"] = images
    (x0, x1), (y0, y1) = surface.bounds
    layout["xaxis"].update(range=[x0, x1], title={"text": "x"}, domain=list(MAP_DOMAIN),
                           constrain="domain")
    layout["yaxis"].update(range=[y0, y1], title={"text": "y"}, scaleanchor="x",
                           scaleratio=1, constrain="domain")
    layout["xaxis2"] = {**theme.layout_base(font_size)["xaxis"], "domain": list(LOSS_DOMAIN),
                        "anchor": "y2", "title": {"text": "step"}, "range": [0, max(steps, 1)]}
    layout["yaxis2"] = {**theme.layout_base(font_size)["yaxis"], "anchor": "x2",
                        "domain": [0.08, 1.0], "type": "log" if log else "linear",
                        "range": moving.loss_range,
                        "exponentformat": "power",
                        **({"dtick": moving.dtick} if moving.dtick is not None else {}),
                        # Its name inside the panel (top right), not beside the axis, where
                        # a narrow chart puts it on top of the map's colour bar.
                        "title": {"text": ""}}
    layout.update(
        height=height, uirevision=surface.name, hovermode="closest",
        legend={**layout["legend"], "orientation": "h", "x": 0, "y": 1.02,
                "font": {"size": font_size - 1},
                "yanchor": "bottom"},
        margin={"l": 55, "r": 10, "t": 50,
                "b": BOTTOM_MARGIN if with_frames else panel_margin(font_size)},
    )
    layout["annotations"] = [attribution_annotation(attribution, font_size)] if attribution \
        else []
    layout["annotations"].append({
        "text": "f − min f" if log else "f", "xref": "x2 domain", "yref": "y2 domain",
        "x": 0.98, "y": 0.98, "xanchor": "right", "yanchor": "top", "showarrow": False,
        "font": {"size": font_size - 1, "color": "#555"}})
    spec: Spec = {"data": data, "layout": layout}
    if entries and steps > 0:
        shown = frame_steps(steps, max_frames)
        frame_ms = max(15, int(1000 * playback_seconds / len(shown)))
        # How the frames follow from the traces, for the race panel: it builds them in the
        # browser (ui/race_panel/frames.js) instead of receiving 150 frames.
        layout["meta"] = {"motion": {"frames": shown.tolist(), "trail": trail,
                                     "length": steps + 1, "paths": paths, "losses": losses,
                                     "animated": animated, "frame_ms": frame_ms}}
        if with_frames:
            comets = _comets(entries, shown, trail)
            heads = np.stack([c[np.minimum(shown, len(c) - 1)] for c in curves])  # (n, frames)
            spec["frames"] = [
                {"name": str(k), "traces": animated,
                 "data": [{"x": typed_array(c[:, 0]), "y": typed_array(c[:, 1])},
                          {"x": [k] * len(entries), "y": typed_array(h)}, {"x": [k, k]}]}
                for k, c, h in zip(shown.tolist(), comets, heads.T, strict=True)
            ]
            layout["updatemenus"], layout["sliders"] = _animation_controls(shown, font_size,
                                                                           frame_ms)
    return SpecFigure(spec)


def surface3d_figure(
    surface: Surface,
    grid: tuple[Array, Array, Array],
    entries: Sequence[RaceEntry],
    *,
    font_size: int = 14,
    height: int = 620,
) -> SpecFigure:
    """The surface in 3D (log-scaled like the contour where the range spans decades), with
    every path lifted onto it."""
    xs, ys, Z = grid
    scale = LevelScale.for_values(surface, Z)
    levels = scale(Z)
    data: list[Spec] = [{
        "type": "surface", "x": typed_array(xs), "y": typed_array(ys), "z": typed_array(levels),
        "colorscale": theme.SURFACE3D_COLORSCALE, "showscale": False,
        "opacity": 0.95, "hoverinfo": "skip",
        "contours": {"z": {"show": True, "usecolormap": True, "project": {"z": True}}},
    }]
    (x0, x1), (y0, y1) = surface.bounds
    for e in entries:
        path = drawn_path(e)
        inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
        z = scale(surface.value(path))
        z = np.where(inside, z, np.nan)
        data.append({
            "type": "scatter3d", "mode": "lines", "name": entry_name(e),
            "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]), "z": typed_array(z),
            "line": {"color": theme.color(e.name), "width": 6},
        })
    layout = theme.layout_base(font_size)
    layout.update(height=height, margin={"l": 0, "r": 0, "t": 10, "b": 0}, uirevision=surface.name)
    layout["scene"] = {
        "xaxis": {"title": {"text": "x"}, "range": [x0, x1]},
        "yaxis": {"title": {"text": "y"}, "range": [y0, y1]},
        "zaxis": {"title": {"text": "log10(f − min f)" if scale.log else "f"}},
        "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.6},
    }
    return SpecFigure({"data": data, "layout": layout})
