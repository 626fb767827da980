"""Saddle points: the classic ``saddle``, ``saddle_escape`` (two minima) and ``monkey_saddle``.

Every ``*_value``, ``*_grad`` and ``*_hessian`` function takes points of shape ``(..., 2)``
(array_like; a trailing xy axis) and returns a new float64 array of shape ``(...)``,
``(..., 2)`` or ``(..., 2, 2)`` respectively. They are pure and never warn for finite input
with ``|x|, |y| <= 1e6``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from surfaces._common import constant_hessian, coords, stack_grad, stack_hessian
from surfaces._surface import Array, Surface


def saddle_value(p: npt.ArrayLike) -> Array:
    """Hyperbolic paraboloid ``x^2 - y^2``."""
    x, y = coords(p)
    return x * x - y * y


def saddle_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(2x, -2y)`` of :func:`saddle_value`."""
    x, y = coords(p)
    return stack_grad(2.0 * x, -2.0 * y)


def saddle_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``diag(2, -2)`` of :func:`saddle_value`."""
    x, _ = coords(p)
    return constant_hessian(x, 2.0, 0.0, -2.0)


def saddle_escape_value(p: npt.ArrayLike) -> Array:
    """Double well ``x^2/2 + y^4/4 - y^2/2``: saddle at the origin, minima at ``(0, +-1)``."""
    x, y = coords(p)
    y2 = y * y
    return 0.5 * x * x + 0.25 * y2 * y2 - 0.5 * y2


def saddle_escape_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(x, y^3 - y)`` of :func:`saddle_escape_value`."""
    x, y = coords(p)
    return stack_grad(x, y * y * y - y)


def saddle_escape_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``diag(1, 3y^2 - 1)`` of :func:`saddle_escape_value`."""
    x, y = coords(p)
    return stack_hessian(np.ones_like(x), np.zeros_like(x), 3.0 * y * y - 1.0)


def monkey_saddle_value(p: npt.ArrayLike) -> Array:
    """Monkey saddle ``x^3 - 3 x y^2`` (``r^3 cos 3 theta``): three valleys, three ridges."""
    x, y = coords(p)
    return x * x * x - 3.0 * x * y * y


def monkey_saddle_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(3x^2 - 3y^2, -6xy)`` of :func:`monkey_saddle_value`."""
    x, y = coords(p)
    return stack_grad(3.0 * (x * x - y * y), -6.0 * x * y)


def monkey_saddle_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``[[6x, -6y], [-6y, -6x]]`` of :func:`monkey_saddle_value` (zero at the origin)."""
    x, y = coords(p)
    return stack_hessian(6.0 * x, -6.0 * y, -6.0 * x)


SADDLE = Surface(
    name="saddle",
    title="Saddle",
    formula=r"f(x, y) = x^2 - y^2",
    value=saddle_value,
    grad=saddle_grad,
    hessian=saddle_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    saddles=[(0.0, 0.0)],
    start=(-1.5, 1e-3),
    description=(
        "A saddle point: downhill along y, uphill along x, and no minimum at all (f is unbounded "
        "below). Started a hair (1e-3) off the x-axis, plain gradient descent slides into the "
        "saddle and lingers there, because the escaping y-component grows only geometrically "
        "from a tiny value; momentum and Adam escape much sooner."
    ),
)

SADDLE_ESCAPE = Surface(
    name="saddle_escape",
    title="Saddle between two minima",
    formula=r"f(x, y) = \tfrac{1}{2}x^2 + \tfrac{1}{4}y^4 - \tfrac{1}{2}y^2",
    value=saddle_escape_value,
    grad=saddle_escape_grad,
    hessian=saddle_escape_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=[(0.0, 1.0), (0.0, -1.0)],
    saddles=[(0.0, 0.0)],
    start=(-1.8, 1e-3),
    description=(
        "Two equally good minima at (0, 1) and (0, -1), separated by a saddle at the origin. "
        "The start sits almost on the saddle's attracting x-axis, so every optimizer first "
        "converges towards the saddle and must then escape it; how long it lingers (and which "
        "minimum it picks) is the lesson."
    ),
)

MONKEY_SADDLE = Surface(
    name="monkey_saddle",
    title="Monkey saddle",
    formula=r"f(x, y) = x^3 - 3xy^2",
    value=monkey_saddle_value,
    grad=monkey_saddle_grad,
    hessian=monkey_saddle_hessian,
    bounds=((-1.5, 1.5), (-1.5, 1.5)),
    saddles=[(0.0, 0.0)],
    start=(1.2, 0.01),
    description=(
        "A degenerate saddle: gradient and Hessian both vanish at the origin, so the surface "
        "is flat to second order and curvature-based tests cannot classify the point. "
        "Optimizers started on a ridge slow down to a crawl near the flat centre before sliding "
        "off into one of the three valleys (there is no minimum)."
    ),
)
