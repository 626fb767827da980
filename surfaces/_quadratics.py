"""Quadratic bowls: the isotropic ``bowl`` and the rotated, ill-conditioned ``ravine``.

Every ``*_value``, ``*_grad`` and ``*_hessian`` function takes points of shape ``(..., 2)``
(array_like; a trailing xy axis) and returns a new float64 array of shape ``(...)``,
``(..., 2)`` or ``(..., 2, 2)`` respectively. They are pure and never warn for finite input
with ``|x|, |y| <= 1e6``.
"""

from __future__ import annotations

import math

import numpy.typing as npt

from surfaces._common import constant_hessian, coords, stack_grad
from surfaces._surface import Array, Surface

# ravine: A = R(30 deg) diag(1, 25) R(30 deg)^T = [[7, -6 sqrt 3], [-6 sqrt 3, 19]] (exact).
_RAVINE_AXX = 7.0
_RAVINE_AXY = -6.0 * math.sqrt(3.0)
_RAVINE_AYY = 19.0


def bowl_value(p: npt.ArrayLike) -> Array:
    """Isotropic quadratic ``(x^2 + y^2) / 2``."""
    x, y = coords(p)
    return 0.5 * (x * x + y * y)


def bowl_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(x, y)`` of :func:`bowl_value`."""
    x, y = coords(p)
    return stack_grad(x, y)


def bowl_hessian(p: npt.ArrayLike) -> Array:
    """Hessian (the identity) of :func:`bowl_value`."""
    x, _ = coords(p)
    return constant_hessian(x, 1.0, 0.0, 1.0)


def ravine_value(p: npt.ArrayLike) -> Array:
    """Rotated ill-conditioned quadratic ``p^T A p / 2`` with eigenvalues 1 and 25."""
    x, y = coords(p)
    return 0.5 * (_RAVINE_AXX * x * x + 2.0 * _RAVINE_AXY * x * y + _RAVINE_AYY * y * y)


def ravine_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``A p`` of :func:`ravine_value`."""
    x, y = coords(p)
    return stack_grad(_RAVINE_AXX * x + _RAVINE_AXY * y, _RAVINE_AXY * x + _RAVINE_AYY * y)


def ravine_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``A`` of :func:`ravine_value`."""
    x, _ = coords(p)
    return constant_hessian(x, _RAVINE_AXX, _RAVINE_AXY, _RAVINE_AYY)


BOWL = Surface(
    name="bowl",
    title="Bowl",
    formula=r"f(x, y) = \tfrac{1}{2}\left(x^2 + y^2\right)",
    value=bowl_value,
    grad=bowl_grad,
    hessian=bowl_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=[(0.0, 0.0)],
    start=(-1.6, 1.2),
    description=(
        "The easiest possible loss: a perfectly round bowl whose gradient always points straight "
        "at the minimum. Every optimizer should walk directly to the centre; use it to calibrate "
        "the learning rate (plain gradient descent diverges for lr > 2)."
    ),
)

RAVINE = Surface(
    name="ravine",
    title="Ravine (ill-conditioned quadratic)",
    formula=(
        r"f(x, y) = \tfrac{1}{2}\,\mathbf{p}^\top A\,\mathbf{p}"
        r" = \tfrac{1}{2}\left(7x^2 - 12\sqrt{3}\,xy + 19y^2\right),"
        r"\quad A = R_{30^\circ}\,\mathrm{diag}(1, 25)\,R_{30^\circ}^\top"
    ),
    value=ravine_value,
    grad=ravine_grad,
    hessian=ravine_hessian,
    bounds=((-3.0, 3.0), (-3.0, 3.0)),
    minima=[(0.0, 0.0)],
    start=(-2.5, -0.5),
    description=(
        "A long narrow valley tilted by 30 degrees, with curvatures 1 and 25 (condition number "
        "25). Any learning rate the steep walls tolerate (lr < 2/25) is tiny for the gentle "
        "floor, so plain gradient descent zig-zags across the valley (for lr > 1/25) and crawls "
        "along it, while momentum averages the zig-zag out and shoots along the floor."
    ),
)
