"""First steps derived by hand from the references' algorithm boxes, one line per line.

The test problem: :math:`f(x, y) = (x^2 + 4 y^2) / 2` (`CURV`), gradient ``(x, 4 y)``, Hessian
``diag(1, 4)``, from `START`. Each ``*_coord`` returns ``coord(x0, c) -> [x1, x2, ...]`` for
one coordinate with curvature ``c`` (the coordinates are independent for every elementwise
method); `per_coordinate` stacks both. L-BFGS couples the coordinates: `reference_lbfgs` is
the textbook matrix form. The optimizer table (``tests/optimizer_table.py``) pairs them with
hyperparameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

CURV = (1.0, 4.0)
START = (1.0, -2.0)

Coord = Callable[[float, float], list[float]]


def first_steps(opt, n: int = 3, start=START, **kw) -> np.ndarray:
    """Positions after steps 1..n of ``opt`` on the quadratic, shape (n, 2) (the Hessian is
    passed as ``hess``; first-order methods ignore it)."""
    x = np.array(start, dtype=float)
    state = opt.init(x)
    out = []
    for _ in range(n):
        x, state = opt.update(np.array(CURV) * x, state, x, hess=np.diag(CURV), **kw)
        out.append(x)
    return np.array(out)


def per_coordinate(coord: Coord) -> np.ndarray:
    """Stack a hand derivation ``coord(x0, c) -> [x1, ..., xn]`` for both coordinates."""
    return np.array([coord(START[0], CURV[0]), coord(START[1], CURV[1])]).T


def written_out(points: list[list[float]]) -> Callable[[], np.ndarray]:
    """Positions written out as numbers."""
    return lambda: np.array(points)


def derived(coord: Coord) -> Callable[[], np.ndarray]:
    """Positions from a per-coordinate derivation."""
    return lambda: per_coordinate(coord)


# --------------------------------------------------------------------------- SGD family


def sgd_weight_decay_coord(lr: float, wd: float) -> Coord:
    def coord(x0, c):
        g1 = c * x0 + wd * x0
        x1 = x0 - lr * g1
        g2 = c * x1 + wd * x1
        x2 = x1 - lr * g2
        g3 = c * x2 + wd * x2
        x3 = x2 - lr * g3
        return [x1, x2, x3]

    return coord


def sgd_dampening_coord(lr: float, mu: float, tau: float) -> Coord:
    def coord(x0, c):
        b1 = c * x0  # the first step copies the gradient: no (1 - tau)
        x1 = x0 - lr * b1
        b2 = mu * b1 + (1 - tau) * (c * x1)
        x2 = x1 - lr * b2
        b3 = mu * b2 + (1 - tau) * (c * x2)
        x3 = x2 - lr * b3
        return [x1, x2, x3]

    return coord


def nesterov_coord(lr: float, mu: float) -> Coord:
    # torch: b = mu b + g (b_1 = g_1); g <- g + mu b; x <- x - lr g.
    def coord(x0, c):
        g1 = c * x0
        b1 = g1
        x1 = x0 - lr * (g1 + mu * b1)
        g2 = c * x1
        b2 = mu * b1 + g2
        x2 = x1 - lr * (g2 + mu * b2)
        g3 = c * x2
        b3 = mu * b2 + g3
        x3 = x2 - lr * (g3 + mu * b3)
        return [x1, x2, x3]

    return coord


# SGD at lr 0.1. x: g = x; x <- x - 0.1 g.  y: g = 4 y.
SGD_STEPS = [[0.9, -1.2], [0.81, -0.72], [0.729, -0.432]]
# torch: b_1 = g_1 (not 0), then b = 0.9 b + g; x <- x - 0.1 b.
# x: g1 = 1, b1 = 1, x1 = 0.9; g2 = 0.9, b2 = 1.8, x2 = 0.72;
#    g3 = 0.72, b3 = 2.34, x3 = 0.486.
# y: g1 = -8, b1 = -8, y1 = -1.2; g2 = -4.8, b2 = -12, y2 = 0; g3 = 0, b3 = -10.8, y3 = 1.08.
MOMENTUM_STEPS = [[0.9, -1.2], [0.72, 0.0], [0.486, 1.08]]


# ------------------------------------------------------------------------------- Adagrad


def adagrad_coord(lr: float, eta=0.0, tau=0.0, wd=0.0, eps=1e-10) -> Coord:
    # s += g^2; x -= lr / (1 + (t - 1) eta) g / (sqrt(s) + eps): the notes' cache form.
    def coord(x0, c):
        g1 = c * x0 + wd * x0
        s1 = tau + g1 * g1
        x1 = x0 - lr / (1 + 0 * eta) * g1 / (math.sqrt(s1) + eps)
        g2 = c * x1 + wd * x1
        s2 = s1 + g2 * g2
        x2 = x1 - lr / (1 + 1 * eta) * g2 / (math.sqrt(s2) + eps)
        g3 = c * x2 + wd * x2
        s3 = s2 + g3 * g3
        x3 = x2 - lr / (1 + 2 * eta) * g3 / (math.sqrt(s3) + eps)
        return [x1, x2, x3]

    return coord


# ------------------------------------------------------------------------------- RMSprop


def rmsprop_coord(lr, alpha=0.99, eps=1e-8, wd=0.0, mu=0.0, centered=False) -> Coord:
    def coord(x0, c):
        x, v, ga, b, xs = x0, 0.0, 0.0, 0.0, []
        for _ in range(3):  # each step: torch's box line by line
            g = c * x + wd * x
            v = alpha * v + (1 - alpha) * g * g
            vt = v
            if centered:
                ga = alpha * ga + (1 - alpha) * g
                vt = vt - ga * ga
            if mu > 0:
                b = mu * b + g / (math.sqrt(vt) + eps)
                x = x - lr * b
            else:
                x = x - lr * g / (math.sqrt(vt) + eps)
            xs.append(x)
        return xs

    return coord


# ------------------------------------------------------------------------------ Adadelta


def adadelta_coord(lr=1.0, rho=0.9, eps=1e-6, wd=0.0) -> Coord:
    def coord(x0, c):
        x, v, u, xs = x0, 0.0, 0.0, []
        for _ in range(3):
            g = c * x + wd * x
            v = rho * v + (1 - rho) * g * g
            dx = math.sqrt(u + eps) / math.sqrt(v + eps) * g
            u = rho * u + (1 - rho) * dx * dx
            x = x - lr * dx
            xs.append(x)
        return xs

    return coord


# ---------------------------------------------------------------------------- Adam family


def adam_coord(lr, b1, b2, eps, wd=0.0, amsgrad=False, decoupled=False, n=3) -> Coord:
    def coord(x0, c):
        x, m, v, vmax, xs = x0, 0.0, 0.0, 0.0, []
        for t in range(1, n + 1):  # torch's box, one line per line
            g = c * x
            if decoupled:
                x = x - lr * wd * x
            else:
                g = g + wd * x
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**t)
            if amsgrad:
                vmax = max(vmax, v)
                v_hat = vmax / (1 - b2**t)
            else:
                v_hat = v / (1 - b2**t)
            x = x - lr * m_hat / (math.sqrt(v_hat) + eps)
            xs.append(x)
        return xs

    return coord


def nadam_coord(lr, b1, b2, eps, psi, wd=0.0, decoupled=False) -> Coord:
    def coord(x0, c):
        x, m, v, prod, xs = x0, 0.0, 0.0, 1.0, []
        for t in (1, 2, 3):
            g = c * x
            if decoupled:
                x = x - lr * wd * x
            else:
                g = g + wd * x
            mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            prod = prod * mu_t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
            v_hat = v / (1 - b2**t)
            x = x - lr * m_hat / (math.sqrt(v_hat) + eps)
            xs.append(x)
        return xs

    return coord


def radam_coord(lr, b1, b2, eps, n, wd=0.0, decoupled=False) -> Coord:
    rho_inf = 2 / (1 - b2) - 1

    def coord(x0, c):
        x, m, v, xs = x0, 0.0, 0.0, []
        for t in range(1, n + 1):
            g = c * x
            if decoupled:
                x = x - lr * wd * x
            else:
                g = g + wd * x
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**t)
            rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
            if rho_t > 5:
                l_t = math.sqrt(1 - b2**t) / (math.sqrt(v) + eps)
                r_t = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                x = x - lr * m_hat * r_t * l_t
            else:
                x = x - lr * m_hat
            xs.append(x)
        return xs

    return coord


def adamax_coord(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0) -> Coord:
    def coord(x0, c):
        x, m, u, xs = x0, 0.0, 0.0, []
        for t in (1, 2, 3):
            g = c * x + wd * x
            m = b1 * m + (1 - b1) * g
            u = max(b2 * u, abs(g) + eps)
            x = x - lr * m / ((1 - b1**t) * u)
            xs.append(x)
        return xs

    return coord


# ------------------------------------------------------------------------- second order


def newton_coord(lr: float, damping: float) -> Coord:
    """Damped Newton on a diagonal quadratic: x <- x - lr g / (c + damping); saddle-free
    Newton too, as |c| = c here."""

    def coord(x0, c):
        xs, x = [], x0
        for _ in range(3):
            x = x - lr * (c * x) / (c + damping)
            xs.append(x)
        return xs

    return coord


def reference_lbfgs(A, x0, n_steps, lr, m, tolerance_change=1e-9):
    """Textbook L-BFGS on f = x.A.x / 2 with fixed steps, using the *matrix* form of the
    BFGS inverse update (Nocedal & Wright eq. 7.19) instead of the two-loop recursion, and
    torch's conventions: first step min(1, 1/|g|_1) lr, H0 = (s.y / y.y) I, pairs kept only
    if y.s > 1e-10, no step when g.d > -tolerance_change."""
    n = len(x0)
    x = np.array(x0, dtype=float)
    pairs, gamma, path = [], 1.0, [x.copy()]
    g_prev = s_prev = None
    for k in range(n_steps):
        g = A @ x
        if k > 0:
            y = g - g_prev
            if y @ s_prev > 1e-10:
                pairs = [*pairs, (s_prev, y)][-m:]
                gamma = (y @ s_prev) / (y @ y)
        H = gamma * np.eye(n)
        for s, y in pairs:
            rho = 1.0 / (y @ s)
            V = np.eye(n) - rho * np.outer(y, s)
            H = V.T @ H @ V + rho * np.outer(s, s)
        d = -H @ g
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 0 else lr
        s_prev, g_prev = t * d, g
        if g @ d <= -tolerance_change:
            x = x + t * d
        path.append(x.copy())
    return np.array(path)


def lbfgs_steps(lr: float, history_size: int) -> Callable[[], np.ndarray]:
    """L-BFGS's first three positions on the quadratic, by `reference_lbfgs`."""
    return lambda: reference_lbfgs(np.diag(CURV), START, 3, lr, history_size)[1:]
