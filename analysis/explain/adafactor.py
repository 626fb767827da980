r"""Explainer of `optimizers._adafactor`: Adafactor's vector branch (relative steps)."""

from __future__ import annotations

import numpy as np

from analysis.explain.base import (
    GRADIENT_STEP,
    Parts,
    Step,
    arr,
    fmt,
    fmt_vec,
    head,
    per_coordinate,
)

_v, _s = fmt_vec, fmt

FLOAT64_EPS = float(np.finfo(np.float64).eps)  # torch's eps1 = None, in float64


def adafactor(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    hp, k, n = s.hp, s.k, len(s.x)
    c, lam, d = float(hp["beta2_decay"]), float(hp["weight_decay"]), float(hp["d"])
    eps1, eps2 = hp["eps"]
    floor = FLOAT64_EPS if eps1 is None else float(eps1)
    rho = min(s.lr, 1 / k**0.5)
    rms_x = float(np.linalg.norm(s.x)) / n**0.5
    alpha = max(float(eps2), rms_x) * rho
    lines.append(
        rf"\rho_k = \min(\mathrm{{lr}},\ 1/\sqrt k) = {_s(rho)},\quad \alpha_k = "
        rf"\max(\epsilon_2, \mathrm{{RMS}}(x_{{k-1}}))\,\rho_k = \max({_s(eps2)},\ "
        rf"{_s(rms_x)})\cdot {_s(rho)} = {_s(alpha)}"
    )
    v_prev, v = s.before.variance, s.after.variance
    beta = 1 - k**c
    lines.append(
        rf"v_k = \hat\beta_{{2,k}} v_{{k-1}} + (1 - \hat\beta_{{2,k}})\, g_k^2 = "
        rf"{_s(beta)}\cdot {_v(v_prev)} + {_s(1 - beta)}\cdot {_v(s.grad * s.grad)} = {_v(v)}"
        rf"\quad(\hat\beta_{{2,k}} = 1 - k^{{{_s(c)}}})"
    )
    u = s.grad / np.sqrt(np.maximum(v, floor * floor))
    lines.append(rf"U_k = g_k/\sqrt{{\max(v_k, \epsilon_1^2)}} = {_v(u)}")
    clip = max(1.0, float(np.linalg.norm(u)) / n**0.5 / d)
    lines.append(rf"\max(1,\ \mathrm{{RMS}}(U_k)/d) = {_s(clip)}")
    x = s.x * (1.0 - s.lr * lam)
    lines.append(
        rf"x_k = (1 - \mathrm{{lr}}\,\lambda)\, x_{{k-1}} - \alpha_k\, U_k / {_s(clip)} = "
        rf"{_v(x)} - {_s(alpha)}\cdot {_v(u)}/{_s(clip)} = {_v(s.x_next)}"
    )
    vectors = {GRADIENT_STEP: -s.lr * s.grad, "−α·U (relative step)": -alpha / clip * u}
    numbers = {"v_k (second moment)": arr(v), "U_k": u, "α_k (step size)": alpha}
    return Parts(lines, vectors, numbers, x - s.x - alpha / clip * u)
