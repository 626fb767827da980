"""Every ``st.cache_data`` wrapper of the app, in one place.

Keys are primitives or frozen scenes only (never widgets or globals), and every cache is
bounded (``max_entries``) so that a server with many students does not grow without limit.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import streamlit as st

import optimizers
import viz
from analysis import race
from analysis.race import RaceEntry, race_over_lrs
from analysis.scene import Scene

GRID_RESOLUTION = 80
# The learning-rate slider's stops (log-spaced, 1e-4..10), raced in blocks of LR_BLOCK stops.
LR_OPTIONS = tuple(float(f"{v:.2g}") for v in np.logspace(-4, 1, 51))
LR_BLOCK = 8


def grid(scene: Scene, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _grid(scene.surface_key(), resolution)


@st.cache_data(max_entries=32, show_spinner=False)
def _grid(surface_key: Scene, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):  # a typed formula may overflow somewhere on the map
        return surface_key.get_surface().grid(resolution)


def race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    return _race_entries(scene.race_key())


def _follows_the_slider(scene: Scene, name: str) -> bool:
    """Whether optimizer ``name`` runs at the lr slider's value in ``scene``."""
    return name not in optimizers.SECOND_ORDER and not any(
        opt == name and param == "lr" for opt, param, _ in scene.overrides)


@st.cache_data(max_entries=64, show_spinner=False)
def _race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    followers = [n for n in scene.optimizers if _follows_the_slider(scene, n)]
    if scene.noise or scene.lr not in LR_OPTIONS or not followers:
        return race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(),
                    scene.steps, schedule=scene.schedule_fn(), noise=scene.noise,
                    seed=scene.seed)
    # The lr slider's stops near this one at once (the cost of about one race): the next
    # slider moves are cache hits. The others (own lr, Newton's methods) race on their own.
    block, offset = divmod(LR_OPTIONS.index(scene.lr), LR_BLOCK)
    shared = _slider_races(replace(scene, lr=LR_OPTIONS[0]), block)[offset]
    rest = [n for n in scene.optimizers if n not in followers]
    own = dict(zip(rest, race(
        scene.get_surface(), [(n, scene.hparams(n)) for n in rest], scene.start_point(),
        scene.steps, schedule=scene.schedule_fn()), strict=True))
    return tuple(shared[n] if n in shared else own[n] for n in scene.optimizers)


@st.cache_data(max_entries=16, show_spinner=False)
def _slider_races(scene: Scene, block: int) -> list[dict[str, RaceEntry]]:
    """For each stop of the lr slider's ``block``-th block of ``LR_BLOCK`` stops, the races
    of the optimizers that follow it. Blocks, not all 51 stops: the same cost per batch
    (per-call overhead), a sixth of the memory (~0.4 MB for 5 optimizers x 300 steps)."""
    followers = [n for n in scene.optimizers if _follows_the_slider(scene, n)]
    lrs = LR_OPTIONS[block * LR_BLOCK:(block + 1) * LR_BLOCK]
    races = race_over_lrs(scene.get_surface(), [(n, scene.hparams(n)) for n in followers],
                          lrs, scene.start_point(), scene.steps, schedule=scene.schedule_fn())
    return [dict(zip(followers, entries, strict=True)) for entries in races]


def map_background(scene: Scene) -> tuple[list, list]:
    return _map_background(scene.surface_key())


@st.cache_data(max_entries=32, show_spinner=False)
def _map_background(surface_key: Scene) -> tuple[list, list]:
    # The PNG and the isolines depend on the surface only, not on the optimizers' settings.
    return viz.map_background(surface_key.get_surface(), grid(surface_key, GRID_RESOLUTION))


def slider_label(value: float) -> str:
    """How the log sliders show a value (and how the race chart recognises the lr shown)."""
    return f"{value:g}"


def attribution_text(scene: Scene) -> str:
    """The line under the race chart, also drawn into its PNG download."""
    return f"Descent · {scene.get_surface().title} · {scene.summary()}"


def race_figure_json(scene: Scene, font_size: int) -> str:
    """The race figure as the JSON text the race chart component is sent: without frames,
    which the component rebuilds (cached as text: serializing is a tenth of a rerun)."""
    return _race_figure_json(scene.race_key(), font_size)


@st.cache_data(max_entries=32, show_spinner=False)
def _race_figure_json(scene: Scene, font_size: int) -> str:
    return _race_figure(scene, font_size).to_json()


def _race_figure(scene: Scene, font_size: int) -> viz.SpecFigure:
    return viz.race_figure(scene.get_surface(), grid(scene, GRID_RESOLUTION),
                           race_entries(scene), background=map_background(scene),
                           font_size=font_size, with_frames=False)


# Slider stops either side of the current lr whose figures the race chart gets in advance.
SCRUB_REACH = 4


def lr_scrub_json(scene: Scene, font_size: int) -> str | None:
    """For the lr slider's stops near ``scene.lr``, what the race chart needs to show them
    at once when the slider moves (``viz.scrub``): JSON ``{"current": label, "variants":
    {label: {"parts", "attribution"}}}``, with only stops whose figure differs from this one
    in moving parts alone. None where the lr slider does not drive cheap block races (noisy
    gradients, or no optimizer follows the slider): the chart then waits for the rerun."""
    return _lr_scrub_json(scene.race_key(), font_size)


@st.cache_data(max_entries=32, show_spinner=False)
def _lr_scrub_json(scene: Scene, font_size: int) -> str | None:
    if scene.noise or not any(_follows_the_slider(scene, n) for n in scene.optimizers):
        return None
    options = sorted(set(LR_OPTIONS) | {scene.lr})  # the slider's stops (sidebar.py)
    at = options.index(scene.lr)
    own = _lr_variant(scene, font_size)
    variants = {}
    for lr in options[max(0, at - SCRUB_REACH):at + SCRUB_REACH + 1]:
        digest, variant = own if lr == scene.lr else _lr_variant(replace(scene, lr=lr), font_size)
        if digest == own[0]:
            variants[slider_label(lr)] = variant
    # The variants are JSON text already: splice them rather than parse and re-serialize.
    body = ",".join(f"{json.dumps(label)}:{text}" for label, text in variants.items())
    return f'{{"current":{json.dumps(slider_label(scene.lr))},"variants":{{{body}}}}}'


@st.cache_data(max_entries=160, show_spinner=False)
def _lr_variant(scene: Scene, font_size: int) -> tuple[str, str]:
    """One lr's figure as (its structure digest, its moving parts and attribution as JSON)."""
    spec = _race_figure(scene, font_size).spec
    variant = {"parts": viz.scrub.moving_parts(spec), "attribution": attribution_text(scene)}
    return viz.scrub.structure(spec), viz.spec_json(variant)


def surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return _surface3d_figure(scene.race_key())


@st.cache_data(max_entries=16, show_spinner=False)
def _surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return viz.surface3d_figure(scene.get_surface(), grid(scene, 70),
                                race_entries(scene))
