"""Specs for viz.explore: sweep map and basin maps as validated Plotly figures."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from analysis.basins import DIVERGED, NOT_CONVERGED, basins
from analysis.search import compare_search
from analysis.sweep import sweep
from analysis.theory import quadratic_theory, theory_curves
from surfaces import get_surface
from viz.explore import (
    CLICK_TRACE,
    DIVERGED_COLOR,
    basin_color,
    basins_figure,
    lr_legend_name,
    sweep_figure,
)
from viz.spec import SpecFigure, decode_typed_array

RAVINE = get_surface("ravine")


@pytest.fixture(scope="module")
def result():
    return sweep(
        RAVINE,
        "sgd",
        x_values=np.geomspace(1e-3, 1.0, 30),
        y_values=np.linspace(0.0, 0.95, 20),
        steps=150,
    )


def by_name(fig, name):
    return [t for t in fig.spec["data"] if t.get("name") == name]


def test_sweep_figure_validates_and_colours_log_gap(result) -> None:
    fig = sweep_figure(result)
    assert isinstance(fig, SpecFigure)
    fig.validated()
    heat = fig.spec["data"][0]
    assert heat["type"] == "heatmap"
    z = decode_typed_array(heat["z"]).astype(np.float64)
    expected = np.log10(np.maximum(result.final_gap, 1e-16))
    ok = ~result.diverged
    assert_allclose(z[ok], expected[ok], rtol=1e-5, atol=1e-5)
    assert np.isnan(z[result.diverged]).all()
    assert_allclose(decode_typed_array(heat["x"]), result.x_values, rtol=1e-6)
    layout = fig.spec["layout"]
    assert layout["xaxis"]["type"] == "log" and layout["yaxis"]["type"] == "linear"


def test_diverged_cells_have_their_own_layer_and_legend_entry(result) -> None:
    fig = sweep_figure(result)
    layer = fig.spec["data"][1]
    assert layer["type"] == "heatmap" and layer["colorscale"][0][1] == DIVERGED_COLOR
    zl = decode_typed_array(layer["z"])
    assert_array_equal(np.isfinite(zl), result.diverged)
    (legend,) = [t for t in by_name(fig, "diverged") if t["type"] == "scatter"]
    assert legend["showlegend"] and legend["marker"]["color"] == DIVERGED_COLOR


def test_click_trace_holds_exact_settings(result) -> None:
    fig = sweep_figure(result, click_grid=10)
    (click,) = by_name(fig, CLICK_TRACE)
    assert fig.spec["data"][-1] is click
    assert click["marker"]["opacity"] == 0 and click["showlegend"] is False
    custom = np.array(click["customdata"])
    assert custom.shape == (100, 2)
    assert set(custom[:, 0]) <= set(result.x_values) and set(custom[:, 1]) <= set(result.y_values)
    assert {result.x_values[0], result.x_values[-1]} <= set(custom[:, 0])
    assert_allclose(decode_typed_array(click["x"]), custom[:, 0])
    assert len(click["text"]) == 100
    hp, _ = result.settings(*custom[37])
    assert hp == {"lr": custom[37, 0], "momentum": custom[37, 1]}
    full = sweep_figure(result, click_grid=1000)  # small map: every cell clickable
    assert len(by_name(full, CLICK_TRACE)[0]["customdata"]) == result.final_loss.size


def test_theory_samples_and_current_marker(result) -> None:
    th = quadratic_theory(RAVINE)
    curves = theory_curves(th, (1e-3, 1.0), (0.0, 0.95))
    comp = compare_search(
        RAVINE,
        "sgd",
        x_range=(1e-3, 1.0),
        y_range=(0.0, 0.95),
        budget=9,
        seeds=2,
        rng=np.random.default_rng(0),
        steps=50,
    )
    fig = sweep_figure(result, curves, comp.overlay(), current=(0.05, 0.5))
    fig.validated()
    names = [t.get("name") for t in fig.spec["data"]]
    for label in [*curves, "grid search", "random search", "grid best", "random best", "raced now"]:
        assert label in names
    (stab,) = by_name(fig, "stability limit lr = 2(1+μ)/L")
    assert stab["mode"] == "lines"
    assert by_name(fig, "optimal heavy ball")[0]["mode"] == "markers"
    assert len(decode_typed_array(by_name(fig, "grid search")[0]["x"])) == 9


def test_steps_to_tol_metric(result) -> None:
    fig = sweep_figure(result, metric="steps_to_tol")
    fig.validated()
    z = decode_typed_array(fig.spec["data"][0]["z"])
    reached = result.steps_to_tol >= 0
    assert_array_equal(z[reached], result.steps_to_tol[reached])
    assert np.isnan(z[~reached]).all()
    assert by_name(fig, "tol not reached")
    with pytest.raises(ValueError):
        sweep_figure(result, metric="speed")


def test_beta2_axis_is_linear_and_labelled() -> None:
    res = sweep(
        get_surface("bowl"),
        "adam",
        x_values=np.geomspace(1e-3, 1, 4),
        y_param="betas[1]",
        y_values=[0.5, 0.9, 0.999],
        steps=20,
    )
    fig = sweep_figure(res)
    fig.validated()
    assert fig.spec["layout"]["yaxis"]["type"] == "linear"
    assert "β₂" in fig.spec["layout"]["yaxis"]["title"]["text"]


def test_basins_figure_side_by_side() -> None:
    surface = get_surface("himmelblau")
    a = basins(surface, "sgd", {"lr": 0.03}, resolution=16, steps=60)
    b = basins(surface, "momentum", {"lr": 0.01}, resolution=16, steps=60)
    fig = basins_figure(surface, [("SGD", a), ("Momentum", b)])
    fig.validated()
    heats = [t for t in fig.spec["data"] if t["type"] == "heatmap"]
    assert [h["name"] for h in heats] == ["SGD", "Momentum"]
    assert heats[0].get("xaxis", "x") == "x" and heats[1]["xaxis"] == "x2"
    lay = fig.spec["layout"]
    assert lay["xaxis"]["domain"][1] < lay["xaxis2"]["domain"][0]
    assert lay["yaxis2"]["scaleanchor"] == "x2"
    assert_array_equal(decode_typed_array(heats[0]["z"]), a.labels + 1)
    legend = [t["name"] for t in fig.spec["data"] if t["type"] == "scatter" and t.get("showlegend")]
    assert len(legend) == len(surface.minima) + 2
    assert "not converged" in legend and "diverged" in legend
    # each colour of the scale is the label's colour
    scale = heats[0]["colorscale"]
    assert scale[0][1] == basin_color(DIVERGED) and scale[2][1] == basin_color(NOT_CONVERGED)
    assert len({basin_color(k) for k in range(4)} | {basin_color(-1), basin_color(-2)}) == 6


def test_lr_legend_name() -> None:
    assert lr_legend_name("adam", 0.0316228, tuned=True) == "Adam (lr=0.0316, tuned)"
    assert lr_legend_name("sgd", 0.1) == "SGD (lr=0.1)"
