"""The sidebar: every control of a race, read into a :class:`Scene`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import streamlit as st

import optimizers
from analysis.tuning import auto_tune, shared_lr_warning
from optimizers import LINE_SEARCHES
from scene import stops
from scene.presets import PRESETS
from scene.scene import (
    ALL_OPTIMIZERS,
    CUSTOM,
    DECAY_SETTINGS,
    DEFAULT_BOUNDS,
    DEFAULT_FORMULA,
    ENTRY_SETTINGS,
    KEEPS_OWN_LR,
    LR_FACTOR_RANGE,
    MOMENTUM_DRIVEN,
    NETWORK,
    SCHEDULE_LABELS,
    STEPS_RANGE,
    Scene,
    base_name,
    copy_names,
    hp_bounds,
    optional_number,
    settable,
    surface_defaults,
)
from surfaces import MAX_LENGTH, SURFACES, ExpressionError
from ui.state import apply_scene, hp_key, racer_state, set_hp
from viz import theme

NOISE_OPTIONS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def log_select_slider(container: Any, label: str, options: Sequence[float], key: str,
                      help: str | None = None) -> float:
    """A select-slider over ``options`` that also offers the current value exactly, so a value
    from a link, a preset or auto-tune is shown as it is, not snapped."""
    current = st.session_state.get(key)
    merged = stops.with_value(options, current)
    if current is None:
        st.session_state[key] = merged[len(merged) // 2]
    return float(container.select_slider(label, merged, key=key, help=help,
                                         format_func=stops.label))


def _on_surface_change() -> None:
    """A new surface brings its own story: its default start, lr and step count."""
    name = st.session_state["surface"]
    defaults = surface_defaults(name)
    st.session_state["lr"] = defaults.lr
    st.session_state["steps"] = defaults.steps
    if name == CUSTOM:
        scene = _custom_scene()
        st.session_state["start_x"], st.session_state["start_y"] = scene.get_surface().start
    else:
        st.session_state["start_x"], st.session_state["start_y"] = \
            Scene(surface=name).get_surface().start


def _custom_scene() -> Scene:
    """The custom surface the formula widgets describe, or the last one that parsed."""
    state = st.session_state
    good = state.get(LAST_GOOD, (DEFAULT_FORMULA, DEFAULT_BOUNDS))
    formula, bounds_text = state.get("formula", good[0]), state.get("bounds_text", "")
    try:
        bounds = _parse_bounds(bounds_text) if bounds_text.strip() else good[1]
        scene = Scene(surface=CUSTOM, formula=formula, bounds=bounds)
        scene.get_surface()
    except (ExpressionError, ValueError) as err:
        state[FORMULA_ERROR] = str(err)
        return Scene(surface=CUSTOM, formula=good[0], bounds=good[1])
    state[FORMULA_ERROR] = None
    state[LAST_GOOD] = (formula, bounds)
    return scene


def _parse_bounds(text: str) -> tuple[float, float, float, float]:
    try:
        x0, x1, y0, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"window {text!r}: type four numbers, xmin, xmax, ymin, ymax") from None
    if not all(np.isfinite([x0, x1, y0, y1])) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"window {text!r}: need finite xmin < xmax and ymin < ymax")
    if max(abs(x0), abs(x1), abs(y0), abs(y1)) > 1e4:
        raise ValueError(f"window {text!r}: coordinates must stay within ±10000")
    return (x0, x1, y0, y1)


def custom_widgets(container: Any) -> Scene:
    container.text_input("f(x, y) =", key="formula", max_chars=MAX_LENGTH,
                         help="Numbers, x, y, + − * / ** (or ^), and sin cos tan exp log sqrt "
                              "tanh sigmoid softplus abs relu, pi, e.")
    container.text_input("window: xmin, xmax, ymin, ymax", key="bounds_text")
    scene = _custom_scene()
    if st.session_state.get(FORMULA_ERROR):
        container.error(f"{st.session_state[FORMULA_ERROR]}. Showing the last formula that "
                        "worked.")
    return scene


COSINE_NOTE = ("Cosine over the whole run (T_max = steps), down to the final fraction; "
               "past T_max it would hold there, where torch's CosineAnnealingLR climbs back "
               "(`cosine_periodic` in `optimizers.schedules`).")


def schedule_settings(container: Any) -> dict[str, Any]:
    """The decay schedule as the race panel set it (kind and rate live in the panel), and
    the step schedule's period, which lives here."""
    state = st.session_state
    kind = state.get("schedule", "constant")
    if kind not in DECAY_SETTINGS:
        return {"schedule": "constant"}
    out: dict[str, Any] = {"schedule": kind, "decay": float(state[f"decay_{kind}"])}
    if kind == "step":
        out["step_size"] = container.number_input("decay every N steps", 1, STEPS_RANGE[1],
                                                  key="step_size")
    if kind == "cosine":
        container.caption(COSINE_NOTE)
    return out


def mission_sliders(container: Any) -> None:
    """The learning rate, momentum and decay sliders for the views without the race panel
    (3D, sweep, basins, step-through), on the same stops, mirroring the same scene keys."""
    state = st.session_state
    for key, text, options in (
            ("lr", "Learning rate (log scale)", stops.LR_STOPS),
            ("momentum", "Momentum μ (Momentum, Nesterov)", stops.MOMENTUM_STOPS)):
        _mirror(key, container.select_slider, text,
                options=stops.with_value(options, state[key]), format_func=stops.label)
    _mirror("schedule", container.selectbox, "Learning-rate decay",
            options=list(SCHEDULE_LABELS), format_func=SCHEDULE_LABELS.get)
    kind = state["schedule"]
    if kind in DECAY_SETTINGS:
        key = f"decay_{kind}"
        _mirror(key, container.select_slider, DECAY_SETTINGS[kind][0],
                options=stops.with_value(stops.DECAY_STOPS[kind], state[key]),
                format_func=stops.label)


def _mirror(key: str, widget: Any, label: str, **kwargs: Any) -> None:
    """A widget mirroring the persistent scene key ``key`` (see ``_advanced_input``)."""
    wkey = WIDGET_PREFIX + key
    if st.session_state.get(wkey) != st.session_state.get(key):
        st.session_state[wkey] = st.session_state.get(key)
    widget(label, key=wkey, on_change=_sync, args=(key,), **kwargs)


def _sync(key: str) -> None:
    """Copy an advanced widget's value into its persistent scene key."""
    st.session_state[key] = st.session_state[WIDGET_PREFIX + key]


def _advanced_input(label: str, key: str, kind: str, **kwargs: Any) -> None:
    """One advanced widget, mirroring the persistent key ``key`` (``hp_...``).

    Why a mirror: these widgets are drawn only while "Advanced" is open (every widget costs
    browser time on every rerun: docs/performance.md), and Streamlit forgets the state of
    widgets that are not drawn; the scene's values live in plain session keys it never forgets.
    """
    wkey = WIDGET_PREFIX + key
    if wkey not in st.session_state:
        st.session_state[wkey] = st.session_state.get(key)
    widget = {"bool": st.checkbox, "choice": st.selectbox}.get(kind, st.number_input)
    widget(label, key=wkey, on_change=_sync, args=(key,), **kwargs)


def _overrides(names: Sequence[str]) -> tuple:
    """Every hyperparameter of the raced optimizers that differs from torch's default (and
    every own lr), read from the persistent keys."""
    state = st.session_state
    out = []
    for name in names:
        if state.get(hp_key(name, "lr")) is not None:
            out.append((name, "lr", float(state[hp_key(name, "lr")])))
        for param, default in ENTRY_SETTINGS.items():
            value = state.get(hp_key(name, param), default)
            if value != default:
                out.append((name, param, type(default)(value)))
        base = base_name(name)
        for param, default in optimizers.defaults(base).items():
            if param == "lr" or (param == "momentum" and base in MOMENTUM_DRIVEN):
                continue
            if param == "line_search_fn" or optional_number(name, param):
                if state.get(hp_key(name, param)) is not None:
                    out.append((name, param, state[hp_key(name, param)]))
                continue
            if not settable(default):
                continue
            if isinstance(default, tuple):
                value = tuple(float(state.get(hp_key(name, param, i), d))
                              for i, d in enumerate(default))
            else:
                value = state.get(hp_key(name, param), default)
            if value != default:
                out.append((name, param, value))
    return tuple(sorted(out, key=lambda o: (o[0], o[1])))


def advanced_widgets(container: Any, names: Sequence[str]) -> tuple:
    """Per-optimizer hyperparameters beyond lr (and momentum for Momentum/Nesterov), at
    torch's defaults, drawn only while the toggle is on; returns the scene's overrides."""
    if container.toggle("Advanced hyperparameters (torch defaults)", key="advanced"):
        with container.container(border=True):
            for name in names:
                base = base_name(name)
                shown = {k: v for k, v in optimizers.defaults(base).items()
                         if k != "lr" and not (k == "momentum" and base in MOMENTUM_DRIVEN)}
                st.markdown(f"**{theme.label(name)}**")
                _advanced_input("step size lr (empty = 1, a full step)"
                                if base in optimizers.SECOND_ORDER
                                else "own lr (empty = 1: the step is its own estimate d)"
                                if base in KEEPS_OWN_LR
                                else "own lr (empty = the shared lr)", hp_key(name, "lr"), "float",
                                min_value=1e-6, max_value=100.0, format="%g", value=None)
                if st.session_state.get("schedule", "constant") != "constant":
                    _advanced_input("follows the decay schedule", hp_key(name, "decay"), "bool")
                for param, default in shown.items():
                    if param == "line_search_fn":
                        _advanced_input(param, hp_key(name, param), "choice",
                                        options=[None, *LINE_SEARCHES],
                                        format_func=lambda v: v or "none (fixed step)")
                    elif optional_number(name, param):
                        lo, hi = optional_number(name, param)
                        _advanced_input(f"{param} (empty = {default})", hp_key(name, param),
                                        "float", min_value=lo, max_value=hi, format="%g",
                                        step=0.001, value=None)  # clearable: empty = default
                    elif not settable(default):
                        continue
                    elif isinstance(default, bool):
                        _advanced_input(param, hp_key(name, param), "bool")
                    elif isinstance(default, tuple):
                        for i, col in enumerate(st.columns(len(default))):
                            lo, hi = hp_bounds(default, default[i])
                            with col:
                                _advanced_input(f"{param}[{i}]", hp_key(name, param, i),
                                                "float", min_value=lo, max_value=hi,
                                                format="%g", step=0.001)
                    else:
                        lo, hi = hp_bounds(default)
                        _advanced_input(param, hp_key(name, param), "float", min_value=lo,
                                        max_value=hi, format="%g")
    return _overrides(names)


SURFACE_LABELS = {**{n: s.title for n, s in SURFACES.items()},
                  NETWORK: "A real network's loss (2-3-1 ReLU)", CUSTOM: "Your own formula…"}
TUNED_KEY = "_tuned_lrs"
WIDGET_PREFIX = "w_"
LAST_GOOD = "_last_good_formula"
FORMULA_ERROR = "_formula_error"


def _current_scene_for_tuning() -> Scene:
    """The scene as the sidebar last showed it, read from the widgets' state."""
    state = st.session_state
    name = state["surface"]
    start = (float(state["start_x"]), float(state["start_y"]))
    shape = {}
    if name == CUSTOM:
        custom = _custom_scene()
        shape = {"formula": custom.formula, "bounds": custom.bounds}
    return Scene(surface=name, optimizers=tuple(state["optimizers"]), lr=float(state["lr"]),
                 momentum=float(state["momentum"]), steps=int(state["steps"]), start=start,
                 **shape)


def _auto_tune() -> None:
    """Each racer's best lr, kept as its multiple of the lr slider (``lr_factor``): the
    slider then scales every tuned lr together, and the ratios between them stay."""
    scene = _current_scene_for_tuning()
    followers = [(n, hp) for n, hp in scene.optimizer_specs() if "lr" in hp
                 and base_name(n) not in KEEPS_OWN_LR]
    tuned = auto_tune(scene.get_surface(), followers, scene.start_point(), scene.steps)
    lrs = {name: float(hp["lr"]) for name, hp in tuned}
    for name, value in lrs.items():
        set_hp(hp_key(name, "lr"), None)
        set_hp(hp_key(name, "lr_factor"), float(np.clip(value / scene.lr, *LR_FACTOR_RANGE)))
    st.session_state[TUNED_KEY] = (scene.surface, lrs)


def _clear_own_lrs() -> None:
    for name in (*ALL_OPTIMIZERS, *st.session_state.get("optimizers", ())):
        set_hp(hp_key(name, "lr"), None)
        set_hp(hp_key(name, "lr_factor"), ENTRY_SETTINGS["lr_factor"])
    st.session_state.pop(TUNED_KEY, None)


def _add_copy() -> None:
    """Race another copy of the chosen optimizer, with its own settings (Advanced)."""
    name = st.session_state.get("copy_menu")
    chosen = list(st.session_state.get("optimizers", ()))
    free = copy_names(name) if name in ALL_OPTIMIZERS else ()
    new = next((c for c in free if c not in chosen), None)
    if new is None:
        return
    st.session_state["optimizers"] = [*chosen, new]
    for key, value in racer_state(new, {}).items():
        set_hp(key, value)
    st.session_state["advanced"] = True  # its own lr and decay are set there


def tuned_lr_note(scene: Scene) -> str | None:
    """What the lr slider does in ``scene``: after an auto-tune, that it scales every tuned
    lr (each racer's factor shown); otherwise, when one shared lr is unfair to someone
    (an auto-tune on this surface found lrs 10x apart), a warning."""
    factors = scene.lr_factors()
    if factors:
        return ("**Auto-tuned lrs**: the lr slider scales them together (" + ", ".join(
            f"{theme.label(n)} ×{f:.3g}" for n, f in factors.items())
            + "). *Same lr for all* undoes it.")
    surface, tuned = st.session_state.get(TUNED_KEY, (None, {}))
    if surface != scene.surface:
        return None
    shared = {n: lr for n, lr in tuned.items()
              if n in scene.optimizers and scene.override(n, "lr") is None}
    return shared_lr_warning(shared, scene.lr) if shared else None


def _load_preset() -> None:
    name = st.session_state.get("preset_menu")
    if name in PRESETS:
        apply_scene(PRESETS[name].scene())  # its caption follows from the scene (preset_of)


def preset_widgets(container: Any) -> None:
    # One menu, not a button per preset: every element on the page costs browser time on
    # every rerun, a slider move included (docs/performance.md).
    container.menu_button("Lecture presets", list(PRESETS), key="preset_menu",
                          format_func=lambda name: PRESETS[name].title, on_click=_load_preset,
                          icon=":material/school:", width="stretch")


def sidebar() -> Scene:
    sb = st.sidebar
    preset_widgets(sb)
    name = sb.selectbox("Surface", [*SURFACES, NETWORK, CUSTOM], key="surface",
                        format_func=SURFACE_LABELS.get, on_change=_on_surface_change)
    custom = custom_widgets(sb) if name == CUSTOM else None
    surface = custom.get_surface() if custom else Scene(surface=name).get_surface()
    # Inline KaTeX (not st.latex) so a long formula wraps at + and = in a narrow sidebar.
    # one line per clause: "f = ...,\quad A = ..." in one line was cut at the sidebar's edge
    sb.markdown("  \n".join(f"${part.strip().rstrip(',')}$"
                            for part in surface.formula.split(r"\quad")))
    sb.caption(theme.literal(surface.description))
    copies = [n for n in st.session_state.get("optimizers", ()) if n != base_name(n)]
    chosen = tuple(sb.multiselect("Optimizers", [*ALL_OPTIMIZERS, *copies],
                                  format_func=theme.label, key="optimizers"))
    if chosen:
        sb.menu_button("Race a copy of…", [n for n in chosen if n == base_name(n)],
                       key="copy_menu", format_func=theme.label, on_click=_add_copy,
                       icon=":material/content_copy:", width="stretch",
                       help="The same optimizer again with its own lr or without the "
                            "decay (set them under Advanced): e.g. SGD at two lrs.")
    # The learning rate, momentum and decay sliders are in the race panel, beside the chart;
    # the other views have them here.
    if st.session_state.get("view", "race") != "race":
        mission_sliders(sb)
    lr, momentum = float(st.session_state["lr"]), float(st.session_state["momentum"])
    tune, same = sb.columns(2)
    tune.button("Auto-tune lr", key="auto_tune", on_click=_auto_tune, width="stretch",
                help="Give each raced optimizer its best lr for this surface and start: the "
                     "lowest loss after the chosen number of steps, over 61 lrs from 1e-5 "
                     "to 10 (one vectorized sweep each). The lr slider then scales every "
                     "tuned lr together.")
    same.button("Same lr for all", key="same_lr", on_click=_clear_own_lrs, width="stretch",
                help="Forget per-optimizer lrs: everyone uses the slider's lr.")
    schedule = schedule_settings(sb)
    steps = sb.slider("Steps", *STEPS_RANGE, step=10, key="steps")
    cx, cy = sb.columns(2)
    (x0, x1), (y0, y1) = surface.bounds
    start = (cx.number_input("start x", x0, x1, key="start_x", format="%.3f", step=0.1),
             cy.number_input("start y", y0, y1, key="start_y", format="%.3f", step=0.1))
    sb.toggle("Pick the start on the map", key="pick_start",
              help="Then click anywhere on the contour map: the race restarts from there.")
    cn, cs = sb.columns([2, 1])
    noise = log_select_slider(cn, "Gradient noise σ", NOISE_OPTIONS, "noise",
                              help="Adds N(0, σ²) to every gradient: stochastic gradients.")
    seed = cs.number_input("seed", 0, 2**31 - 1, key="seed", step=1)
    overrides = advanced_widgets(sb, chosen)
    sb.toggle("Presentation mode", key="present",
              help="Hides the controls and enlarges the chart for a projector. "
                   "Space plays/pauses, ← → step.")
    start_or_default = None if start == surface.start else (float(start[0]), float(start[1]))
    shape = {"formula": custom.formula, "bounds": custom.bounds} if custom else {}
    return Scene(surface=name, optimizers=chosen, lr=lr, momentum=float(momentum), **shape,
                 steps=int(steps), start=start_or_default, noise=float(noise),
                 seed=int(seed), overrides=overrides, **schedule)
