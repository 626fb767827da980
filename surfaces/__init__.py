"""Analytic 2D loss surfaces with exact value, gradient and Hessian (pure NumPy).

``from_expression`` (a surface typed as a formula) needs SymPy; it is imported on first use so
that ``import surfaces`` stays light for everything else.
"""

from typing import Any

from surfaces._library import SURFACES, get_surface
from surfaces._limits import MAX_LENGTH, ExpressionError
from surfaces._surface import Bounds, Surface

_LAZY = {"from_expression", "normalize_expression"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from surfaces import expression

        return getattr(expression, name)
    raise AttributeError(f"module 'surfaces' has no attribute {name!r}")


__all__ = [
    "MAX_LENGTH",
    "SURFACES",
    "Bounds",
    "ExpressionError",
    "Surface",
    "from_expression",
    "get_surface",
    "normalize_expression",
]
