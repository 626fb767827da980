"""The main page: optimizers racing on a surface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import streamlit as st

import viz
from analysis import quadratic_theory, summarize
from analysis.diagnose import LEARNING_RATE, MOMENTUM, UNBOUNDED, divergence_cause
from analysis.race import RaceEntry
from scene.presets import preset_of
from scene.scene import (
    DECAY_SETTINGS,
    LR_RANGE,
    MOMENTUM_RANGE,
    SCHEDULE_LABELS,
    VIEWS,
    Scene,
)
from ui import cached
from ui.explore import basins_view, sweep_view
from ui.exports import export_panel
from ui.internals import internals_view
from ui.lessons import gradcheck_view, stepthrough_view
from ui.presentation import page_css, presentation_css
from ui.race_panel import race_panel
from ui.sidebar import sidebar, tuned_lr_note
from ui.state import URL_WARNINGS, load_scene_from_url_once, share_url, write_scene_to_url
from viz import theme

TOLERANCE = 1e-3
PANEL_KEY = "race_panel"
HELD_AXES = "_panel_axes"
WHOLE_PAGE = "_whole_page"  # set by a callback: the fragment's change needs the sidebar too
LAST_RACE = "_panel_race"  # the last race shown, without the panel's own settings
# Views with their own controls; the race and 3D views are drawn in _race_view itself.
OTHER_VIEWS = {"sweep": sweep_view, "basins": basins_view, "step": stepthrough_view,
               "gradcheck": gradcheck_view}


def _panel_state(name: str) -> dict:
    value = (st.session_state.get(PANEL_KEY) or {}).get(name)
    return value if isinstance(value, dict) else {}


def _number_in(value: object, lo: float, hi: float) -> float | None:
    """``value`` as a float within [lo, hi], or None (the panel's messages are input)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if lo <= value <= hi else None


def held_axes(scene: Scene) -> frozenset[str]:
    """The sliders whose races the panel is sent with ``scene`` (``cached.panel_axes_json``):
    all three on a session's first run; after a slider's release, that slider's; after any
    other change of the race (start, surface, steps, optimizers...), none; plus each one the
    panel asks for when it is grabbed (``_on_want``). So a change races along no slider
    nobody touches: its cost, paid once per student, is the moved slider's alone."""
    state = st.session_state
    rest = replace(scene.race_key(), lr=0.0, momentum=0.0, schedule="", decay=0.0)
    if state.get(LAST_RACE, rest) != rest:
        state[HELD_AXES] = frozenset()
    state[LAST_RACE] = rest
    return _held()


def _held() -> frozenset[str]:
    return st.session_state.get(HELD_AXES, frozenset(cached.AXES))  # a first visit: all


def _on_settings() -> None:
    """The panel's sliders were released: their values become the scene's."""
    got = _panel_state("settings")
    state = st.session_state
    moved = set()
    lr = _number_in(got.get("lr"), *LR_RANGE)
    momentum = _number_in(got.get("momentum"), *MOMENTUM_RANGE)
    if lr is not None and lr != state.get("lr"):
        state["lr"] = lr
        moved.add("lr")
    if momentum is not None and momentum != state.get("momentum"):
        state["momentum"] = momentum
        moved.add("momentum")
    kind = got.get("schedule")
    if kind in SCHEDULE_LABELS and kind != state.get("schedule"):
        state["schedule"] = kind  # a new kind keeps its own rate
        state[WHOLE_PAGE] = True  # the sidebar shows the kind's settings
        moved.add("decay")
    elif kind in DECAY_SETTINGS:
        decay = _number_in(got.get("decay"), *DECAY_SETTINGS[kind][1])
        if decay is not None and decay != state.get(f"decay_{kind}"):
            state[f"decay_{kind}"] = decay
            moved.add("decay")
    if moved:
        state[HELD_AXES] = frozenset(moved)


def _on_want() -> None:
    """A slider was grabbed whose races the panel does not hold: send them from now on."""
    axis = _panel_state("want").get("axis")
    if axis in cached.AXES:
        st.session_state[HELD_AXES] = _held() | {axis}


def _on_start() -> None:
    """A click on the map restarts the race from there."""
    got = _panel_state("start")
    x, y = got.get("x"), got.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float):
        st.session_state["start_x"] = float(x)
        st.session_state["start_y"] = float(y)
        st.session_state[WHOLE_PAGE] = True  # the sidebar shows the start


def _exit_presentation() -> None:
    st.session_state["present"] = False
    st.session_state[WHOLE_PAGE] = True  # the sidebar and its toggle come back


def divergence_note(entries: tuple[RaceEntry, ...],
                    causes: Mapping[str, str] | None = None) -> str | None:
    """One warning for every run that blew up (one line, so the chart stays in view on a
    projector), with the reason `analysis.diagnose` found for each (the lr if unknown), or
    None."""
    blown = [e for e in entries if e.diverged]
    if not blown:
        return None
    causes = causes or {}
    head = ", ".join([f"{theme.label(blown[0].name)} diverged at step {blown[0].diverged_at}"]
                     + [f"{theme.label(e.name)} at step {e.diverged_at}" for e in blown[1:]])
    reasons = []
    by_lr = [e for e in blown if causes.get(e.name, LEARNING_RATE) == LEARNING_RATE]
    if by_lr:
        # Newton's methods take a step size (1 unless set), not the shared lr.
        lrs = sorted({float(e.hparams.get("lr", 1.0)) for e in by_lr})
        rate = (f"the learning rate {lrs[0]:g} is" if len(lrs) == 1 else
                "the learning rates " + ", ".join(f"{lr:g}" for lr in lrs) + " are")
        who = "" if len(by_lr) == len(blown) else f" ({_names(by_lr)})"
        reasons.append(f"{rate} too large for this surface{who}, so each step overshoots "
                       "further")
    by_momentum = [e for e in blown if causes.get(e.name) == MOMENTUM]
    if by_momentum:
        mus = sorted({float(e.hparams["momentum"]) for e in by_momentum})
        reasons.append(f"momentum μ = {', '.join(f'{m:g}' for m in mus)} is too high for "
                       f"this lr ({_names(by_momentum)}): the velocity keeps growing, and "
                       "without momentum the same lr stays on the map")
    falling = [e for e in blown if causes.get(e.name) == UNBOUNDED]
    if falling:
        reasons.append(f"the loss falls without bound that way ({_names(falling)}): this "
                       "surface has no minimum there, so descent leaves the map downhill, "
                       "whatever the lr")
    fate = "Its line stops where it" if len(blown) == 1 else "Their lines stop where they"
    return f"**{head}**: {'; '.join(reasons)}. {fate} left the map."


def _names(entries: list[RaceEntry]) -> str:
    return ", ".join(theme.label(e.name) for e in entries)


def divergence_causes(scene: Scene, entries: tuple[RaceEntry, ...]) -> dict[str, str]:
    """The reason each diverged run left the map (noise-free reruns: cheap, and only for
    runs that diverged)."""
    surface, start, schedule = scene.get_surface(), scene.start_point(), scene.schedule_fn()
    return {e.name: divergence_cause(surface, e, start, schedule)
            for e in entries if e.diverged}


def results_table(scene: Scene, entries: tuple[RaceEntry, ...]) -> None:
    rows = summarize(scene.get_surface(), entries, tol=TOLERANCE)
    st.dataframe(
        [{"optimizer": theme.label(r.name), "lr": e.hparams["lr"], "final loss": r.final_loss,
          "distance to nearest minimum": r.distance_to_minimum,
          f"steps to f − f* < {TOLERANCE:g}": r.steps_to_tolerance
          if r.steps_to_tolerance >= 0 else None,
          "status": r.status} for r, e in zip(rows, entries, strict=True)],
        hide_index=True, width="stretch",
        column_config={"final loss": st.column_config.NumberColumn(format="%.3e"),
                       "distance to nearest minimum": st.column_config.NumberColumn(format="%.3g"),
                       "lr": st.column_config.NumberColumn(format="%g")},
    )


def theory_note(scene: Scene, entries: tuple[RaceEntry, ...]) -> None:
    """On a quadratic, the linear convergence rate theory predicts for SGD / heavy ball next
    to the rate measured on the path (as in "Why Momentum Really Works")."""
    theory = quadratic_theory(scene.get_surface())
    if theory is None or scene.schedule != "constant" or scene.noise:
        return
    parts = []
    for e in entries:
        hp = e.hparams
        plain = e.name in ("sgd", "momentum") and not hp.get("nesterov") \
            and not hp.get("dampening") and not hp.get("weight_decay")
        if plain and not e.diverged:
            predicted, measured = theory.rates(hp["lr"], hp.get("momentum", 0.0), e.points)
            parts.append(f"{theme.label(e.name)}: predicted {predicted:.4f}, "
                         f"measured {measured:.4f} per step")
    if parts:
        st.caption(f"Linear rate on this quadratic (κ = {theory.kappa:.3g}) — "
                   + "; ".join(parts) + ". Theory: the largest |eigenvalue| of the "
                   "heavy-ball iteration over the Hessian's eigenvalues.")


def _header(scene: Scene) -> tuple[Scene, str]:
    """Title, the view switch and the share link; returns the scene with its view and the
    active preset's caption (shown beside the race, or above the other views)."""
    surface = scene.get_surface()
    st.markdown(f"##### {theme.literal(surface.title)}")
    views, share = st.columns([7, 2], vertical_alignment="center")
    # Only the chosen view is drawn: a hidden 3D tab would still re-render on every change.
    scene = replace(scene, view=views.segmented_control(
        "View", list(VIEWS), format_func=VIEWS.get, key="view", required=True,
        label_visibility="collapsed"))
    query = write_scene_to_url(scene)
    if st.session_state.get("present", False):  # in the header's row: the chart keeps room
        share.button("Exit presentation", key="exit_present", on_click=_exit_presentation)
    else:
        with share.popover("Link", icon=":material/link:"):
            st.caption("This link restores exactly this scene:")
            st.code(share_url(query), language=None, wrap_lines=True)
    preset = preset_of(scene)  # chosen from the menu, or opened from its link
    caption = f"**{preset.title}.** {preset.caption}" if preset is not None else ""
    with st.container():  # always there: see race_page
        if caption and scene.view != "race":
            st.info(caption)
    return scene, caption


def _race_view(scene: Scene, presenting: bool, notes: list[str], caption: str) -> None:
    config = {"displaylogo": False, "toImageButtonOptions": {
        "format": "png", "scale": 3, "filename": f"descent-{scene.surface}"}}
    other_view = OTHER_VIEWS.get(scene.view)
    if other_view is not None:
        other_view(scene)
        return
    if scene.view == "3d":
        # the wheel scrolls the page, not the 3D scene (drag to turn it)
        st.plotly_chart(cached.surface3d_figure(scene), theme=None,
                        config={**config, "scrollZoom": False},
                        key="surface_3d")
        return
    font_size = 20 if presenting else 14
    race_panel(key=PANEL_KEY, spec_json=cached.race_figure_json(scene, font_size),
               axes_json=cached.panel_axes_json(scene, held_axes(scene)), config=config,
               attribution=viz.attribution_annotation(cached.attribution_text(scene),
                                                      font_size),
               values={"lr": scene.lr, "momentum": scene.momentum,
                       "schedule": scene.schedule, "decay": scene.decay},
               sliders=_sliders(scene), schedules=list(SCHEDULE_LABELS.items()),
               notes=notes, caption=caption,
               clickable=st.session_state.get("pick_start", False), presenting=presenting,
               on_settings=_on_settings, on_start=_on_start, on_want=_on_want)


def _sliders(scene: Scene) -> dict[str, dict | None]:
    """The panel's sliders: label and stops (the decay rate only with a decay schedule)."""
    decay = DECAY_SETTINGS.get(scene.schedule)
    return {
        "lr": {"label": "Learning rate (log scale)", "values": cached.axis_stops(scene, "lr")},
        "momentum": {"label": "Momentum μ (Momentum, Nesterov)",
                     "values": cached.axis_stops(scene, "momentum")},
        "decay": {"label": decay[0], "values": cached.axis_stops(scene, "decay")}
        if decay else None,
    }


def race_page() -> None:
    # Messages that come and go live in containers that are always there, so that the race
    # chart keeps its place in the page: a chart that moves is re-mounted by Streamlit (a
    # full redraw), and a component re-mounted during a rerun may never be sent its figure.
    load_scene_from_url_once()
    # In the sidebar: an element in the main column would add its gap above the title.
    st.sidebar.markdown(page_css(), unsafe_allow_html=True)
    with st.container():
        for warning in st.session_state.get(URL_WARNINGS, []):
            st.warning(warning)
        if st.session_state.get("present", False):
            st.markdown(presentation_css(), unsafe_allow_html=True)
    scene = sidebar()
    if st.session_state.get("view", "race") == "race":
        race_main(scene)
    else:
        main_column(scene)


def main_column(base: Scene) -> None:
    """Everything right of the sidebar. ``base`` is the sidebar's scene, with the race
    panel's settings as they are now (``race_main`` may run without the sidebar)."""
    scene = panel_settings(base)
    presenting = st.session_state.get("present", False)
    scene, caption = _header(scene)
    alerts = st.container()
    if not scene.optimizers:
        alerts.info("Pick at least one optimizer in the sidebar to start the race.")
        return
    entries = cached.race_entries(scene)
    notes = [n for n in (tuned_lr_note(scene),
                         divergence_note(entries, divergence_causes(scene, entries))) if n]
    if scene.view != "race":  # the race panel shows them in a place kept for them
        for note in notes:
            alerts.warning(note)
    _race_view(scene, presenting, notes, caption)
    if not presenting:
        internals_view(scene, entries)
        results_table(scene, entries)
        theory_note(scene, entries)
        export_panel(scene, entries)


@st.fragment
def race_main(base: Scene) -> None:
    """The race view's main column as a fragment: a release of the panel's sliders (or a
    grab, an export, the view switch) reruns it alone, not the sidebar, which costs about as
    much and is paid once per student per move (docs/performance.md). A change the sidebar
    shows (another view, a start clicked on the map, another kind of decay) reruns the whole
    page."""
    if st.session_state.pop(WHOLE_PAGE, False) or \
            st.session_state.get("view", "race") != "race":
        st.rerun(scope="app")
    main_column(base)


def panel_settings(base: Scene) -> Scene:
    """``base`` with the race panel's lr, momentum and decay rate as they are now: a
    fragment rerun keeps the sidebar's scene of the last whole run."""
    state = st.session_state
    kind = base.schedule  # a new kind reruns the whole page (_on_settings)
    decay = float(state[f"decay_{kind}"]) if kind in DECAY_SETTINGS else base.decay
    return replace(base, lr=float(state.get("lr", base.lr)),
                   momentum=float(state.get("momentum", base.momentum)), decay=decay)
