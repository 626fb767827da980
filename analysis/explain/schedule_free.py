r"""Explainers of `optimizers._schedule_free`: Schedule-Free SGD and AdamW.

The parameters the race draws are :math:`y` (where the gradient is taken); the state holds
the base sequence :math:`z` and the average :math:`\bar x` (the point to evaluate).
"""

from __future__ import annotations

import numpy as np

from analysis.explain.base import GRADIENT_STEP, Array, Parts, Step, arr, fmt, fmt_vec, head

_v, _s = fmt_vec, fmt


def _averaged(s: Step, g: Array, beta: float, lines: list[str], g_name: str = "g_k") -> Parts:
    """The shared update of :math:`y`, :math:`z` and :math:`\\bar x` with gradient ``g``
    (named ``g_name`` in the equations)."""
    before, after = s.before, s.after
    warmup = float(s.hp["warmup_steps"])
    lr = s.lr * (s.k / warmup if s.k - 1 < warmup else 1.0)
    if warmup:
        lines.append(
            rf"\gamma_k = \mathrm{{lr}}\,\min(1,\ k/T_{{warmup}}) = {_s(s.lr)}\cdot "
            rf"\min(1,\ {s.k}/{_s(warmup)}) = {_s(lr)}"
        )
    weight = float(after.weight_sum) - float(before.weight_sum)
    c = weight / float(after.weight_sum) if float(after.weight_sum) else 0.0
    lines.append(
        rf"c_k = w_k/\textstyle\sum_{{i\le k}} w_i = {_s(weight)}/{_s(after.weight_sum)}"
        rf" = {_s(c)}\quad(w_k = k^r \gamma_{{\max}}^p)"
    )
    z_prev, z = before.z, after.z
    new_y = s.x + c * (z_prev - s.x) + lr * (beta * (1 - c) - 1) * g
    lines.append(
        rf"x_k = y_k = (1 - c_k)\, y_{{k-1}} + c_k z_{{k-1}} + \gamma_k(\beta(1 - c_k) - 1)"
        rf"\, {g_name} = {_s(1 - c)}\cdot {_v(s.x)} + {_s(c)}\cdot {_v(z_prev)} + "
        rf"{_s(lr)}\cdot({_s(beta)}\cdot {_s(1 - c)} - 1)\cdot {_v(g)} = {_v(s.x_next)}"
    )
    lines.append(
        rf"z_k = z_{{k-1}} - \gamma_k {g_name} = {_v(z_prev)} - {_s(lr)}\cdot {_v(g)} = {_v(z)}"
    )
    lines.append(
        rf"\bar x_k = (y_k - (1 - \beta)\, z_k)/\beta = {_v(after.x)}"
        r"\quad\text{(the average: the point to evaluate)}"
    )
    vectors = {GRADIENT_STEP: -s.lr * s.grad, "z_{k−1} − y_{k−1} (pull to the base iterate)": c
               * (np.asarray(z_prev) - s.x)}  # fmt: skip
    numbers = {"c_k (averaging weight)": c, "z_k (base iterate)": arr(z),
               "x̄_k (average)": arr(after.x)}  # fmt: skip
    return Parts(lines, vectors, numbers, new_y - s.x)


def _l2(s: Step, g: Array, lines: list[str], name: str) -> Array:
    lam = float(s.hp["weight_decay"])
    if not lam:
        return g
    out = g + lam * s.x
    lines.append(
        rf"{name} \leftarrow {name} + \lambda\, y_{{k-1}} = {_v(g)} + {_s(lam)}\cdot {_v(s.x)}"
        rf" = {_v(out)}"
    )
    return out


def sgd_schedule_free(s: Step) -> Parts:
    lines = head(s)
    g = _l2(s, s.grad, lines, "g_k")
    return _averaged(s, g, float(s.hp["momentum"]), lines)


def adamw_schedule_free(s: Step) -> Parts:
    lines = head(s)
    b1, b2 = (float(b) for b in s.hp["betas"])
    eps = float(s.hp["eps"])
    v_prev, v = s.before.exp_avg_sq, s.after.exp_avg_sq
    lines.append(
        rf"v_k = \beta_2 v_{{k-1}} + (1-\beta_2)\, g_k^2 = {_s(b2)}\cdot {_v(v_prev)} + "
        rf"{_s(1 - b2)}\cdot {_v(s.grad * s.grad)} = {_v(v)}"
    )
    bc2 = 1 - b2**s.k
    g = s.grad / (np.sqrt(np.asarray(v) / bc2) + eps)
    lines.append(
        rf"\hat g_k = g_k/(\sqrt{{v_k/(1-\beta_2^k)}} + \epsilon) = {_v(s.grad)}/"
        rf"\left(\sqrt{{{_v(v)}/{_s(bc2)}}} + {_s(eps)}\right) = {_v(g)}"
    )
    g = _l2(s, g, lines, r"\hat g_k")
    parts = _averaged(s, g, b1, lines, r"\hat g_k")
    parts.numbers["v_k (second moment)"] = arr(v)
    return parts
