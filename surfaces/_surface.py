"""The `Surface` value type: a 2D loss surface with exact value, gradient and Hessian."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Field = Callable[[Array], Array]
Bounds = tuple[tuple[float, float], tuple[float, float]]


def _points(values: npt.ArrayLike | None) -> Array:
    """Coerce a list of (x, y) pairs to a read-only ``(k, 2)`` float array (``k`` may be 0)."""
    arr = np.asarray([] if values is None else values, dtype=np.float64).reshape(-1, 2)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Surface:
    """A differentiable (or subdifferentiable) function f: R^2 -> R with exact derivatives.

    ``value``, ``grad`` and ``hessian`` take points of shape ``(..., 2)`` (trailing xy axis) and
    return arrays of shape ``(...)``, ``(..., 2)`` and ``(..., 2, 2)``, so a single point, a batch
    of starts and a meshgrid (``np.stack([X, Y], -1)``) share one code path.

    Attributes
    ----------
    name : str
        Registry key, lower-case, used in URLs (``"rosenbrock"``).
    title : str
        Human name for the UI (``"Rosenbrock"``).
    formula : str
        LaTeX for ``st.latex``.
    value, grad, hessian : callable
        Pure vectorized functions as above.
    bounds : ((xmin, xmax), (ymin, ymax))
        The plotting window, chosen so the story of the surface is visible.
    minima : (k, 2) array
        Global and local minima inside (or near) the bounds.
    saddles : (k, 2) array
        Saddle points (may be empty).
    start : (x, y)
        A default start that tells the surface's story.
    description : str
        One or two sentences a lecturer would say: what this surface teaches.
    log_levels : bool
        Whether contours should use log-spaced levels (value range spans decades).
    cost : float
        Work of one gradient per point, relative to a closed-form surface (1). Views that run
        thousands of starts size their grids by it, so no link can hold the server for long.
    """

    name: str
    title: str
    formula: str
    value: Field
    grad: Field
    hessian: Field
    bounds: Bounds
    minima: Array = field(default_factory=lambda: _points(None))
    saddles: Array = field(default_factory=lambda: _points(None))
    start: tuple[float, float] = (0.0, 0.0)
    description: str = ""
    log_levels: bool = False
    cost: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "minima", _points(self.minima))
        object.__setattr__(self, "saddles", _points(self.saddles))
        (x0, x1), (y0, y1) = self.bounds
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"Invalid bounds for surface {self.name!r}: {self.bounds}")
        object.__setattr__(
            self, "bounds", ((float(x0), float(x1)), (float(y0), float(y1)))
        )
        object.__setattr__(self, "start", (float(self.start[0]), float(self.start[1])))

    def grid(self, resolution: int = 150) -> tuple[Array, Array, Array]:
        """Return ``(xs, ys, Z)`` on a ``resolution x resolution`` grid over ``bounds``.

        ``Z[i, j]`` is the value at ``(xs[j], ys[i])`` (row = y), as Plotly's contour expects.
        """
        (x0, x1), (y0, y1) = self.bounds
        xs = np.linspace(x0, x1, resolution)
        ys = np.linspace(y0, y1, resolution)
        X, Y = np.meshgrid(xs, ys)
        return xs, ys, self.value(np.stack([X, Y], axis=-1))
