"""Small figures of what happens inside the optimizers, with the captions that sit under them.

Pure builders (results of `analysis.internals` -> a :class:`~viz.spec.SpecFigure`) and pure
caption writers: every number a caption states is read from the arrays its figure draws, so
a caption cannot drift from its picture (`tests/test_internals.py` checks each one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.internals import PRODIGY, LrCurve, ProdigyTrace, ThreeSequences, falls_by
from surfaces import Surface
from viz import theme
from viz.race import finite_prefix, landmark_traces
from viz.spec import Spec, SpecFigure, typed_array

Array = npt.NDArray[np.float64]

HEIGHT = 280
FONT_SIZE = 13
LOG_SPAN = 10.0  # a y axis goes logarithmic when its values span more than this factor
# The map zooms onto the three sequences, but no closer than this fraction of the surface's
# window: the contour image has 80 pixels across it, and closer it turns to blocks.
MIN_WINDOW = 0.25
# How the three Schedule-Free sequences are told apart without colour: the one to evaluate
# bold, the other two faint, the base iterate dashed.
SEQUENCE_STYLE = {
    "x": ("x: the average (evaluate this)", 3.5, 1.0, "solid"),
    "y": ("y: gradients taken here (the race)", 2.0, 0.7, "solid"),
    "z": ("z: the base iterate", 2.2, 0.7, "dash"),
}


def _layout(title: str, font_size: int, height: int, legend: Sequence[str] = (),
            columns: int = 1) -> Spec:
    """A small figure's layout; with ``legend`` (its entries' names), the legend under the
    axes in ``columns`` columns (inside, it would cover half of a plot this small), the
    bottom margin sized to hold it so that it never reaches the tick labels."""
    layout = theme.layout_base(font_size)
    ticks = font_size + 12  # the x tick labels under the plot, in px
    line = round(1.4 * (font_size - 2))  # one line of legend text, in px
    rows = [legend[i:i + columns] for i in range(0, len(legend), columns)]
    lines = sum(max(name.count("<br>") + 1 for name in row) for row in rows)
    bottom = ticks + lines * line + 8 if legend else 40
    plot = max(height - 28 - bottom, 1)
    layout.update(
        height=height, margin={"l": 52, "r": 8, "t": 28, "b": bottom},
        hovermode="closest", showlegend=bool(legend),
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top",
               "font": {"size": font_size + 1}},
        legend={**layout["legend"], "font": {"size": font_size - 2}, "orientation": "h",
                # starting under the y tick labels: the left margin is room for text too
                "x": -0.18, "y": -ticks / plot, "xanchor": "left", "yanchor": "top",
                "borderwidth": 0, "bgcolor": "rgba(0,0,0,0)", "tracegroupgap": 0,
                **({"entrywidth": 1 / columns, "entrywidthmode": "fraction"}
                   if columns > 1 else {})},
    )
    return layout


def _y_axis(values: Sequence[Array], title: str, font_size: int) -> Spec:
    """A y axis for ``values``: logarithmic (powers of ten) when they span more than
    `LOG_SPAN`, else linear."""
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values] or [np.zeros(0)])
    axis = {**theme.layout_base(font_size)["yaxis"], "title": {"text": title}}
    if positive.size and positive.max() > LOG_SPAN * positive.min():
        axis.update(type="log", exponentformat="power", dtick=_dtick(positive))
    return axis


def _dtick(values: Array, max_labels: int = 4) -> int:
    """Every decade, or every n-th one, so that a short axis keeps about ``max_labels``."""
    decades = np.log10(values.max()) - np.log10(values.min())
    return max(1, int(np.ceil(decades / max_labels)))


def curve_name(curve: LrCurve) -> str:
    """Legend text of an lr curve: its optimizers' labels (all of those that share it), one
    to a line (a column of a small figure's legend is narrow)."""
    return ",<br>".join(theme.label(n) for n in curve.names)


def lr_figure(curves: Sequence[LrCurve], prodigy: Sequence[ProdigyTrace] = (), *,
              font_size: int = FONT_SIZE, height: int = HEIGHT) -> SpecFigure:
    """The lr of every step, one line per distinct lr curve (``x``: step ``1..n``), and each
    Prodigy racer's effective step size ``d · lr`` (bold)."""
    data: list[Spec] = []
    for c in curves:
        first = c.names[0]
        data.append({
            "type": "scatter", "mode": "lines", "name": curve_name(c),
            "x": typed_array(np.arange(1, len(c.lrs) + 1), "i4"), "y": typed_array(c.lrs),
            "line": {"color": theme.color(first), "width": 2, "dash": theme.dash(first)},
            "hovertemplate": "step %{x}: lr %{y:.3g}<extra></extra>",
        })
    ys = [c.lrs for c in curves]
    for trace in prodigy:
        step = trace.step_size
        ys.append(step)
        data.append({
            "type": "scatter", "mode": "lines", "name": f"{theme.label(trace.name)} d·lr",
            "x": typed_array(np.arange(1, len(step) + 1), "i4"), "y": typed_array(step),
            "line": {"color": theme.color(trace.name), "width": 3.5,
                     "dash": "solid" if trace.name == PRODIGY else theme.dash(trace.name)},
            "hovertemplate": "step %{x}: d·lr %{y:.3g}<extra></extra>",
        })
    layout = _layout("Learning rate per step", font_size, height,
                     legend=[t["name"] for t in data], columns=2)
    layout["yaxis"] = _y_axis(ys, "lr", font_size)
    return SpecFigure({"data": data, "layout": layout})


def prodigy_figure(traces: Sequence[ProdigyTrace], *, font_size: int = FONT_SIZE,
                   height: int = HEIGHT) -> SpecFigure:
    """Each Prodigy racer's ``d`` after each step (log axis), a marker where it settled
    (labelled for the first racer: a label per line would pile up where they meet)."""
    data: list[Spec] = []
    for i, trace in enumerate(traces):
        d, k, name = trace.d, trace.settled_at, theme.label(trace.name)
        color = theme.color(trace.name)
        data.append({
            "type": "scatter", "mode": "lines", "name": f"{name} d",
            "x": typed_array(np.arange(len(d)), "i4"), "y": typed_array(d),
            "line": {"color": color, "width": 2.5,
                     "dash": "solid" if trace.name == PRODIGY else theme.dash(trace.name)},
            "hovertemplate": "step %{x}: d = %{y:.3g}<extra>" + name + "</extra>",
        })
        if len(d):
            data.append({
                "type": "scatter", "mode": "markers+text" if i == 0 else "markers",
                "name": f"{name} settled", "showlegend": False,
                "x": [k], "y": [float(d[k])], "text": [f"step {k}: {d[k]:.2g}"],
                "textposition": "bottom right", "textfont": {"size": font_size - 1},
                "marker": {"symbol": theme.symbol(trace.name), "size": 13, "color": color,
                           "line": {"color": "#fff", "width": 1.5}},
                "hovertemplate": "d reached 90% of its last value at step %{x}"
                                 "<extra>" + name + "</extra>",
            })
    names = [t["name"] for t in data if t["mode"] == "lines"]
    layout = _layout("Prodigy's d per step (its lr scale)", font_size, height,
                     legend=names if len(names) > 1 else (), columns=2)
    steps = max((len(t.d) for t in traces), default=1)
    layout["xaxis"].update(range=[0, max(steps - 1, 1)])
    layout["yaxis"] = _y_axis([t.d for t in traces], "d", font_size)
    return SpecFigure({"data": data, "layout": layout})


def _window(paths: Sequence[Array], bounds: tuple[tuple[float, float], ...],
            pad: float = 0.12) -> list[list[float]]:
    """The x and y ranges that hold ``paths`` (padded), inside ``bounds``, no smaller than
    `MIN_WINDOW` of them."""
    pts = np.concatenate([p for p in paths if len(p)] or [np.zeros((0, 2))])
    ranges = []
    for axis, (lo, hi) in enumerate(bounds):
        inside = pts[:, axis][(pts[:, axis] >= lo) & (pts[:, axis] <= hi)]
        if not inside.size:
            ranges.append([lo, hi])
            continue
        a, b = float(inside.min()), float(inside.max())
        half = max((b - a) * (0.5 + pad), MIN_WINDOW * (hi - lo) / 2)
        mid = min(max((a + b) / 2, lo + half), hi - half)
        ranges.append([max(lo, mid - half), min(hi, mid + half)])
    return ranges


def sequences_figure(surface: Surface, seq: ThreeSequences,
                     background: tuple[list[Spec], list[Spec]], *,
                     font_size: int = FONT_SIZE, height: int = HEIGHT) -> SpecFigure:
    """Schedule-Free's ``x`` (bold), ``y`` (faint) and ``z`` (faint, dashed) on the contour
    map, zoomed onto them; ``background`` is `viz.map_background`'s (its colour bar left
    out: a small map has no room for it)."""
    traces, images = background
    data = [t for t in traces if t.get("name") != "level scale"]
    data += landmark_traces(surface)
    color = theme.color(seq.name)
    paths = {}
    for key in ("z", "y", "x"):  # the bold x last: on top
        name, width, opacity, dash = SEQUENCE_STYLE[key]
        path = paths[key] = finite_prefix(getattr(seq, key))
        data.append({
            "type": "scatter", "mode": "lines", "name": name,
            "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]),
            "line": {"color": color, "width": width, "dash": dash}, "opacity": opacity,
            "hovertemplate": key + " step %{pointNumber}: (%{x:.3g}, %{y:.3g})<extra></extra>",
        })
    x = paths["x"]
    if len(x):
        data.append({
            "type": "scatter", "mode": "markers", "name": "x at the end", "showlegend": False,
            "x": [float(x[-1, 0])], "y": [float(x[-1, 1])], "hoverinfo": "skip",
            "marker": {"symbol": theme.symbol(seq.name), "size": 12, "color": color,
                       "line": {"color": "#fff", "width": 1.5}},
        })
    layout = _layout(f"{theme.label(seq.name)}: x, y, z", font_size, height,
                     legend=[SEQUENCE_STYLE[k][0] for k in "zyx"])
    layout["images"] = images
    (x0, x1), (y0, y1) = _window(list(paths.values()), surface.bounds)
    layout["xaxis"].update(range=[x0, x1], constrain="domain")
    layout["yaxis"].update(range=[y0, y1], scaleanchor="x", scaleratio=1, constrain="domain")
    layout["margin"].update(l=40)
    return SpecFigure({"data": data, "layout": layout})


_SCHEDULE_WORDS = {
    "step": lambda p: f"Step decay, lr·γ^⌊t/{p['step_size']}⌋ with γ = {p['gamma']:g}",
    "exponential": lambda p: f"Exponential decay, lr·γᵗ with γ = {p['gamma']:g}",
    "inverse_time": lambda p: f"1/t decay, lr/(1 + k·t) with k = {p['decay']:g}",
    "cosine": lambda p: f"Cosine decay, lr down to {p['eta_min']:g}·lr over {p['T_max']} steps",
}


def lr_caption(kind: str, params: Mapping[str, Any], lrs: Array | None,
               ignored: Sequence[str] = ()) -> str:
    """The schedule in words and what it does to ``lrs`` (a raced lr curve that follows it;
    None if no racer does): the step by which the lr is down 10x, else how far it fell by the
    last step. ``ignored``: raced optimizers that take no schedule (left out of the figure:
    said so)."""
    words = _SCHEDULE_WORDS[kind](params) if kind in _SCHEDULE_WORDS else kind
    k = None if lrs is None else falls_by(lrs)
    if lrs is None:
        what = "no racer here follows it (each keeps a constant lr)"
    elif k is not None:
        what = f"lr falls 10x by step {k}"
    elif len(lrs) == 0 or not lrs[0] > 0:
        what = "no step taken"
    else:
        ratio = float(lrs[-1] / lrs[0])
        what = (f"lr stays at {ratio:.3g}x of its start" if abs(ratio - 1) < 5e-3 else
                f"lr falls to {ratio:.3g}x of its start by step {len(lrs)}")
    tail = "".join(f" {theme.label(n)} ignores schedules." for n in ignored)
    return f"{words}: {what}.{tail}"


def _d_story(trace: ProdigyTrace) -> str:
    """What one racer's ``d`` did: from ``d0`` to its value where it settled, and its last."""
    d, k = trace.d, trace.settled_at
    diverged = f" (it diverged at step {trace.diverged_at})" if trace.diverged_at >= 0 else ""
    if k == 0:
        return f"stayed at its start, {d[0]:g}{diverged}"
    text = f"grew from {d[0]:g} to {d[k]:.2g} by step {k}"
    if f"{d[-1]:.2g}" != f"{d[k]:.2g}":
        text += f", {d[-1]:.2g} at step {len(d) - 1}"
    return text + diverged


def prodigy_caption(traces: Sequence[ProdigyTrace]) -> str:
    """What each Prodigy racer's ``d`` did (`_d_story`), in race order."""
    stories = "; ".join(f"{theme.label(t.name)}'s d {_d_story(t)}" for t in traces if len(t.d))
    if not stories:
        return "Prodigy diverged on its first step: no d to show."
    grew = any(t.settled_at > 0 for t in traces)
    return stories + (": the lr it found by itself (each step is d·lr)." if grew else
                      ": each step is d·lr.")


def sequences_caption(seq: ThreeSequences) -> str:
    """Where the three sequences end: the loss at the last ``x``, ``z`` and ``y``."""
    if not len(seq.x):
        return f"{theme.label(seq.name)} diverged on its first step."
    fx, fy, fz = (float(f[-1]) for f in (seq.fx, seq.fy, seq.fz))
    if np.isfinite(fx):
        text = (f"{theme.label(seq.name)}: x, the average, ends at f = {fx:.3g} while z ends "
                f"at f = {fz:.3g} (y, the race's path: f = {fy:.3g})")
    else:  # x = (y - (1 - beta) z) / beta: undefined at beta = 0
        text = (f"{theme.label(seq.name)}: x, the average, is not finite here; z ends at "
                f"f = {fz:.3g} (y, the race's path: f = {fy:.3g})")
    if seq.diverged_at >= 0:
        text += f", before it diverged at step {seq.diverged_at}"
    return text + "."
