"""How many runs a view may start: the work budget that keeps every link cheap to open.

A view that runs a grid of settings or starts (the sweep map, basins, the search overlay)
costs about ``runs x steps x surface.cost`` gradient evaluations of a closed-form surface.
`WORK_BUDGET` caps that product, so a 200 x 200 sweep of 2,000 steps still opens on the
closed-form surfaces while the network slice (whose gradient is a pass over its data set)
gets a coarser grid instead of holding the server's core for a minute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from surfaces import Surface

WORK_BUDGET = 80_000_000
"""Point-steps of a closed-form surface one view may compute (a few seconds on one core)."""
MIN_GRID = 8
"""The coarsest grid a view falls back to, whatever the budget says."""


def max_runs(surface: Surface, steps: int) -> int:
    """Runs of ``steps`` steps on ``surface`` that fit in `WORK_BUDGET` (at least 1)."""
    return max(1, int(WORK_BUDGET // (max(int(steps), 1) * max(surface.cost, 1.0))))


def grid_sizes(options: Sequence[int], surface: Surface, steps: int) -> tuple[int, ...]:
    """The ``n`` of ``options`` whose ``n x n`` grid fits the budget, in order; if none
    does, the largest ``n`` that fits (never below `MIN_GRID`) alone.

    >>> from surfaces import SURFACES
    >>> grid_sizes((50, 100, 200), SURFACES["bowl"], 300)
    (50, 100, 200)
    """
    runs = max_runs(surface, steps)
    fitting = tuple(n for n in options if n * n <= runs)
    return fitting or (max(MIN_GRID, math.isqrt(runs)),)
