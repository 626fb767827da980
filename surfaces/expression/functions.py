"""The function table of typed formulas: names, NumPy implementations, SymPy classes.

Every name a formula may use is here, once per representation: ``NUMPY_FUNCTIONS`` folds
constants and runs the compiled code, ``SYMPY_FUNCTIONS`` builds the formula and the
derivative rules, ``LAMBDIFY_FUNCTIONS`` maps our SymPy classes back to NumPy. Adding a
function means one row in each.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter

from surfaces._surface import Array

VARIABLES = ("x", "y")
CONSTANTS = MappingProxyType({"pi": np.pi, "e": np.e})
FUNCTIONS = (
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "abs", "relu",
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Numeric implementations (NumPy), shared by constant folding and by the lambdified code.


def _np_sigmoid(u: npt.ArrayLike) -> Array:
    """Logistic sigmoid ``1 / (1 + exp(-u))``, without overflow for large ``|u|``."""
    return np.exp(-np.logaddexp(0.0, np.negative(u, dtype=np.float64)))


def _np_softplus(u: npt.ArrayLike) -> Array:
    """Softplus ``log(1 + exp(u))`` computed as ``logaddexp(0, u)``."""
    return np.logaddexp(0.0, np.asarray(u, dtype=np.float64))


def _np_relu(u: npt.ArrayLike) -> Array:
    """``max(u, 0)``, propagating NaN."""
    return np.maximum(np.asarray(u, dtype=np.float64), 0.0)


def _np_step(u: npt.ArrayLike) -> Array:
    """Heaviside step with ``H(0) = 0``: the derivative of ``relu`` as frameworks define it."""
    return np.heaviside(np.asarray(u, dtype=np.float64), 0.0)


NUMPY_FUNCTIONS: MappingProxyType[str, Callable[[npt.ArrayLike], Array]] = MappingProxyType(
    {
        "sin": np.sin,
        "cos": np.cos,
        "tan": np.tan,
        "exp": np.exp,
        "log": np.log,
        "sqrt": np.sqrt,
        "tanh": np.tanh,
        "sigmoid": _np_sigmoid,
        "softplus": _np_softplus,
        "abs": np.abs,
        "relu": _np_relu,
    }
)
NUMPY_OPERATORS = MappingProxyType(
    {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
     ast.Pow: np.power}
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# SymPy functions with the subgradient conventions of deep-learning frameworks. Being our own
# classes (not Abs/Heaviside), their derivatives never produce DiracDelta.


def _latex_call(name: str, printer: LatexPrinter, arg: sympy.Expr, exp: str | None) -> str:
    """LaTeX for ``name(arg)``, or ``name^exp(arg)`` when SymPy prints a power of it."""
    power = "" if exp is None else f"^{{{exp}}}"
    return rf"{name}{power}\left({printer._print(arg)}\right)"


class _Sign(sympy.Function):
    """``sign(u)`` with ``sign(0) = 0``; its derivative is taken as 0 (no Dirac delta)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.S.Zero


class _Step(sympy.Function):
    """Heaviside step with ``H(0) = 0``; its derivative is taken as 0 (no Dirac delta)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.S.Zero


class _Abs(sympy.Function):
    """``|u|`` with subgradient ``sign(u)`` (so ``d|u|/du = 0`` at ``u = 0``)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return _Sign(self.args[0])

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        tex = rf"\left|{printer._print(self.args[0])}\right|"
        return tex if exp is None else f"{tex}^{{{exp}}}"


class _Relu(sympy.Function):
    """``max(u, 0)`` with subgradient ``H(u)``, ``H(0) = 0``."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return _Step(self.args[0])

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        return _latex_call(r"\operatorname{relu}", printer, self.args[0], exp)


class _Sigmoid(sympy.Function):
    """Logistic sigmoid; derivative ``sigmoid(u) * sigmoid(-u)`` (no cancellation)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        u = self.args[0]
        return _Sigmoid(u) * _Sigmoid(-u)

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        return _latex_call(r"\sigma", printer, self.args[0], exp)


class _Softplus(sympy.Function):
    """``log(1 + exp(u))``; derivative ``sigmoid(u)``."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return _Sigmoid(self.args[0])

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        return _latex_call(r"\operatorname{softplus}", printer, self.args[0], exp)


SYMPY_FUNCTIONS: MappingProxyType[str, type[sympy.Function]] = MappingProxyType(
    {
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "tanh": sympy.tanh,
        "sigmoid": _Sigmoid,
        "softplus": _Softplus,
        "abs": _Abs,
        "relu": _Relu,
    }
)
SYMPY_OPERATORS: MappingProxyType[type[ast.operator], Callable[..., sympy.Expr]] = MappingProxyType(
    {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
        ast.Pow: lambda a, b: a**b,
    }
)

# Names the lambdified code may call besides NumPy's own (all defined above).
LAMBDIFY_FUNCTIONS: MappingProxyType[str, Callable[[npt.ArrayLike], Array]] = MappingProxyType(
    {
        "_Sign": np.sign,
        "_Step": _np_step,
        "_Abs": np.abs,
        "_Relu": _np_relu,
        "_Sigmoid": _np_sigmoid,
        "_Softplus": _np_softplus,
    }
)


class ExactPrinter(NumPyPrinter):
    """NumPy printer that writes numbers as exact Python float/int literals.

    SymPy's default prints a 53-bit ``Float`` with 15 digits, which does not round-trip, and
    integers beyond ``2**53`` are only approximated by NumPy anyway.
    """

    def _handle_UnevaluatedExpr(self, expr: sympy.Expr) -> sympy.Expr:  # noqa: N802
        return expr  # we never build UnevaluatedExpr; skips a full tree walk per expression

    def _print_Float(self, expr: sympy.Float) -> str:  # noqa: N802 (SymPy's dispatch name)
        return repr(float(expr))

    def _print_Integer(self, expr: sympy.Integer) -> str:  # noqa: N802 (SymPy's dispatch name)
        return str(expr.p) if abs(expr.p) < 2**53 else repr(float(expr))

    def _print_Rational(self, expr: sympy.Rational) -> str:  # noqa: N802 (SymPy's dispatch name)
        if abs(expr.p) < 2**53 and expr.q < 2**53:
            return f"({expr.p}/{expr.q})"
        return repr(float(expr))
