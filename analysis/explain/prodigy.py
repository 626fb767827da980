r"""Explainer of `optimizers._prodigy`: Prodigy, Adam whose step scale :math:`d` is learned."""

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


def prodigy(s: Step) -> Parts:
    lines = head(s)
    per_coordinate(lines)
    hp, before, after = s.hp, s.before, s.after
    b1, b2 = (float(b) for b in hp["betas"])
    eps, lam = float(hp["eps"]), float(hp["weight_decay"])
    vectors = {GRADIENT_STEP: -s.lr * s.grad}
    g = s.grad
    if lam and not hp["decouple"]:
        g = s.grad + lam * s.x
        lines.append(
            rf"g_k \leftarrow g_k + \lambda\, x_{{k-1}} = {_v(s.grad)} + {_s(lam)}\cdot "
            rf"{_v(s.x)} = {_v(g)}"
        )
    if float(after.k) == float(before.k):  # the reference returned before moving
        lines.append(r"\|s_k\|_1 = 0\text{ or lr} = 0\text{: the step is skipped}")
        lines.append(rf"x_k = x_{{k-1}} = {_v(s.x_next)}")
        return Parts(lines, vectors, {}, np.zeros(2))
    d_prev, k = float(before.d), float(before.k) + 1
    rho = (1 - b2**k) ** 0.5 / (1 - b1**k) if hp["use_bias_correction"] else 1.0
    eta = d_prev * s.lr * rho
    corrected = r"\,\sqrt{1-\beta_2^k}/(1-\beta_1^k)" if hp["use_bias_correction"] else ""
    lines.append(rf"\eta_k = d_{{k-1}}\,\mathrm{{lr}}{corrected} = {_s(eta)}"
                 rf"\quad(d_{{k-1}} = {_s(d_prev)})")  # fmt: skip
    m, v = after.exp_avg, after.exp_avg_sq
    lines.append(
        rf"m_k = \beta_1 m_{{k-1}} + d_{{k-1}}(1-\beta_1)\, g_k = {_s(b1)}\cdot "
        rf"{_v(before.exp_avg)} + {_s(d_prev * (1 - b1))}\cdot {_v(g)} = {_v(m)}"
    )
    lines.append(
        rf"v_k = \beta_2 v_{{k-1}} + d_{{k-1}}^2(1-\beta_2)\, g_k^2 = {_s(b2)}\cdot "
        rf"{_v(before.exp_avg_sq)} + {_s(d_prev**2 * (1 - b2))}\cdot {_v(g * g)} = {_v(v)}"
    )
    lines.append(
        rf"\hat d_k = d_{{coef}}\, r_k/\|s_k\|_1 = {_s(after.d_hat)},\quad d_k = "
        rf"\min(\max(d_{{k-1}}, \hat d_k), d_{{k-1}}\cdot\mathrm{{growth}}) = {_s(after.d)}"
    )
    d = float(after.d)
    denom = np.sqrt(np.asarray(v)) + d * eps
    x = s.x * (1.0 - lam * eta) if lam and hp["decouple"] else s.x
    lines.append(
        rf"x_k = x_{{k-1}}(1 - \lambda\eta_k) - \eta_k\, m_k/(\sqrt{{v_k}} + d_k\epsilon) = "
        rf"{_v(x)} - {_s(eta)}\cdot {_v(m)}/{_v(denom)} = {_v(s.x_next)}"
    )
    numbers = {"d_k (distance estimate)": d, "d̂_k": float(after.d_hat), "η_k": eta,
               "m_k (first moment)": arr(m), "v_k (second moment)": arr(v)}  # fmt: skip
    vectors["−η·m/(√v+dε) (Prodigy step)"] = -eta * np.asarray(m) / denom
    return Parts(lines, vectors, numbers, x - s.x - eta * np.asarray(m) / denom)
