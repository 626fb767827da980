"""Exploration views: the hyperparameter sweep map (with theory and random-vs-grid search) and
basins of attraction. Widgets and layout only; the computations are in ``analysis``."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

import optimizers
import viz
from analysis import applies_to_sweep, basins, compare_search, sweep, theory_curves
from analysis.basins import BasinResult
from analysis.budget import grid_sizes, max_runs
from analysis.race import base_name
from analysis.search import SearchComparison
from analysis.sweep import SweepResult, default_axes
from scene import Scene
from ui.state import set_hp
from viz import theme

# y axis of the sweep map: label -> (sweep parameter, optimizers it applies to or None = all)
_BETAS = ("adam", "adamw", "nadam", "radam", "adamax", "lion", "adamw_schedule_free",
          "prodigy", "ademamix", "adopt")
Y_AXES = {
    "momentum μ": ("momentum", ("sgd", "momentum", "nesterov", "rmsprop", "muon")),
    "Adam β₂": ("betas[1]", _BETAS),
    "Adam β₁": ("betas[0]", _BETAS),
    "Prodigy d_coef": ("d_coef", ("prodigy",)),  # Prodigy's tuning knob (its lr is found)
    "1/t decay k": ("decay", None),
    "exponential decay γ": ("gamma", None),
}
RESOLUTIONS = (50, 100, 200)
SEARCH_BUDGET = 25
SEARCH_SEEDS = 50


def _base_hparams(scene: Scene, name: str) -> dict[str, Any]:
    return {k: v for k, v in scene.hparams(name).items() if k != "lr"}


@st.cache_data(max_entries=8, show_spinner=False)
def cached_sweep(scene: Scene, name: str, y_param: str, resolution: int) -> SweepResult:
    xs, ys = default_axes("lr", y_param, resolution, resolution)
    if y_param == "momentum" and _base_hparams(scene, name).get(
            "nesterov", optimizers.defaults(base_name(name)).get("nesterov")):
        ys = ys[ys > 0]  # Nesterov needs a momentum (torch raises at 0; it would be plain SGD)
    # A decay sweep brings its own schedule; any other sweep runs under the race's schedule.
    schedule, kwargs = (None, None) if y_param in ("decay", "gamma") else scene.schedule_spec(name)
    return sweep(scene.get_surface(), name, _base_hparams(scene, name), x_param="lr",
                 x_values=xs, y_param=y_param, y_values=ys, start=scene.start_point(),
                 steps=scene.steps, schedule=schedule, schedule_kwargs=kwargs)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_search(scene: Scene, name: str, y_param: str, x_range: tuple, y_range: tuple
                  ) -> SearchComparison:
    surface = scene.get_surface()
    seeds = min(SEARCH_SEEDS, max(1, max_runs(surface, scene.steps) // (2 * SEARCH_BUDGET)))
    return compare_search(surface, name, _base_hparams(scene, name),
                          x_param="lr", x_range=x_range, y_param=y_param, y_range=y_range,
                          budget=SEARCH_BUDGET, seeds=seeds,
                          rng=np.random.default_rng(scene.seed), start=scene.start_point(),
                          steps=scene.steps)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_basins(scene: Scene, name: str, resolution: int) -> BasinResult:
    schedule, kwargs = scene.schedule_spec(name)
    return basins(scene.get_surface(), name, scene.hparams(name), resolution, scene.steps,
                  schedule=schedule, schedule_kwargs=kwargs)


def _load_cell(result: SweepResult) -> None:
    """A click on a sweep cell loads its settings into the race view."""
    points = st.session_state["sweep_chart"].get("selection", {}).get("points", [])
    cell = next((p for p in points if p.get("customdata") is not None), None)
    if cell is None:
        return
    x, y = (float(v) for v in cell["customdata"][:2])
    hparams, schedule_kwargs = result.settings(x, y)
    name = result.optimizer
    set_hp(f"hp_{name}_lr", float(hparams["lr"]))
    if result.y_name == "momentum" and base_name(name) in ("momentum", "nesterov"):
        st.session_state["momentum"] = float(hparams["momentum"])
    elif result.y_name.startswith("betas["):
        index = int(result.y_name[6])
        set_hp(f"hp_{name}_betas_{index}", float(hparams["betas"][index]))
    elif result.y_name in optimizers.defaults(base_name(name)):  # momentum, Prodigy's d_coef, ...
        set_hp(f"hp_{name}_{result.y_name}", float(hparams[result.y_name]))
    elif result.schedule is not None:
        st.session_state["schedule"] = result.schedule
        value = schedule_kwargs.get("decay", schedule_kwargs.get("gamma"))
        st.session_state[f"decay_{result.schedule}"] = float(value)
    st.session_state["view"] = "race"


def _grid_select(column: Any, scene: Scene, options: tuple[int, ...], default: int,
                 key: str) -> int:
    """The grid-size menu, offering only the sizes the work budget allows on this surface
    (a cached view never draws: its spinner is the caller's)."""
    sizes = grid_sizes(options, scene.get_surface(), scene.steps)
    if st.session_state.get(key) not in sizes:
        st.session_state.pop(key, None)
    index = sizes.index(default) if default in sizes else len(sizes) - 1
    return column.selectbox("cells", sizes, index=index, key=key,
                            help=None if sizes == options else
                            "Coarser here: every gradient of this surface costs "
                            f"{scene.get_surface().cost:g} times a formula's.")


def sweep_view(scene: Scene) -> None:
    names = scene.optimizers or ("momentum",)
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
    name = c1.selectbox("Optimizer", names, format_func=theme.label, key="sweep_opt")
    axes = [label for label, (_, only) in Y_AXES.items() if only is None or base_name(name) in only]
    y_label = c2.selectbox("against", axes, key="sweep_y")
    resolution = _grid_select(c3, scene, RESOLUTIONS, 100, "sweep_res")
    metric = c4.radio("colour", ["final_loss", "steps_to_tol"], horizontal=True,
                      key="sweep_metric", format_func={"final_loss": "final loss",
                                                       "steps_to_tol": "steps to 1e-3"}.get)
    y_param = Y_AXES[y_label][0]
    with st.spinner("computing the sweep…"):
        result = cached_sweep(scene.race_key(), name, y_param, resolution)
    theory = applies_to_sweep(scene.get_surface(), name, _base_hparams(scene, name),
                              result.x_name, result.y_name, result.schedule)
    curves = None
    if theory is not None:
        curves = theory_curves(theory, (result.x_values[0], result.x_values[-1]),
                               (result.y_values[0], result.y_values[-1]))
    samples = None
    search_on = st.toggle("Overlay grid search vs random search (same budget)",
                          key="sweep_search")
    if search_on:
        comparison = cached_search(scene.race_key(), name, y_param,
                                   (float(result.x_values[0]), float(result.x_values[-1])),
                                   (float(result.y_values[0]), float(result.y_values[-1])))
        samples = comparison.overlay(seed=0)
    current = _current_setting(scene, name, y_param)
    figure = viz.sweep_figure(result, curves, samples, current=current, metric=metric)
    st.plotly_chart(figure, theme=None, key="sweep_chart", on_select=lambda: _load_cell(result),
                    selection_mode="points")
    st.caption(f"{result.shape[0]}×{result.shape[1]} runs of {theme.label(name)}, "
               f"{scene.steps} steps each, from the race's start. Dark red = diverged. "
               "Click a cell to race with its settings.")
    if theory is not None:
        st.markdown(
            f"**Theory (quadratic, κ = {theory.kappa:.3g})**: gradient descent is fastest at "
            f"lr = 2/(m+L) = {theory.gd_lr:.3g} (rate {theory.gd_rate:.3f} per step); heavy "
            f"ball at lr = {theory.hb_lr:.3g}, μ = {theory.hb_momentum:.3g} (rate "
            f"{theory.hb_rate:.3f}); it is stable only for lr < 2(1+μ)/L.")
    if search_on:
        st.info(comparison.verdict())


def _current_setting(scene: Scene, name: str, y_param: str) -> tuple[float, float] | None:
    hp = {**optimizers.defaults(base_name(name)), **scene.hparams(name)}
    if y_param == "momentum":
        return (hp["lr"], float(hp.get("momentum", 0.0)))
    if y_param.startswith("betas["):
        return (hp["lr"], float(hp["betas"][int(y_param[6])]))
    return None


def basins_view(scene: Scene) -> None:
    surface = scene.get_surface()
    if len(surface.minima) < 2:
        st.info(f"{surface.title} has {len(surface.minima)} minimum: basins of attraction "
                "need several. Try Himmelblau, six-hump camel, saddle with escape or "
                "Rastrigin.")
        return
    names = list(scene.optimizers or ("sgd", "momentum"))
    c1, c2, c3 = st.columns([2, 2, 1])
    first = c1.selectbox("Left", names, format_func=theme.label, key="basin_a")
    second = c2.selectbox("Right", names, index=min(1, len(names) - 1),
                          format_func=theme.label, key="basin_b")
    resolution = _grid_select(c3, scene, (100, 150, 200, 300), 150, "basin_res")
    results = []
    with st.spinner("computing the basins…"):
        for name in dict.fromkeys((first, second)):
            lr = scene.hparams(name).get("lr")  # Newton's methods take no shared lr
            results.append((theme.label(name) + ("" if lr is None else f" · lr {lr:g}"),
                            cached_basins(scene.race_key(), name, resolution)))
    st.plotly_chart(viz.basins_figure(surface, results), theme=None, key="basins_chart")
    names_of = {i: f"min ({x:.2f}, {y:.2f})" for i, (x, y) in enumerate(surface.minima)}
    names_of.update({-1: "not converged", -2: "diverged"})
    rows = [{"optimizer": label, **{names_of[k]: f"{v:.0%}" for k, v in r.fractions().items()}}
            for label, r in results]
    st.dataframe(rows, hide_index=True)
    st.caption(f"Every start on a {resolution}×{resolution} grid, {scene.steps} steps; colour "
               "= the minimum reached (grey: none within reach, dark red: diverged).")
