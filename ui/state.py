"""Widget keys <-> Scene, and the scene <-> URL sync.

Every way a whole scene arrives (a shared link, a preset, a click on the sweep map) goes
through :func:`apply_scene`, which writes the widgets' session-state keys; it must run before
the widgets are drawn (first run, or inside a callback).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

import optimizers
from scene.scene import (
    ALL_OPTIMIZERS,
    DECAY_SETTINGS,
    DEFAULT_FORMULA,
    ENTRY_SETTINGS,
    Scene,
    base_name,
    optional_number,
    settable,
)
from scene.urlstate import scene_from_query, scene_to_query

URL_WARNINGS = "_url_warnings"


def hp_key(name: str, param: str, index: int | None = None) -> str:
    return f"hp_{name}_{param}" if index is None else f"hp_{name}_{param}_{index}"


def scene_to_widgets(scene: Scene) -> dict[str, Any]:
    """The session-state values that make the sidebar show ``scene``."""
    x, y = scene.start_point()
    state: dict[str, Any] = {
        "surface": scene.surface, "optimizers": list(scene.optimizers), "lr": scene.lr,
        "momentum": scene.momentum, "schedule": scene.schedule, "step_size": scene.step_size,
        "steps": scene.steps, "start_x": float(x), "start_y": float(y),
        "noise": scene.noise, "seed": scene.seed, "view": scene.view,
        "formula": scene.formula or DEFAULT_FORMULA,
        "bounds_text": ", ".join(f"{v:g}" for v in scene.bounds),
    }
    for kind, (_, _, default) in DECAY_SETTINGS.items():
        state[f"decay_{kind}"] = scene.decay if kind == scene.schedule else default
    overrides = {(n, p): v for n, p, v in scene.overrides}
    copies = [n for n in scene.optimizers if n != base_name(n)]
    for name in (*ALL_OPTIMIZERS, *copies):
        state.update(racer_state(name, overrides))
    return state


def racer_state(name: str, overrides: Mapping[tuple[str, str], Any]) -> dict[str, Any]:
    """The persistent keys (``hp_...``) of racer ``name``'s own settings and
    hyperparameters: ``overrides[(name, param)]`` where given, else the defaults."""
    state: dict[str, Any] = {}
    for param, default in ENTRY_SETTINGS.items():
        state[hp_key(name, param)] = overrides.get((name, param), default)
    for param, default in optimizers.defaults(base_name(name)).items():
        if param in ("lr", "line_search_fn") or optional_number(name, param):  # empty unless set
            state[hp_key(name, param)] = overrides.get((name, param))
            continue
        if not settable(default):  # L-BFGS's value_fn / grad_fn, ADOPT's clip_lambda, ...
            continue
        value = overrides.get((name, param), default)
        if isinstance(default, tuple):
            for i, v in enumerate(value):
                state[hp_key(name, param, i)] = float(v)
        elif isinstance(default, bool):
            state[hp_key(name, param)] = bool(value)
        else:
            state[hp_key(name, param)] = float(value)
    return state


def set_hp(key: str, value: Any) -> None:
    """Set a persistent hyperparameter key (``hp_...``) from a callback; its advanced widget,
    if drawn, re-reads it."""
    st.session_state[key] = value
    st.session_state.pop("w_" + key, None)


def apply_scene(scene: Scene) -> None:
    state = scene_to_widgets(scene)
    st.session_state.update(state)
    for key in state:  # advanced widgets mirror these keys: let them re-read the new values
        if key.startswith("hp_") and "w_" + key in st.session_state:
            del st.session_state["w_" + key]


def load_scene_from_url_once() -> None:
    """On a session's first run, take the scene from the URL (warnings kept for display)."""
    if "surface" in st.session_state:
        return
    scene, warnings = scene_from_query(st.query_params.to_dict())
    st.session_state[URL_WARNINGS] = warnings
    apply_scene(scene)


def write_scene_to_url(scene: Scene) -> str:
    """Mirror the scene into the address bar (only when it changed); return the query string."""
    query = scene_to_query(scene)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    return urlencode(query, safe=",:")


def share_url(query: str) -> str:
    """The full link to this scene (the page's own address with ``query``)."""
    try:
        base = urlsplit(st.context.url or "")
        root = f"{base.scheme}://{base.netloc}{base.path}" if base.netloc else ""
    except (AttributeError, ValueError):
        root = ""
    return f"{root or 'http://localhost:8501/'}?{query}"
