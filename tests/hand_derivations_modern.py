"""First steps of the 2020s optimizers derived by hand from their references' update rules,
on the quadratic of ``tests/hand_derivations.py`` (:math:`f = (x^2 + 4 y^2) / 2` from
``(1, -2)``).

Written as the papers or the references' algorithm boxes state them, not as our code runs:
Schedule-Free through its three sequences (the reference keeps only y and z), Muon's
Newton-Schulz with 1 x 2 matrices, Prodigy's and Adafactor's sums over the point.
Elementwise methods give ``coord(x0, c) -> [x1, ...]`` (`tests.hand_derivations.derived`
stacks both coordinates); the others return all positions ``(n, 2)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tests.hand_derivations import CURV, START, Coord


def _sign(v: float) -> float:
    return float(np.sign(v))


def lion_coord(lr: float, b1: float = 0.9, b2: float = 0.99, wd: float = 0.0,
               decoupled: bool = False) -> Coord:
    def coord(x, c):
        m, xs = 0.0, []
        decay = lr * (wd / lr if decoupled else wd)
        for _ in range(3):
            g = c * x
            x = x * (1 - decay) - lr * _sign(b1 * m + (1 - b1) * g)
            m = b2 * m + (1 - b2) * g
            xs.append(x)
        return xs

    return coord


def rprop_coord(lr: float, etas=(0.5, 1.2), sizes=(1e-6, 50.0), n: int = 4) -> Coord:
    def coord(x, c):
        prev, eta, xs = 0.0, lr, []
        for _ in range(n):
            g = c * x
            if prev * g > 0:
                eta = min(eta * etas[1], sizes[1])
            elif prev * g < 0:
                eta, g = max(eta * etas[0], sizes[0]), 0.0
            else:
                eta = min(max(eta, sizes[0]), sizes[1])
            x = x - eta * _sign(g)
            prev = g
            xs.append(x)
        return xs

    return coord


def muon_steps(lr: float, wd: float = 0.1, mu: float = 0.95, nesterov: bool = True,
               coefficients=(3.4445, -4.7750, 2.0315), ns_steps: int = 5,
               ratio: float = 1.0) -> Callable[[], np.ndarray]:
    """torch's Muon on the point as a 1 x 2 matrix: matrices, X X^T and all."""

    def steps():
        a, b, c = coefficients
        theta = np.array([START])  # 1 x 2
        buf, out = np.zeros((1, 2)), []
        for _ in range(3):
            g = theta * np.array([CURV])
            buf = mu * buf + (1 - mu) * g
            update = g + mu * (buf - g) if nesterov else buf
            x = update / max(np.linalg.norm(update), 1e-7)
            for _ in range(ns_steps):
                gram = x @ x.T
                x = a * x + (b * gram + c * gram @ gram) @ x
            theta = theta * (1 - lr * wd) - lr * ratio * x
            out.append(theta[0])
        return np.array(out)

    return steps


def adafactor_steps(lr: float, c: float = -0.8, eps1: float | None = None, eps2: float = 1e-3,
                    d: float = 1.0, wd: float = 0.0) -> Callable[[], np.ndarray]:
    """torch's Adafactor on a vector (not factored): relative step, RMS clipping."""

    def steps():
        floor = np.finfo(np.float64).eps if eps1 is None else eps1
        theta, v, out = np.array(START), np.zeros(2), []
        for t in range(1, 4):
            g = np.array(CURV) * theta
            beta2_hat = 1 - t**c
            rho = min(lr, 1 / math.sqrt(t))
            alpha = max(eps2, math.sqrt(np.mean(theta**2))) * rho
            theta = theta * (1 - lr * wd)
            v = beta2_hat * v + (1 - beta2_hat) * g**2
            u = g / np.sqrt(np.maximum(v, floor**2))
            theta = theta - alpha / max(1.0, math.sqrt(np.mean(u**2)) / d) * u
            out.append(theta)
        return np.array(out)

    return steps


def schedule_free_coord(lr: float, beta: float, wd: float = 0.0, warmup: int = 0,
                        r: float = 0.0, power: float = 2.0, b2: float | None = None,
                        eps: float = 1e-8) -> Coord:
    """The paper's three sequences: z_t = z - lr_t g(y), x_t = (1 - c_t) x + c_t z_t,
    y_t = (1 - beta) z_t + beta x_t, with c_t = w_t / sum w and w_t = t^r lr_max^p. With
    ``b2`` the gradient is normalized Adam's way (AdamW Schedule-Free), wd added after."""

    def coord(x0, c):
        x = z = y = x0
        v, lr_max, weights, ys = 0.0, -1.0, 0.0, []
        for t in range(1, 4):
            lr_t = lr * (t / warmup if t <= warmup else 1.0)
            lr_max = max(lr_max, lr_t)
            w = t**r * lr_max**power
            weights += w
            g = c * y
            if b2 is None:
                g = g + wd * y
            else:
                v = b2 * v + (1 - b2) * g * g
                g = g / (math.sqrt(v / (1 - b2**t)) + eps) + wd * y
            z = z - lr_t * g
            x = (1 - w / weights) * x + (w / weights) * z
            y = (1 - beta) * z + beta * x
            ys.append(y)
        return ys

    return coord


def prodigy_steps(lr: float = 1.0, b1: float = 0.9, b2: float = 0.999, b3: float | None = None,
                  eps: float = 1e-8, wd: float = 0.0, decouple: bool = True,
                  bias_correction: bool = False, safeguard: bool = False, d0: float = 1e-6,
                  d_coef: float = 1.0, growth: float = math.inf,
                  n: int = 4) -> Callable[[], np.ndarray]:
    """prodigyopt's step: the distance estimate d from r = sum of d/d0 dlr <g, x0 - x> and
    s = sum of d/d0 dlr g (decayed by beta3)."""

    def steps():
        beta3 = math.sqrt(b2) if b3 is None else b3
        theta = np.array(START)
        x0 = theta.copy()
        d, d_max, r, s = d0, d0, 0.0, np.zeros(2)
        m, v, out = np.zeros(2), np.zeros(2), []
        for k in range(n):
            g = np.array(CURV) * theta
            if wd and not decouple:
                g = g + wd * theta
            rho = math.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1)) if bias_correction else 1
            dlr = d * lr * rho
            r = beta3 * r + (d / d0) * dlr * float(g @ (x0 - theta))
            m = b1 * m + d * (1 - b1) * g
            v = b2 * v + d * d * (1 - b2) * g * g
            s = beta3 * s + (d / d0) * (d if safeguard else dlr) * g
            d_hat = d_coef * r / np.abs(s).sum()
            new_d = max(d, d_hat) if d == d0 else d
            d_max = max(d_max, d_hat)
            d = min(d_max, new_d * growth)
            if wd and decouple:
                theta = theta - wd * dlr * theta
            theta = theta - dlr * m / (np.sqrt(v) + d * eps)
            out.append(theta)
        return np.array(out)

    return steps


def ademamix_coord(lr: float, betas=(0.9, 0.999, 0.9999), alpha: float = 5.0,
                   t_ab3: float | None = None, eps: float = 1e-8, wd: float = 0.0,
                   decouple: bool = False, fixed: bool = False) -> Coord:
    def coord(x, c):
        b1, b2, b3 = betas
        m = v = slow = 0.0
        xs = []
        for t in range(1, 4):
            g = c * x
            if wd and decouple:
                x = x * (1 - wd * (1.0 if fixed else lr))
            elif wd:
                g = g + wd * x
            a_t, b3_t = alpha, b3
            if t_ab3 is not None:
                a_t = min(t * alpha / t_ab3, alpha)
                la, lb = math.log(b1), math.log(b3)
                b3_t = min(math.exp(la * lb / ((1 - t / t_ab3) * lb + (t / t_ab3) * la)), b3)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            slow = b3_t * slow + (1 - b3_t) * g
            denom = math.sqrt(v) / math.sqrt(1 - b2**t) + eps
            x = x - lr * (m / (1 - b1**t) + a_t * slow) / denom
            xs.append(x)
        return xs

    return coord


def adopt_coord(lr: float, b1: float = 0.9, b2: float = 0.9999, eps: float = 1e-6,
                clip: bool = True, wd: float = 0.0, decouple: bool = False,
                fixed: bool = False) -> Coord:
    def coord(x, c):
        m = v = 0.0
        xs = []
        for t in range(1, 5):
            g = c * x
            if wd and decouple:
                x = x * (1 - wd * (1.0 if fixed else lr))
            elif wd:
                g = g + wd * x
            if t == 1:
                v = g * g
            else:
                n = g / max(math.sqrt(v), eps)
                if clip:
                    n = min(max(n, -(t**0.25)), t**0.25)
                m = b1 * m + (1 - b1) * n
                x = x - lr * m
                v = b2 * v + (1 - b2) * g * g
            xs.append(x)
        return xs

    return coord
