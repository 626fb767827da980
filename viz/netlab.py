"""Plotly figures of the tiny-network lab (pages/network_lab.py): pure arrays -> figures.

Colours are Okabe-Ito (colour-blind safe); success vs stuck is also told apart by marker or
line style where it matters. Every builder sets ``template="plotly_white"`` explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go
from plotly.subplots import make_subplots

Array = npt.NDArray[np.float64]

TEMPLATE = "plotly_white"
BOTTOM_LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0.0}
SUCCESS_COLOR = "#0072B2"  # blue
STUCK_COLOR = "#D55E00"  # vermillion
THRESHOLD_COLOR = "#000000"
REFERENCE_COLOR = "#777777"
UNIT_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
DEAD_COLOR = "#999999"
OPTIMIZER_COLORS = {"sgd": "#000000", "adam": "#0072B2"}
FALLBACK_COLORS = ("#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
ACTIVATION_SYMBOLS = {
    "relu": "circle",
    "leaky_relu": "square",
    "elu": "diamond",
    "selu": "triangle-up",
    "softplus": "star",
    "tanh": "cross",
    "sigmoid": "x",
}


def _layout(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": TEMPLATE,
        "margin": {"l": 60, "r": 20, "t": 80, "b": 50},
        "title": {"x": 0.0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0.0},
    }
    base.update(extra)
    return base


def _log_bins(values: Array, lo: float, hi: float, bins: int) -> Array:
    lo = max(lo, 1e-12)
    return np.logspace(np.log10(lo), np.log10(max(hi, lo * 10)), bins + 1)


def _vline(fig: go.Figure, x: float, text: str, color: str, dash: str, *, log: bool) -> None:
    """A vertical line with a rotated label at its top.

    The label is a separate annotation because ``add_vline``'s own annotation lands at the wrong
    place on log axes (annotations take ``log10(x)`` there, shapes take ``x``).
    """
    fig.add_vline(x=x, line={"color": color, "dash": dash, "width": 1.5})
    fig.add_annotation(
        x=float(np.log10(x)) if log else x,
        y=1.0,
        yref="paper",
        text=text,
        textangle=-90,
        showarrow=False,
        xanchor="right",
        yanchor="top",
        font={"size": 11, "color": color},
    )


def final_loss_figure(
    final_loss: npt.ArrayLike,
    threshold: float,
    references: Mapping[str, float] | None = None,
    *,
    bins: int = 40,
    title: str = "Final training MSE of every run",
) -> go.Figure:
    """Histogram of final losses on log-spaced bins, split into succeeded and stuck runs.

    Parameters
    ----------
    final_loss : array of shape (runs,)
        Final MSE per run; non-finite values (diverged runs) are counted in the title only.
    threshold : float
        Success threshold, drawn as a dashed vertical line.
    references : mapping of str to float, optional
        Reference losses (e.g. ``{"valley": 0.037, "pyramid": 0.0007}``) drawn as dotted lines,
        so the clusters of the histogram can be named.
    bins : int
        Number of log-spaced bins.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    loss = np.asarray(final_loss, dtype=np.float64)
    finite = loss[np.isfinite(loss)]
    refs = dict(references or {})
    marks = [threshold, *refs.values()]
    lo = min([*finite, *marks]) if finite.size else min(marks)
    hi = max([*finite, *marks]) if finite.size else max(marks)
    edges = _log_bins(finite, lo / 1.3, hi * 1.3, bins)
    fig = go.Figure()
    for name, mask, color in (
        ("succeeded", finite <= threshold, SUCCESS_COLOR),
        ("stuck", finite > threshold, STUCK_COLOR),
    ):
        counts, _ = np.histogram(finite[mask], bins=edges)
        centres = np.sqrt(edges[:-1] * edges[1:])
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(edges) * 0.95,
                name=f"{name} ({int(mask.sum())})",
                marker_color=color,
                hovertemplate="MSE ~ %{x:.2e}<br>%{y} runs<extra>" + name + "</extra>",
            )
        )
    _vline(fig, threshold, "success threshold", THRESHOLD_COLOR, "dash", log=True)
    for name, value in refs.items():
        _vline(fig, value, name, REFERENCE_COLOR, "dot", log=True)
    diverged = int(loss.size - finite.size)
    suffix = f" ({diverged} diverged)" if diverged else ""
    fig.update_layout(
        **_layout(barmode="stack", bargap=0.0),
        title_text=title + suffix,
        xaxis={"type": "log", "title": "final training MSE (log)"},
        yaxis={"title": "runs"},
    )
    return fig


def loss_curves_figure(
    steps: npt.ArrayLike,
    losses: npt.ArrayLike,
    success: npt.ArrayLike,
    threshold: float,
    *,
    picked: int | None = None,
    title: str = "Training loss of every run",
) -> go.Figure:
    """Loss curves of all runs on a log axis: two None-separated traces (succeeded, stuck).

    Parameters
    ----------
    steps : array of shape (K,)
        Recorded steps.
    losses : array of shape (K, runs)
        Full-data MSE per recorded step and run.
    success : bool array of shape (runs,)
        Outcome of each run (colour).
    threshold : float
        Drawn as a dashed horizontal line.
    picked : int, optional
        Index of a run drawn thick on top.
    title : str
        Figure title.
    """
    steps = np.asarray(steps, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    success = np.asarray(success, dtype=bool)
    K = steps.size
    fig = go.Figure()
    for name, mask, color, dash in (
        ("succeeded", success, SUCCESS_COLOR, "solid"),
        ("stuck", ~success, STUCK_COLOR, "dot"),
    ):
        n = int(mask.sum())
        if n == 0:
            continue
        # One trace per group: runs separated by NaN (a gap), like viz's None-separated paths.
        x = np.concatenate([np.broadcast_to(steps, (n, K)), np.full((n, 1), np.nan)], axis=1)
        y = np.concatenate([losses[:, mask].T, np.full((n, 1), np.nan)], axis=1)
        fig.add_trace(
            go.Scatter(
                x=x.ravel(),
                y=y.ravel(),
                mode="lines",
                name=f"{name} ({n})",
                line={"color": color, "width": 1, "dash": dash},
                opacity=0.45,
                hoverinfo="skip",
            )
        )
    if picked is not None:
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=losses[:, picked],
                mode="lines",
                name=f"run {picked}",
                line={"color": THRESHOLD_COLOR, "width": 3},
            )
        )
    fig.add_hline(y=threshold, line={"color": THRESHOLD_COLOR, "dash": "dash", "width": 1.5})
    fig.add_annotation(  # log axis: annotations take log10(y), unlike shapes
        x=1.0,
        xref="paper",
        y=float(np.log10(threshold)),
        text="success threshold",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        font={"size": 11},
    )
    fig.update_layout(
        **_layout(),
        title_text=title,
        xaxis={"title": "step"},
        yaxis={"type": "log", "title": "MSE (log)"},
    )
    return fig


def unit_counts_figure(
    dead_units: npt.ArrayLike,
    merged_units: npt.ArrayLike,
    success: npt.ArrayLike,
    hidden: int,
    *,
    dead_label: str = "dead units",
) -> go.Figure:
    """Two bar charts: how many runs have 0, 1, ... dead units, and merged units, by outcome.

    Parameters
    ----------
    dead_units, merged_units : int arrays of shape (runs,)
        Per-run counts.
    success : bool array of shape (runs,)
        Outcome of each run (stacked colours).
    hidden : int
        Number of hidden units (the x range is ``0..hidden``).
    dead_label : str
        Title of the left panel (e.g. "inactive units" for activations that cannot die).
    """
    success = np.asarray(success, dtype=bool)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(dead_label, "merged units"))
    x = np.arange(hidden + 1)
    for col, counts in enumerate((dead_units, merged_units), start=1):
        counts = np.asarray(counts, dtype=np.int64)
        for name, mask, color in (
            ("succeeded", success, SUCCESS_COLOR),
            ("stuck", ~success, STUCK_COLOR),
        ):
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=np.bincount(counts[mask], minlength=hidden + 1)[: hidden + 1],
                    name=name,
                    marker_color=color,
                    legendgroup=name,
                    showlegend=col == 1,
                    hovertemplate="%{y} runs with %{x} units<extra>" + name + "</extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text="units per run", dtick=1, row=1, col=col)
    fig.update_yaxes(title_text="runs", row=1, col=1)
    fig.update_layout(**_layout(barmode="stack", height=400, legend=BOTTOM_LEGEND))
    return fig


def unit_line(
    w: npt.ArrayLike, b: float, bounds: tuple[float, float], *, samples: int = 120
) -> tuple[Array, Array]:
    """Points of the line ``w . x + b = 0`` inside the square ``bounds x bounds`` (NaN outside).

    Examples
    --------
    >>> x, y = unit_line([1.0, 0.0], -0.5, (-1.0, 1.0), samples=5)
    >>> x[np.isfinite(x)].tolist()
    [0.5, 0.5, 0.5]
    """
    w = np.asarray(w, dtype=np.float64)
    lo, hi = bounds
    norm2 = float(w @ w)
    if norm2 == 0.0:
        return np.full(samples, np.nan), np.full(samples, np.nan)
    foot = -b * w / norm2
    direction = np.array([-w[1], w[0]]) / np.sqrt(norm2)
    reach = np.hypot(*foot) + np.sqrt(2.0) * max(abs(lo), abs(hi))
    t = np.linspace(-reach, reach, samples)
    pts = foot + t[:, None] * direction
    inside = np.all((pts >= lo - 1e-12) & (pts <= hi + 1e-12), axis=1)
    pts[~inside] = np.nan
    return pts[:, 0], pts[:, 1]


def network_surface_figure(
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    Z_pred: npt.ArrayLike,
    Z_target: npt.ArrayLike,
    W1: npt.ArrayLike,
    b1: npt.ArrayLike,
    dead: npt.ArrayLike,
    *,
    title: str = "Learned function vs target",
) -> go.Figure:
    """The learned function and the cone ``|x + iy|`` side by side, as 3D surfaces.

    Each hidden unit's line ``w . x + b = 0`` (where its ReLU bends) is drawn on the floor of
    the learned-function panel, with a short tick toward the side where the unit is active;
    dead units are drawn grey and dashed.

    Parameters
    ----------
    X, Y : arrays of one 2D shape
        Grid coordinates (e.g. a polar grid covering a disc).
    Z_pred, Z_target : arrays of the same shape
        Network output and target on the grid.
    W1 : array of shape (H, 2)
        First-layer weights of the picked run.
    b1 : array of shape (H,)
        First-layer biases.
    dead : bool array of shape (H,)
        Dead (inactive) units.
    title : str
        Figure title.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    Z_pred = np.asarray(Z_pred, dtype=np.float64)
    Z_target = np.asarray(Z_target, dtype=np.float64)
    W1 = np.asarray(W1, dtype=np.float64)
    b1 = np.asarray(b1, dtype=np.float64)
    dead = np.asarray(dead, dtype=bool)
    zmin = float(min(np.nanmin(Z_pred), np.nanmin(Z_target), 0.0))
    zmax = float(max(np.nanmax(Z_pred), np.nanmax(Z_target)))
    floor = zmin - 0.05 * (zmax - zmin + 1e-12)
    fig = make_subplots(
        rows=1,
        cols=2,
        specs=[[{"type": "surface"}, {"type": "surface"}]],
        subplot_titles=("learned function (unit lines on the floor)", "target |x + iy| (cone)"),
        horizontal_spacing=0.02,
    )
    common = {"colorscale": "Viridis", "cmin": zmin, "cmax": zmax, "opacity": 0.95}
    fig.add_trace(go.Surface(x=X, y=Y, z=Z_pred, showscale=False, name="network", **common), 1, 1)
    fig.add_trace(
        go.Surface(
            x=X,
            y=Y,
            z=Z_target,
            colorbar={"title": "output", "len": 0.7},
            name="target",
            **common,
        ),
        1,
        2,
    )
    bounds = (float(min(X.min(), Y.min())), float(max(X.max(), Y.max())))
    for h in range(W1.shape[0]):
        lx, ly = unit_line(W1[h], float(b1[h]), bounds)
        color = DEAD_COLOR if dead[h] else UNIT_COLORS[h % len(UNIT_COLORS)]
        name = f"unit {h + 1}" + (" (dead)" if dead[h] else "")
        # A short tick from the middle of the visible segment toward the active side.
        finite = np.isfinite(lx)
        tick_x = tick_y = np.array([np.nan])
        if finite.any():
            mid = np.flatnonzero(finite)[finite.sum() // 2]
            step = 0.12 * (bounds[1] - bounds[0]) * W1[h] / np.linalg.norm(W1[h])
            tick_x = np.array([lx[mid], lx[mid] + step[0]])
            tick_y = np.array([ly[mid], ly[mid] + step[1]])
        fig.add_trace(
            go.Scatter3d(
                x=np.r_[lx, np.nan, tick_x],
                y=np.r_[ly, np.nan, tick_y],
                z=np.full(lx.size + 1 + tick_x.size, floor),
                mode="lines",
                line={"color": color, "width": 6, "dash": "dash" if dead[h] else "solid"},
                name=name,
                hovertemplate=(
                    f"{name}: {W1[h, 0]:+.2f} x {W1[h, 1]:+.2f} y {b1[h]:+.2f} = 0<extra></extra>"
                ),
            ),
            1,
            1,
        )
    scene = {
        "xaxis": {"title": "x"},
        "yaxis": {"title": "y"},
        "zaxis": {"title": "output", "range": [floor, zmax + 0.05 * (zmax - zmin + 1e-12)]},
        "aspectmode": "cube",
        "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.0}},
    }
    fig.update_layout(
        **_layout(
            height=560,
            margin={"l": 0, "r": 0, "t": 80, "b": 40},
            legend={"orientation": "h", "yanchor": "top", "y": 0.0, "x": 0.0},
        ),
        title_text=title,
        scene=scene,
        scene2=scene,
    )
    return fig


def comparison_figure(records: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Success rate with its 95 % interval for every configuration of the comparison grid.

    Parameters
    ----------
    records : sequence of mappings
        Rows with keys ``activation``, ``H``, ``optimizer``, ``success rate``, ``ci_low``,
        ``ci_high`` (as made by the page from ``Comparison.records``).

    Returns
    -------
    plotly.graph_objects.Figure
        One panel per ``H``; x = activation, one marker series per optimizer.
    """
    hiddens = sorted({int(r["H"]) for r in records})
    opts = list(dict.fromkeys(str(r["optimizer"]) for r in records))
    acts = list(dict.fromkeys(str(r["activation"]) for r in records))
    fig = make_subplots(
        rows=1,
        cols=len(hiddens),
        shared_yaxes=True,
        subplot_titles=[f"H = {h} hidden units" for h in hiddens],
    )
    for col, h in enumerate(hiddens, start=1):
        for k, opt in enumerate(opts):
            rows = [r for r in records if int(r["H"]) == h and r["optimizer"] == opt]
            rows.sort(key=lambda r: acts.index(str(r["activation"])))
            rate = np.array([float(r["success rate"]) for r in rows])
            lo = np.array([float(r["ci_low"]) for r in rows])
            hi = np.array([float(r["ci_high"]) for r in rows])
            color = OPTIMIZER_COLORS.get(opt, FALLBACK_COLORS[k % len(FALLBACK_COLORS)])
            fig.add_trace(
                go.Scatter(
                    x=[str(r["activation"]) for r in rows],
                    y=rate,
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": hi - rate,
                        "arrayminus": rate - lo,
                        "color": color,
                    },
                    mode="markers",
                    marker={
                        "color": color,
                        "size": 11,
                        "symbol": "circle" if k % 2 == 0 else "diamond",
                    },
                    name=opt,
                    legendgroup=opt,
                    showlegend=col == 1,
                    # Shift optimizers apart so their error bars do not overlap.
                    offsetgroup=opt,
                    hovertemplate="%{x}: %{y:.0%}<extra>" + opt + f" H={h}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(
        range=[-0.03, 1.03],
        tickformat=".0%",
        row=1,
        col=1,
        title_text="runs that reach the threshold",
    )
    fig.update_layout(**_layout(height=420, scattermode="group", legend=BOTTOM_LEGEND))
    return fig


def landscape_figure(
    xs: npt.ArrayLike,
    ys: npt.ArrayLike,
    Z: npt.ArrayLike,
    *,
    title: str = "Loss around the trained weights (filter-normalized directions)",
) -> go.Figure:
    """Contours of a 2D loss slice on a log colour scale, the trained weights at the origin.

    Parameters
    ----------
    xs, ys : arrays of shape (nx,), (ny,)
        Grid axes (steps along the two directions).
    Z : array of shape (ny, nx)
        Loss on the grid (row = y).
    title : str
        Figure title.
    """
    Z = np.asarray(Z, dtype=np.float64)
    logZ = np.log10(np.maximum(Z, 1e-12))
    fig = go.Figure(
        go.Contour(
            x=np.asarray(xs, dtype=np.float64),
            y=np.asarray(ys, dtype=np.float64),
            z=logZ,
            colorscale="Viridis",
            ncontours=25,
            colorbar={"title": "log10 MSE"},
            customdata=Z,
            hovertemplate="a=%{x:.2f}, b=%{y:.2f}<br>MSE %{customdata:.3e}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.0],
            y=[0.0],
            mode="markers",
            name="trained weights",
            marker={
                "symbol": "x",
                "size": 12,
                "color": "#ffffff",
                "line": {"color": "#000000", "width": 2},
            },
        )
    )
    fig.update_layout(
        **_layout(height=460),
        title_text=title,
        xaxis={"title": "a (direction 1)", "constrain": "domain"},
        yaxis={"title": "b (direction 2)", "scaleanchor": "x", "constrain": "domain"},
    )
    return fig
