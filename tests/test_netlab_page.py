"""The network lab's figures (viz/netlab.py) and page (pages/network_lab.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from viz import netlab as vn

PAGE = Path(__file__).resolve().parents[1] / "pages" / "network_lab.py"


def test_final_loss_figure_splits_runs_and_marks_levels() -> None:
    loss = np.array([1e-4, 2e-4, 0.03, 0.04, np.inf])
    fig = vn.final_loss_figure(loss, 1e-3, {"valley": 0.035, "pyramid": 7e-4})
    assert isinstance(fig, go.Figure) and fig.layout.template.layout is not None
    succeeded, stuck = fig.data
    assert sum(succeeded.y) == 2 and sum(stuck.y) == 2
    assert "1 diverged" in fig.layout.title.text
    assert fig.layout.xaxis.type == "log"
    assert len(fig.layout.shapes) == 3  # threshold + 2 references


def test_loss_curves_figure_has_one_trace_per_outcome() -> None:
    steps = np.arange(5)
    losses = np.linspace(1, 0.1, 5)[:, None] * np.array([1.0, 2.0, 3.0])
    fig = vn.loss_curves_figure(steps, losses, np.array([True, False, False]), 0.2, picked=1)
    assert [t.name for t in fig.data] == ["succeeded (1)", "stuck (2)", "run 1"]
    # Runs are separated by NaN gaps inside one trace.
    assert np.isnan(np.asarray(fig.data[1].y, dtype=float)).sum() == 2
    assert fig.layout.yaxis.type == "log"


def test_unit_counts_figure_bins_counts_by_outcome() -> None:
    fig = vn.unit_counts_figure(
        np.array([0, 1, 1]), np.array([0, 0, 2]), np.array([True, False, False]), 3
    )
    dead_ok, dead_stuck = fig.data[0], fig.data[1]
    assert list(dead_ok.y) == [1, 0, 0, 0] and list(dead_stuck.y) == [0, 2, 0, 0]


def test_unit_line_stays_in_the_window() -> None:
    x, y = vn.unit_line([1.0, 1.0], 0.0, (-1.0, 1.0))
    ok = np.isfinite(x)
    assert ok.sum() > 10
    np.testing.assert_allclose(x[ok] + y[ok], 0.0, atol=1e-12)
    assert np.all(np.abs(x[ok]) <= 1.0 + 1e-12)
    x, _ = vn.unit_line([1.0, 0.0], -5.0, (-1.0, 1.0))  # the line x = 5: outside
    assert not np.isfinite(x).any()


def test_network_surface_figure_draws_every_unit() -> None:
    xs = ys = np.linspace(-1, 1, 11)
    X, Y = np.meshgrid(xs, ys)
    Z = np.hypot(X, Y)
    fig = vn.network_surface_figure(
        xs, ys, Z * 0.9, Z, np.eye(2), np.zeros(2), np.array([False, True])
    )
    kinds = [t.type for t in fig.data]
    assert kinds == ["surface", "surface", "scatter3d", "scatter3d"]
    assert fig.data[3].name == "unit 2 (dead)" and fig.data[3].line.dash == "dash"
    assert fig.layout.template.layout is not None


def test_comparison_figure_one_panel_per_hidden_size() -> None:
    records = [
        {
            "activation": a,
            "H": h,
            "optimizer": o,
            "success rate": 0.5,
            "ci_low": 0.3,
            "ci_high": 0.7,
        }
        for a in ("relu", "elu")
        for h in (3, 8)
        for o in ("sgd", "adam")
    ]
    fig = vn.comparison_figure(records)
    assert len(fig.data) == 4  # 2 optimizers x 2 panels
    assert list(fig.data[0].x) == ["relu", "elu"]


def test_landscape_figure_marks_the_trained_weights() -> None:
    xs = ys = np.linspace(-1, 1, 5)
    Z = np.add.outer(ys**2, xs**2) + 1e-3
    fig = vn.landscape_figure(xs, ys, Z)
    contour, marker = fig.data
    np.testing.assert_allclose(contour.z, np.log10(Z))
    assert list(marker.x) == [0.0] and fig.layout.yaxis.scaleanchor == "x"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_page_runs_and_shows_the_comparison() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception
    assert [m.label for m in at.metric][0] == "Reached the threshold"
    assert len(at.get("plotly_chart")) == 5
    # A smaller grid keeps the test quick; the full one is measured in the docs.
    at.select_slider(key="nl_grid_seeds").set_value(8)
    at.select_slider(key="nl_grid_steps").set_value(200)
    at.button(key="nl_grid_run").click()
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6
    verdicts = [m.value for m in at.markdown if "(the question's author)" in m.value]
    assert verdicts and any("threshold:" in v for v in verdicts)
    # The page speaks to students: no document ids or API names.
    page_text = " ".join(m.value for m in at.markdown)
    assert not any(word in page_text for word in ("001", "002", "netlab.", "documents'"))
    # Another network: fewer seeds, leaky ReLU.
    at.select_slider(key="nl_seeds").set_value(8)
    at.selectbox(key="nl_act").set_value("leaky_relu")
    at.run()
    assert not at.exception
    assert at.metric[0].value.endswith("/8")
