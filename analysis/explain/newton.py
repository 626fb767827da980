r"""Explainers of `optimizers._newton`: Newton's method and saddle-free Newton.

Both step :math:`x_k = x_{k-1} - \mathrm{lr}\, d_k` and differ in the direction: Newton
solves :math:`(H_k + \delta I)\, d_k = g_k`, saddle-free Newton divides the gradient's
components along the Hessian's eigenvectors by :math:`|\lambda_i| + \delta`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.explain.base import GRADIENT_STEP, Array, Parts, Step, fmt, fmt_vec, head, mat

_v, _s = fmt_vec, fmt


def _parts(s: Step, lines: list[str], d: Array, numbers: dict[str, Any]) -> Parts:
    """The shared step :math:`x_k = x_{k-1} - \\mathrm{lr}\\, d_k`."""
    lines.append(
        rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, d_k = {_v(s.x)} - {_s(s.lr)}\cdot {_v(d)}"
        rf" = {_v(s.x_next)}"
    )
    numbers["d_k (direction)"] = d
    return Parts(lines, {GRADIENT_STEP: -s.lr * s.grad}, numbers, -s.lr * d)


def _singular(lines: list[str], what: str, g: Array) -> Array:
    lines.append(rf"{what}\text{{ is singular: }} d_k = g_k = {_v(g)}\ \text{{(a gradient step)}}")
    return np.array(g)


def newton(s: Step) -> Parts:
    lines = head(s)
    hess = np.asarray(s.hess, dtype=np.float64)
    delta = float(s.hp["damping"])
    lines.append(rf"H_k = \nabla^2 f(x_{{k-1}}) = {mat(hess)}")
    a, name = hess, "H_k"
    if delta:
        a, name = hess + delta * np.eye(2), r"(H_k + \delta I)"
        lines.append(rf"H_k + \delta I = {mat(hess)} + {_s(delta)}\, I = {mat(a)}")
    if np.linalg.slogdet(a)[0] == 0:  # as the optimizer: no LU pivot, a gradient step
        d = _singular(lines, name, s.grad)
    else:
        d = np.linalg.solve(a, s.grad)
        lines.append(rf"d_k = {name}^{{-1}} g_k = {_v(d)}")
    return _parts(s, lines, d, {"H_k (Hessian)": hess})


def saddle_free_newton(s: Step) -> Parts:
    lines = head(s)
    hess = np.asarray(s.hess, dtype=np.float64)
    delta = float(s.hp["damping"])
    lam, vecs = np.linalg.eigh(hess)
    scale = np.abs(lam) + delta
    lines.append(rf"H_k = \nabla^2 f(x_{{k-1}}) = {mat(hess)} = V \Lambda V^\top")
    lines.append(
        rf"\lambda = {_v(lam)},\quad |\lambda| + \delta = |{_v(lam)}| + {_s(delta)}"
        rf" = {_v(scale)}"
    )
    numbers: dict[str, Any] = {"H_k (Hessian)": hess, "λ (eigenvalues)": lam}
    if np.any(scale == 0):
        d = _singular(lines, r"|H_k|_\delta", s.grad)
    else:
        along = vecs.T @ s.grad / scale
        d = vecs @ along
        lines.append(
            rf"d_k = V\,(|\Lambda| + \delta I)^{{-1}} V^\top g_k = V\, {_v(along)} = {_v(d)}"
        )
        lines.append(r"\text{(Newton divides by } \lambda\text{; here by } |\lambda| + \delta"
                     r"\text{, so the step never turns uphill)}")  # fmt: skip
    return _parts(s, lines, d, numbers)
