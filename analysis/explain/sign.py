r"""Explainers of `optimizers._sign`: Lion and Rprop, which step by gradient signs."""

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
    per_coordinate,
)

_v, _s = fmt_vec, fmt


def lion(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    hp = s.hp
    b1, b2 = (float(b) for b in hp["betas"])
    lam = float(hp["weight_decay"])
    x: Array = s.x
    vectors: dict[str, Array] = {GRADIENT_STEP: -s.lr * s.grad}
    if lam:
        # lion_pytorch divides the decay by the initial lr when decoupled
        wd = lam / s.lr0 if hp["decoupled_weight_decay"] else lam
        x = s.x * (1.0 - s.lr * wd)
        what = r"\lambda/\mathrm{lr}_0" if hp["decoupled_weight_decay"] else r"\lambda"
        lines.append(
            rf"\tilde x_{{k-1}} = (1 - \mathrm{{lr}}\,{what})\, x_{{k-1}} = "
            rf"(1 - {_s(s.lr)}\cdot {_s(wd)})\cdot {_v(s.x)} = {_v(x)}"
        )
        vectors["−lr·λ·x (weight decay)"] = x - s.x
    m_prev, m = s.before.exp_avg, s.after.exp_avg
    c = b1 * m_prev + (1 - b1) * s.grad
    lines.append(
        rf"c_k = \beta_1 m_{{k-1}} + (1-\beta_1)\, g_k = {_s(b1)}\cdot {_v(m_prev)} + "
        rf"{_s(1 - b1)}\cdot {_v(s.grad)} = {_v(c)}"
    )
    x_name = r"\tilde x_{k-1}" if lam else "x_{k-1}"
    lines.append(
        rf"x_k = {x_name} - \mathrm{{lr}}\,\mathrm{{sign}}(c_k) = {_v(x)} - {_s(s.lr)}\cdot "
        rf"{_v(np.sign(c))} = {_v(s.x_next)}"
    )
    lines.append(
        rf"m_k = \beta_2 m_{{k-1}} + (1-\beta_2)\, g_k = {_s(b2)}\cdot {_v(m_prev)} + "
        rf"{_s(1 - b2)}\cdot {_v(s.grad)} = {_v(m)}"
    )
    vectors["−lr·sign(c) (Lion step)"] = -s.lr * np.sign(c)
    numbers = {"c_k (interpolation)": c, "m_k (momentum)": arr(m)}
    return Parts(lines, vectors, numbers, x - s.x - s.lr * np.sign(c))


def rprop(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    (eta_minus, eta_plus), (low, high) = s.hp["etas"], s.hp["step_sizes"]
    prev, eta_prev, eta = s.before.prev, s.before.step_size, s.after.step_size
    sign = np.sign(s.grad * prev)
    factor = np.where(sign > 0, float(eta_plus), np.where(sign < 0, float(eta_minus), 1.0))
    lines.append(
        rf"\mathrm{{sign}}(g_k \odot g_{{prev}}) = \mathrm{{sign}}({_v(s.grad)} \odot "
        rf"{_v(prev)}) = {_v(sign)}"
    )
    lines.append(
        rf"\eta_k = \mathrm{{clip}}(\eta_{{k-1}} \odot ({_s(eta_plus)}\text{{ if same sign, }}"
        rf"{_s(eta_minus)}\text{{ if flipped}}),\ {_s(low)},\ {_s(high)}) = {_v(eta_prev)} "
        rf"\odot {_v(factor)} = {_v(eta)}"
    )
    g = np.where(sign < 0, 0.0, s.grad)
    if np.any(sign < 0):
        lines.append(rf"g_k \leftarrow 0\text{{ where the sign flipped: }} g_k = {_v(g)}")
    lines.append(
        rf"x_k = x_{{k-1}} - \eta_k \odot \mathrm{{sign}}(g_k) = {_v(s.x)} - {_v(eta)} \odot "
        rf"{_v(np.sign(g))} = {_v(s.x_next)}"
    )
    numbers: dict[str, Any] = {"η_k (step sizes)": arr(eta)}
    vectors = {GRADIENT_STEP: -s.lr * s.grad}
    return Parts(lines, vectors, numbers, -np.asarray(eta) * np.sign(g))
