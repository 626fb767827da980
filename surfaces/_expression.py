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
   canonicalize ever larger sums: 9-15 s for a 100-character tower ``x**x**...**x``.)
4. :func:`sympy.lambdify` prints the tape as NumPy code.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter

from surfaces._limits import (
    MAX_CONSTANT,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    ExpressionError,
)
from surfaces._surface import Array, Bounds, Field, Surface

DEFAULT_BOUNDS: Bounds = ((-3.0, 3.0), (-3.0, 3.0))

VARIABLES = ("x", "y")
CONSTANTS = MappingProxyType({"pi": np.pi, "e": np.e})
FUNCTIONS = (
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "abs", "relu",
)  # fmt: skip

_X, _Y = sympy.symbols("x y")
_U = sympy.symbols("u1 u2")  # placeholders for the operands of one operation
_NAMES = MappingProxyType({"x": _X, "y": _Y, "pi": sympy.pi, "e": sympy.E})
_GRID = 101
_NEWTON_STEPS = 8
_GRAD_TOL = 1e-8


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


_NUMPY_FUNCTIONS: MappingProxyType[str, Callable[[npt.ArrayLike], Array]] = MappingProxyType(
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
_NUMPY_OPERATORS = MappingProxyType(
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


_SYMPY_FUNCTIONS: MappingProxyType[str, type[sympy.Function]] = MappingProxyType(
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
_SYMPY_OPERATORS: MappingProxyType[type[ast.operator], Callable[..., sympy.Expr]] = (
    MappingProxyType(
        {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.Pow: lambda a, b: a**b,
        }
    )
)

# Names the lambdified code may call besides NumPy's own (all defined above).
_LAMBDIFY_FUNCTIONS: MappingProxyType[str, Callable[[npt.ArrayLike], Array]] = MappingProxyType(
    {
        "_Sign": np.sign,
        "_Step": _np_step,
        "_Abs": np.abs,
        "_Relu": _np_relu,
        "_Sigmoid": _np_sigmoid,
        "_Softplus": _np_softplus,
    }
)


class _Printer(NumPyPrinter):
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


# --------------------------------------------------------------------------------------------
# Step 1: text -> code for ast.parse, with a map back to the user's columns.


@dataclass(frozen=True)
class _Source:
    """The user's text and the code handed to :func:`ast.parse`.

    ``code`` is ``text`` with whitespace mapped to spaces, the ends stripped and every ``^``
    replaced by ``**``. ``origin[i]`` is the index in ``text`` of ``code[i]`` (one extra entry
    for the end), so errors report columns in what the user typed.
    """

    text: str
    code: str
    origin: tuple[int, ...]

    def column_of_char(self, index: int) -> int:
        """1-based column in ``text`` of character ``index`` of ``code``."""
        return self.origin[min(max(index, 0), len(self.origin) - 1)] + 1

    def char_index(self, byte_offset: int) -> int:
        """Character index in ``code`` of a UTF-8 byte offset (as in ``ast`` positions)."""
        return len(self.code.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))

    def column(self, node: ast.AST) -> int:
        """1-based column in ``text`` where ``node`` starts."""
        return self.column_of_char(self.char_index(node.col_offset))

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node``, shortened for messages."""
        seg = ast.get_source_segment(self.code, node) or ast.unparse(node)
        return seg if len(seg) <= 40 else seg[:37] + "..."


def _prepare(text: str) -> _Source:
    """Run the cheap character-level checks and build the code for :func:`ast.parse`.

    Notes
    -----
    ``^`` means power here, but in Python it is XOR and binds *looser* than ``+`` and ``*``:
    ``0.1*y^2 + 1`` parses as ``(0.1*y) ^ (2 + 1)``. Mapping ``ast.BitXor`` to ``ast.Pow`` on
    the tree would silently keep that wrong grouping, so we replace the ``^`` token by ``**``
    before parsing. That is exact here: outside string literals and comments a ``^`` can only
    be the operator, strings are rejected by the tree check, comments are ignored, and
    backslashes (escapes, line continuations) are rejected up front.
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("empty expression: type a function of x and y, e.g. x**2 + y**2")
    # Bracket nesting, scanned before ast.parse can recurse on it. The first MAX_LENGTH + 1
    # characters are enough: longer text is rejected just below anyway.
    depth = 0
    for i, char in enumerate(text[: MAX_LENGTH + 1]):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"nested too deeply: more than {MAX_DEPTH} levels of brackets "
                    f"at column {i + 1}",
                    i + 1,
                )
        elif char in ")]}":
            depth -= 1
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long: {len(text)} characters (limit {MAX_LENGTH})")
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char == "\\":
            raise ExpressionError(f"unexpected character '\\' at column {i + 1}", i + 1)
        if char.isspace():
            char = " "
        elif not char.isprintable():
            raise ExpressionError(
                f"unexpected control character U+{ord(char):04X} at column {i + 1}", i + 1
            )
        chars += ["*", "*"] if char == "^" else [char]
        origin += [i, i] if char == "^" else [i]
    code = "".join(chars)
    start = len(code) - len(code.lstrip())
    end = len(code.rstrip())
    return _Source(text, code[start:end], (*origin[start:end], origin[end - 1] + 1))


def _parse(source: _Source) -> ast.expr:
    """``ast.parse`` in eval mode, converting every failure into :class:`ExpressionError`."""
    try:
        return ast.parse(source.code, mode="eval").body
    except SyntaxError as exc:
        # ``offset`` is a 1-based character offset; 0/None means "at the end of the input".
        offset = exc.offset if exc.offset else len(source.code) + 1
        col = source.column_of_char(offset - 1)
        raise ExpressionError(f"syntax error at column {col}: {exc.msg}", col) from None
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        raise ExpressionError(f"expression too complex to parse ({type(exc).__name__})") from None


# --------------------------------------------------------------------------------------------
# Step 2: structural limits and the whitelist.

_ADDITIVE = (ast.Add, ast.Sub)
_MULTIPLICATIVE = (ast.Mult, ast.Div)
_FORBIDDEN = MappingProxyType(
    {
        ast.Attribute: "attribute access ('a.b') is",
        ast.Subscript: "subscripts ('a[i]') are",
        ast.Slice: "slices ('a:b') are",
        ast.Lambda: "lambda functions are",
        ast.ListComp: "list comprehensions are",
        ast.SetComp: "set comprehensions are",
        ast.DictComp: "dict comprehensions are",
        ast.GeneratorExp: "generator expressions are",
        ast.List: "lists ('[...]') are",
        ast.Tuple: "tuples (comma-separated values) are",
        ast.Set: "sets ('{...}') are",
        ast.Dict: "dicts ('{...: ...}') are",
        ast.Compare: "comparisons ('<', '==', ...) are",
        ast.BoolOp: "boolean operators ('and', 'or') are",
        ast.IfExp: "conditional expressions ('a if c else b') are",
        ast.JoinedStr: "f-strings are",
        ast.FormattedValue: "f-strings are",
        ast.Starred: "starred expressions ('*a') are",
        ast.NamedExpr: "assignment expressions (':=') are",
        ast.Await: "'await' is",
        ast.Yield: "'yield' is",
        ast.YieldFrom: "'yield from' is",
    }
)
_BAD_OPERATORS = MappingProxyType(
    {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
     ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
)  # fmt: skip
_ALLOWED_NAMES = ", ".join((*VARIABLES, *CONSTANTS, *FUNCTIONS))


def _same_chain(parent: ast.AST, child: ast.AST) -> bool:
    """Whether ``child`` continues a left-associative ``+ -`` or ``* /`` chain of ``parent``."""
    if not (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp)):
        return False
    return child is parent.left and any(
        isinstance(parent.op, group) and isinstance(child.op, group)
        for group in (_ADDITIVE, _MULTIPLICATIVE)
    )


def _check_size(body: ast.expr, source: _Source) -> None:
    """Enforce ``MAX_NODES`` and ``MAX_DEPTH`` iteratively (no recursion on user input)."""
    count = 0
    deepest: tuple[int, ast.AST] = (1, body)
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            count += 1
            if depth > deepest[0]:
                deepest = (depth, node)
        for child in ast.iter_child_nodes(node):
            step = isinstance(child, ast.expr) and not _same_chain(node, child)
            stack.append((child, depth + int(step)))
    if count > MAX_NODES:
        raise ExpressionError(
            f"expression too large: {count} operands and operations (limit {MAX_NODES})"
        )
    if deepest[0] > MAX_DEPTH:
        col = source.column(deepest[1])
        raise ExpressionError(
            f"expression nested too deeply at column {col}: depth {deepest[0]} (limit {MAX_DEPTH})",
            col,
        )


def _reject(
    what: str, node: ast.AST, source: _Source, hint: str = "", *, col: int | None = None
) -> ExpressionError:
    col = source.column(node) if col is None else col
    return ExpressionError(f"{what} at column {col}{hint}", col)


def _evaluate(node: ast.expr, args: Sequence[float]) -> float:
    """Float64 value of one whitelisted operation on constant operands (inf/nan if undefined)."""
    match node:
        case ast.UnaryOp(op=ast.USub()):
            return -args[0]
        case ast.UnaryOp(op=ast.UAdd()):
            return args[0]
        case ast.BinOp(op=op):
            return float(_NUMPY_OPERATORS[type(op)](np.float64(args[0]), np.float64(args[1])))
        case ast.Call(func=ast.Name(id=name)):
            return float(_NUMPY_FUNCTIONS[name](np.float64(args[0])))
    raise TypeError(f"not an operation: {ast.dump(node)}")  # unreachable after _check


def _check(node: ast.expr, source: _Source) -> float | None:
    """Check ``node`` against the whitelist; return its float value if it is constant.

    Checks run outermost first, so the message names the outermost offending construct.
    Constant subtrees (no ``x``/``y``) are folded in float64 to enforce the exponent limit and
    finiteness (``9**9**9`` and ``1/0`` never reach SymPy).
    """
    match node:
        case ast.Constant(value=bool()):
            raise _reject(f"booleans are not allowed ({node.value!r})", node, source)
        case ast.Constant(value=complex()):
            raise _reject(
                f"complex numbers are not allowed ({source.segment(node)!r})", node, source
            )
        case ast.Constant(value=int() | float() as number):
            if not abs(number) <= MAX_CONSTANT:  # also catches inf (1e400) and nan
                raise _reject(
                    f"number {source.segment(node)} is too large", node, source,
                    f" (limit: magnitude <= {MAX_CONSTANT:g})",
                )  # fmt: skip
            return float(number)
        case ast.Constant(value=str() | bytes()):
            raise _reject(f"strings are not allowed ({source.segment(node)})", node, source)
        case ast.Constant():
            raise _reject(f"{source.segment(node)!r} is not allowed", node, source)
        case ast.Name(id=name) if name in VARIABLES:
            return None
        case ast.Name(id=name) if name in CONSTANTS:
            return CONSTANTS[name]
        case ast.Name(id=name) if name in FUNCTIONS:
            raise _reject(
                f"'{name}' is a function: call it with one argument, e.g. {name}(x),",
                node, source,
            )  # fmt: skip
        case ast.Name(id=name):
            raise _reject(f"unknown name {name!r}", node, source, f"; allowed: {_ALLOWED_NAMES}")
        case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
            value = _check(operand, source)
            return None if value is None else _evaluate(node, [value])
        case ast.UnaryOp(op=op):
            symbol = "not" if isinstance(op, ast.Not) else "~"
            raise _reject(f"operator {symbol!r} is not allowed", node, source)
        case ast.BinOp(op=op) if type(op) in _BAD_OPERATORS:
            symbol = _BAD_OPERATORS[type(op)]
            start = source.char_index(node.left.end_col_offset or 0)
            col = source.column_of_char(source.code.find(symbol, start))
            raise _reject(
                f"operator {symbol!r} is not allowed", node, source,
                "; allowed: + - * / ** (or ^ for power)", col=col,
            )  # fmt: skip
        case ast.BinOp(left=left, right=right):
            return _check_binop(node, _check(left, source), _check(right, source), source)
        case ast.Call(func=ast.Name(id=name)) if name in FUNCTIONS:
            return _check_call(node, name, source)
        case ast.Call(func=ast.Name(id=name)) if name in VARIABLES or name in CONSTANTS:
            raise _reject(
                f"{name!r} is not a function", node, source, f"; functions: {', '.join(FUNCTIONS)}"
            )
        case ast.Call(func=ast.Name(id=name)):
            raise _reject(
                f"unknown function {name!r}", node, source,
                f"; allowed functions: {', '.join(FUNCTIONS)}",
            )  # fmt: skip
        case ast.Call(func=func):
            raise _reject(
                f"calling {source.segment(func)!r} is not allowed", node, source,
                f"; only the functions {', '.join(FUNCTIONS)} can be called",
            )  # fmt: skip
        case ast.Attribute(attr=attr, end_col_offset=int() as end):
            # Point at the attribute name, not at the start of the whole expression.
            col = source.column_of_char(source.char_index(end - len(attr.encode("utf-8"))))
            raise _reject(f"attribute access ('.{attr}') is not allowed", node, source, col=col)
    what = next((w for kind, w in _FORBIDDEN.items() if isinstance(node, kind)), None)
    raise _reject(f"{what or type(node).__name__ + ' is'} not allowed", node, source)


def _check_call(node: ast.Call, name: str, source: _Source) -> float | None:
    if node.keywords:
        keyword = node.keywords[0]
        label = f"{keyword.arg}=..." if keyword.arg else "**..."
        raise _reject(f"keyword arguments are not allowed: {name}({label})", keyword, source)
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _reject(f"starred arguments are not allowed: {name}(*...)", node, source)
    if len(node.args) != 1:
        raise _reject(f"{name}() takes exactly one argument, got {len(node.args)}", node, source)
    value = _check(node.args[0], source)
    return None if value is None else _finite_constant(_evaluate(node, [value]), node, source)


def _check_binop(
    node: ast.BinOp, left: float | None, right: float | None, source: _Source
) -> float | None:
    if isinstance(node.op, ast.Pow) and right is not None and not abs(right) <= MAX_EXPONENT:
        raise _reject(
            f"exponent {right:.10g} is too large", node.right, source,
            f" (limit |p| <= {MAX_EXPONENT})",
        )  # fmt: skip
    if isinstance(node.op, ast.Pow) and left is not None and right is None and not left > 0:
        raise _reject(
            f"a variable exponent needs a positive constant base, got {left:g} "
            f"in {source.segment(node)!r}",
            node, source,
        )  # fmt: skip
    if left is None or right is None:
        return None
    return _finite_constant(_evaluate(node, [left, right]), node, source)


def _finite_constant(value: float, node: ast.AST, source: _Source) -> float:
    if not np.isfinite(value):
        raise _reject(
            f"constant {source.segment(node)!r} is not a finite real number ({value})",
            node, source,
        )  # fmt: skip
    return value


def _checked_tree(text: str) -> tuple[ast.expr, _Source]:
    """Parse and check ``text``; return the whitelisted tree and its source map."""
    source = _prepare(text)
    body = _parse(source)
    _check_size(body, source)
    with np.errstate(all="ignore"):
        _check(body, source)
    return body, source


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
            return sympy.Add(*_flat(node.left, parts[0], _ADDITIVE), right, evaluate=False)
        case ast.BinOp(op=ast.Div()) if all(part.is_Integer for part in parts):
            return sympy.Rational(*parts)
        case ast.BinOp(op=ast.Mult() | ast.Div() as op):
            right = (
                _flat(node.right, parts[1], (ast.Mult,))
                if isinstance(op, ast.Mult)
                else (sympy.Pow(parts[1], -1, evaluate=False),)
            )
            factors = [*_flat(node.left, parts[0], _MULTIPLICATIVE), *right]
            factors.sort(key=lambda factor: not factor.is_Number)  # stable: numbers first
            return sympy.Mul(*factors, evaluate=False)
        case ast.BinOp(op=ast.Pow()):
            return sympy.Pow(*parts, evaluate=False)
        case ast.Call(func=ast.Name(id=name)):
            return _SYMPY_FUNCTIONS[name](parts[0], evaluate=False)
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
        **{op.__name__: fn(*_U) for op, fn in _SYMPY_OPERATORS.items()},
        **{name: fn(_U[0]) for name, fn in _SYMPY_FUNCTIONS.items()},
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
def _rule(operation: str) -> _Rule:
    """The derivative rule of one operation, e.g. ``"Pow"`` or ``"sin"``.

    Cached: this is a constant table of at most ``len(_TEMPLATES)`` = 17 entries, filled
    lazily because ``sympy.diff`` takes ~50 ms per rule (0.8 s for all of them). The result
    depends only on the key and is immutable, so the cache is invisible except for speed.
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
class _Tape:
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


def _chain(rule: _Rule, jets: Sequence[_Jet], tape: _Tape) -> _Jet:
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


def _check_defined(node: ast.expr, source: _Source, exprs: Sequence[sympy.Expr]) -> None:
    """Reject a node whose symbolic value or derivatives are undefined or complex."""
    for expr in exprs:
        if expr.has(*_UNDEFINED):
            raise _reject(
                f"{source.segment(node)!r} is undefined (it simplifies to a division by zero, "
                "log(0) or similar)",
                node, source,
            )  # fmt: skip
        if expr.has(sympy.I):
            raise _reject(f"{source.segment(node)!r} is complex-valued", node, source)
        if not all(np.isfinite(float(number)) for number in expr.atoms(sympy.Float)):
            raise _reject(f"{source.segment(node)!r} overflows double precision", node, source)


def _build(node: ast.expr, source: _Source, tape: _Tape) -> tuple[sympy.Expr, _Jet]:
    """Convert a checked tree: its (unevaluated) formula and its jet on ``tape``.

    Recursion depth is bounded by ``MAX_NODES``; ``sympy.diff`` only ever sees one operation.
    """
    built = [_build(child, source, tape) for child in _children(node)]
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
            return formula, _Jet.constant(_evaluate(node, [float(j.value) for j in jets]))
    mark = len(tape.assignments)
    jet = _chain(_rule(_operation(node)), jets, tape)
    _check_defined(node, source, [e for _, e in tape.assignments[mark:]] + [jet.value])
    return formula, jet


def _real(out: npt.ArrayLike) -> Array:
    """Float64 view of a lambdified result; complex entries become NaN (defensive)."""
    arr = np.asarray(out)
    if np.iscomplexobj(arr):
        arr = np.where(arr.imag == 0, arr.real, np.nan)
    return arr.astype(np.float64, copy=False)


def _field(tape: _Tape, outputs: Sequence[sympy.Expr], tail: tuple[int, ...]) -> Field:
    """Vectorized ``points (..., 2) -> (..., *tail)`` evaluating ``outputs`` (``tail`` flat).

    ``lambdify`` generates and ``exec``-utes Python source, but that source is printed from
    SymPy objects holding only whitelisted operations, the symbols ``x``, ``y`` and ``_t<k>``,
    our own function names and numbers printed by ``_Printer``; no user text reaches it. The
    tape goes in through lambdify's ``cse`` hook: one assignment per line.
    """
    program = tape.program(outputs)
    printer = _Printer(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": False,
            "user_functions": {name: name for name in _LAMBDIFY_FUNCTIONS},
            "order": "none",  # skip sorting terms: printing dominates otherwise
        }
    )
    compiled = sympy.lambdify(
        [_X, _Y], list(outputs), modules=[dict(_LAMBDIFY_FUNCTIONS), "numpy"], printer=printer,
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


# --------------------------------------------------------------------------------------------
# Step 4: metadata for the Surface.


def _check_bounds(bounds: object) -> Bounds:
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


def _default_start(bounds: Bounds) -> tuple[float, float]:
    """70% of the way from the centre of ``bounds`` to its upper-left corner ``(xmin, ymax)``."""
    (x0, x1), (y0, y1) = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx + 0.7 * (x0 - cx), cy + 0.7 * (y1 - cy))


def _grid(bounds: Bounds) -> Array:
    """``(_GRID, _GRID, 2)`` points over ``bounds``."""
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, _GRID), np.linspace(y0, y1, _GRID))
    return np.stack([X, Y], axis=-1)


def _estimate_minimum(
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


def _wants_log_levels(values: Array) -> bool:
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


# --------------------------------------------------------------------------------------------
# Public API.


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
    body, _ = _checked_tree(text)
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
    box = _check_bounds(bounds)
    body, source = _checked_tree(text)
    tape = _Tape()
    formula, jet = _build(body, source, tape)
    fxx, fxy, fyy = jet.hess
    value = _field(tape, [jet.value], ())
    grad = _field(tape, jet.grad, (2,))
    hessian = _field(tape, [fxx, fxy, fxy, fyy], (2, 2))
    points = _grid(box)
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
        minima=_estimate_minimum(points, values, grad, hessian, box),
        saddles=None,
        start=_default_start(box),
        description=f"A surface you typed: f(x, y) = {typed}.",
        log_levels=_wants_log_levels(values),
    )
