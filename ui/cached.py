"""Every ``st.cache_data`` wrapper of the app, in one place.

Keys are primitives or frozen scenes only (never widgets or globals), and every cache is
bounded (``max_entries``) so that a server with many students does not grow without limit.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import viz
from analysis import race
from analysis.race import RaceEntry
from analysis.scene import Scene

GRID_RESOLUTION = 80


def grid(scene: Scene, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _grid(scene.surface_key(), resolution)


@st.cache_data(max_entries=32, show_spinner=False)
def _grid(surface_key: Scene, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):  # a typed formula may overflow somewhere on the map
        return surface_key.get_surface().grid(resolution)


def race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    return _race_entries(scene.race_key())


@st.cache_data(max_entries=64, show_spinner=False)
def _race_entries(scene: Scene) -> tuple[RaceEntry, ...]:
    return race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(), scene.steps,
                schedule=scene.schedule_fn(), noise=scene.noise, seed=scene.seed)


def map_background(scene: Scene) -> tuple[list, list]:
    return _map_background(scene.surface_key())


@st.cache_data(max_entries=32, show_spinner=False)
def _map_background(surface_key: Scene) -> tuple[list, list]:
    # The PNG and the isolines depend on the surface only, not on the optimizers' settings.
    return viz.map_background(surface_key.get_surface(), grid(surface_key, GRID_RESOLUTION))


def race_figure_json(scene: Scene, font_size: int) -> str:
    """The race figure as the JSON text the race chart component is sent (cached as text:
    serializing it is a tenth of a rerun)."""
    return _race_figure_json(scene.race_key(), font_size)


@st.cache_data(max_entries=32, show_spinner=False)
def _race_figure_json(scene: Scene, font_size: int) -> str:
    return viz.race_figure(scene.get_surface(), grid(scene, GRID_RESOLUTION), race_entries(scene),
                           background=map_background(scene),
                           font_size=font_size).to_json()


def surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return _surface3d_figure(scene.race_key())


@st.cache_data(max_entries=16, show_spinner=False)
def _surface3d_figure(scene: Scene) -> viz.SpecFigure:
    return viz.surface3d_figure(scene.get_surface(), grid(scene, 70),
                                race_entries(scene))
