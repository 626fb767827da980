"""Step 3 of a typed formula: checked tree -> SymPy formula and a differentiated tape.

Our own converter maps each whitelisted node to SymPy: an unevaluated expression for the
LaTeX formula, and a straight-line program (a "tape") for the value, gradient and Hessian.
Each operation's local partial derivatives come from :func:`sympy.diff`; the chain rule (to
second order) links them, so the derivatives are exact and the symbolic work is linear in
the number of nodes. :func:`sympy.lambdify` then prints the tape as NumPy code.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import sympy

from surfaces._surface import Array, Field
from surfaces.expression.functions import (
    CONSTANTS,
    LAMBDIFY_FUNCTIONS,
    SYMPY_FUNCTIONS,
    SYMPY_OPERATORS,
    ExactPrinter,
)
from surfaces.expression.parse import (
    ADDITIVE,
    MULTIPLICATIVE,
    Source,
    evaluate,
    reject,
)

_X, _Y = sympy.symbols("x y")
_U = sympy.symbols("u1 u2")  # placeholders for the operands of one operation
_NAMES = MappingProxyType({"x": _X, "y": _Y, "pi": sympy.pi, "e": sympy.E})


# --------------------------------------------------------------------------------------------
# Step 3: checked tree -> SymPy: the formula, and the tape for value, gradient and Hessian.


def _children(node: ast.expr) -> list[ast.expr]:
    match node:
        case ast.UnaryOp(operand=operand):
            return [operand]
        case ast.BinOp(left=left, right=right):
            return [left, right]
        case ast.Call(args=args):
            return list(args)
    return []


def _formula(node: ast.expr, parts: Sequence[sympy.Expr]) -> sympy.Expr:
    """Unevaluated SymPy object for one checked node (so the LaTeX shows what was typed).

    Left-nested chains ``a + b - c`` and ``a * b / c`` are flattened, numbers go first in a
    product (``x*100`` shows as ``100 x``), and ``1/3`` becomes the rational ``1/3``.
    """
    match node:
        case ast.Constant(value=int() as number):
            return sympy.Integer(number)
        case ast.Constant(value=number):
            return sympy.Float(number)
        case ast.Name(id=name):
            return _NAMES[name]
        case ast.UnaryOp(op=ast.USub()):
            return _negate(parts[0])
        case ast.UnaryOp():
            return parts[0]
        case ast.BinOp(op=ast.Add() | ast.Sub() as op):
            right = parts[1] if isinstance(op, ast.Add) else _negate(parts[1])
            return sympy.Add(*_flat(node.left, parts[0], ADDITIVE), right, evaluate=False)
        case ast.BinOp(op=ast.Div()) if all(part.is_Integer for part in parts):
            return sympy.Rational(*parts)
        case ast.BinOp(op=ast.Mult() | ast.Div() as op):
            right = (
                _flat(node.right, parts[1], (ast.Mult,))
                if isinstance(op, ast.Mult)
                else (sympy.Pow(parts[1], -1, evaluate=False),)
            )
            factors = [*_flat(node.left, parts[0], MULTIPLICATIVE), *right]
            factors.sort(key=lambda factor: not factor.is_Number)  # stable: numbers first
            return sympy.Mul(*factors, evaluate=False)
        case ast.BinOp(op=ast.Pow()):
            return sympy.Pow(*parts, evaluate=False)
        case ast.Call(func=ast.Name(id=name)):
            return SYMPY_FUNCTIONS[name](parts[0], evaluate=False)
    raise TypeError(f"not a checked node: {ast.dump(node)}")  # unreachable after _check


def _negate(part: sympy.Expr) -> sympy.Expr:
    return -part if part.is_Number else sympy.Mul(-1, part, evaluate=False)


def _flat(node: ast.expr, part: sympy.Expr, group: tuple[type, ...]) -> tuple[sympy.Expr, ...]:
    """The terms (factors) of ``part`` if ``node`` is itself a ``group`` chain, else ``part``."""
    chain = isinstance(node, ast.BinOp) and isinstance(node.op, group)
    return part.args if chain and isinstance(part, sympy.Add | sympy.Mul) else (part,)


def _operation(node: ast.expr) -> str:
    """Key in :data:`_TEMPLATES` of the operation a checked node applies."""
    match node:
        case ast.UnaryOp(op=ast.USub()):
            return "neg"
        case ast.BinOp(op=op):
            return type(op).__name__
        case ast.Call(func=ast.Name(id=name)):
            return name
    raise TypeError(f"not an operation: {ast.dump(node)}")  # unreachable after _check


_TEMPLATES: MappingProxyType[str, sympy.Expr] = MappingProxyType(
    {
        "neg": -_U[0],
        **{op.__name__: fn(*_U) for op, fn in SYMPY_OPERATORS.items()},
        **{name: fn(_U[0]) for name, fn in SYMPY_FUNCTIONS.items()},
    }
)


@dataclass(frozen=True)
class _Rule:
    """One operation ``F(u1[, u2])`` and its partial derivatives, from ``sympy.diff``."""

    local: sympy.Expr
    first: tuple[sympy.Expr, ...]
    second: tuple[tuple[sympy.Expr, ...], ...]

    @classmethod
    def of(cls, local: sympy.Expr) -> _Rule:
        us = _U[: 2 if local.has(_U[1]) else 1]
        first = tuple(local.diff(u) for u in us)
        n = len(us)
        upper = {(i, j): first[i].diff(us[j]) for i in range(n) for j in range(i, n)}
        second = tuple(tuple(upper[min(i, j), max(i, j)] for j in range(n)) for i in range(n))
        return cls(local, first, second)


@functools.cache
def rule(operation: str) -> _Rule:
    """The derivative rule of one operation, e.g. ``"Pow"`` or ``"sin"``.

    Cached: this is a constant table of at most ``len(_TEMPLATES)`` = 17 entries, filled
    lazily because ``sympy.diff`` is slow (docs/performance.md) and a formula needs a few.
    The result depends only on the key and is immutable, so the cache is invisible except for
    speed.
    """
    return _Rule.of(_TEMPLATES[operation])


@dataclass(frozen=True)
class _Jet:
    """Value, gradient ``(fx, fy)`` and Hessian ``(fxx, fxy, fyy)`` of one subexpression.

    Each entry is a SymPy atom: a number, ``x``/``y``, or a symbol assigned on the tape.
    """

    value: sympy.Expr
    grad: tuple[sympy.Expr, sympy.Expr]
    hess: tuple[sympy.Expr, sympy.Expr, sympy.Expr]
    variable: bool

    @classmethod
    def constant(cls, value: float) -> _Jet:
        exact = value.is_integer() and abs(value) < 2**53
        number = sympy.Integer(int(value)) if exact else sympy.Float(value)
        zero = sympy.S.Zero
        return cls(number, (zero, zero), (zero, zero, zero), variable=False)


_LEAVES = MappingProxyType(
    {
        "x": _Jet(_X, (sympy.S.One, sympy.S.Zero), (sympy.S.Zero,) * 3, variable=True),
        "y": _Jet(_Y, (sympy.S.Zero, sympy.S.One), (sympy.S.Zero,) * 3, variable=True),
    }
)
_HESS_INDEX = ((0, 0), (0, 1), (1, 1))  # (fxx, fxy, fyy) as pairs of gradient components
_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


@dataclass(frozen=True)
class Tape:
    """A straight-line program: ``(symbol, expression)`` assignments in evaluation order.

    A builder local to one call, not shared state.
    """

    assignments: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)

    def bind(self, expr: sympy.Expr) -> sympy.Expr:
        """Return ``expr`` if it is an atom, else a fresh symbol assigned to it."""
        if expr.is_Atom:
            return expr
        symbol = sympy.Symbol(f"_t{len(self.assignments)}")
        self.assignments.append((symbol, expr))
        return symbol

    def program(self, outputs: Sequence[sympy.Expr]) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        """The assignments ``outputs`` depend on, in order."""
        needed = set().union(*(out.free_symbols for out in outputs))
        kept = []
        for symbol, expr in reversed(self.assignments):
            if symbol in needed:
                kept.append((symbol, expr))
                needed |= expr.free_symbols
        return kept[::-1]


def _chain(rule: _Rule, jets: Sequence[_Jet], tape: Tape) -> _Jet:
    """Jet of ``rule.local`` at the operand jets, by the chain rule to second order.

    .. math::
        \\partial_a f = \\sum_i F_i\\,\\partial_a g_i, \\qquad
        \\partial_{ab} f = \\sum_i F_i\\,\\partial_{ab} g_i
            + \\sum_{i,j} F_{ij}\\,\\partial_a g_i\\,\\partial_b g_j

    Constant operands are skipped (not multiplied by 0), so ``x**2`` never forms
    ``0 * log(x)``. Every new expression is bound on the tape: constant work per node.
    """
    at = dict(zip(_U, (jet.value for jet in jets), strict=False))
    value = rule.local.xreplace(at)
    if value.is_Rational:
        # The operands cancelled (``x - x + 9``). Go on in floating point, as constants do:
        # exact powers of such numbers (``(x - x + 9)**(x - x + 99999)``) are unbounded.
        value = sympy.Float(value)
    value = tape.bind(value)
    live = [i for i, jet in enumerate(jets) if jet.variable]
    first = {i: tape.bind(rule.first[i].xreplace(at)) for i in live}
    second = {(i, j): tape.bind(rule.second[i][j].xreplace(at)) for i in live for j in live}
    gx, gy = (tape.bind(sympy.Add(*(first[i] * jets[i].grad[a] for i in live))) for a in (0, 1))
    hxx, hxy, hyy = (
        tape.bind(
            sympy.Add(
                *(first[i] * jets[i].hess[k] for i in live),
                *(second[i, j] * jets[i].grad[a] * jets[j].grad[b] for i in live for j in live),
            )
        )
        for k, (a, b) in enumerate(_HESS_INDEX)
    )
    return _Jet(value, (gx, gy), (hxx, hxy, hyy), variable=True)


def _check_defined(node: ast.expr, source: Source, exprs: Sequence[sympy.Expr]) -> None:
    """Reject a node whose symbolic value or derivatives are undefined or complex."""
    for expr in exprs:
        if expr.has(*_UNDEFINED):
            raise reject(
                f"{source.segment(node)!r} is undefined (it simplifies to a division by zero, "
                "log(0) or similar)",
                node, source,
            )  # fmt: skip
        if expr.has(sympy.I):
            raise reject(f"{source.segment(node)!r} is complex-valued", node, source)
        if not all(np.isfinite(float(number)) for number in expr.atoms(sympy.Float)):
            raise reject(f"{source.segment(node)!r} overflows double precision", node, source)


def build(node: ast.expr, source: Source, tape: Tape) -> tuple[sympy.Expr, _Jet]:
    """Convert a checked tree: its (unevaluated) formula and its jet on ``tape``.

    Recursion depth is bounded by ``MAX_NODES``; ``sympy.diff`` only ever sees one operation.
    """
    built = [build(child, source, tape) for child in _children(node)]
    formula = _formula(node, [part for part, _ in built])
    jets = [jet for _, jet in built]
    match node:
        case ast.Name(id=name) if name in _LEAVES:
            return formula, _LEAVES[name]
        case ast.Name(id=name):
            return formula, _Jet.constant(CONSTANTS[name])
        case ast.Constant(value=number):
            return formula, _Jet.constant(float(number))
        case ast.UnaryOp(op=ast.UAdd()):
            return formula, jets[0]
    if not any(jet.variable for jet in jets):
        with np.errstate(all="ignore"):
            return formula, _Jet.constant(evaluate(node, [float(j.value) for j in jets]))
    mark = len(tape.assignments)
    jet = _chain(rule(_operation(node)), jets, tape)
    _check_defined(node, source, [e for _, e in tape.assignments[mark:]] + [jet.value])
    return formula, jet


def _real(out: npt.ArrayLike) -> Array:
    """Float64 view of a lambdified result; complex entries become NaN (defensive)."""
    arr = np.asarray(out)
    if np.iscomplexobj(arr):
        arr = np.where(arr.imag == 0, arr.real, np.nan)
    return arr.astype(np.float64, copy=False)


def compile_field(tape: Tape, outputs: Sequence[sympy.Expr], tail: tuple[int, ...]) -> Field:
    """Vectorized ``points (..., 2) -> (..., *tail)`` evaluating ``outputs`` (``tail`` flat).

    ``lambdify`` generates and ``exec``-utes Python source, but that source is printed from
    SymPy objects holding only whitelisted operations, the symbols ``x``, ``y`` and ``_t<k>``,
    our own function names and numbers printed by ``ExactPrinter``; no user text reaches it. The
    tape goes in through lambdify's ``cse`` hook: one assignment per line.
    """
    program = tape.program(outputs)
    printer = ExactPrinter(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": False,
            "user_functions": {name: name for name in LAMBDIFY_FUNCTIONS},
            "order": "none",  # skip sorting terms: printing dominates otherwise
        }
    )
    compiled = sympy.lambdify(
        [_X, _Y], list(outputs), modules=[dict(LAMBDIFY_FUNCTIONS), "numpy"], printer=printer,
        cse=lambda exprs: (program, exprs), docstring_limit=0,
    )  # fmt: skip

    def evaluate(points: npt.ArrayLike) -> Array:
        p = np.asarray(points, dtype=np.float64)
        if p.shape[-1:] != (2,):
            raise ValueError(f"points must have shape (..., 2), got {p.shape}")
        base = p.shape[:-1]
        with np.errstate(all="ignore"):
            outs = compiled(p[..., 0], p[..., 1])
            parts = [np.broadcast_to(_real(out), base) for out in outs]
        return np.stack(parts, axis=-1).reshape(base + tail)

    return evaluate
