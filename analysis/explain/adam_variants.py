r"""Explainers of `optimizers._adam_variants`: AdEMAMix (a slow second EMA) and ADOPT
(normalize the gradient by the *previous* second moment, then average)."""

from __future__ import annotations

import math

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


def _decay(s: Step, lines: list[str], vectors: dict[str, Array]) -> tuple[Array, Array]:
    """pytorch_optimizer's weight decay: decoupled (shrink x) or L2 (add to g)."""
    lam = float(s.hp["weight_decay"])
    if not lam:
        return s.x, s.grad
    if s.hp["weight_decouple"]:
        shrink = lam if s.hp["fixed_decay"] else s.lr * lam
        x = s.x * (1.0 - shrink)
        lines.append(rf"\tilde x_{{k-1}} = (1 - {_s(shrink)})\, x_{{k-1}} = {_v(x)}")
        vectors["weight decay"] = x - s.x
        return x, s.grad
    g = s.grad + lam * s.x
    lines.append(rf"g_k \leftarrow g_k + \lambda\, x_{{k-1}} = {_v(g)}")
    return s.x, g


def ademamix(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    hp, k = s.hp, s.k
    b1, b2, b3 = (float(b) for b in hp["betas"])
    alpha, eps = float(hp["alpha"]), float(hp["eps"])
    vectors: dict[str, Array] = {GRADIENT_STEP: -s.lr * s.grad}
    x, g = _decay(s, lines, vectors)
    alpha_k, b3_k = alpha, b3
    if hp["t_alpha_beta3"] is not None:
        big_t = float(hp["t_alpha_beta3"])
        alpha_k = min(k * alpha / big_t, alpha)
        log1, log3 = math.log(b1), math.log(b3)
        frac = k / big_t
        b3_k = min(math.exp(log1 * log3 / ((1 - frac) * log3 + frac * log1)), b3)
        lines.append(rf"\alpha_k = {_s(alpha_k)},\quad \beta_{{3,k}} = {_s(b3_k)}"
                     r"\quad\text{(warm-up)}")  # fmt: skip
    m, v, slow = s.after.exp_avg, s.after.exp_avg_sq, s.after.exp_avg_slow
    lines.append(
        rf"m_k = \beta_1 m_{{k-1}} + (1-\beta_1)\, g_k = {_v(m)},\quad v_k = \beta_2 v_{{k-1}}"
        rf" + (1-\beta_2)\, g_k^2 = {_v(v)}"
    )
    lines.append(
        rf"m^{{slow}}_k = \beta_{{3}} m^{{slow}}_{{k-1}} + (1-\beta_{{3}})\, g_k = "
        rf"{_s(b3_k)}\cdot {_v(s.before.exp_avg_slow)} + {_s(1 - b3_k)}\cdot {_v(g)} = "
        rf"{_v(slow)}"
    )
    bc1, bc2 = 1 - b1**k, math.sqrt(1 - b2**k)
    step = np.asarray(m) / bc1 + alpha_k * np.asarray(slow)
    denom = np.sqrt(np.asarray(v)) / bc2 + eps
    lines.append(
        rf"x_k = x_{{k-1}} - \mathrm{{lr}}\,\frac{{m_k/(1-\beta_1^k) + \alpha\, m^{{slow}}_k}}"
        rf"{{\sqrt{{v_k}}/\sqrt{{1-\beta_2^k}} + \epsilon}} = {_v(x)} - {_s(s.lr)}\cdot "
        rf"{_v(step)}/{_v(denom)} = {_v(s.x_next)}"
    )
    vectors["−lr·α·m_slow/(…) (slow memory)"] = -s.lr * alpha_k * np.asarray(slow) / denom
    numbers = {"m_k (fast EMA)": arr(m), "m_slow_k (slow EMA)": arr(slow),
               "v_k (second moment)": arr(v)}  # fmt: skip
    return Parts(lines, vectors, numbers, x - s.x - s.lr * step / denom)


def adopt(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    hp, k = s.hp, s.k
    b1, b2 = (float(b) for b in hp["betas"])
    eps = float(hp["eps"])
    vectors: dict[str, Array] = {GRADIENT_STEP: -s.lr * s.grad}
    x, g = _decay(s, lines, vectors)
    v_prev, v = s.before.exp_avg_sq, s.after.exp_avg_sq
    if k == 1:
        lines.append(rf"v_1 = g_1^2 = {_v(v)}\quad\text{{(the first step only measures)}}")
        lines.append(rf"x_k = x_{{k-1}} = {_v(s.x_next)}")
        return Parts(lines, vectors, {"v_k (second moment)": arr(v)}, x - s.x)
    n = g / np.maximum(np.sqrt(np.asarray(v_prev)), eps)
    lines.append(
        rf"n_k = g_k/\max(\sqrt{{v_{{k-1}}}}, \epsilon) = {_v(g)}/{_v(np.sqrt(v_prev))} = "
        rf"{_v(n)}"
    )
    clip_lambda = hp.get("clip_lambda")
    if clip_lambda is not None:
        bound = clip_lambda(k)  # the default: k ** 0.25
        n = np.clip(n, -bound, bound)
        lines.append(rf"n_k \leftarrow \mathrm{{clip}}(n_k, \pm c(k) = \pm {_s(bound)})"
                     rf" = {_v(n)}")  # fmt: skip
    m = s.after.exp_avg
    lines.append(
        rf"m_k = \beta_1 m_{{k-1}} + (1-\beta_1)\, n_k = {_s(b1)}\cdot {_v(s.before.exp_avg)}"
        rf" + {_s(1 - b1)}\cdot {_v(n)} = {_v(m)}"
    )
    lines.append(rf"x_k = x_{{k-1}} - \mathrm{{lr}}\, m_k = {_v(x)} - {_s(s.lr)}\cdot {_v(m)}"
                 rf" = {_v(s.x_next)}")  # fmt: skip
    lines.append(
        rf"v_k = \beta_2 v_{{k-1}} + (1-\beta_2)\, g_k^2 = {_s(b2)}\cdot {_v(v_prev)} + "
        rf"{_s(1 - b2)}\cdot {_v(g * g)} = {_v(v)}\quad\text{{(after the step)}}"
    )
    vectors["−lr·m (normalized momentum)"] = -s.lr * np.asarray(m)
    numbers = {"n_k (normalized gradient)": n, "m_k (momentum)": arr(m),
               "v_k (second moment)": arr(v)}  # fmt: skip
    return Parts(lines, vectors, numbers, x - s.x - s.lr * np.asarray(m))
