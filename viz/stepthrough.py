"""The step-through map: one optimizer's path up to step k, with the step's vectors as arrows.

Arrows are scatter traces (a shaft and a tip marker with ``symbol="arrow"`` and
``angleref="previous"``), one per vector, so each has its colour, its legend entry and a hover
with its exact components. Short vectors are scaled up by a round factor so they can be seen,
and the factor is stated in the legend (``"actual step (×10)"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from analysis.stepthrough import ACTUAL_STEP, Replay, explain
from surfaces import Surface
from viz import theme
from viz.race import landmark_traces, map_background
from viz.spec import Spec, SpecFigure, typed_array

__all__ = ["ACTUAL_STEP_COLOR", "VECTOR_COLORS", "arrow_scales", "stepthrough_figure"]

Array = npt.NDArray[np.float64]

# Paul Tol's "bright" scheme, in the order the explanation lists its vectors (the gradient
# step first). The actual step is always near-black, the optimizer's path in its own colour.
VECTOR_COLORS = ("#EE6677", "#228833", "#AA3377", "#CCBB44", "#66CCEE", "#4477AA")
ACTUAL_STEP_COLOR = "#111111"

# Arrow lengths as fractions of the window's diagonal.
_MAX_LONGEST = 0.5  # the longest arrow is scaled down (by a round factor) beyond this
_MIN_LONGEST = 0.1  # ... and up below this, all arrows together (their ratios stay true)
_TARGET_LONGEST = 0.25
_MIN_EACH = 0.025  # an arrow still shorter than this gets its own extra factor
_TARGET_EACH = 0.08


def _round_down(ratio: float) -> float:
    """The largest 1-2-5 number (..., 0.5, 1, 2, 5, 10, ...) not above ``ratio`` (> 0)."""
    exponent = np.floor(np.log10(ratio))
    base = 10.0**exponent
    for m in (5.0, 2.0, 1.0):
        if m * base <= ratio * (1 + 1e-12):
            return float(m * base)
    return float(base)


def _room(origin: Array, vector: Array, bounds: tuple) -> float:
    """How many times ``vector`` fits from ``origin`` before leaving ``bounds`` (inf if 0)."""
    room = np.inf
    for c, (lo, hi) in enumerate(bounds):
        if vector[c] > 0:
            room = min(room, (hi - origin[c]) / vector[c])
        elif vector[c] < 0:
            room = min(room, (lo - origin[c]) / vector[c])
    return float(room)


def arrow_scales(
    vectors: Mapping[str, Array], bounds: tuple, origin: Array | None = None
) -> dict[str, float]:
    """The factor each arrow is drawn at, so that every arrow is visible on the map.

    All arrows share one round factor (1, 2, 5, 10, ... or 0.5, 0.2, ...) chosen from the
    longest, so a sum like ``momentum + gradient step = actual step`` still adds up on screen:
    scaled up when the longest is under 10 % of the window's diagonal, down when it is over
    50 %, and down (never below 10 %) when an arrow drawn from ``origin`` would leave the
    window. An arrow still under 2.5 % of the diagonal gets an extra round factor of its own.
    Zero and non-finite vectors keep the shared factor.

    >>> arrow_scales({"a": np.array([0.01, 0.0]), "b": np.array([0.0, 0.001])},
    ...              ((-1.0, 1.0), (-1.0, 1.0)))
    {'a': 50.0, 'b': 200.0}
    """
    (x0, x1), (y0, y1) = bounds
    diag = float(np.hypot(x1 - x0, y1 - y0))
    vecs = {name: np.asarray(v, dtype=np.float64).reshape(2) for name, v in vectors.items()}
    lengths = {name: float(np.hypot(*v)) for name, v in vecs.items()}
    usable = [name for name, n in lengths.items() if np.isfinite(n) and n > 0]
    common = 1.0
    if usable:
        longest = max(lengths[name] for name in usable)
        if longest > _MAX_LONGEST * diag or longest < _MIN_LONGEST * diag:
            common = _round_down(_TARGET_LONGEST * diag / longest)
        inside = origin is not None and x0 <= origin[0] <= x1 and y0 <= origin[1] <= y1
        if inside:
            room = min(_room(origin, vecs[name], bounds) for name in usable)
            if room < common and _round_down(room) * longest >= _MIN_LONGEST * diag:
                common = _round_down(room)
    scales = {}
    for name, n in lengths.items():
        scale = common
        if np.isfinite(n) and 0 < n * common < _MIN_EACH * diag:
            scale = max(common, _round_down(_TARGET_EACH * diag / n))
        scales[name] = scale
    return scales


def _scale_text(scale: float) -> str:
    return "" if scale == 1 else f" (×{scale:g})"


def _arrow_trace(name: str, origin: Array, vector: Array, scale: float, color: str,
                 font_size: int) -> Spec:
    tip = origin + scale * vector
    visible = bool(np.all(np.isfinite(tip)) and np.any(vector != 0))
    return {
        "type": "scatter", "mode": "lines+markers", "name": name + _scale_text(scale),
        "x": [float(origin[0]), float(tip[0]) if visible else float(origin[0])],
        "y": [float(origin[1]), float(tip[1]) if visible else float(origin[1])],
        "line": {"color": color, "width": 2 + font_size / 7},
        "marker": {"symbol": "arrow", "angleref": "previous", "color": color,
                   "size": [0, 10 + font_size / 2 if visible else 0]},
        "hovertemplate": f"{name}: ({vector[0]:.4g}, {vector[1]:.4g})"
        + (f"<br>drawn ×{scale:g}" if scale != 1 else "") + "<extra></extra>",
    }


def _path_traces(replay: Replay, k: int, font_size: int) -> list[Spec]:
    color = theme.color(replay.name)
    done, rest = replay.points[: k + 1], replay.points[k:]
    label = theme.label(replay.name)
    traces = []
    if len(rest) > 1:
        traces.append({
            "type": "scatter", "mode": "lines", "name": "later steps",
            "x": typed_array(rest[:, 0]), "y": typed_array(rest[:, 1]),
            "customdata": typed_array(np.arange(k, len(replay.points)), "i4"),
            "line": {"color": color, "width": 1 + font_size / 14, "dash": "dot"},
            "opacity": 0.35,
            "hovertemplate": label + " step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
        })
    traces.append({
        "type": "scatter", "mode": "lines+markers", "name": f"{label}: steps 0–{k}",
        "x": typed_array(done[:, 0]), "y": typed_array(done[:, 1]),
        "line": {"color": color, "width": 2 + font_size / 14},
        "marker": {"color": color, "size": 4 + font_size / 7},
        "opacity": 0.8,
        "hovertemplate": label + " step %{pointNumber}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
    })
    return traces


def _point_trace(replay: Replay, k: int, font_size: int) -> Spec:
    """The point the step starts from, x_{k-1} (the start for k = 0)."""
    j = max(k - 1, 0)
    x = replay.points[j]
    name = f"x<sub>{j}</sub>" + (f" (step {k} starts here)" if k else " (start)")
    return {
        "type": "scatter", "mode": "markers", "name": name,
        "x": [float(x[0])], "y": [float(x[1])],
        "marker": {"symbol": theme.symbol(replay.name), "size": 12 + font_size / 2,
                   "color": theme.color(replay.name), "line": {"color": "#fff", "width": 2}},
        "hovertemplate": f"x<sub>{j}</sub> = (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
    }


def stepthrough_figure(
    surface: Surface,
    grid: tuple[Array, Array, Array],
    replay: Replay,
    k: int,
    *,
    font_size: int = 14,
    height: int = 560,
) -> SpecFigure:
    """The map at step ``k`` of ``replay``: contour, path, :math:`x_{k-1}` and the arrows.

    Parameters
    ----------
    surface : Surface
        The surface the replay ran on (bounds, landmarks, level scale).
    grid : (xs, ys, Z)
        ``surface.grid(resolution)`` (passed in so the caller can cache it).
    replay : Replay
        From `analysis.stepthrough.replay`.
    k : int
        The step to explain, ``1..replay.n_steps``; ``0`` draws the start and the path only
        (for a replay with no step, e.g. one that diverged at once).
    font_size, height : int
        Text size and figure height in pixels.

    Returns
    -------
    SpecFigure
        Traces: contour, landmarks, the path after ``k`` (faint, dotted), the path up to
        ``k`` (with a marker per step), :math:`x_{k-1}`, then one arrow per vector of
        ``explain(replay, k).vectors`` in its order (the actual step last). Equal axes over the
        race map's bounds; the view is kept while scrubbing (``uirevision``).
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= replay.n_steps:
        raise ValueError(f"k must be a step in 0..{replay.n_steps}, got {k!r}")
    k = int(k)
    xs, ys, Z = grid
    # No colour bar: the numbers are in the equations; keep the map wide.
    background, images = map_background(surface, grid, colorbar=False)
    data: list[Spec] = [*background, *landmark_traces(surface)]
    data += _path_traces(replay, k, font_size)
    data.append(_point_trace(replay, k, font_size))
    title = f"{theme.label(replay.name)}: step {k} of {replay.n_steps}"
    if k:
        ex = explain(replay, k)
        scales = arrow_scales(ex.vectors, surface.bounds, ex.point)
        others = iter(VECTOR_COLORS * 2)
        for name, vec in ex.vectors.items():
            color = ACTUAL_STEP_COLOR if name == ACTUAL_STEP else next(others)
            data.append(_arrow_trace(name, ex.point, vec, scales[name], color, font_size))
        title += f" (lr = {ex.lr:.4g})"

    layout = theme.layout_base(font_size)
    layout["images"] = images
    (x0, x1), (y0, y1) = surface.bounds
    # no axis titles: the legend below the map sat on the "x", and a map's axes are x and y
    layout["xaxis"].update(range=[x0, x1], constrain="domain")
    layout["yaxis"].update(range=[y0, y1], scaleanchor="x",
                           scaleratio=1, constrain="domain")
    layout.update(
        height=height, hovermode="closest",
        uirevision=f"stepthrough-{surface.name}-{replay.name}",
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": font_size + 2}},
        legend={**layout["legend"], "orientation": "h", "x": 0, "y": -0.14,
                "yanchor": "top"},
        margin={"l": 55, "r": 10, "t": 45, "b": 40},
    )
    return SpecFigure({"data": data, "layout": layout})
