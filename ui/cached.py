"""Every ``st.cache_data`` wrapper of the app, in one place, and what the race panel is sent
(its figure, and the races along each of its sliders: ``panel_axes_json``).

Keys are primitives or frozen scenes only (never widgets or globals), and every cache is
bounded (``max_entries``) so that a server with many students does not grow without limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import streamlit as st

import optimizers
import viz
from analysis import race
from analysis.internals import Internals
from analysis.internals import internals as analysis_internals
from analysis.race import RaceEntry, base_name, race_batched
from scene import stops
from scene.scene import KEEPS_OWN_LR, MOMENTUM_DRIVEN, Scene

GRID_RESOLUTION = 80
_LOG = logging.getLogger(__name__)


def key_of(*parts: object) -> str:
    """A cache key: the repr of plain values and scenes (frozen dataclasses of plain values,
    whose repr is their fields). Streamlit hashes a string at once, but a Scene or a tuple
    field by field, with a signature lookup per positional argument (docs/performance.md):
    every cached function here takes this one key and keyword-only ``_`` arguments."""
    return repr(parts)


def grid(scene: Scene, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    surface_key = scene.surface_key()
    return _grid(key_of(surface_key, resolution), _scene=surface_key, _resolution=resolution)


@st.cache_data(max_entries=32, show_spinner=False)
def _grid(key: str, *, _scene: Scene,
          _resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):  # a typed formula may overflow somewhere on the map
        return _scene.get_surface().grid(_resolution)


def race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    """The race of ``scene``: each optimizer's run cached under only what it depends on (a
    momentum move re-races Momentum and Nesterov, not the others). The runs are those of
    one ``analysis.race`` of all of them: each optimizer sees the same noise sequence."""
    at = scene.race_key()
    return tuple(_optimizer_race(key_of(*run_key(at, name), at.noise, at.seed), _scene=at,
                                 _name=name)
                 for name in at.optimizers)


def run_key(scene: Scene, name: str, axis: str | None = None) -> tuple:
    """Everything racer ``name``'s run in ``scene`` depends on (but noise and seed), in
    plain values (cheap to hash): surface, start, steps, schedule (none for a racer without
    the decay), hyperparameters (without ``axis``'s; along the lr, its lr factor)."""
    constant = scene.schedule_spec(name)[0] is None  # (the decay may be None: along)
    schedule = ("constant",) if constant else (scene.schedule, scene.step_size, scene.decay)
    hparams = tuple(sorted((k, v) for k, v in scene.hparams(name).items() if k != axis))
    if axis == "lr":  # the lr is the slider's times this racer's factor (auto-tune)
        hparams += (("lr_factor", scene.entry_setting(name, "lr_factor")),)
    surface = (scene.surface, scene.formula, scene.bounds)
    return surface, scene.start_point(), scene.steps, schedule, name, hparams


# 320: the five runs of 64 scenes.
@st.cache_data(max_entries=320, show_spinner=False)
def _optimizer_race(key: str, *, _scene: Scene, _name: str) -> RaceEntry:
    """``key``: everything the run of racer ``_name`` depends on (``run_key``, noise and
    seed); ``_scene`` is the scene it is raced in (as in ``Scene.race``)."""
    (entry,) = race(_scene.get_surface(), [(_name, _scene.hparams(_name))], _scene.start_point(),
                    _scene.steps, schedule=_scene.schedule_fn(), noise=_scene.noise,
                    seed=_scene.seed, unscheduled=_scene.unscheduled() & {_name})
    return entry


def map_background(scene: Scene) -> tuple[list, list]:
    surface_key = scene.surface_key()
    return _map_background(key_of(surface_key), _scene=surface_key)


@st.cache_data(max_entries=32, show_spinner=False)
def _map_background(key: str, *, _scene: Scene) -> tuple[list, list]:
    # The PNG and the isolines depend on the surface only, not on the optimizers' settings.
    return viz.map_background(_scene.get_surface(), grid(_scene, GRID_RESOLUTION))


def attribution_text(scene: Scene) -> str:
    """The line under the race chart, also drawn into its PNG download."""
    return f"Descent · {scene.get_surface().title} · {scene.summary()}"


def race_figure_json(scene: Scene, font_size: int) -> str:
    """The race figure as the JSON text the race chart component is sent: without frames,
    which the component rebuilds (cached as text: serializing is a tenth of a rerun)."""
    at = scene.race_key()
    return _race_figure_json(key_of(at, font_size), _scene=at, _font_size=font_size)


@st.cache_data(max_entries=32, show_spinner=False)
def _race_figure_json(key: str, *, _scene: Scene, _font_size: int) -> str:
    return _race_figure(_scene, _font_size).to_json()


def _race_figure(scene: Scene, font_size: int,
                 entries: tuple[RaceEntry, ...] | None = None) -> viz.SpecFigure:
    return viz.race_figure(scene.get_surface(), grid(scene, GRID_RESOLUTION),
                           race_entries(scene) if entries is None else entries,
                           background=map_background(scene), font_size=font_size,
                           with_frames=False)


# The race panel's sliders: the Scene field each drives, and its stops.
AXES = ("lr", "momentum", "decay")


def axis_stops(scene: Scene, axis: str) -> tuple[float, ...]:
    """The stops of the panel's ``axis`` slider in ``scene`` (its value among them)."""
    if axis == "lr":
        return stops.with_value(stops.LR_STOPS, scene.lr)
    if axis == "momentum":
        return stops.with_value(stops.MOMENTUM_STOPS, scene.momentum)
    return stops.with_value(stops.DECAY_STOPS.get(scene.schedule, ()), scene.decay)


def _follows_the_slider(scene: Scene, name: str) -> bool:
    """Whether optimizer ``name`` runs at the lr slider's value in ``scene``."""
    base = base_name(name)
    return base not in optimizers.SECOND_ORDER and base not in KEEPS_OWN_LR and \
        scene.override(name, "lr") is None


def axis_moves(scene: Scene, axis: str) -> list[str]:
    """The raced optimizers whose runs the ``axis`` slider changes."""
    if axis == "lr":
        return [n for n in scene.optimizers if _follows_the_slider(scene, n)]
    if axis == "momentum":
        return [n for n in scene.optimizers if base_name(n) in MOMENTUM_DRIVEN]
    if scene.schedule not in stops.DECAY_STOPS:
        return []
    return [n for n in scene.optimizers if n not in scene.unscheduled()]


def along(scene: Scene, axis: str) -> Scene:
    """``scene`` without the value of the ``axis`` slider (None): what the races along that
    slider have in common, the key of their cache."""
    return replace(scene.race_key(), **{axis: None})


def panel_axes_json(scene: Scene, axes: Collection[str] = AXES) -> str:
    """The races along each slider of the race panel through ``scene`` (``viz.scrub``), as
    JSON ``{"lr": axis or null, "momentum": ..., "decay": ...}``, for the sliders in
    ``axes`` (the others null: the panel asks for them when one is grabbed). An axis is
    also null where the panel must wait for the rerun: noisy gradients (a batch would draw
    other noise), or no raced optimizer that the slider drives."""
    parts = []
    shown = None
    for axis in AXES:
        held = axis in axes and not scene.noise and axis_moves(scene, axis)
        if held and shown is None:
            shown = dict(zip(scene.optimizers, race_entries(scene), strict=True))
        try:
            through, values = along(scene, axis), axis_stops(scene, axis)
            text = _axis_json(key_of(through, axis, values), _scene=through, _axis=axis,
                              _values=values, _shown=shown) if held else None
        except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError) as err:
            # An axis only saves the rerun's wait: without it the slider still works.
            _LOG.warning("no %s axis for %s: %r", axis, scene, err)
            text = None
        parts.append(f'"{axis}":{text or "null"}')
    return "{" + ",".join(parts) + "}"


# Each axis is 0.05-0.3 MB of text; 96 hold the three axes of 32 sessions' scenes.
@st.cache_data(max_entries=96, show_spinner=False)
def _axis_json(key: str, *, _scene: Scene, _axis: str, _values: tuple[float, ...],
               _shown: dict[str, RaceEntry]) -> str | None:
    """``key``: the scene without the slider's value (``along``), the slider and its stops.
    ``_shown``: the shown scene's races (not part of the key: the optimizers this slider
    does not move run the same at every stop, so any stop's scene gives them)."""
    scene, axis, values = _scene, _axis, _values
    at = [replace(scene, **{axis: v}) for v in values]
    moving = axis_moves(at[0], axis)
    columns = {n: _column(scene, axis, n, values) for n in moving}
    surface = scene.get_surface()
    names = []
    for i in range(len(values)):
        entries = [columns[n].legends[i] if n in columns else _shown[n]
                   for n in scene.optimizers]
        names.append(None if any(e is None for e in entries) else viz.legend_names(entries))
    if not any(names):
        return None
    fixed = {j: viz.curve_stats(viz.loss_curve(surface, _shown[n])[0])
             for j, n in enumerate(scene.optimizers) if n not in columns}
    payload = viz.scrub.assemble_axis(
        surface, values, [scene.optimizers.index(n) for n in moving],
        [columns[n].code for n in moving], fixed, names, [attribution_text(s) for s in at])
    return json.dumps(payload, separators=(",", ":"))


class Column(NamedTuple):
    """One optimizer's runs at every stop of a slider, as the axes use them: encoded
    (``viz.scrub.encode_column``), and per stop its legend text (``viz.legend_of``; None
    where a stop cannot be raced)."""

    code: viz.scrub.ColumnCode
    legends: list[viz.race.Legend | None]


def _column(scene: Scene, axis: str, name: str, values: Sequence[float]) -> Column:
    """Optimizer ``name``'s runs at every stop of ``axis``, cached under only what they
    depend on: a momentum move leaves SGD's, RMSprop's and Adam's lr columns as they were,
    so a settle re-races and re-encodes only the optimizers the moved slider drives."""
    values = tuple(values)
    return _column_runs(key_of(*run_key(scene, name, axis), axis, values), _scene=scene,
                        _name=name, _axis=axis, _values=values)


# A column is kept encoded (an eighth of its runs' arrays, docs/performance.md); 256 hold the
# moving columns of 20 sessions' scenes.
@st.cache_data(max_entries=256, show_spinner=False)
def _column_runs(key: str, *, _scene: Scene, _name: str, _axis: str,
                 _values: tuple[float, ...]) -> Column:
    """``key``: everything ``_name``'s runs along ``_axis`` depend on (``run_key`` without
    the slider's value, the slider, its stops); ``_scene`` is the scene they are raced in."""
    runs = column_races(_scene, _axis, _name, _values)
    return Column(viz.scrub.encode_column(_scene.get_surface(), runs),
                  [None if e is None else viz.legend_of(e) for e in runs])


def column_races(scene: Scene, axis: str, name: str,
                 values: Sequence[float]) -> list[RaceEntry | None]:
    """Optimizer ``name``'s race in ``scene`` at every stop ``values`` of ``axis``: one
    batched run (the optimizers and the schedules take arrays), else, for the stops a batch
    refuses (Nesterov at μ = 0), single races; None where a stop cannot be raced at all."""

    def batch(vs: Sequence[float]) -> list[RaceEntry]:
        values = np.asarray(vs, dtype=np.float64)
        # The hyperparameters at the largest stop (Nesterov at mu = 0 becomes plain SGD in
        # Scene.hparams: not for the batch), with the slider's own one an array.
        one = replace(scene, **{axis: max(vs)})
        moved = values * scene.entry_setting(name, "lr_factor") if axis == "lr" else values
        hp = {**one.hparams(name), **({axis: moved} if axis != "decay" else {})}
        schedule = (replace(scene, decay=values) if axis == "decay" else one).schedule_fn(name)
        races = race_batched(one.get_surface(), [(name, hp)], len(vs), one.start_point(),
                             one.steps, schedule=schedule)
        return [r[0] for r in races]

    if axis != "momentum" or min(values) > 0:  # a batch refuses Nesterov at 0: split at once
        try:
            return list(batch(values))
        except ValueError:
            pass
    positive = [v for v in values if v > 0]
    try:
        got = dict(zip(positive, batch(positive), strict=True)) if positive else {}
    except ValueError:
        got = {}
    out: list[RaceEntry | None] = []
    for v in values:
        if v in got:
            out.append(got[v])
            continue
        s = replace(scene, **{axis: v})
        try:
            out.append(race(s.get_surface(), [(name, s.hparams(name))], s.start_point(),
                            s.steps, schedule=s.schedule_fn(name))[0])
        except ValueError:
            out.append(None)
    return out


def surface3d_figure(scene: Scene) -> viz.SpecFigure:
    at = scene.race_key()
    return _surface3d_figure(key_of(at), _scene=at)


@st.cache_data(max_entries=16, show_spinner=False)
def _surface3d_figure(key: str, *, _scene: Scene) -> viz.SpecFigure:
    return viz.surface3d_figure(_scene.get_surface(), grid(_scene, 70),
                                race_entries(_scene))


def internals(scene: Scene) -> Internals:
    """Prodigy's d and Schedule-Free's sequences along the race (``analysis.internals``)."""
    at = scene.race_key()
    return _internals(key_of(at), _scene=at)


@st.cache_data(max_entries=32, show_spinner=False)
def _internals(key: str, *, _scene: Scene) -> Internals:
    # the race's own arguments (Scene.race), so that every run is the race's
    return analysis_internals(**_scene.race_arguments())
