"""Experiments that join a surface with optimizers: races, result tables, sweeps, basins,
search comparisons, quadratic theory, divergence reasons, the gradient check and the
step-through (each optimizer family's step explained in `analysis.explain`). Pure NumPy.

This layer sits between the core packages and what uses them: ``ui -> (viz, scene) ->
analysis -> (surfaces, optimizers)``. It knows nothing of Streamlit, Plotly or the app's
state (`scene`).
"""

from analysis.basins import DIVERGED, NOT_CONVERGED, BasinResult, basins
from analysis.race import RaceEntry, ResultRow, race, summarize
from analysis.search import SearchComparison, compare_search
from analysis.sweep import SweepResult, default_axes, sweep
from analysis.theory import (
    applies_to_sweep,
    measured_rate,
    predicted_rate,
    quadratic_theory,
    theory_curves,
)
from analysis.tuning import auto_tune, best_lr, shared_lr_warning

__all__ = [
    "DIVERGED",
    "NOT_CONVERGED",
    "BasinResult",
    "RaceEntry",
    "ResultRow",
    "SearchComparison",
    "SweepResult",
    "applies_to_sweep",
    "auto_tune",
    "basins",
    "best_lr",
    "compare_search",
    "default_axes",
    "measured_rate",
    "predicted_rate",
    "quadratic_theory",
    "race",
    "shared_lr_warning",
    "summarize",
    "sweep",
    "theory_curves",
]
