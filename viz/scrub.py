"""Slider axes: the races along one slider, packed for the race panel to draw at once.

With each figure the race panel (``ui/race_panel``) is sent, for each of its sliders, the
races at every stop of that slider with the other settings as they are: an *axis*. While the
slider is dragged the panel draws the stop under the pointer from what it holds, without
waiting for the server. Only what a slider move changes is sent (``viz.race.RaceMotion``):
the paths and loss curves of the optimizers the slider drives, the legend names, the loss
axis range, the cursor's extent, the attribution line.

Encoding (the panel's ``payload.js`` decodes it; :func:`decode_axis` is its reference):
every path coordinate is quantized to 16 bits over the map's window widened by its own size
on every side (a diverging path leaves the view before it leaves the box; beyond, and NaN,
are the gap value 65535), every loss value (log10 on a log axis) to 16 bits over its own
range. Each series is delta coded (mod 2^16: a smooth path becomes small numbers), all are
concatenated little-endian and deflated (zlib), then base64. About 16 bits a point before
deflate; the default race's three axes fit in well under 0.5 MB.

The frames are never sent: they follow from the traces (``layout.meta.motion``, see
``viz.race_figure``), and the panel builds them.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from analysis.race import RaceEntry, optimum_value
from surfaces import Surface
from viz.race import (
    CurveStats,
    curve_stats,
    curve_stats_rows,
    legend_names,
    loss_curve,
    loss_scale,
    loss_values,
)
from viz.spec import Spec

GAP = 65535  # quantized NaN / outside the box
LEVELS = 65534  # quantized values run 0..LEVELS


def motion(spec: Spec) -> dict[str, Any] | None:
    """The frame recipe of a race figure (None for a figure without animation)."""
    return (spec.get("layout", {}).get("meta") or {}).get("motion")


def quantize(values: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike,
             ) -> npt.NDArray[np.uint16]:
    """``values`` in [lo, hi] as 0..LEVELS; NaN and values outside as GAP (``lo``, ``hi``:
    numbers, or arrays of one bound per value)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    span = np.where(hi > lo, hi - lo, 1.0)
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(v) & (v >= lo) & (v <= hi)
        scaled = np.round((v - lo) / span * LEVELS)
    return np.where(inside, scaled, GAP).astype(np.uint16)


def dequantize(q: npt.NDArray[np.uint16], lo: float, hi: float) -> npt.NDArray[np.float64]:
    """The inverse of :func:`quantize` (GAP -> NaN), to within (hi - lo) / 2 / LEVELS."""
    out = lo + q.astype(np.float64) / LEVELS * (hi - lo)
    return np.where(q == GAP, np.nan, out)


def delta(q: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint16]:
    """Differences of consecutive values mod 2^16 (the first value as it is)."""
    return np.diff(q.astype(np.int64), prepend=0).astype(np.uint16)


def undelta(d: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint16]:
    return (np.cumsum(d.astype(np.int64)) % 65536).astype(np.uint16)


def path_box(surface: Surface) -> list[float]:
    """The box paths are quantized over: the map widened by its own size on every side."""
    (x0, x1), (y0, y1) = surface.bounds
    w, h = x1 - x0, y1 - y0
    return [x0 - w, x1 + w, y0 - h, y1 + h]


class ColumnCode(NamedTuple):
    """One entry's runs at every stop of a slider, encoded as :func:`encode_axis` sends them:
    computed once per run of the column (one NumPy pass over all its stops), and reused by
    every axis that holds the same column (a momentum move leaves SGD's lr column as it was).
    """

    data: npt.NDArray[np.uint16]  # per held stop its x, y and loss series, delta coded
    offsets: npt.NDArray[np.int64]  # stop i is data[offsets[i]:offsets[i + 1]] (empty: not held)
    lengths: list[list[int] | None]  # per stop [path length, loss length]; None: not held
    loss: list[list[float] | None]  # per stop the [lo, hi] its loss series is quantized over
    stats: list[CurveStats | None]  # per stop what the loss axis needs of its curve


def encode_column(surface: Surface, entries: Sequence[RaceEntry | None]) -> ColumnCode:
    """``entries[i]``: the entry's run at stop ``i`` (None: not held). The series are those of
    ``race_motion`` (the drawn path, off the box a gap; the loss curve, log10 on a log axis),
    quantized over the path box and each curve's own range, and delta coded."""
    held = [i for i, e in enumerate(entries) if e is not None]
    n = len(entries)
    if not held:
        return ColumnCode(np.zeros(0, np.uint16), np.zeros(n + 1, np.int64), [None] * n,
                          [None] * n, [None] * n)
    runs = [entries[i] for i in held]
    width = max(len(e.points) for e in runs)
    points = np.full((len(runs), width, 2), np.nan)
    values = np.full((len(runs), width), np.nan)
    for row, e in enumerate(runs):  # a column's runs share their length: no padding then
        points[row, :len(e.points)], values[row, :len(e.values)] = e.points, e.values
    # drawn_path: up to the step it diverged at, and never past a non-finite point
    finite = np.isfinite(points).all(axis=-1)
    first_bad = np.where(finite.all(axis=1), width, finite.argmin(axis=1))
    ends = np.array([e.diverged_at if e.diverged else len(e.points) for e in runs])
    n_path = np.minimum(ends, first_bad)
    n_loss = np.array([len(e.values) for e in runs])
    box = path_box(surface)
    with np.errstate(invalid="ignore", divide="ignore"):  # a point off the box is a gap
        inside = ((points >= [box[0], box[2]]) & (points <= [box[1], box[3]])).all(axis=-1)
        xy = np.where(inside[..., None], points, np.nan)
        curves, log = loss_values(surface, values)
        t = np.log10(curves) if log else np.asarray(curves, dtype=np.float64)
    ok = np.isfinite(t)
    some = ok.any(axis=1)
    lo = np.where(some, np.where(ok, t, np.inf).min(axis=1), 0.0)
    hi = np.where(some, np.where(ok, t, -np.inf).max(axis=1), 1.0)
    codes = [_delta_rows(quantize(xy[..., 0], box[0], box[1])),
             _delta_rows(quantize(xy[..., 1], box[2], box[3])),
             _delta_rows(quantize(t, lo[:, None], hi[:, None]))]
    steps = np.arange(width)
    keep = np.concatenate([steps < n_path[:, None], steps < n_path[:, None],
                           steps < n_loss[:, None]], axis=1)
    sizes = np.zeros(n, np.int64)
    sizes[held] = 2 * n_path + n_loss
    lengths: list[list[int] | None] = [None] * n
    boxes: list[list[float] | None] = [None] * n
    stats: list[CurveStats | None] = [None] * n
    for row, (i, s) in enumerate(zip(held, curve_stats_rows(curves), strict=True)):
        lengths[i] = [int(n_path[row]), int(n_loss[row])]
        boxes[i] = [float(lo[row]), float(hi[row])]
        stats[i] = s
    return ColumnCode(np.concatenate(codes, axis=1)[keep], np.concatenate([[0], np.cumsum(sizes)]),
                      lengths, boxes, stats)


def _delta_rows(q: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint16]:
    """:func:`delta` of every row."""
    return (np.diff(q.astype(np.int64), axis=1, prepend=0) % 65536).astype(np.uint16)


def encode_axis(surface: Surface, values: Sequence[float], races: Sequence[Any],
                moving: Sequence[int], attributions: Sequence[str]) -> Spec:
    """The axis of a slider: ``races[i]`` is the race (every entry of the scene, in its
    order) at stop ``values[i]``, or None where the panel cannot hold it; ``moving`` the
    entries the slider changes (the others are as in the figure the panel has)."""
    columns = [encode_column(surface, [r[j] if r is not None else None for r in races])
               for j in moving]
    first = next((r for r in races if r is not None), ())
    fixed = {j: curve_stats(loss_curve(surface, e)[0]) for j, e in enumerate(first)
             if j not in moving}
    names = [legend_names(r) if r is not None else None for r in races]
    return assemble_axis(surface, values, moving, columns, fixed, names, attributions)


def assemble_axis(surface: Surface, values: Sequence[float], moving: Sequence[int],
                  columns: Sequence[ColumnCode], fixed: Mapping[int, CurveStats],
                  names: Sequence[list[str] | None], attributions: Sequence[str]) -> Spec:
    """:func:`encode_axis` from the entries' encoded columns: ``columns[k]`` is entry
    ``moving[k]``'s, ``fixed`` the loss curves' stats of the entries the slider does not move
    (the same at every stop), ``names[i]`` the legend at stop ``i`` (None: not held)."""
    log = bool(np.isfinite(optimum_value(surface)))
    stops: list[Spec | None] = []
    pieces = []
    for i, (legend, text) in enumerate(zip(names, attributions, strict=True)):
        if legend is None or any(c.lengths[i] is None for c in columns):
            stops.append(None)
            continue
        by_entry = {**fixed, **{j: c.stats[i] for j, c in zip(moving, columns, strict=True)}}
        scale = loss_scale(surface, [by_entry[j] for j in range(len(legend))], log)
        stops.append({"names": legend, "range": scale.loss_range, "dtick": scale.dtick,
                      "cursor": scale.cursor, "log": log,
                      "lengths": [c.lengths[i] for c in columns],
                      "loss": [c.loss[i] for c in columns], "attribution": text})
        pieces += [c.data[c.offsets[i]:c.offsets[i + 1]] for c in columns]
    raw = np.concatenate(pieces) if pieces else np.zeros(0, np.uint16)
    packed = zlib.compress(raw.astype("<u2").tobytes(), 6)
    return {"values": [float(v) for v in values], "moving": list(moving),
            "box": path_box(surface), "stops": stops,
            "data": base64.b64encode(packed).decode("ascii")}


def decode_axis(axis: Spec) -> list[Spec | None]:
    """Per stop, what the panel draws: ``{"paths": [(n, 2)], "curves": [loss values],
    **the stop's meta}`` for the moving entries (reference for ``payload.js``)."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(axis["data"])), dtype="<u2")
    at, out = 0, []
    x0, x1, y0, y1 = axis["box"]

    def take(n: int) -> np.ndarray:
        nonlocal at
        chunk = undelta(raw[at:at + n])
        at += n
        return chunk

    for stop in axis["stops"]:
        if stop is None:
            out.append(None)
            continue
        paths, curves = [], []
        for (n_path, n_loss), (lo, hi) in zip(stop["lengths"], stop["loss"], strict=True):
            xs, ys = dequantize(take(n_path), x0, x1), dequantize(take(n_path), y0, y1)
            t = dequantize(take(n_loss), lo, hi)
            paths.append(np.stack([xs, ys], axis=-1))
            curves.append(10.0 ** t if stop["log"] else t)
        out.append({**stop, "paths": paths, "curves": curves})
    return out

