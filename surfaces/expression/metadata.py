"""Step 4 of a typed formula: the Surface's metadata (window, start, minimum, level scale)."""

from __future__ import annotations

import numpy as np

from surfaces._limits import ExpressionError
from surfaces._surface import Array, Bounds, Field

DEFAULT_BOUNDS: Bounds = ((-3.0, 3.0), (-3.0, 3.0))
_GRID = 101
_NEWTON_STEPS = 8
_GRAD_TOL = 1e-8


def check_bounds(bounds: object) -> Bounds:
    """Validate ``((xmin, xmax), (ymin, ymax))``: finite, with ``min < max``."""
    if bounds is None:
        return DEFAULT_BOUNDS
    try:
        box = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        box = np.empty(0)
    if box.shape != (2, 2) or not np.all(np.isfinite(box)) or not np.all(box[:, 0] < box[:, 1]):
        raise ExpressionError(
            f"invalid bounds {bounds!r}: need ((xmin, xmax), (ymin, ymax)), finite, with min < max"
        )
    return ((float(box[0, 0]), float(box[0, 1])), (float(box[1, 0]), float(box[1, 1])))


def default_start(bounds: Bounds) -> tuple[float, float]:
    """70% of the way from the centre of ``bounds`` to its upper-left corner ``(xmin, ymax)``."""
    (x0, x1), (y0, y1) = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx + 0.7 * (x0 - cx), cy + 0.7 * (y1 - cy))


def grid(bounds: Bounds) -> Array:
    """``(_GRID, _GRID, 2)`` points over ``bounds``."""
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, _GRID), np.linspace(y0, y1, _GRID))
    return np.stack([X, Y], axis=-1)


def estimate_minimum(
    points: Array, values: Array, grad: Field, hessian: Field, bounds: Bounds
) -> Array:
    """The grid minimum, refined by Newton steps while the Hessian is positive definite.

    Returns it as a ``(1, 2)`` array if it ends strictly inside ``bounds`` at a stationary
    point (``|grad| < 1e-8``), else an empty ``(0, 2)`` array (e.g. the minimum is on the
    edge, so probably outside the window, or the surface is flat there).
    """
    finite = np.isfinite(values)
    if not finite.any():
        return np.empty((0, 2))
    p = points.reshape(-1, 2)[np.argmin(np.where(finite, values, np.inf).ravel())]
    with np.errstate(all="ignore"):
        for _ in range(_NEWTON_STEPS):
            g, H = grad(p), hessian(p)
            if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
                break
            if np.hypot(*g) < _GRAD_TOL or np.linalg.eigvalsh(H)[0] <= 0:
                break
            p = p - np.linalg.solve(H, g)
        stationary = bool(np.hypot(*grad(p)) < _GRAD_TOL)  # False for nan
    (x0, x1), (y0, y1) = bounds
    if stationary and x0 < p[0] < x1 and y0 < p[1] < y1:
        return p.reshape(1, 2)
    return np.empty((0, 2))


def wants_log_levels(values: Array) -> bool:
    """True if heights above the minimum span more than 3 decades.

    Compares the largest height above the minimum with the 5th percentile of the positive
    heights, so a narrow valley (Rosenbrock) counts and a bowl (``x**2 + y**2``) does not.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    with np.errstate(all="ignore"):  # heights may overflow to inf: still "many decades"
        heights = finite - finite.min()
        positive = heights[heights > 0]
        return positive.size > 0 and bool(positive.max() / 1e3 > np.percentile(positive, 5))
