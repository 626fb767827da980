"""Explainers of `optimizers._sgd`: SGD, momentum and Nesterov (torch's and CS231n's forms)."""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.explain.base import (
    GRADIENT_STEP,
    Array,
    Parts,
    Step,
    arr,
    fmt,
    fmt_vec,
    head,
    l2,
)

_v, _s = fmt_vec, fmt


def sgd(s: Step) -> Parts:
    hp = s.hp
    lines = head(s)
    g = l2(s, lines)
    mu, tau = float(hp["momentum"]), float(hp["dampening"])
    lr = s.lr
    vectors: dict[str, Array] = {GRADIENT_STEP: -lr * g}
    numbers: dict[str, Any] = {}
    if mu == 0:
        lines.append(
            rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, g_k = {_v(s.x)} - {_s(lr)}\cdot {_v(g)}"
            rf" = {_v(s.x_next)}"
        )
        lines.append(r"\text{CS231n: } x \mathrel{+}= -\mathrm{lr}\cdot dx")
        return Parts(lines, vectors, numbers, -lr * g)

    b_prev = s.before.momentum_buffer
    b = s.after.momentum_buffer
    if s.k == 1:
        b_formula = g.copy()
        lines.append(rf"b_k = g_k = {_v(b)}")
        lines.append(r"\text{(torch starts the buffer at the first gradient, } b_1 = g_1\text{)}")
    else:
        b_formula = mu * b_prev + (1 - tau) * g
        damp = "" if tau == 0 else r"(1-\tau)\,"
        damp_num = "" if tau == 0 else rf"{_s(1 - tau)}\cdot "
        lines.append(
            rf"b_k = \mu\, b_{{k-1}} + {damp}g_k = {_s(mu)}\cdot {_v(b_prev)} + {damp_num}"
            rf"{_v(g)} = {_v(b)}"
        )
    numbers["b_k (momentum buffer)"] = arr(b)
    v_prev = np.zeros(2) if s.k == 1 else -lr * b_prev
    v = -lr * b
    numbers["v_k = −lr·b_k (CS231n velocity)"] = v
    if hp["nesterov"]:
        direction = g + mu * b_formula
        lines.append(
            rf"x_k = x_{{k-1}} - \mathrm{{lr}}\,(g_k + \mu\, b_k) = {_v(s.x)} - {_s(lr)}\cdot"
            rf"\left({_v(g)} + {_s(mu)}\cdot {_v(b)}\right) = {_v(s.x_next)}"
        )
        vectors["v = −lr·b (velocity)"] = v
        vectors["μ·v (look-ahead)"] = mu * v
    else:
        direction = b_formula
        lines.append(
            rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, b_k = {_v(s.x)} - {_s(lr)}\cdot {_v(b)}"
            rf" = {_v(s.x_next)}"
        )
        vectors["μ·v_prev (momentum carried over)"] = mu * v_prev
    if tau == 0:
        lines += _cs231n_momentum(s, mu, g, v_prev, v, bool(hp["nesterov"]))
    return Parts(lines, vectors, numbers, -lr * direction)


def _cs231n_momentum(
    s: Step, mu: float, g: Array, v_prev: Array, v: Array, nesterov: bool
) -> list[str]:
    """The notes' velocity form, ``v = mu * v - lr * dx``, with ``v = -lr * b``."""
    which = r"\ \text{(with this step's lr)}" if s.scheduled else ""
    lines = [
        rf"\text{{CS231n form: }} v_k = -\mathrm{{lr}}\, b_k,\ v_0 = 0{which}",
        rf"v_k = \mu\, v_{{k-1}} - \mathrm{{lr}}\, g_k = {_s(mu)}\cdot {_v(v_prev)} - "
        rf"{_s(s.lr)}\cdot {_v(g)} = {_v(v)}",
    ]
    if nesterov:
        lines.append(
            rf"x_k = x_{{k-1}} - \mu\, v_{{k-1}} + (1+\mu)\, v_k = {_v(s.x)} - {_s(mu)}\cdot "
            rf"{_v(v_prev)} + {_s(1 + mu)}\cdot {_v(v)} = {_v(s.x_next)}"
        )
    else:
        lines.append(rf"x_k = x_{{k-1}} + v_k = {_v(s.x)} + {_v(v)} = {_v(s.x_next)}")
    return lines

