"""Experiments that join a surface with optimizers: races, result tables, sweeps, basins,
search comparisons and quadratic theory (pure NumPy).

This layer sits between the core packages and the figures: ``app -> viz -> analysis ->
(surfaces, optimizers)``. It knows nothing of Streamlit or Plotly.
"""

from analysis.basins import DIVERGED, NOT_CONVERGED, BasinResult, basins
from analysis.race import RaceEntry, ResultRow, race, summarize
from analysis.search import SearchComparison, compare_search
from analysis.sweep import (
    SweepResult,
    auto_tune,
    best_lr,
    default_axes,
    shared_lr_warning,
    sweep,
)
from analysis.theory import (
    applies_to_sweep,
    measured_rate,
    predicted_rate,
    quadratic_theory,
    theory_curves,
)

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
