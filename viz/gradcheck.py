"""The gradient-check figure: relative error against the step size ``h``, on log-log axes.

A pure builder like :mod:`viz.race`: a :class:`~analysis.gradcheck.GradCheckResult` in, a
:class:`~viz.spec.SpecFigure` out. The CS231n notes' thresholds are shaded bands, Taylor's
truncation errors (slopes 1 and 2) and the round-off error (slope -1) dashed guides.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analysis.gradcheck import GOOD, KINKED_OK, UNEASY, GradCheckResult, verdict
from viz import theme
from viz.spec import Spec, SpecFigure, typed_array

Array = npt.NDArray[np.float64]

CENTERED_COLOR = "#0072B2"  # Okabe-Ito blue
ONE_SIDED_COLOR = "#D55E00"  # Okabe-Ito vermillion
ROUNDOFF_COLOR = "#666666"
ERROR_FLOOR = 1e-17
"""Errors below this (exact zeros included) are drawn at it: a log axis has no zero."""

# (low, high, fill, label) from best to worst; the bottom band reaches down to the axis.
BANDS = (
    (0.0, GOOD, "rgba(0,158,115,0.13)", "good<br>< 1e-7"),
    (GOOD, KINKED_OK, "rgba(240,228,66,0.20)", "OK only<br>if kinked"),
    (KINKED_OK, UNEASY, "rgba(230,159,0,0.18)", "uneasy"),
    (UNEASY, 10.0, "rgba(213,94,0,0.16)", "wrong<br>> 1e-2"),
)


def _floored(values: npt.ArrayLike) -> Array:
    v = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(v), np.nan, np.maximum(v, ERROR_FLOOR))


def _positive(values: Array) -> Array:
    """Model lines: NaN where not positive or not finite (a log axis cannot draw them)."""
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _error_trace(result: GradCheckResult, errors: Array, name: str, color: str,
                 symbol: str, font_size: int) -> Spec:
    return {
        "type": "scatter", "mode": "lines+markers", "name": name,
        "x": typed_array(result.hs), "y": typed_array(_floored(errors)),
        "line": {"color": color, "width": 2 + font_size / 14},
        "marker": {"color": color, "size": 4 + font_size / 4, "symbol": symbol},
        "customdata": [[float(e), str(v)] for e, v in zip(errors, verdict(errors), strict=True)],
        "hovertemplate": name + "<br>h = %{x:.1e}<br>relative error %{customdata[0]:.2e}"
        "<br>%{customdata[1]}<extra></extra>",
    }


def _guide(hs: Array, y: Array, name: str, color: str, dash: str) -> Spec:
    return {
        "type": "scatter", "mode": "lines", "name": name, "x": typed_array(hs),
        "y": typed_array(_positive(y)), "line": {"color": color, "width": 1.5, "dash": dash},
        "hoverinfo": "skip",
    }


def _band_shapes(y_lo: float) -> list[Spec]:
    return [
        {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
         "y0": max(lo, y_lo / 10), "y1": hi, "fillcolor": fill, "line": {"width": 0},
         "layer": "below"}
        for lo, hi, fill, _ in BANDS
    ]


def _band_labels(y_lo: float, y_hi: float, font_size: int) -> list[Spec]:
    """One label per band, in the right margin at the band's middle (log axis: annotations
    take log10(y))."""
    out = []
    for lo, hi, _, text in BANDS:
        lo, hi = max(lo, y_lo), min(hi, y_hi)
        out.append({
            "text": text, "xref": "paper", "x": 1.01, "xanchor": "left", "align": "left",
            "yref": "y", "y": float((np.log10(lo) + np.log10(hi)) / 2), "yanchor": "middle",
            "showarrow": False, "font": {"size": max(9, font_size - 2), "color": "#444"},
        })
    return out


def gradcheck_figure(
    result: GradCheckResult,
    *,
    font_size: int = 14,
    height: int = 480,
    show_model: bool = True,
) -> SpecFigure:
    """Relative error of the centered and one-sided differences against ``h`` (log-log).

    Parameters
    ----------
    result : GradCheckResult
        From `analysis.gradcheck.gradient_check`.
    font_size : int, default 14
        Base font size (large for a projector).
    height : int, default 480
        Figure height in pixels.
    show_model : bool, default True
        Draw the error model (Taylor's truncation errors, slopes 1 and 2, and the round-off
        error, slope -1). Turn it off near a kink, where Taylor's theorem does not apply.

    Returns
    -------
    SpecFigure
        Traces: centered error, one-sided error, then (``show_model``) the guides
        ``∝ h``, ``∝ h²`` and ``∝ ε/h`` (a guide with a zero constant is left out: the
        centered difference has no :math:`h^2` error on a quadratic), then a star at each
        curve's smallest error. The notes'
        verdict bands are layout shapes (below the traces) with labels on the right.
    """
    hs = np.asarray(result.hs, dtype=np.float64)
    data: list[Spec] = [
        _error_trace(result, result.centered_error, "centered (f(x+h) − f(x−h)) / 2h",
                     CENTERED_COLOR, "circle", font_size),
        _error_trace(result, result.one_sided_error, "one-sided (f(x+h) − f(x)) / h",
                     ONE_SIDED_COLOR, "square", font_size),
    ]
    annotations: list[Spec] = []
    measured = np.concatenate([result.centered_error, result.one_sided_error])
    measured = measured[np.isfinite(measured)]
    y_lo = max(float(measured.min()) if measured.size else GOOD, ERROR_FLOOR) / 3
    y_lo = min(y_lo, GOOD / 100)
    if show_model:
        m = result.model
        roundoff = m.roundoff_line(hs)
        guides = (
            (m.one_sided_line(hs), "∝ h: one-sided truncation", ONE_SIDED_COLOR, "dash"),
            (m.centered_line(hs), "∝ h²: centered truncation", CENTERED_COLOR, "dash"),
            (roundoff, "∝ ε/h: round-off", ROUNDOFF_COLOR, "dot"),
        )
        # A zero constant (no h² term on a quadratic) leaves nothing to draw: no legend entry.
        data += [_guide(hs, y, name, color, dash) for y, name, color, dash in guides
                 if np.isfinite(_positive(y)).any()]
        h_round = float(hs.min()) * 10
        y_round = float(m.roundoff / h_round)
        if np.isfinite(y_round) and y_round > 0:
            annotations.append({
                "text": "round-off regime:<br>smaller h, larger error",
                "x": float(np.log10(h_round)), "y": float(np.log10(y_round)), "xref": "x",
                "yref": "y", "showarrow": True, "ax": 30, "ay": -60,
                "arrowcolor": ROUNDOFF_COLOR, "xanchor": "left",
                "font": {"size": max(9, font_size - 2), "color": ROUNDOFF_COLOR},
            })
    for errors, color, label in ((result.centered_error, CENTERED_COLOR, "centered"),
                                 (result.one_sided_error, ONE_SIDED_COLOR, "one-sided")):
        if not np.isfinite(errors).any():
            continue
        i = int(np.nanargmin(errors))
        data.append({
            "type": "scatter", "mode": "markers", "showlegend": False,
            "x": [float(hs[i])], "y": [float(_floored(errors[i]))],
            "marker": {"symbol": "star", "size": 12 + font_size / 2, "color": color,
                       "line": {"color": "#fff", "width": 1}},
            "hovertemplate": f"smallest {label} error: %{{y:.1e}} at h = %{{x:.1e}}"
            "<extra></extra>",
        })
    y_hi = 10**0.4
    annotations += _band_labels(y_lo, y_hi, font_size)

    layout = theme.layout_base(font_size)
    x0, x1 = np.log10(hs.min()), np.log10(hs.max())
    # every other decade, upright: twelve rotated labels collided at a half-width chart
    layout["xaxis"].update(type="log", title={"text": "step size h", "standoff": 8},
                           exponentformat="power", range=[x0 - 0.2, x1 + 0.2], dtick=2,
                           tickangle=0)
    layout["yaxis"].update(type="log", title={"text": "relative error"},
                           exponentformat="power",
                           range=[float(np.log10(y_lo)), float(np.log10(y_hi))], dtick=2)
    layout.update(
        height=height, hovermode="closest", shapes=_band_shapes(y_lo), annotations=annotations,
        legend={**layout["legend"], "orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 70, "r": 20 + 6 * font_size, "t": 70, "b": 55},
    )
    return SpecFigure({"data": data, "layout": layout})
