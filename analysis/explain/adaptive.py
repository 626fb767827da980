"""Explainers of `optimizers._adaptive`: Adagrad, RMSprop (centered, with momentum), Adadelta."""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.explain.base import (
    GRADIENT_STEP,
    Array,
    Parts,
    Step,
    arr,
    eff_step,
    fmt,
    fmt_vec,
    head,
    l2,
    per_coordinate,
)

_v, _s = fmt_vec, fmt


def adagrad(s: Step) -> Parts:
    hp = s.hp
    lines = head(s)
    g = l2(s, lines)
    per_coordinate(lines)
    eps, decay = float(hp["eps"]), float(hp["lr_decay"])
    lr = s.lr
    if decay:
        lr = s.lr / (1 + (s.k - 1) * decay)
        lines.append(
            rf"\widetilde{{\mathrm{{lr}}}} = \mathrm{{lr}}/(1 + (k-1)\,\eta) = "
            rf"{_s(s.lr)}/(1 + {s.k - 1}\cdot {_s(decay)}) = {_s(lr)}"
        )
    sum_prev, total = s.before.sum, s.after.sum
    lines.append(
        rf"s_k = s_{{k-1}} + g_k^2 = {_v(sum_prev)} + {_v(g * g)} = {_v(total)}"
        r"\quad\text{(the notes' cache)}"
    )
    root = np.sqrt(total)
    lr_eff = lr / (root + eps)
    lr_name = r"\widetilde{\mathrm{lr}}" if decay else r"\mathrm{lr}"
    lines.append(
        rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = {lr_name}/(\sqrt{{s_k}} + \epsilon) = "
        rf"{_s(lr)}/\left({_v(root)} + {_s(eps)}\right) = {_v(lr_eff)}"
    )
    lines.append(eff_step(s, "g_k", g, lr_eff))
    numbers = {"s_k (sum of squared gradients)": arr(total),
               "lr_eff = lr/(√s_k+ε)": lr_eff}
    return Parts(lines, {GRADIENT_STEP: -s.lr * g}, numbers, -lr_eff * g)


def rmsprop(s: Step) -> Parts:
    hp = s.hp
    lines = head(s)
    g = l2(s, lines)
    per_coordinate(lines)
    alpha, eps, mu = float(hp["alpha"]), float(hp["eps"]), float(hp["momentum"])
    lr = s.lr
    v_prev, v = s.before.square_avg, s.after.square_avg
    lines.append(
        rf"v_k = \alpha\, v_{{k-1}} + (1-\alpha)\, g_k^2 = {_s(alpha)}\cdot {_v(v_prev)} + "
        rf"{_s(1 - alpha)}\cdot {_v(g * g)} = {_v(v)}\quad\text{{(the notes' cache)}}"
    )
    numbers: dict[str, Any] = {"v_k (mean square)": arr(v)}
    v_name = "v_k"
    v_used = np.asarray(v, dtype=np.float64)
    if hp["centered"]:
        ga_prev, ga = s.before.grad_avg, s.after.grad_avg
        lines.append(
            rf"\bar g_k = \alpha\, \bar g_{{k-1}} + (1-\alpha)\, g_k = {_s(alpha)}\cdot "
            rf"{_v(ga_prev)} + {_s(1 - alpha)}\cdot {_v(g)} = {_v(ga)}"
        )
        v_used = v - ga * ga
        lines.append(
            rf"\tilde v_k = v_k - \bar g_k^2 = {_v(v)} - {_v(ga * ga)} = {_v(v_used)}"
        )
        numbers["ḡ_k (mean gradient)"] = arr(ga)
        v_name = r"\tilde v_k"
    root = np.sqrt(v_used)
    vectors: dict[str, Array] = {GRADIENT_STEP: -lr * g}
    if mu == 0:
        lr_eff = lr / (root + eps)
        lines.append(
            rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}/(\sqrt{{{v_name}}} + \epsilon)"
            rf" = {_s(lr)}/\left({_v(root)} + {_s(eps)}\right) = {_v(lr_eff)}"
        )
        lines.append(eff_step(s, "g_k", g, lr_eff))
        numbers["lr_eff = lr/(√v_k+ε)"] = lr_eff
        return Parts(lines, vectors, numbers, -lr_eff * g)
    q = g / (root + eps)
    b_prev, b = s.before.momentum_buffer, s.after.momentum_buffer
    lines.append(
        rf"b_k = \mu\, b_{{k-1}} + g_k/(\sqrt{{{v_name}}} + \epsilon) = {_s(mu)}\cdot "
        rf"{_v(b_prev)} + {_v(g)}/\left({_v(root)} + {_s(eps)}\right) = {_v(b)}"
    )
    lines.append(
        rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, b_k = {_v(s.x)} - {_s(lr)}\cdot {_v(b)}"
        rf" = {_v(s.x_next)}"
    )
    numbers["b_k (momentum buffer)"] = arr(b)
    vectors["μ·v_prev = −lr·μ·b_prev (momentum)"] = -lr * mu * np.asarray(b_prev)
    vectors["−lr·g/(√v+ε) (normalized step)"] = -lr * q
    return Parts(lines, vectors, numbers, -lr * (mu * b_prev + q))


def adadelta(s: Step) -> Parts:
    hp = s.hp
    lines = head(s)
    g = l2(s, lines)
    per_coordinate(lines)
    rho, eps = float(hp["rho"]), float(hp["eps"])
    v_prev, v = s.before.square_avg, s.after.square_avg
    u_prev, u = s.before.acc_delta, s.after.acc_delta
    lines.append(
        rf"v_k = \rho\, v_{{k-1}} + (1-\rho)\, g_k^2 = {_s(rho)}\cdot {_v(v_prev)} + "
        rf"{_s(1 - rho)}\cdot {_v(g * g)} = {_v(v)}"
    )
    num, den = np.sqrt(u_prev + eps), np.sqrt(v + eps)
    delta = num / den * g
    lines.append(
        rf"\Delta x_k = \sqrt{{u_{{k-1}} + \epsilon}}\,/\sqrt{{v_k + \epsilon}} \odot g_k = "
        rf"{_v(num)}/{_v(den)} \odot {_v(g)} = {_v(delta)}"
    )
    lines.append(
        rf"u_k = \rho\, u_{{k-1}} + (1-\rho)\, \Delta x_k^2 = {_s(rho)}\cdot {_v(u_prev)} + "
        rf"{_s(1 - rho)}\cdot {_v(delta * delta)} = {_v(u)}"
    )
    lines.append(
        rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, \Delta x_k = {_v(s.x)} - {_s(s.lr)}\cdot "
        rf"{_v(delta)} = {_v(s.x_next)}"
    )
    numbers = {"v_k (mean square gradient)": arr(v), "u_k (mean square step)": arr(u),
               "Δx_k": delta}
    return Parts(lines, {GRADIENT_STEP: -s.lr * g}, numbers, -s.lr * delta)

