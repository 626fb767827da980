"""Steps 1-2 of a typed formula: text -> ``ast`` tree, then limits and the whitelist.

User text is never evaluated: no ``eval``/``exec``/``compile`` of it, and no
``sympy.sympify``/``parse_expr`` (both call ``eval``). Only :func:`ast.parse` reads it, after
cheap character checks, and the tree is checked node by node against a whitelist.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from surfaces._limits import (
    MAX_CONSTANT,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    ExpressionError,
)
from surfaces.expression.functions import (
    CONSTANTS,
    FUNCTIONS,
    NUMPY_FUNCTIONS,
    NUMPY_OPERATORS,
    VARIABLES,
)

# --------------------------------------------------------------------------------------------
# Step 1: text -> code for ast.parse, with a map back to the user's columns.


@dataclass(frozen=True)
class Source:
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


def _prepare(text: str) -> Source:
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
    return Source(text, code[start:end], (*origin[start:end], origin[end - 1] + 1))


def _parse(source: Source) -> ast.expr:
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

ADDITIVE = (ast.Add, ast.Sub)
MULTIPLICATIVE = (ast.Mult, ast.Div)
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
        for group in (ADDITIVE, MULTIPLICATIVE)
    )


def _check_size(body: ast.expr, source: Source) -> None:
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


def reject(
    what: str, node: ast.AST, source: Source, hint: str = "", *, col: int | None = None
) -> ExpressionError:
    col = source.column(node) if col is None else col
    return ExpressionError(f"{what} at column {col}{hint}", col)


def evaluate(node: ast.expr, args: Sequence[float]) -> float:
    """Float64 value of one whitelisted operation on constant operands (inf/nan if undefined)."""
    match node:
        case ast.UnaryOp(op=ast.USub()):
            return -args[0]
        case ast.UnaryOp(op=ast.UAdd()):
            return args[0]
        case ast.BinOp(op=op):
            return float(NUMPY_OPERATORS[type(op)](np.float64(args[0]), np.float64(args[1])))
        case ast.Call(func=ast.Name(id=name)):
            return float(NUMPY_FUNCTIONS[name](np.float64(args[0])))
    raise TypeError(f"not an operation: {ast.dump(node)}")  # unreachable after _check


def _check(node: ast.expr, source: Source) -> float | None:
    """Check ``node`` against the whitelist; return its float value if it is constant.

    Checks run outermost first, so the message names the outermost offending construct.
    Constant subtrees (no ``x``/``y``) are folded in float64 to enforce the exponent limit and
    finiteness (``9**9**9`` and ``1/0`` never reach SymPy).
    """
    match node:
        case ast.Constant(value=bool()):
            raise reject(f"booleans are not allowed ({node.value!r})", node, source)
        case ast.Constant(value=complex()):
            raise reject(
                f"complex numbers are not allowed ({source.segment(node)!r})", node, source
            )
        case ast.Constant(value=int() | float() as number):
            if not abs(number) <= MAX_CONSTANT:  # also catches inf (1e400) and nan
                raise reject(
                    f"number {source.segment(node)} is too large", node, source,
                    f" (limit: magnitude <= {MAX_CONSTANT:g})",
                )  # fmt: skip
            return float(number)
        case ast.Constant(value=str() | bytes()):
            raise reject(f"strings are not allowed ({source.segment(node)})", node, source)
        case ast.Constant():
            raise reject(f"{source.segment(node)!r} is not allowed", node, source)
        case ast.Name(id=name) | ast.Call(func=ast.Name(id=name)) if "_" in name:
            # Dunders (``__import__``) are the usual way out of a sandbox; no allowed name has
            # an underscore, so say that rather than "unknown function".
            raise reject(f"names with underscores are not allowed ({name!r})", node, source)
        case ast.Name(id=name) if name in VARIABLES:
            return None
        case ast.Name(id=name) if name in CONSTANTS:
            return CONSTANTS[name]
        case ast.Name(id=name) if name in FUNCTIONS:
            raise reject(
                f"'{name}' is a function: call it with one argument, e.g. {name}(x),",
                node, source,
            )  # fmt: skip
        case ast.Name(id=name):
            raise reject(f"unknown name {name!r}", node, source, f"; allowed: {_ALLOWED_NAMES}")
        case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
            value = _check(operand, source)
            return None if value is None else evaluate(node, [value])
        case ast.UnaryOp(op=op):
            symbol = "not" if isinstance(op, ast.Not) else "~"
            raise reject(f"operator {symbol!r} is not allowed", node, source)
        case ast.BinOp(op=op) if type(op) in _BAD_OPERATORS:
            symbol = _BAD_OPERATORS[type(op)]
            start = source.char_index(node.left.end_col_offset or 0)
            col = source.column_of_char(source.code.find(symbol, start))
            raise reject(
                f"operator {symbol!r} is not allowed", node, source,
                "; allowed: + - * / ** (or ^ for power)", col=col,
            )  # fmt: skip
        case ast.BinOp(left=left, right=right):
            return _check_binop(node, _check(left, source), _check(right, source), source)
        case ast.Call(func=ast.Name(id=name)) if name in FUNCTIONS:
            return _check_call(node, name, source)
        case ast.Call(func=ast.Name(id=name)) if name in VARIABLES or name in CONSTANTS:
            raise reject(
                f"{name!r} is not a function", node, source, f"; functions: {', '.join(FUNCTIONS)}"
            )
        case ast.Call(func=ast.Name(id=name)):
            raise reject(
                f"unknown function {name!r}", node, source,
                f"; allowed functions: {', '.join(FUNCTIONS)}",
            )  # fmt: skip
        case ast.Call(func=func):
            raise reject(
                f"calling {source.segment(func)!r} is not allowed", node, source,
                f"; only the functions {', '.join(FUNCTIONS)} can be called",
            )  # fmt: skip
        case ast.Attribute(attr=attr, end_col_offset=int() as end):
            # Point at the attribute name, not at the start of the whole expression.
            col = source.column_of_char(source.char_index(end - len(attr.encode("utf-8"))))
            raise reject(f"attribute access ('.{attr}') is not allowed", node, source, col=col)
    what = next((w for kind, w in _FORBIDDEN.items() if isinstance(node, kind)), None)
    raise reject(f"{what or type(node).__name__ + ' is'} not allowed", node, source)


def _check_call(node: ast.Call, name: str, source: Source) -> float | None:
    if node.keywords:
        keyword = node.keywords[0]
        label = f"{keyword.arg}=..." if keyword.arg else "**..."
        raise reject(f"keyword arguments are not allowed: {name}({label})", keyword, source)
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise reject(f"starred arguments are not allowed: {name}(*...)", node, source)
    if len(node.args) != 1:
        raise reject(f"{name}() takes exactly one argument, got {len(node.args)}", node, source)
    value = _check(node.args[0], source)
    return None if value is None else _finite_constant(evaluate(node, [value]), node, source)


def _check_binop(
    node: ast.BinOp, left: float | None, right: float | None, source: Source
) -> float | None:
    if isinstance(node.op, ast.Pow) and right is not None and not abs(right) <= MAX_EXPONENT:
        raise reject(
            f"exponent {right:.10g} is too large", node.right, source,
            f" (limit |p| <= {MAX_EXPONENT})",
        )  # fmt: skip
    if isinstance(node.op, ast.Pow) and left is not None and right is None and not left > 0:
        raise reject(
            f"a variable exponent needs a positive constant base, got {left:g} "
            f"in {source.segment(node)!r}",
            node, source,
        )  # fmt: skip
    if left is None or right is None:
        return None
    return _finite_constant(evaluate(node, [left, right]), node, source)


def _finite_constant(value: float, node: ast.AST, source: Source) -> float:
    if not np.isfinite(value):
        raise reject(
            f"constant {source.segment(node)!r} is not a finite real number ({value})",
            node, source,
        )  # fmt: skip
    return value


def checked_tree(text: str) -> tuple[ast.expr, Source]:
    """Parse and check ``text``; return the whitelisted tree and its source map."""
    source = _prepare(text)
    body = _parse(source)
    _check_size(body, source)
    with np.errstate(all="ignore"):
        _check(body, source)
    return body, source
