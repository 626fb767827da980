"""Explainers of the Adam family (`optimizers._adam`, `_nadam`, `_radam`, `_adamax`): Adam,
AdamW (amsgrad too), NAdam, RAdam and Adamax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.explain.base import (
    GRADIENT_STEP,
    Array,
    Parts,
    Step,
    arr,
    decoupled_decay,
    eff_step,
    fmt,
    fmt_vec,
    head,
    l2,
    per_coordinate,
)

_v, _s = fmt_vec, fmt


def _adam_head(s: Step) -> tuple[list[str], Array, Array, dict[str, Array]]:
    """Gradient, weight decay (L2 or decoupled) and the per-coordinate note."""
    lines = head(s)
    vectors: dict[str, Array] = {}
    x = s.x
    # AdamW always decouples; Adam, NAdam and RAdam when their torch 2.x flag says so.
    decoupled = s.name == "adamw" or bool(s.hp.get("decoupled_weight_decay", False))
    if float(s.hp.get("weight_decay", 0.0)) and decoupled:
        x = decoupled_decay(s, lines, vectors)
        g = s.grad
    else:
        g = l2(s, lines)
    per_coordinate(lines)
    return lines, g, x, vectors


def _moment_lines(s: Step, g: Array, b1: float, b2: float | None) -> list[str]:
    m_prev, m = s.before.exp_avg, s.after.exp_avg
    lines = [
        rf"m_k = \beta_1 m_{{k-1}} + (1-\beta_1)\, g_k = {_s(b1)}\cdot {_v(m_prev)} + "
        rf"{_s(1 - b1)}\cdot {_v(g)} = {_v(m)}"
    ]
    if b2 is not None:
        v_prev, v = s.before.exp_avg_sq, s.after.exp_avg_sq
        lines.append(
            rf"v_k = \beta_2 v_{{k-1}} + (1-\beta_2)\, g_k^2 = {_s(b2)}\cdot {_v(v_prev)} + "
            rf"{_s(1 - b2)}\cdot {_v(g * g)} = {_v(v)}"
        )
    return lines


def adam(s: Step) -> Parts:
    hp = s.hp
    lines, g, x, extra = _adam_head(s)
    (b1, b2), eps, k = hp["betas"], float(hp["eps"]), s.k
    lines += _moment_lines(s, g, b1, b2)
    m, v = s.after.exp_avg, s.after.exp_avg_sq
    v_name = "v_k"
    if hp["amsgrad"]:
        vm_prev, v = s.before.max_exp_avg_sq, s.after.max_exp_avg_sq
        lines.append(
            rf"v^{{\max}}_k = \max(v^{{\max}}_{{k-1}}, v_k) = \max\left({_v(vm_prev)},\ "
            rf"{_v(s.after.exp_avg_sq)}\right) = {_v(v)}"
        )
        v_name = r"v^{\max}_k"
    bc1, bc2 = 1 - b1**k, 1 - b2**k
    m_hat, v_hat = m / bc1, v / bc2
    lines.append(
        rf"\hat m_k = m_k/(1-\beta_1^k) = {_v(m)}/(1 - {_s(b1)}^{{{k}}}) = {_v(m_hat)}"
    )
    lines.append(
        rf"\hat v_k = {v_name}/(1-\beta_2^k) = {_v(v)}/(1 - {_s(b2)}^{{{k}}}) = {_v(v_hat)}"
    )
    root = np.sqrt(v_hat)
    lr_eff = s.lr / (root + eps)
    lines.append(
        rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}/(\sqrt{{\hat v_k}} + \epsilon) = "
        rf"{_s(s.lr)}/\left({_v(root)} + {_s(eps)}\right) = {_v(lr_eff)}"
    )
    lines.append(eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    lines.append(
        r"\text{CS231n: } x \mathrel{+}= -\mathrm{lr}\cdot \hat m/(\sqrt{\hat v}"
        r" + \epsilon)\text{, with the bias correction}"
    )
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat, **extra}
    numbers = {"m_k (first moment)": arr(m), "v_k (second moment)": arr(s.after.exp_avg_sq),
               "m̂_k": m_hat, "v̂_k": v_hat, "1−β1^k": bc1, "1−β2^k": bc2,
               "lr_eff = lr/(√v̂_k+ε)": lr_eff}
    return Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def nadam(s: Step) -> Parts:
    hp = s.hp
    lines, g, x, extra = _adam_head(s)
    (b1, b2), eps, psi, k = hp["betas"], float(hp["eps"]), float(hp["momentum_decay"]), s.k
    mu = b1 * (1 - 0.5 * 0.96 ** (k * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((k + 1) * psi))
    prod = float(s.after.mu_product)
    prod_next = prod * mu_next
    lines.append(
        rf"\mu_k = \beta_1\,(1 - \tfrac12\, 0.96^{{k\psi}}) = {_s(mu)},\quad \mu_{{k+1}} = "
        rf"{_s(mu_next)},\quad \textstyle\prod_{{i\le k}} \mu_i = {_s(prod)}"
    )
    lines += _moment_lines(s, g, b1, b2)
    m, v = s.after.exp_avg, s.after.exp_avg_sq
    m_hat = mu_next * m / (1 - prod_next) + (1 - mu) * g / (1 - prod)
    lines.append(
        rf"\hat m_k = \frac{{\mu_{{k+1}} m_k}}{{1 - \prod_{{i\le k+1}} \mu_i}} + "
        rf"\frac{{(1-\mu_k)\, g_k}}{{1 - \prod_{{i\le k}} \mu_i}} = {_v(m_hat)}"
    )
    v_hat = v / (1 - b2**k)
    lines.append(
        rf"\hat v_k = v_k/(1-\beta_2^k) = {_v(v)}/(1 - {_s(b2)}^{{{k}}}) = {_v(v_hat)}"
    )
    root = np.sqrt(v_hat)
    lr_eff = s.lr / (root + eps)
    lines.append(
        rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}/(\sqrt{{\hat v_k}} + \epsilon) = "
        rf"{_s(s.lr)}/\left({_v(root)} + {_s(eps)}\right) = {_v(lr_eff)}"
    )
    lines.append(eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (Nesterov first moment)": -s.lr * m_hat,
               **extra}
    numbers = {"μ_k": mu, "μ_{k+1}": mu_next, "m_k (first moment)": arr(m),
               "v_k (second moment)": arr(v), "m̂_k": m_hat, "v̂_k": v_hat,
               "lr_eff = lr/(√v̂_k+ε)": lr_eff}
    return Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def radam(s: Step) -> Parts:
    hp = s.hp
    lines, g, x, extra = _adam_head(s)
    (b1, b2), eps, k = hp["betas"], float(hp["eps"]), s.k
    lines += _moment_lines(s, g, b1, b2)
    m, v = s.after.exp_avg, s.after.exp_avg_sq
    m_hat = m / (1 - b1**k)
    lines.append(
        rf"\hat m_k = m_k/(1-\beta_1^k) = {_v(m)}/(1 - {_s(b1)}^{{{k}}}) = {_v(m_hat)}"
    )
    rho_inf = 2 / (1 - b2) - 1
    bc2 = 1 - b2**k
    rho = rho_inf - 2 * k * b2**k / bc2
    lines.append(
        rf"\rho_k = \rho_\infty - 2k\beta_2^k/(1-\beta_2^k) = {_s(rho_inf)} - 2\cdot {k}\cdot "
        rf"{_s(b2)}^{{{k}}}/(1 - {_s(b2)}^{{{k}}}) = {_s(rho)}"
    )
    numbers: dict[str, Any] = {"m_k (first moment)": arr(m), "v_k (second moment)": arr(v),
                               "m̂_k": m_hat, "ρ_k": rho}
    if rho > 5:
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        root = np.sqrt(v)
        adaptive = math.sqrt(bc2) / (root + eps)
        lines.append(
            rf"r_k = \sqrt{{\frac{{(\rho_k-4)(\rho_k-2)\rho_\infty}}"
            rf"{{(\rho_\infty-4)(\rho_\infty-2)\rho_k}}}} = {_s(rect)}"
        )
        lines.append(
            rf"l_k = \sqrt{{1-\beta_2^k}}/(\sqrt{{v_k}} + \epsilon) = {_s(math.sqrt(bc2))}/"
            rf"\left({_v(root)} + {_s(eps)}\right) = {_v(adaptive)}"
        )
        lr_eff = s.lr * rect * adaptive
        lines.append(
            rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}\, r_k\, l_k = {_s(s.lr)}\cdot "
            rf"{_s(rect)}\cdot {_v(adaptive)} = {_v(lr_eff)}"
        )
        numbers.update({"r_k (rectification)": rect, "l_k (adaptive factor)": adaptive})
    else:
        lr_eff = np.full(2, s.lr)
        lines.append(
            rf"\rho_k = {_s(rho)} \le 5\text{{: no adaptive term yet, }}"
            rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}} = {_s(s.lr)}"
        )
    numbers["lr_eff"] = lr_eff
    lines.append(eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat, **extra}
    return Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def adamax(s: Step) -> Parts:
    hp = s.hp
    lines = head(s)
    g = l2(s, lines)
    per_coordinate(lines)
    (b1, b2), eps, k = hp["betas"], float(hp["eps"]), s.k
    lines += _moment_lines(s, g, b1, None)
    m, u_prev, u = s.after.exp_avg, s.before.exp_inf, s.after.exp_inf
    lines.append(
        rf"u_k = \max(\beta_2 u_{{k-1}},\ |g_k| + \epsilon) = \max\left({_s(b2)}\cdot "
        rf"{_v(u_prev)},\ {_v(np.abs(g) + eps)}\right) = {_v(u)}"
    )
    bc1 = 1 - b1**k
    m_hat = m / bc1
    lines.append(
        rf"\hat m_k = m_k/(1-\beta_1^k) = {_v(m)}/(1 - {_s(b1)}^{{{k}}}) = {_v(m_hat)}"
    )
    lr_eff = s.lr / u
    lines.append(
        rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}/u_k = {_s(s.lr)}/{_v(u)} = "
        rf"{_v(lr_eff)}"
    )
    lines.append(eff_step(s, r"\hat m_k", m_hat, lr_eff))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat}
    numbers = {"m_k (first moment)": arr(m), "u_k (infinity norm)": arr(u), "m̂_k": m_hat,
               "lr_eff = lr/u_k": lr_eff}
    return Parts(lines, vectors, numbers, -lr_eff * m_hat)

