"""Figures of the exploration tools: the sweep map and the basins of attraction.

Pure builders, arrays in and a :class:`~viz.spec.SpecFigure` out, like :mod:`viz.race`.

Clicking a cell
---------------
Plotly heatmaps are not selectable, so `sweep_figure` adds an invisible scatter trace
(``name == CLICK_TRACE``, opacity 0, no legend) with one marker per cell of a subsampled grid
(at most ``click_grid`` per axis; every cell when the map is that small). Its ``x``/``y`` are
the swept values themselves and its ``customdata[k] == [x_value, y_value]`` holds them at full
precision, so a click returned by ``st.plotly_chart(fig, on_select="rerun",
selection_mode="points")`` gives the exact setting to load into the race
(``SweepResult.settings(x_value, y_value)``). The same trace carries the hover text, so what
the tooltip shows is what a click loads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.basins import DIVERGED, NOT_CONVERGED, BasinResult
from analysis.sweep import SweepResult, resolve_param
from surfaces import Surface
from viz import theme
from viz.spec import Spec, SpecFigure, typed_array

Array = npt.NDArray[np.float64]

CLICK_TRACE = "cells"
"""Name of the invisible, clickable trace of `sweep_figure`."""

DIVERGED_COLOR = "#7f0000"
NOT_CONVERGED_COLOR = "#bdbdbd"
SWEEP_COLORSCALE = "Viridis"
GAP_FLOOR = 1e-16

# One colour per minimum (Okabe-Ito without black, then Tol's muted): none is grey or dark red.
BASIN_COLORS = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#AA4499", "#332288",
)

THEORY_STYLES = {
    "stability": {"color": "#ffffff", "dash": "solid", "width": 3},
    "critical": {"color": "#ffffff", "dash": "dot", "width": 2.5},
}


@dataclass(frozen=True)
class Markers:
    """A set of points to overlay on a map (search samples, best settings, ...)."""

    label: str
    x: Array
    y: Array
    symbol: str = "circle-open"
    color: str = "#ffffff"
    size: float = 9.0


def axis_label(name: str) -> str:
    """Axis title of a swept parameter (``"betas[1]"`` -> ``"β₂ (betas[1])"``)."""
    pretty = {"lr": "learning rate", "momentum": "momentum μ", "betas[0]": "β₁ (betas[0])",
              "betas[1]": "β₂ (betas[1])", "decay": "lr decay k", "alpha": "α (alpha)",
              "eps": "ε (eps)", "gamma": "γ (gamma)"}
    return pretty.get(name, name)


def lr_legend_name(name: str, lr: float, tuned: bool = False) -> str:
    """Legend text with the effective learning rate: ``"Adam (lr=0.0316, tuned)"``."""
    return f"{theme.label(name)} (lr={lr:.3g}{', tuned' if tuned else ''})"


def _is_log(result: SweepResult, axis: str) -> bool:
    name = result.x_name if axis == "x" else result.y_name
    values = result.x_values if axis == "x" else result.y_values
    ref, _ = resolve_param(name, result.optimizer, result.schedule)
    return bool(ref.log_scale and np.all(values > 0))


def _subsample(n: int, k: int) -> npt.NDArray[np.int64]:
    """At most ``k`` evenly spread indices of ``range(n)`` (always the first and last)."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(np.int64))


def _decade_colorbar(lo: float, hi: float, title: str) -> Spec:
    decades = np.arange(np.ceil(lo), np.floor(hi) + 1)
    if len(decades) > 8:
        decades = decades[:: int(np.ceil(len(decades) / 8))]
    text = [f"1e{int(d)}" if not -2 <= d <= 3 else f"{10.0 ** d:g}" for d in decades]
    return {"thickness": 12, "tickvals": decades.tolist(), "ticktext": text,
            "title": {"text": title, "side": "right"}}


def _layer(xs: Array, ys: Array, mask: npt.NDArray[np.bool_], color: str, name: str) -> Spec:
    """A one-colour heatmap over the cells where ``mask`` holds (transparent elsewhere)."""
    z = np.where(mask, 1.0, np.nan)
    return {
        "type": "heatmap", "x": typed_array(xs), "y": typed_array(ys), "z": typed_array(z),
        "colorscale": [[0.0, color], [1.0, color]], "zmin": 0.0, "zmax": 1.0,
        "showscale": False, "hoverinfo": "skip", "name": name,
    }


def _legend_square(name: str, color: str, symbol: str = "square") -> Spec:
    """A legend entry for a heatmap layer (heatmaps have no legend symbol of their own)."""
    return {
        "type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": name,
        "marker": {"symbol": symbol, "size": 12, "color": color,
                   "line": {"color": "#444", "width": 1}},
        "hoverinfo": "skip", "showlegend": True,
    }


def _metric(result: SweepResult, metric: str) -> tuple[Array, str, bool]:
    """The coloured value per cell, its colour-bar title and whether it is log10."""
    if metric == "steps_to_tol":
        z = np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(np.float64)
        return z, f"steps to f − f* < {result.tol:g}", False
    if metric != "final_loss":
        raise ValueError(f"Unknown metric {metric!r}; valid: final_loss, steps_to_tol")
    if np.isfinite(result.f_star):
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.log10(np.maximum(result.final_gap, GAP_FLOOR))
        return np.where(result.diverged, np.nan, z), f"f − f* after {result.steps} steps", True
    return np.where(result.diverged, np.nan, result.final_loss), "final loss", False


def _click_trace(result: SweepResult, click_grid: int) -> Spec:
    rows = _subsample(len(result.y_values), click_grid)
    cols = _subsample(len(result.x_values), click_grid)
    X, Y = np.meshgrid(result.x_values[cols], result.y_values[rows])
    sub = np.ix_(rows, cols)
    known = bool(np.isfinite(result.f_star))
    value = (result.final_gap if known else result.final_loss)[sub]
    steps = result.steps_to_tol[sub]
    div_at = result.diverged_at[sub]
    text = np.where(
        div_at >= 0, np.char.add("diverged at step ", div_at.astype(str)),
        np.char.add(
            np.char.add("f − f* = " if known else "f = ", _fmt_values(value)),
            np.where(steps >= 0, np.char.add(", tol at step ", steps.astype(str)), ""),
        ),
    )
    xl, yl = axis_label(result.x_name), axis_label(result.y_name)
    custom = np.stack([X.ravel(), Y.ravel()], axis=-1)
    return {
        "type": "scatter", "mode": "markers", "name": CLICK_TRACE, "showlegend": False,
        "x": typed_array(X.ravel(), "f8"), "y": typed_array(Y.ravel(), "f8"),
        "customdata": custom.tolist(), "text": text.ravel().tolist(),
        "marker": {"size": 10, "opacity": 0, "color": "#000"},
        "hovertemplate": f"{xl} = %{{x:.4g}}<br>{yl} = %{{y:.4g}}<br>%{{text}}"
                         "<br><i>click to race this setting</i><extra></extra>",
    }


def _fmt_values(values: Array) -> npt.NDArray[np.str_]:
    return np.array([f"{v:.3g}" for v in values.ravel()]).reshape(values.shape)


def sweep_figure(
    result: SweepResult,
    theory_curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]] | None = None,
    samples: Sequence[Markers] | Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]] | None = None,
    *,
    current: tuple[float, float] | None = None,
    metric: str = "final_loss",
    click_grid: int = 50,
    font_size: int = 14,
    height: int = 560,
) -> SpecFigure:
    """Heatmap of a sweep: colour = loss after ``steps`` (log10 of ``f - f*``) or steps to
    the tolerance; diverged cells dark red (legend entry "diverged").

    Parameters
    ----------
    result : SweepResult
        From `analysis.sweep.sweep`.
    theory_curves : Mapping, optional
        ``label -> (x values, y values)`` from `analysis.theory.theory_curves`: lines, or a
        white marker for a single point (a diamond for the heavy-ball optimum, a triangle
        otherwise). Curves whose label contains "stability" are solid
        white, "critical" dotted white.
    samples : sequence of Markers, or Mapping, optional
        Overlaid points, e.g. ``SearchComparison.overlay()`` (a mapping ``label -> (xs,
        ys)``: "grid" labels get white squares, others yellow circles; a "best" label is
        drawn filled and larger, a star for random search).
    current : (x, y), optional
        The setting now raced, drawn as a cross.
    metric : {"final_loss", "steps_to_tol"}
        What the colour shows ("steps_to_tol": cells that never reach it are grey).
    click_grid : int
        At most this many clickable cells per axis (see the module notes).

    Returns
    -------
    SpecFigure
        Trace order: value heatmap, diverged layer, [not-reached layer], legend squares,
        theory curves, samples, current marker, then the clickable `CLICK_TRACE`.
    """
    xs, ys = result.x_values, result.y_values
    z, title, log = _metric(result, metric)
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    heat: Spec = {
        "type": "heatmap", "x": typed_array(xs), "y": typed_array(ys), "z": typed_array(z),
        "colorscale": SWEEP_COLORSCALE, "reversescale": metric == "steps_to_tol",
        "zmin": lo, "zmax": hi, "hoverinfo": "skip", "name": title,
        "colorbar": (_decade_colorbar(lo, hi, title) if log
                     else {"thickness": 12, "title": {"text": title, "side": "right"}}),
    }
    data: list[Spec] = [heat, _layer(xs, ys, result.diverged, DIVERGED_COLOR, "diverged")]
    data.append(_legend_square("diverged", DIVERGED_COLOR))
    if metric == "steps_to_tol":
        never = (result.steps_to_tol < 0) & ~result.diverged
        data.insert(2, _layer(xs, ys, never, NOT_CONVERGED_COLOR, "tol not reached"))
        data.append(_legend_square("tol not reached", NOT_CONVERGED_COLOR))
    data += _theory_traces(theory_curves or {})
    data += [_marker_trace(m) for m in _as_markers(samples)]
    if current is not None:
        data.append({
            "type": "scatter", "mode": "markers", "name": "raced now",
            "x": [float(current[0])], "y": [float(current[1])],
            "marker": {"symbol": "x", "size": 16, "color": "#ff2d55",
                       "line": {"color": "#ffffff", "width": 2}},
            "hovertemplate": "raced now: (%{x:.4g}, %{y:.4g})<extra></extra>",
        })
    data.append(_click_trace(result, click_grid))

    layout = theme.layout_base(font_size)
    x_log, y_log = _is_log(result, "x"), _is_log(result, "y")
    layout["xaxis"].update(title={"text": axis_label(result.x_name)},
                           type="log" if x_log else "linear", exponentformat="power")
    layout["yaxis"].update(title={"text": axis_label(result.y_name)},
                           type="log" if y_log else "linear", exponentformat="power")
    layout["xaxis"]["range"] = _range(xs, x_log)
    layout["yaxis"]["range"] = _range(ys, y_log)
    layout.update(
        height=height, hovermode="closest", clickmode="event+select", dragmode="zoom",
        uirevision=f"{result.surface}/{result.optimizer}/{result.x_name}/{result.y_name}",
        legend={**layout["legend"], "orientation": "h", "x": 0, "y": 1.02,
                "yanchor": "bottom"},
        margin={"l": 70, "r": 10, "t": 50, "b": 60},
    )
    return SpecFigure({"data": data, "layout": layout})


def _range(values: Array, log: bool) -> list[float]:
    """Axis range covering whole cells (half a cell beyond the first and last centres)."""
    v = np.log10(values) if log else np.asarray(values, dtype=np.float64)
    half = 0.5 * (v[-1] - v[0]) / max(len(v) - 1, 1) if len(v) > 1 else 0.5
    return [float(v[0] - half), float(v[-1] + half)]


def _theory_traces(curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]]) -> list[Spec]:
    traces = []
    for label, (cx, cy) in curves.items():
        x = np.asarray(cx, dtype=np.float64).reshape(-1)
        y = np.asarray(cy, dtype=np.float64).reshape(-1)
        if len(x) == 1:
            traces.append({
                "type": "scatter", "mode": "markers", "name": label,
                "x": x.tolist(), "y": y.tolist(),
                "marker": {"symbol": "diamond" if "heavy" in label else "triangle-up",
                           "size": 15, "color": "#ffffff",
                           "line": {"color": "#000", "width": 1.5}},
                "hovertemplate": label + ": (%{x:.4g}, %{y:.4g})<extra></extra>",
            })
            continue
        key = next((k for k in THEORY_STYLES if k in label.lower()), "critical")
        traces.append({
            "type": "scatter", "mode": "lines", "name": label,
            "x": typed_array(x), "y": typed_array(y), "line": THEORY_STYLES[key],
            "hovertemplate": label + "<extra></extra>",
        })
    return traces


def _as_markers(
    samples: Sequence[Markers] | Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]] | None,
) -> list[Markers]:
    if samples is None:
        return []
    if isinstance(samples, Mapping):
        out = []
        for label, (x, y) in samples.items():
            low = label.lower()
            grid = "grid" in low
            if "best" in low:
                symbol, size = ("square" if grid else "star"), 15.0
            else:
                symbol, size = ("square-open" if grid else "circle-open"), 9.0
            color = "#ffffff" if grid else "#ffd400"
            out.append(Markers(label, np.asarray(x, np.float64), np.asarray(y, np.float64),
                               symbol, color, size))
        return out
    return list(samples)


def _marker_trace(m: Markers) -> Spec:
    return {
        "type": "scatter", "mode": "markers", "name": m.label,
        "x": typed_array(np.asarray(m.x).reshape(-1), "f8"),
        "y": typed_array(np.asarray(m.y).reshape(-1), "f8"),
        "marker": {"symbol": m.symbol, "size": m.size, "color": m.color,
                   "line": {"color": m.color if "open" in m.symbol else "#000", "width": 2}},
        "hovertemplate": m.label + ": (%{x:.4g}, %{y:.4g})<extra></extra>",
    }


# ------------------------------------------------------------------------------- basins


def basin_color(label: int) -> str:
    """Colour of a basin label: one per minimum, grey for not converged, dark red diverged."""
    if label == DIVERGED:
        return DIVERGED_COLOR
    if label == NOT_CONVERGED:
        return NOT_CONVERGED_COLOR
    return BASIN_COLORS[label % len(BASIN_COLORS)]


def _discrete_colorscale(k: int) -> list[list[float | str]]:
    """Piecewise-constant colorscale for labels ``-2..k-1`` (plotted as ``z = label + 1``
    with ``zmin = -1.5``, ``zmax = k + 0.5``)."""
    labels = list(range(-2, k))
    n = len(labels)
    scale: list[list[float | str]] = []
    for i, lab in enumerate(labels):
        c = basin_color(lab)
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def basins_figure(
    surface: Surface,
    results: Sequence[tuple[str, BasinResult]],
    *,
    font_size: int = 14,
    height: int = 520,
) -> SpecFigure:
    """Side-by-side basin maps: every start coloured by the minimum its run reached.

    One panel per ``(title, BasinResult)``, sharing the colours: one per minimum (also in the
    legend with its coordinates), grey for "not converged", dark red for "diverged". Minima
    are marked with stars on every panel; panels keep equal x/y scales.
    """
    n = max(len(results), 1)
    k = len(surface.minima)
    gap = 0.06
    width = (1.0 - gap * (n - 1)) / n
    layout = theme.layout_base(font_size)
    base_axis = dict(layout["xaxis"])
    (x0, x1), (y0, y1) = surface.bounds
    data: list[Spec] = []
    annotations = []
    for idx, (title, res) in enumerate(results):
        sfx = "" if idx == 0 else str(idx + 1)
        xa, ya = f"x{sfx}", f"y{sfx}"
        dom = [idx * (width + gap), idx * (width + gap) + width]
        layout[f"xaxis{sfx}"] = {**base_axis, "domain": dom, "range": [x0, x1],
                                 "title": {"text": "start x"}, "constrain": "domain"}
        layout[f"yaxis{sfx}"] = {**base_axis, "range": [y0, y1], "scaleanchor": xa,
                                 "scaleratio": 1, "constrain": "domain",
                                 "title": {"text": "start y" if idx == 0 else ""}}
        if idx:
            layout[f"yaxis{sfx}"]["anchor"] = xa
            layout[f"xaxis{sfx}"]["anchor"] = ya
        # z = label + 1: minima numbered from 1 as in the legend, 0 / -1 not converged /
        # diverged (a per-cell text would cost megabytes at 300 x 300).
        data.append({
            "type": "heatmap", "x": typed_array(res.xs), "y": typed_array(res.ys),
            "z": typed_array(res.labels.astype(np.float32) + 1), "xaxis": xa, "yaxis": ya,
            "zmin": -1.5, "zmax": k + 0.5, "colorscale": _discrete_colorscale(k),
            "showscale": False, "name": title,
            "hovertemplate": "start (%{x:.3g}, %{y:.3g}) → basin %{z}"
                             "<br>(0: not converged, −1: diverged)<extra>" + title
                             + "</extra>",
        })
        if k:
            data.append({
                "type": "scatter", "mode": "markers", "xaxis": xa, "yaxis": ya,
                "x": surface.minima[:, 0].tolist(), "y": surface.minima[:, 1].tolist(),
                "marker": {"symbol": "star", "size": 13,
                           "color": [basin_color(i) for i in range(k)],
                           "line": {"color": "#000", "width": 1.5}},
                "showlegend": False, "name": "minima",
                "hovertemplate": "minimum (%{x:.3f}, %{y:.3f})<extra></extra>",
            })
        annotations.append({
            "text": f"<b>{title}</b>", "x": (dom[0] + dom[1]) / 2, "y": 1.0,
            "xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "bottom",
            "showarrow": False, "font": {"size": font_size + 1},
        })
    for i in range(k):
        mx, my = surface.minima[i]
        data.append(_legend_square(f"{i + 1}: minimum ({mx:.2f}, {my:.2f})", basin_color(i)))
    data.append(_legend_square("not converged", NOT_CONVERGED_COLOR))
    data.append(_legend_square("diverged", DIVERGED_COLOR))
    layout.update(
        height=height, hovermode="closest", annotations=annotations,
        # the legend hangs below the "start x" titles (at -0.12 it covered them)
        legend={**layout["legend"], "orientation": "h", "x": 0, "y": -0.2,
                "yanchor": "top"},
        margin={"l": 60, "r": 10, "t": 40, "b": 120}, uirevision=surface.name,
    )
    return SpecFigure({"data": data, "layout": layout})
