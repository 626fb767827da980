"""Limits and the error type of typed expressions, without SymPy.

The page needs these on every run (the formula box's ``max_chars``, the error it catches);
SymPy (heavy in memory and import time: docs/performance.md) is only loaded when someone
types a formula.
"""

from __future__ import annotations

MAX_LENGTH = 500
"""Maximum number of characters in an expression."""
MAX_NODES = 200
"""Maximum number of operands and operations (AST expression nodes)."""
MAX_DEPTH = 32
"""Maximum nesting: brackets, calls, powers and signs (a chain ``a + b - c`` is one level)."""
MAX_EXPONENT = 100
"""Maximum magnitude of a constant exponent, as in ``x**100``."""
MAX_CONSTANT = 1e6
"""Maximum magnitude of a number literal."""


class ExpressionError(ValueError):
    """A typed expression was rejected; the message says what is wrong and where.

    Parameters
    ----------
    message : str
        Human-readable reason, naming the offending construct or token and its column.
    column : int or None
        1-based column in the user's text, when the problem has a position.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column
