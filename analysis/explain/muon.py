r"""Explainer of `optimizers._muon`: Muon, normalized (Nesterov) momentum on a 1 x 2 matrix."""

from __future__ import annotations

import math

import numpy as np

from analysis.explain.base import GRADIENT_STEP, Array, Parts, Step, arr, fmt, fmt_vec, head

_v, _s = fmt_vec, fmt


def muon(s: Step) -> Parts:
    lines = head(s)
    hp = s.hp
    mu, lam = float(hp["momentum"]), float(hp["weight_decay"])
    b_prev, b = s.before.momentum_buffer, s.after.momentum_buffer
    lines.append(
        rf"B_k = \mu B_{{k-1}} + (1-\mu)\, g_k = {_s(mu)}\cdot {_v(b_prev)} + "
        rf"{_s(1 - mu)}\cdot {_v(s.grad)} = {_v(b)}"
    )
    direction: Array = np.asarray(b, dtype=np.float64)
    name = "B_k"
    if hp["nesterov"]:
        direction = s.grad + mu * (b - s.grad)
        lines.append(
            rf"\tilde B_k = g_k + \mu\,(B_k - g_k) = {_v(s.grad)} + {_s(mu)}\cdot "
            rf"({_v(b)} - {_v(s.grad)}) = {_v(direction)}"
        )
        name = r"\tilde B_k"
    ortho = np.asarray(s.after.update, dtype=np.float64)
    norm = float(np.linalg.norm(direction))
    lines.append(
        rf"O_k = \mathrm{{NS}}_{{{hp['ns_steps']}}}\left({name}/\|{name}\|\right) = "
        rf"{_v(ortho)}\quad(\|{name}\| = {_s(norm)}\text{{; on a }}1\times 2"
        rf"\text{{ matrix, Newton-Schulz only rescales: }}\|O_k\| = {_s(np.linalg.norm(ortho))})"
    )
    n = len(s.x)
    ratio = 0.2 * math.sqrt(n) if hp["adjust_lr_fn"] == "match_rms_adamw" else 1.0
    lr_eff = s.lr * ratio
    lines.append(
        rf"x_k = (1 - \mathrm{{lr}}\,\lambda)\, x_{{k-1}} - \mathrm{{lr}}'\, O_k = "
        rf"(1 - {_s(s.lr)}\cdot {_s(lam)})\cdot {_v(s.x)} - {_s(lr_eff)}\cdot {_v(ortho)} = "
        rf"{_v(s.x_next)}"
    )
    step = s.x * (1.0 - s.lr * lam) - s.x - lr_eff * ortho
    vectors = {GRADIENT_STEP: -s.lr * s.grad, "−lr'·O (orthogonalized momentum)": -lr_eff * ortho}
    numbers = {"B_k (momentum buffer)": arr(b), "O_k (orthogonalized update)": ortho}
    return Parts(lines, vectors, numbers, step)
