"""Lesson views: step through one optimizer's updates with the numbers filled in."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from analysis.gradcheck import (
    VERDICT_LABELS,
    GradCheckResult,
    crease_point,
    gradient_check,
    verdict,
)
from analysis.stepthrough import Replay, explain, fmt_vec, replay
from scene import Scene
from ui import cached
from viz import theme
from viz.gradcheck import gradcheck_figure
from viz.stepthrough import stepthrough_figure


@st.cache_data(max_entries=16, show_spinner=False)
def cached_replay(scene: Scene, name: str) -> Replay:
    """The same arguments as the race, so the steps shown are the race's steps."""
    # named as the race names it: a copy is "SGD #2" here too
    return dataclasses.replace(
        replay(scene.get_surface(), name, scene.hparams(name), scene.start_point(),
               scene.steps, schedule=scene.schedule_fn(name), noise=scene.noise,
               seed=scene.seed), name=name)


@st.fragment
def _step_panel(scene: Scene, rep: Replay) -> None:
    """Only this fragment reruns while the step slider moves."""
    # a slider needs two ends: one step (the next one diverged) is shown as it is
    k = st.slider("Step k", 1, rep.n_steps, 1, key="step_k") if rep.n_steps > 1 else 1
    ex = explain(rep, k)
    left, right = st.columns([1, 1], gap="small")
    grid = cached.grid(scene, cached.GRID_RESOLUTION)
    left.plotly_chart(stepthrough_figure(scene.get_surface(), grid, rep, k, height=470),
                      theme=None, key="step_chart")
    with right:
        st.markdown(f"**{theme.label(rep.name)}, update {k}** (lr used: {ex.lr:.4g})")
        for line in ex.equations:
            st.latex(wrapped(line))
        st.caption("Arrows start at $x_{k-1}$: " + "; ".join(
            f"{name} = ${fmt_vec(v)}$" for name, v in ex.vectors.items()))


def wrapped(equation: str) -> str:
    r"""A long equation as aligned lines, one per top-level `` = `` (a half-width column at
    1280 px cut ``x_k = ... = (x, y)`` before its result).

    >>> wrapped(r"a = b_{c = d} = e")
    '\\begin{aligned}a &= b_{c = d} \\\\ &= e\\end{aligned}'
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(equation):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and equation.startswith(" = ", i):
            parts.append(equation[start:i])
            start = i + 3
    parts.append(equation[start:])
    if len(parts) <= 2:
        return equation
    return ("\\begin{aligned}" + parts[0] + " &= " + " \\\\ &= ".join(parts[1:])
            + "\\end{aligned}")


def stepthrough_view(scene: Scene) -> None:
    names = scene.optimizers or ("momentum",)
    name = st.selectbox("Optimizer to step through", names, format_func=theme.label,
                        key="step_opt")
    rep = cached_replay(scene.race_key(), name)
    if theme.note(name):
        st.caption(theme.note(name))
    if rep.n_steps == 0:
        st.warning(f"{theme.label(name)} diverged on its first step: nothing to step through.")
        return
    if rep.diverged:
        st.warning(f"{theme.label(name)} diverged at step {rep.diverged_at}; the slider stops "
                   f"at step {rep.n_steps}.")
    if st.session_state.get("step_k", 1) > rep.n_steps:
        st.session_state["step_k"] = rep.n_steps
    _step_panel(scene, rep)


NOTES_H = 1e-5  # the h the notes suggest trying first


@st.cache_data(max_entries=16, show_spinner=False)
def cached_gradcheck(scene: Scene, point: tuple[float, float]) -> GradCheckResult:
    return gradient_check(scene.get_surface(), None, np.asarray(point))


def gradcheck_view(scene: Scene) -> None:
    """The notes' gradient check, run on this surface's exact gradient: relative error of
    centered and one-sided differences against h, with the notes' thresholds."""
    kinked = scene.surface in ("kink", "smooth_kink")
    default = tuple(float(v) for v in (crease_point() if kinked else scene.start_point()))
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    x = c1.number_input("point x", value=default[0], format="%.7g", key="gc_x")
    y = c2.number_input("point y", value=default[1], format="%.7g", key="gc_y")
    if kinked:
        c3.caption("The default point is 10⁻⁶ from the crease x = y/2: every h larger than "
                   "that straddles the kink.")
    result = cached_gradcheck(scene.surface_key(), (float(x), float(y)))
    left, right = st.columns([3, 2], gap="medium")
    left.plotly_chart(gradcheck_figure(result, show_model=not kinked), theme=None,
                      key="gradcheck_chart")
    i = result.index(NOTES_H)
    h_best, e_best = result.best_centered
    with right:
        st.markdown(
            f"At h = {result.hs[i]:.1e}: centered error **{result.centered_error[i]:.2e}** "
            f"({VERDICT_LABELS[verdict(result.centered_error[i])]}), one-sided "
            f"**{result.one_sided_error[i]:.2e}** "
            f"({VERDICT_LABELS[verdict(result.one_sided_error[i])]}).  \n"
            f"Best centered h ≈ {h_best:.1e} (error {e_best:.1e}). Smaller h is not better: "
            "below it, round-off (~ε/h) wins over the truncation error (~h²).")
        st.dataframe([
            {"": "analytic", "∂f/∂x": result.analytic[0], "∂f/∂y": result.analytic[1]},
            {"": f"centered, h={result.hs[i]:.0e}", "∂f/∂x": result.centered[i, 0],
             "∂f/∂y": result.centered[i, 1]},
            {"": f"one-sided, h={result.hs[i]:.0e}", "∂f/∂x": result.one_sided[i, 0],
             "∂f/∂y": result.one_sided[i, 1]},
        ], hide_index=True, column_config={
            "∂f/∂x": st.column_config.NumberColumn(format="%.10g"),
            "∂f/∂y": st.column_config.NumberColumn(format="%.10g")})
        if kinked and scene.surface == "kink":
            st.info("Near a kink the numeric gradient averages the slopes on both sides, so "
                    "the check fails although the code is right: the notes' warning about "
                    "ReLU / max. Switch to the smooth valley to see it pass.")
