"""Classic optimization test functions: Rosenbrock, Beale, Himmelblau, six-hump camel, Rastrigin.

Derivatives are derived by hand (checked with sympy offline) and hard-coded. Critical points
that are only known approximately are polished at import time by :func:`newton_refine` from
literature values, using the same exact gradient and Hessian.

Every ``*_value``, ``*_grad`` and ``*_hessian`` function takes points of shape ``(..., 2)``
(array_like; a trailing xy axis) and returns a new float64 array of shape ``(...)``,
``(..., 2)`` or ``(..., 2, 2)`` respectively. They are pure and never warn for finite input
with ``|x|, |y| <= 1e6``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

from surfaces._common import coords, newton_refine, stack_grad, stack_hessian
from surfaces._surface import Array, Surface

_TWO_PI = 2.0 * math.pi
_BEALE_C = (1.5, 2.25, 2.625)
_RASTRIGIN_A = 10.0


def rosenbrock_value(p: npt.ArrayLike) -> Array:
    """Rosenbrock's banana ``(1 - x)^2 + 100 (y - x^2)^2``.

    Examples
    --------
    >>> rosenbrock_value([[1.0, 1.0], [-1.2, 1.0]])
    array([ 0. , 24.2])
    """
    x, y = coords(p)
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(-2(1 - x) - 400 x (y - x^2), 200 (y - x^2))`` of :func:`rosenbrock_value`."""
    x, y = coords(p)
    r = y - x * x
    return stack_grad(-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r)


def rosenbrock_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``[[2 - 400 y + 1200 x^2, -400 x], [-400 x, 200]]`` of :func:`rosenbrock_value`."""
    x, y = coords(p)
    return stack_hessian(2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x, 200.0 * np.ones_like(x))


def _beale_terms(x: Array, y: Array) -> list[tuple[Array, ...]]:
    """Residuals ``u_k = c_k - x + x y^k`` (k = 1, 2, 3) and their partial derivatives.

    Returns one tuple ``(u, u_x, u_y, u_xy, u_yy)`` per k (``u_xx = 0``).
    """
    return [
        (
            c - x + x * y**k,
            y**k - 1.0,
            k * x * y ** (k - 1),
            k * y ** (k - 1),
            k * (k - 1) * x * y ** max(k - 2, 0),
        )
        for k, c in enumerate(_BEALE_C, start=1)
    ]


def beale_value(p: npt.ArrayLike) -> Array:
    """Beale's function ``sum_k (c_k - x + x y^k)^2`` with ``c = (1.5, 2.25, 2.625)``."""
    x, y = coords(p)
    return sum(u * u for u, *_ in _beale_terms(x, y))


def beale_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``2 sum_k u_k grad(u_k)`` of :func:`beale_value`."""
    x, y = coords(p)
    terms = _beale_terms(x, y)
    return stack_grad(
        sum(2.0 * u * ux for u, ux, *_ in terms), sum(2.0 * u * uy for u, _, uy, *_ in terms)
    )


def beale_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``2 sum_k (grad u_k grad u_k^T + u_k hess u_k)`` of :func:`beale_value`."""
    x, y = coords(p)
    terms = _beale_terms(x, y)
    return stack_hessian(
        sum(2.0 * ux * ux for _, ux, *_ in terms),
        sum(2.0 * (ux * uy + u * uxy) for u, ux, uy, uxy, _ in terms),
        sum(2.0 * (uy * uy + u * uyy) for u, _, uy, _, uyy in terms),
    )


def himmelblau_value(p: npt.ArrayLike) -> Array:
    """Himmelblau's function ``(x^2 + y - 11)^2 + (x + y^2 - 7)^2``."""
    x, y = coords(p)
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(4x a + 2b, 2a + 4y b)``, ``a = x^2 + y - 11``, ``b = x + y^2 - 7``."""
    x, y = coords(p)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return stack_grad(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


def himmelblau_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``[[12x^2 + 4y - 42, 4x + 4y], [4x + 4y, 12y^2 + 4x - 26]]``."""
    x, y = coords(p)
    return stack_hessian(
        12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y * y + 4.0 * x - 26.0
    )


def six_hump_camel_value(p: npt.ArrayLike) -> Array:
    """Six-hump camel ``(4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2``."""
    x, y = coords(p)
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def six_hump_camel_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``(8x - 8.4x^3 + 2x^5 + y, x - 8y + 16y^3)`` of :func:`six_hump_camel_value`."""
    x, y = coords(p)
    x2 = x * x
    return stack_grad(x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y, x - 8.0 * y + 16.0 * y * y * y)


def six_hump_camel_hessian(p: npt.ArrayLike) -> Array:
    """Hessian ``[[8 - 25.2x^2 + 10x^4, 1], [1, -8 + 48y^2]]`` of the six-hump camel."""
    x, y = coords(p)
    x2 = x * x
    return stack_hessian(8.0 - 25.2 * x2 + 10.0 * x2 * x2, np.ones_like(x), -8.0 + 48.0 * y * y)


def rastrigin_value(p: npt.ArrayLike) -> Array:
    """Rastrigin's function ``2A + sum_u (u^2 - A cos(2 pi u))`` with ``A = 10``."""
    x, y = coords(p)
    return (
        2.0 * _RASTRIGIN_A
        + x * x
        - _RASTRIGIN_A * np.cos(_TWO_PI * x)
        + y * y
        - _RASTRIGIN_A * np.cos(_TWO_PI * y)
    )


def rastrigin_grad(p: npt.ArrayLike) -> Array:
    """Gradient ``2u + 2 pi A sin(2 pi u)`` per coordinate ``u`` of :func:`rastrigin_value`."""
    x, y = coords(p)
    k = _TWO_PI * _RASTRIGIN_A
    return stack_grad(2.0 * x + k * np.sin(_TWO_PI * x), 2.0 * y + k * np.sin(_TWO_PI * y))


def rastrigin_hessian(p: npt.ArrayLike) -> Array:
    """Diagonal Hessian ``2 + 4 pi^2 A cos(2 pi u)`` of :func:`rastrigin_value`."""
    x, y = coords(p)
    k = _TWO_PI * _TWO_PI * _RASTRIGIN_A
    return stack_hessian(
        2.0 + k * np.cos(_TWO_PI * x), np.zeros_like(x), 2.0 + k * np.cos(_TWO_PI * y)
    )


def _rastrigin_critical_points() -> tuple[Array, Array]:
    """Minima and saddles of Rastrigin inside ``[-2.5, 2.5]^2``, refined from a lattice.

    Rastrigin is separable, so its critical points are products of the 1D critical points:
    minima of ``u^2 - A cos(2 pi u)`` near the integers (exactly 0, about +-0.99496, +-1.98991)
    and maxima near the half-integers (about +-0.50252, +-1.50754; the next ones, +-2.5127,
    lie outside the bounds). min x min gives the 25 minima, min x max and max x min the 40
    saddles (max x max are local maxima, not listed).
    """
    near_minima = (-2.0, -1.0, 0.0, 1.0, 2.0)
    near_maxima = (-1.5, -0.5, 0.5, 1.5)
    minima = list(itertools.product(near_minima, near_minima))
    saddles = list(itertools.product(near_minima, near_maxima)) + list(
        itertools.product(near_maxima, near_minima)
    )
    return (
        newton_refine(rastrigin_grad, rastrigin_hessian, minima),
        newton_refine(rastrigin_grad, rastrigin_hessian, saddles),
    )


_RASTRIGIN_MINIMA, _RASTRIGIN_SADDLES = _rastrigin_critical_points()

ROSENBROCK = Surface(
    name="rosenbrock",
    title="Rosenbrock",
    formula=r"f(x, y) = (1 - x)^2 + 100\left(y - x^2\right)^2",
    value=rosenbrock_value,
    grad=rosenbrock_grad,
    hessian=rosenbrock_hessian,
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    minima=[(1.0, 1.0)],
    start=(-1.2, 1.0),
    description=(
        "Rosenbrock's banana: finding the curved valley floor y = x^2 is easy, following it to "
        "the minimum at (1, 1) is hard, because the valley is steep across and nearly flat "
        "along. Plain gradient descent crawls; momentum builds up speed along the floor. "
        "Adam and RMSprop take steps of about lr each: at a small shared lr they have barely "
        "started (Auto-tune lr gives each its own). Starts at Rosenbrock's classic (-1.2, 1)."
    ),
    log_levels=True,
)

BEALE = Surface(
    name="beale",
    title="Beale",
    formula=(
        r"f(x, y) = (1.5 - x + xy)^2 + \left(2.25 - x + xy^2\right)^2"
        r" + \left(2.625 - x + xy^3\right)^2"
    ),
    value=beale_value,
    grad=beale_grad,
    hessian=beale_hessian,
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    minima=[(3.0, 0.5)],
    saddles=newton_refine(beale_grad, beale_hessian, [(0.0, 1.0), (0.100538, -2.644514)]),
    start=(1.0, 1.5),
    description=(
        "Beale's function spans five orders of magnitude: sharp walls where |y| > 1 and a flat, "
        "curved valley leading to the minimum at (3, 0.5). A learning rate that is safe on the "
        "walls is far too small for the valley floor: plain gradient descent crawls along it, "
        "momentum builds up speed, and adaptive methods step about lr per coordinate whatever "
        "the gradient's scale."
    ),
    log_levels=True,
)

HIMMELBLAU = Surface(
    name="himmelblau",
    title="Himmelblau",
    formula=r"f(x, y) = \left(x^2 + y - 11\right)^2 + \left(x + y^2 - 7\right)^2",
    value=himmelblau_value,
    grad=himmelblau_grad,
    hessian=himmelblau_hessian,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=newton_refine(
        himmelblau_grad,
        himmelblau_hessian,
        [(3.0, 2.0), (-2.805118, 3.131313), (-3.779310, -3.283186), (3.584428, -1.848127)],
    ),
    saddles=newton_refine(
        himmelblau_grad,
        himmelblau_hessian,
        [
            (0.086678, 2.884255),
            (-3.073026, -0.081353),
            (-0.127961, -1.953715),
            (3.385154, 0.073852),
        ],
    ),
    start=(0.0, 0.0),
    description=(
        "Four equally deep minima (f = 0) separated by four saddles and a local maximum near "
        "(-0.27, -0.92). Which minimum an optimizer reaches depends on the start and on the "
        "optimizer (and learning rate): from the origin, plain gradient descent heads for (3, 2) "
        "while momentum swings past it to (3.58, -1.85). A non-convex loss has no single "
        "answer."
    ),
    log_levels=True,
)

SIX_HUMP_CAMEL = Surface(
    name="six_hump_camel",
    title="Six-hump camel",
    formula=(
        r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{1}{3}x^4\right)x^2 + xy"
        r" + \left(-4 + 4y^2\right)y^2"
    ),
    value=six_hump_camel_value,
    grad=six_hump_camel_grad,
    hessian=six_hump_camel_hessian,
    bounds=((-2.0, 2.0), (-1.0, 1.0)),
    minima=newton_refine(
        six_hump_camel_grad,
        six_hump_camel_hessian,
        [
            (0.089842, -0.712656),
            (-0.089842, 0.712656),
            (1.703607, -0.796084),
            (-1.703607, 0.796084),
            (1.607105, 0.568651),
            (-1.607105, -0.568651),
        ],
    ),
    saddles=newton_refine(
        six_hump_camel_grad,
        six_hump_camel_hessian,
        [
            (0.0, 0.0),
            (1.109205, -0.768268),
            (-1.109205, 0.768268),
            (1.296070, 0.605084),
            (-1.296070, -0.605084),
            (1.638068, 0.228674),
            (-1.638068, -0.228674),
        ],
    ),
    start=(-1.5, -0.9),
    description=(
        "Six minima, two of them global (f = -1.0316 at (0.0898, -0.7127) and (-0.0898, "
        "0.7127)), separated by seven saddles. From the default start gradient descent settles "
        "in the worst local minimum (f = 2.10), while momentum can carry an optimizer over a "
        "saddle into a better basin."
    ),
)

RASTRIGIN = Surface(
    name="rastrigin",
    title="Rastrigin",
    formula=r"f(x, y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)",
    value=rastrigin_value,
    grad=rastrigin_grad,
    hessian=rastrigin_hessian,
    bounds=((-2.5, 2.5), (-2.5, 2.5)),
    minima=_RASTRIGIN_MINIMA,
    saddles=_RASTRIGIN_SADDLES,
    start=(2.2, 1.8),
    description=(
        "An egg-crate of 25 local minima (in this window) on top of a bowl; only the one at the "
        "origin is global. Gradient descent, momentum and Adam alike settle in a nearby dimple: "
        "local methods cannot solve highly multimodal problems, and plain descent cannot just "
        "take bigger steps: above lr = 2/397 the curvature of the dimples makes it unstable."
    ),
)
