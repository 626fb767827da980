"""Plotly figures (and slide exports) of Descent: pure functions, no Streamlit here."""

from viz import scrub
from viz.explore import CLICK_TRACE, basins_figure, lr_legend_name, sweep_figure
from viz.race import (
    LevelScale,
    attribution_annotation,
    curve_stats,
    frame_steps,
    legend_names,
    legend_of,
    loss_curve,
    map_background,
    race_figure,
    surface3d_figure,
)
from viz.spec import SpecFigure, decode_typed_array, spec_json, typed_array

__all__ = [
    "CLICK_TRACE",
    "LevelScale",
    "SpecFigure",
    "basins_figure",
    "decode_typed_array",
    "frame_steps",
    "attribution_annotation",
    "curve_stats",
    "legend_names",
    "legend_of",
    "loss_curve",
    "map_background",
    "lr_legend_name",
    "race_figure",
    "scrub",
    "spec_json",
    "surface3d_figure",
    "sweep_figure",
    "typed_array",
]
