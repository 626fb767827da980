r"""Explainer of `optimizers._lbfgs`: L-BFGS, one iteration of torch's ``LBFGS.step``.

The direction :math:`d_k = -H_k g_k` comes from the two-loop recursion over the remembered
pairs :math:`(s_i, y_i)` (never a matrix); the step length :math:`t_k` is ``lr`` (shortened on
the first iteration) or the line search's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.explain.base import GRADIENT_STEP, Parts, Step, fmt, fmt_vec, head

_v, _s = fmt_vec, fmt

_SEARCHES = {"strong_wolfe": "strong Wolfe", "armijo": "Armijo"}


def lbfgs(s: Step) -> Parts:
    lines = head(s)
    hp, after, g = s.hp, s.after, s.grad
    tol_grad, tol_change = float(hp["tolerance_grad"]), float(hp["tolerance_change"])
    vectors = {GRADIENT_STEP: -s.lr * g}
    biggest = float(np.abs(g).max())
    if biggest <= tol_grad:
        lines.append(
            rf"\max_i |g_{{k,i}}| = {_s(biggest)} \le \tau_g = {_s(tol_grad)}"
            r"\text{: converged, no step}"
        )
        lines.append(rf"x_k = x_{{k-1}} = {_v(s.x_next)}")
        return Parts(lines, vectors, {}, np.zeros(2))
    d, t = np.asarray(after.d, dtype=np.float64), float(after.step)
    numbers: dict[str, Any] = {"d_k (direction)": d, "t_k (step length)": t}
    if int(after.n_iter) == 1:
        l1 = float(np.abs(g).sum())
        t0 = min(1.0, 1.0 / l1) * s.lr
        lines.append(rf"d_k = -g_k = {_v(d)}\quad\text{{(first iteration: no memory yet)}}")
        lines.append(
            rf"t_k = \min(1,\ 1/\|g_k\|_1)\,\mathrm{{lr}} = \min(1,\ 1/{_s(l1)})\cdot "
            rf"{_s(s.lr)} = {_s(t0)}"
        )
    else:
        t0 = s.lr
        gamma = float(after.H_diag)
        lines.append(
            rf"\text{{memory: {len(after.history)} pairs }} (s_i, y_i),\quad \gamma_k = "
            rf"\frac{{s^\top y}}{{y^\top y}} = {_s(gamma)}"
        )
        lines.append(rf"d_k = -H_k\, g_k\ \text{{(two-loop recursion)}} = {_v(d)}")
        numbers["γ_k (initial inverse-Hessian scale)"] = gamma
    gtd = float(g @ d)
    if gtd > -tol_change:
        lines.append(
            rf"g_k^\top d_k = {_s(gtd)} > -\tau_c\text{{: not a descent direction, no step}}"
        )
        lines.append(rf"x_k = x_{{k-1}} = {_v(s.x_next)}")
        return Parts(lines, vectors, numbers, np.zeros(2))
    lines.append(rf"g_k^\top d_k = {_s(gtd)} < 0\quad\text{{(a descent direction)}}")
    search = hp.get("line_search_fn")
    if search:
        lines.append(
            rf"t_k = \text{{{_SEARCHES[search]} line search from }} {_s(t0)} = {_s(t)}"
        )
    lines.append(
        rf"x_k = x_{{k-1}} + t_k\, d_k = {_v(s.x)} + {_s(t)}\cdot {_v(d)} = {_v(s.x_next)}"
    )
    return Parts(lines, vectors, numbers, t * d)
