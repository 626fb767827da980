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
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from surfaces import Surface
from viz.race import RaceMotion, race_motion
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


def _loss_box(curve: npt.NDArray[np.float64], log: bool) -> tuple[list[float], np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log10(curve) if log else np.asarray(curve, dtype=np.float64)
    finite = t[np.isfinite(t)]
    box = [float(finite.min()), float(finite.max())] if finite.size else [0.0, 1.0]
    return box, t


def encode_axis(surface: Surface, values: Sequence[float], races: Sequence[Any],
                moving: Sequence[int], attributions: Sequence[str]) -> Spec:
    """The axis of a slider: ``races[i]`` is the race (every entry of the scene, in its
    order) at stop ``values[i]``, or None where the panel cannot hold it; ``moving`` the
    entries the slider changes (the others are as in the figure the panel has)."""
    box = path_box(surface)
    low, high = np.array([box[0], box[2]]), np.array([box[1], box[3]])
    # Every series (x, y, loss of each moving entry at each stop) with its [lo, hi], then
    # quantized and delta coded in one pass (thousands of small NumPy calls cost more).
    series: list[np.ndarray] = []
    bounds: list[tuple[float, float]] = []
    stops: list[Spec | None] = []
    for entries, text in zip(races, attributions, strict=True):
        if entries is None:
            stops.append(None)
            continue
        m: RaceMotion = race_motion(surface, entries)
        lengths, losses = [], []
        for j in moving:
            path = m.paths[j]
            with np.errstate(invalid="ignore"):  # a point off the box is a gap in both
                inside = np.all((path >= low) & (path <= high), axis=1)
            xy = np.where(inside[:, None], path, np.nan)
            loss_box, t = _loss_box(m.curves[j], m.log)
            series += [xy[:, 0], xy[:, 1], t]
            bounds += [(box[0], box[1]), (box[2], box[3]), tuple(loss_box)]
            lengths.append([len(path), len(t)])
            losses.append(loss_box)
        stops.append({"names": m.names, "range": m.loss_range, "dtick": m.dtick,
                      "cursor": m.cursor, "log": m.log, "lengths": lengths, "loss": losses,
                      "attribution": text})
    raw = _pack(series, bounds)
    packed = zlib.compress(raw.astype("<u2").tobytes(), 6)
    return {"values": [float(v) for v in values], "moving": list(moving), "box": box,
            "stops": stops, "data": base64.b64encode(packed).decode("ascii")}


def _pack(series: Sequence[np.ndarray], bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """``series`` quantized over their ``bounds`` and delta coded each (viz.scrub.quantize,
    delta), concatenated."""
    if not series:
        return np.zeros(0, np.uint16)
    sizes = [len(v) for v in series]
    lo, hi = (np.repeat([b[i] for b in bounds], sizes) for i in (0, 1))
    q = quantize(np.concatenate(series), lo, hi).astype(np.int64)
    d = np.diff(q, prepend=0)
    starts = np.cumsum([0, *sizes[:-1]])
    d[starts] = q[starts]  # each series starts from its own first value
    return (d % 65536).astype(np.uint16)


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

