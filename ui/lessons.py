"""Lesson views: step through one optimizer's updates with the numbers filled in."""

from __future__ import annotations

import streamlit as st

from analysis.scene import Scene
from analysis.stepthrough import Replay, explain, fmt_vec, replay
from ui import cached
from viz import theme
from viz.stepthrough import stepthrough_figure


@st.cache_data(max_entries=16, show_spinner=False)
def cached_replay(scene: Scene, name: str) -> Replay:
    """The same arguments as the race, so the steps shown are the race's steps."""
    return replay(scene.get_surface(), name, scene.hparams(name), scene.start_point(),
                  scene.steps, schedule=scene.schedule_fn(), noise=scene.noise, seed=scene.seed)


@st.fragment
def _step_panel(scene: Scene, rep: Replay) -> None:
    """Only this fragment reruns while the step slider moves."""
    k = st.slider("Step k", 1, rep.n_steps, 1, key="step_k")
    ex = explain(rep, k)
    left, right = st.columns([5, 6], gap="small")
    grid = cached.grid(scene, cached.GRID_RESOLUTION)
    left.plotly_chart(stepthrough_figure(scene.get_surface(), grid, rep, k, height=470),
                      theme=None, key="step_chart")
    with right:
        st.markdown(f"**{theme.label(rep.name)}, update {k}** (lr used: {ex.lr:.4g})")
        for line in ex.equations:
            st.latex(line)
        st.caption("Arrows start at x_{k−1}: " + "; ".join(
            f"{name} = {fmt_vec(v)}" for name, v in ex.vectors.items()).replace("$", ""))


def stepthrough_view(scene: Scene) -> None:
    names = scene.optimizers or ("momentum",)
    name = st.selectbox("Optimizer to step through", names, format_func=theme.label,
                        key="step_opt")
    rep = cached_replay(scene.race_key(), name)
    if rep.n_steps == 0:
        st.warning(f"{theme.label(name)} diverged on its first step: nothing to step through.")
        return
    if rep.diverged:
        st.warning(f"{theme.label(name)} diverged at step {rep.diverged_at}; the slider stops "
                   f"at step {rep.n_steps}.")
    if st.session_state.get("step_k", 1) > rep.n_steps:
        st.session_state["step_k"] = rep.n_steps
    _step_panel(scene, rep)
