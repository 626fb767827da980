"""Every ``st.cache_data`` wrapper of the app, in one place, and what the race chart is sent
(its figure, the figures of the lr slider's nearby stops, the slider's stops and labels they
are keyed by).

Keys are primitives or frozen scenes only (never widgets or globals), and every cache is
bounded (``max_entries``) so that a server with many students does not grow without limit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import streamlit as st

import optimizers
import viz
from analysis import race
from analysis.race import RaceEntry, race_over_lrs
from scene.scene import KEEPS_OWN_LR, Scene

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
    return name not in optimizers.SECOND_ORDER and name not in KEEPS_OWN_LR and not any(
        opt == name and param == "lr" for opt, param, _ in scene.overrides)


@st.cache_data(max_entries=64, show_spinner=False)
def _race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    return _uncached_race_entries(scene)


def _uncached_race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    followers = [n for n in scene.optimizers if _follows_the_slider(scene, n)]
    if scene.noise or scene.lr not in LR_OPTIONS or not followers:
        return race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(),
                    scene.steps, schedule=scene.schedule_fn(), noise=scene.noise,
                    seed=scene.seed)
    # The lr slider's stops near this one at once (the cost of about one race): the next
    # slider moves are cache hits. The others (own lr, Newton's methods) do not depend on
    # the slider: raced once for all its stops.
    block, offset = divmod(LR_OPTIONS.index(scene.lr), LR_BLOCK)
    shared = _slider_races(replace(scene, lr=LR_OPTIONS[0]), block)[offset]
    own = _own_races(replace(scene, lr=LR_OPTIONS[0]))
    return tuple(shared[n] if n in shared else own[n] for n in scene.optimizers)


@st.cache_data(max_entries=32, show_spinner=False)
def _own_races(scene: Scene) -> dict[str, RaceEntry]:
    """The races of the optimizers that do not follow the lr slider (``scene.lr`` unused)."""
    rest = [n for n in scene.optimizers if not _follows_the_slider(scene, n)]
    return dict(zip(rest, race(
        scene.get_surface(), [(n, scene.hparams(n)) for n in rest], scene.start_point(),
        scene.steps, schedule=scene.schedule_fn()), strict=True))


# 48 blocks hold the stops around the lr of 20 sessions with distinct scenes (up to two
# blocks each), so none is raced twice (sizes: docs/performance.md).
@st.cache_data(max_entries=48, show_spinner=False)
def _slider_races(scene: Scene, block: int) -> list[dict[str, RaceEntry]]:
    """For each stop of the lr slider's ``block``-th block of ``LR_BLOCK`` stops, the races
    of the optimizers that follow it. Blocks, not all 51 stops: the same cost per batch
    (per-call overhead), a sixth of the memory."""
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


def slider_stops(options: Sequence[float], current: float | None) -> list[float]:
    """A log slider's stops: its options, plus the current value where it is off them (from
    a link, a preset or auto-tune), so that it is shown as it is, not snapped."""
    return sorted(set(options) | ({float(current)} if current is not None else set()))


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


def _race_figure(scene: Scene, font_size: int,
                 entries: tuple[RaceEntry, ...] | None = None) -> viz.SpecFigure:
    return viz.race_figure(scene.get_surface(), grid(scene, GRID_RESOLUTION),
                           race_entries(scene) if entries is None else entries,
                           background=map_background(scene), font_size=font_size,
                           with_frames=False)


# Slider stops either side of the current lr whose figures the race chart gets in advance.
SCRUB_REACH = 3


def lr_scrub_json(scene: Scene, font_size: int) -> str | None:
    """For the lr slider's stops near ``scene.lr``, what the race chart needs to show them
    at once when the slider moves (``viz.scrub``): JSON ``{"current": label, "variants":
    {label: {"parts", "attribution"}}}`` for the ``SCRUB_REACH`` stops either side (the
    current one's figure is the one sent with it), only those whose figure differs from this
    one in moving parts alone. None where the lr slider does not drive cheap block races (noisy
    gradients, or no optimizer follows the slider): the chart then waits for the rerun."""
    # Not cached itself: splicing cached variants is cheap, and keeping every session's
    # payload would cost more memory than it saves time (docs/performance.md).
    scene = scene.race_key()
    if scene.noise or not any(_follows_the_slider(scene, n) for n in scene.optimizers):
        return None
    options = slider_stops(LR_OPTIONS, scene.lr)
    at = options.index(scene.lr)
    own = _lr_variant(scene, font_size)[0]  # its structure digest
    variants = {}
    for lr in options[max(0, at - SCRUB_REACH):at + SCRUB_REACH + 1]:
        if lr == scene.lr:
            continue  # the figure sent with it
        digest, variant = _lr_variant(replace(scene, lr=lr), font_size)
        if digest == own:
            variants[slider_label(lr)] = variant
    # The variants are JSON text already: splice them rather than parse and re-serialize.
    body = ",".join(f"{json.dumps(label)}:{text}" for label, text in variants.items())
    return f'{{"current":{json.dumps(slider_label(scene.lr))},"variants":{{{body}}}}}'


# Enough for 20 sessions each a few slider stops from its start: fewer, and a classroom of
# distinct scenes evicts and re-races them on every move (sizes: docs/performance.md).
@st.cache_data(max_entries=320, show_spinner=False)
def _lr_variant(scene: Scene, font_size: int) -> tuple[str, str]:
    """One lr's figure as (its structure digest, its moving parts and attribution as JSON).
    Its races are not kept in ``_race_entries``: the neighbours of every session's lr would
    push out the races the sessions show."""
    spec = _race_figure(scene, font_size, _uncached_race_entries(scene)).spec
    variant = {"parts": viz.scrub.moving_parts(spec), "attribution": attribution_text(scene)}
    return viz.scrub.structure(spec), viz.spec_json(variant)


def surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return _surface3d_figure(scene.race_key())


@st.cache_data(max_entries=16, show_spinner=False)
def _surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return viz.surface3d_figure(scene.get_surface(), grid(scene, 70),
                                race_entries(scene))
