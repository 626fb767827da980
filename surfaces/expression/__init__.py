"""User-typed surfaces: parse ``f(x, y)`` safely, differentiate it exactly, vectorize with NumPy.

Pipeline (each step bounded by the ``MAX_*`` limits, all checked before any SymPy work):

1. Cheap character checks (bracket nesting, length, backslashes, control characters), then
   :func:`ast.parse` in ``eval`` mode. User text is never evaluated: no ``eval``/``exec``/
   ``compile`` of it, and no ``sympy.sympify``/``parse_expr`` (both call ``eval``).
2. A strict whitelist over the tree: numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``
   (``^`` is power), unary ``+ -``, and one-argument calls of :data:`FUNCTIONS`. Constant
   subtrees are folded in float64 so ``9**9**9`` is rejected before anything computes it.
3. Our own converter maps each whitelisted node to SymPy: an unevaluated expression for the
   LaTeX formula, and a straight-line program (a "tape") for the value, gradient and Hessian.
   Each operation's local partial derivatives come from :func:`sympy.diff`; the chain rule
   (to second order) links them, so the derivatives are exact and the symbolic work is linear
   in the number of nodes. (Differentiating the whole expression instead made SymPy
   canonicalize ever larger sums, seconds for a short tower ``x**x**...**x``:
   docs/performance.md.)
4. :func:`sympy.lambdify` prints the tape as NumPy code.

Modules, one per step: :mod:`~surfaces.expression.functions` (the function table),
:mod:`~surfaces.expression.parse` (steps 1-2), :mod:`~surfaces.expression.derivatives`
(steps 3-4) and :mod:`~surfaces.expression.metadata` (minimum, start and levels of the
Surface). This module joins them: :func:`from_expression` and :func:`normalize_expression`.
"""

from __future__ import annotations

import ast

import sympy

from surfaces._limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES, ExpressionError
from surfaces._surface import Surface
from surfaces.expression.derivatives import Tape, build, compile_field
from surfaces.expression.functions import CONSTANTS, FUNCTIONS, VARIABLES
from surfaces.expression.metadata import (
    DEFAULT_BOUNDS,
    check_bounds,
    default_start,
    estimate_minimum,
    grid,
    wants_log_levels,
)
from surfaces.expression.parse import checked_tree

__all__ = [
    "CONSTANTS",
    "DEFAULT_BOUNDS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "VARIABLES",
    "ExpressionError",
    "from_expression",
    "normalize_expression",
]


def normalize_expression(text: str) -> str:
    """Return a canonical, compact form of an accepted expression, for URLs.

    The whitelisted tree is printed back with :func:`ast.unparse` (``^`` becomes ``**``,
    redundant brackets and spaces go), so ``from_expression(normalize_expression(t))`` builds
    the same function as ``from_expression(t)``. The result uses only letters, digits,
    ``.`` and ``+-*/()``; the app must still URL-encode it (``+``).

    Parameters
    ----------
    text : str
        An expression in ``x`` and ``y``, as accepted by :func:`from_expression`.

    Returns
    -------
    str
        The canonical text.

    Raises
    ------
    ExpressionError
        If the text is rejected by the parse and whitelist checks (the checks of
        :func:`from_expression` except the symbolic ones, e.g. ``log(x*0)``).

    Examples
    --------
    >>> normalize_expression("x^2 + 3*sin( y )^2")
    'x**2+3*sin(y)**2'
    """
    body, _ = checked_tree(text)
    return ast.unparse(body).replace(" ", "")


def from_expression(text: str, bounds: object = None, name: str = "custom") -> Surface:
    """Build a :class:`Surface` from a typed formula ``f(x, y)``.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"`` or ``"relu(x) + 0.1*y^2"``.
        Allowed: numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, ``^`` (power), brackets,
        and one-argument calls of sin, cos, tan, exp, log, sqrt, tanh, sigmoid, softplus, abs
        and relu.
    bounds : ((xmin, xmax), (ymin, ymax)), optional
        Plotting window; default ``((-3, 3), (-3, 3))``.
    name : str, optional
        Registry key of the surface (default ``"custom"``).

    Returns
    -------
    Surface
        Exact gradient and Hessian. At kinks the frameworks' subgradients are used:
        ``d|u|/du = sign(u)`` with ``sign(0) = 0``, ``relu'(0) = 0``, and kinks contribute 0 to
        second derivatives. Values that overflow come back as ``inf``/``nan`` without warnings
        (the run loop treats them as divergence). ``start`` is 70% of the way from the centre
        to the upper-left corner of ``bounds``; ``minima`` holds the grid minimum (101 x 101)
        refined by Newton steps if it is an interior stationary point, else nothing;
        ``saddles`` is empty; ``log_levels`` is set when the heights span over 3 decades.

    Raises
    ------
    ExpressionError
        If the text or the bounds are rejected; the message names the problem and its column.
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> import numpy as np
    >>> s = from_expression("(1 - x)**2 + 100*(y - x^2)**2")
    >>> s.value(np.array([[0.0, 0.0], [1.0, 1.0]])).tolist()
    [1.0, 0.0]
    >>> bool(np.all(s.grad(np.array([1.0, 1.0])) == 0))
    True
    >>> s.hessian(np.array([1.0, 1.0])).tolist()
    [[802.0, -400.0], [-400.0, 200.0]]
    >>> np.round(s.minima, 6).tolist()
    [[1.0, 1.0]]
    """
    box = check_bounds(bounds)
    body, source = checked_tree(text)
    tape = Tape()
    formula, jet = build(body, source, tape)
    fxx, fxy, fyy = jet.hess
    value = compile_field(tape, [jet.value], ())
    grad = compile_field(tape, jet.grad, (2,))
    hessian = compile_field(tape, [fxx, fxy, fxy, fyy], (2, 2))
    points = grid(box)
    values = value(points)
    typed = " ".join(text.split())
    return Surface(
        name=name,
        title=f"Custom: {typed}",
        formula=sympy.latex(formula, order="none"),
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=box,
        minima=estimate_minimum(points, values, grad, hessian, box),
        saddles=None,
        start=default_start(box),
        description=f"A surface you typed: f(x, y) = {typed}.",
        log_levels=wants_log_levels(values),
    )
