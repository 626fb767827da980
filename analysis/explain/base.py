"""What every explainer shares: the step's inputs, its output parts and the LaTeX helpers.

An explainer is a function ``Step -> Parts``: from one recorded step (the point, the gradient
the optimizer was given, its state before and after, the learning rate) to the update rule's
lines with that step's numbers filled in, the arrows to draw and the named quantities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

GRADIENT_STEP = "−lr·g (gradient step)"
"""Name of the plain gradient-descent step :math:`-\\mathrm{lr}\\, g_k` in `vectors`."""
ACTUAL_STEP = "actual step"
"""Name of the step the optimizer really took, :math:`x_k - x_{k-1}`, in `vectors`."""

SIGNIFICANT_DIGITS = 4


def fmt(x: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    r"""A number as compact LaTeX with ``digits`` significant digits.

    >>> fmt(1.23456), fmt(-0.5), fmt(1e-8), fmt(12345.6), fmt(0.0), fmt(float("nan"))
    ('1.235', '-0.5', '10^{-8}', '1.235{\\times}10^{4}', '0', '\\mathrm{NaN}')
    """
    x = float(x)
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return power if mantissa == "1" else "-" + power
    return rf"{mantissa}{{\times}}{power}"


def fmt_vec(v: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    r"""A 2D vector as LaTeX ``(a,\ b)``.

    >>> fmt_vec([1.0, -2.5])
    '(1,\\ -2.5)'
    """
    a, b = np.asarray(v, dtype=np.float64).reshape(2)
    return rf"({fmt(a, digits)},\ {fmt(b, digits)})"



_v, _s = fmt_vec, fmt


class Step(NamedTuple):
    """What every explainer needs about step ``k``."""

    name: str
    k: int
    hp: Mapping[str, Any]
    x: Array  # x_{k-1}
    x_next: Array  # x_k
    grad: Array  # given to update (noise included)
    noise: Array
    lr: float
    lr0: float
    scale: float
    scheduled: bool
    before: Any
    after: Any
    hess: Array | None = None  # the Hessian given to update (Newton's methods)


class Parts(NamedTuple):
    """What an explainer returns: the equations, arrows, named numbers and the step the
    equations compute (``formula_step``; a test checks it equals the optimizer's step)."""

    lines: list[str]
    vectors: dict[str, Array]
    numbers: dict[str, Any]
    formula_step: Array


def arr(x: Any) -> Array:
    return np.array(np.broadcast_to(np.asarray(x, dtype=np.float64), (2,)))


def head(s: Step) -> list[str]:
    """The learning-rate line (with a schedule) and the gradient line."""
    lines = []
    if s.scheduled:
        lines.append(
            rf"\mathrm{{lr}} = \mathrm{{lr}}_0\cdot m(k-1) = {_s(s.lr0)}\cdot {_s(s.scale)}"
            rf" = {_s(s.lr)}"
        )
    if np.any(s.noise != 0):
        lines.append(
            rf"g_k = \nabla f(x_{{k-1}}) + \xi_k = {_v(s.grad - s.noise)} + {_v(s.noise)}"
            rf" = {_v(s.grad)}"
        )
    else:
        lines.append(rf"g_k = \nabla f(x_{{k-1}}) = \nabla f{_v(s.x)} = {_v(s.grad)}")
    return lines


def l2(s: Step, lines: list[str]) -> Array:
    """L2 weight decay (added to the gradient), with its line; returns the gradient used."""
    lam = float(s.hp.get("weight_decay", 0.0))
    if lam == 0:
        return s.grad
    g = s.grad + lam * s.x
    lines.append(
        rf"g_k \leftarrow g_k + \lambda\, x_{{k-1}} = {_v(s.grad)} + {_s(lam)}\cdot {_v(s.x)}"
        rf" = {_v(g)}"
    )
    return g


def decoupled_decay(s: Step, lines: list[str], vectors: dict[str, Array]) -> Array:
    """Decoupled (AdamW) weight decay: shrink the parameters; returns the shrunk point."""
    lam = float(s.hp.get("weight_decay", 0.0))
    x = s.x * (1 - s.lr * lam)
    lines.append(
        rf"\tilde x_{{k-1}} = (1 - \mathrm{{lr}}\,\lambda)\, x_{{k-1}} = "
        rf"(1 - {_s(s.lr)}\cdot {_s(lam)})\cdot {_v(s.x)} = {_v(x)}"
    )
    vectors["−lr·λ·x (weight decay)"] = x - s.x
    return x


def per_coordinate(lines: list[str]) -> None:
    lines.append(
        r"\text{(per coordinate: squares, } \sqrt{\cdot}\text{, / and } \odot"
        r"\text{ act elementwise)}"
    )


def eff_step(s: Step, what: str, value: Array, lr_eff: Array, x: Array | None = None) -> str:
    x_name, x = (r"x_{k-1}", s.x) if x is None else (r"\tilde x_{k-1}", x)
    return (
        rf"x_k = {x_name} - \mathrm{{lr}}_{{\mathrm{{eff}}}} \odot {what} = {_v(x)} - "
        rf"{_v(lr_eff)} \odot {_v(value)} = {_v(s.x_next)}"
    )



def mat(m: Any) -> str:
    r"""A 2x2 matrix as LaTeX ``\begin{pmatrix} a & b \\ c & d \end{pmatrix}``.

    >>> print(mat([[1.0, -2.0], [0.5, 3.0]]))
    \begin{pmatrix} 1 & -2 \\ 0.5 & 3 \end{pmatrix}
    """
    (a, b), (c, d) = np.asarray(m, dtype=np.float64).reshape(2, 2)
    return rf"\begin{{pmatrix}} {fmt(a)} & {fmt(b)} \\ {fmt(c)} & {fmt(d)} \end{{pmatrix}}"
