"""Surfaces shaped by neural-network activations: a saturated ``plateau`` and ReLU-like kinks.

``kink`` is not differentiable on the line ``x = y/2``. It follows the deep-learning
frameworks' subgradient convention: ``d|u|/du = sign(u)``, which is 0 at ``u = 0`` (as
``relu'(0) = 0``), and its Hessian is the almost-everywhere Hessian (the ``|u|`` part has
none). ``smooth_kink`` replaces ``|u|`` by a softplus-based smooth absolute value.

Every ``*_value``, ``*_grad`` and ``*_hessian`` function takes points of shape ``(..., 2)``
(array_like; a trailing xy axis) and returns a new float64 array of shape ``(...)``,
``(..., 2)`` or ``(..., 2, 2)`` respectively. They are pure and never warn for finite input
with ``|x|, |y| <= 1e6``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from surfaces._common import coords, sigmoid, softplus, stack_grad, stack_hessian
from surfaces._surface import Array, Surface

# Sharpness of the smooth absolute value s_k(u) = (2/k) log cosh(k u / 2).
_SMOOTH_K = 4.0


def _plateau_radius(x: Array, y: Array) -> tuple[Array, Array]:
    """Return ``s = sqrt(1 + x^2 + y^2)`` and ``rho = s - 1`` (computed without cancellation)."""
    r2 = x * x + y * y
    s = np.sqrt(1.0 + r2)
    return s, r2 / (s + 1.0)


def plateau_value(p: npt.ArrayLike) -> Array:
    """Saturated bowl ``tanh(sqrt(1 + x^2 + y^2) - 1)``."""
    x, y = coords(p)
    _, rho = _plateau_radius(x, y)
    return np.tanh(rho)


def plateau_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``sech^2(rho) p / s`` of :func:`plateau_value`.

    ``sech^2(rho) = 4 sigmoid(2 rho) sigmoid(-2 rho)`` keeps full relative precision on the
    plateau, where ``1 - tanh^2`` would cancel to 0.
    """
    x, y = coords(p)
    s, rho = _plateau_radius(x, y)
    d1 = 4.0 * sigmoid(2.0 * rho) * sigmoid(-2.0 * rho)
    return stack_grad(d1 * x / s, d1 * y / s)


def plateau_hessian(p: npt.ArrayLike) -> Array:
    """Hessian of :func:`plateau_value`.

    With ``t = tanh(rho)``, ``t' = sech^2(rho)``, ``t'' = -2 t t'``, ``grad rho = p / s`` and
    ``hess rho = I / s - p p^T / s^3``: ``H = t'' p p^T / s^2 + t' (I / s - p p^T / s^3)``.
    """
    x, y = coords(p)
    s, rho = _plateau_radius(x, y)
    d1 = 4.0 * sigmoid(2.0 * rho) * sigmoid(-2.0 * rho)
    d2 = -2.0 * np.tanh(rho) * d1
    outer = d2 / (s * s) - d1 / (s * s * s)
    return stack_hessian(outer * x * x + d1 / s, outer * x * y, outer * y * y + d1 / s)


def _kink_u(x: Array, y: Array) -> Array:
    """Coordinate across the crease, ``u = x - y/2`` (the crease is ``u = 0``)."""
    return x - 0.5 * y


def kink_value(p: npt.ArrayLike) -> Array:
    """V-shaped valley ``|x - y/2| + y^2/4``."""
    x, y = coords(p)
    return np.abs(_kink_u(x, y)) + 0.25 * y * y


def kink_grad(p: npt.ArrayLike) -> Array:
    """Subgradient ``(sign u, -sign(u)/2 + y/2)`` of :func:`kink_value`, ``sign(0) = 0``.

    Examples
    --------
    >>> kink_grad([[1.0, 2.0], [1.5, 2.0]])  # on the crease, then to its right
    array([[0. , 1. ],
           [1. , 0.5]])
    """
    x, y = coords(p)
    g = np.sign(_kink_u(x, y))
    return stack_grad(g, -0.5 * g + 0.5 * y)


def kink_hessian(p: npt.ArrayLike) -> Array:
    """Almost-everywhere Hessian ``[[0, 0], [0, 1/2]]`` of :func:`kink_value`."""
    x, _ = coords(p)
    zero = np.zeros_like(x)
    return stack_hessian(zero, zero, zero + 0.5)


def _smooth_abs(u: Array) -> tuple[Array, Array, Array]:
    """Smooth ``|u|`` and its first two derivatives, with ``k = _SMOOTH_K``.

    ``s(u) = (softplus(k u) + softplus(-k u) - 2 log 2) / k = (2/k) log cosh(k u / 2)``,
    ``s'(u) = sigmoid(k u) - sigmoid(-k u) = tanh(k u / 2)`` and
    ``s''(u) = 2 k sigmoid(k u) sigmoid(-k u)``. ``s(0) = s'(0) = 0``, ``s(u) -> |u| - 2 log(2)/k``.
    """
    z = _SMOOTH_K * u
    value = (softplus(z) + softplus(-z) - 2.0 * math.log(2.0)) / _SMOOTH_K
    return value, np.tanh(0.5 * z), 2.0 * _SMOOTH_K * sigmoid(z) * sigmoid(-z)


def smooth_kink_value(p: npt.ArrayLike) -> Array:
    """Smoothed valley ``s_k(x - y/2) + y^2/4``."""
    x, y = coords(p)
    s, _, _ = _smooth_abs(_kink_u(x, y))
    return s + 0.25 * y * y


def smooth_kink_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(s', -s'/2 + y/2)`` of :func:`smooth_kink_value`."""
    x, y = coords(p)
    _, ds, _ = _smooth_abs(_kink_u(x, y))
    return stack_grad(ds, -0.5 * ds + 0.5 * y)


def smooth_kink_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``s'' [[1, -1/2], [-1/2, 1/4]] + [[0, 0], [0, 1/2]]`` of the smooth kink."""
    x, y = coords(p)
    _, _, d2 = _smooth_abs(_kink_u(x, y))
    return stack_hessian(d2, -0.5 * d2, 0.25 * d2 + 0.5)


PLATEAU = Surface(
    name="plateau",
    title="Plateau (saturated tanh)",
    formula=r"f(x, y) = \tanh\left(\sqrt{1 + x^2 + y^2} - 1\right)",
    value=plateau_value,
    grad=plateau_grad,
    hessian=plateau_hessian,
    bounds=((-7.0, 7.0), (-7.0, 7.0)),
    minima=[(0.0, 0.0)],
    start=(4.5, 3.5),
    description=(
        "A bowl squashed by a saturating tanh, like a saturated unit: near the centre it is the "
        "round bowl, but beyond radius 5 the loss is flat at 1 and |grad f| falls below 1e-3 "
        "(2.7e-4 at the start, 7e-8 in the corners). Plain SGD barely moves on the plateau, "
        "while Adam and RMSprop divide the tiny gradient by its own scale and walk off it at "
        "full speed."
    ),
)

KINK = Surface(
    name="kink",
    title="Kink (ReLU-style V valley)",
    formula=r"f(x, y) = \left|x - \tfrac{1}{2}y\right| + \tfrac{1}{4}y^2",
    value=kink_value,
    grad=kink_grad,
    hessian=kink_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=[(0.0, 0.0)],
    start=(1.5, 1.5),
    description=(
        "A V-shaped valley with a sharp crease along x = y/2, like the kink of a ReLU or an L1 "
        "penalty. The (sub)gradient does not shrink near the crease, so with a constant "
        "learning rate gradient descent rattles across it and never settles; compare side by "
        "side with smooth_kink."
    ),
)

SMOOTH_KINK = Surface(
    name="smooth_kink",
    title="Smoothed kink (softplus)",
    formula=(
        # = (softplus(4u) + softplus(-4u) - 2 ln 2) / 4: too long for the sidebar
        r"f(x, y) = s\left(x - \tfrac{1}{2}y\right) + \tfrac{1}{4}y^2,\quad"
        r" s(u) = \tfrac{1}{2}\ln\cosh(2u)"
    ),
    value=smooth_kink_value,
    grad=smooth_kink_grad,
    hessian=smooth_kink_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=[(0.0, 0.0)],
    start=(1.5, 1.5),
    description=(
        "The kink surface with |u| replaced by a softplus-smoothed absolute value: same valley, "
        "same start, same minimum at the origin, but the gradient now fades to zero at the "
        "valley floor, so gradient descent converges instead of rattling. Meant to be compared "
        "side by side with kink."
    ),
)
