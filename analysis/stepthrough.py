r"""Step-through mode: replay one optimizer step by step and explain any single step.

`replay` re-runs one optimizer exactly as `optimizers.run` does (same gradient-noise draws
for the same ``seed``, same learning-rate multipliers, same divergence rule) but keeps
everything a lecturer wants to point at: the gradient each step used, the optimizer state
before and after it and the learning rate. `explain` turns step ``k`` of a replay into arrows
to draw from :math:`x_{k-1}` (the plain gradient step, the momentum / moment estimates, the
actual step) and the update equations, torch's form (and the CS231n notes' form for momentum),
with that step's numbers filled in as KaTeX-ready LaTeX.

Examples
--------
>>> from surfaces import SURFACES
>>> r = replay(SURFACES["bowl"], "momentum", {"lr": 0.1}, (1.0, -2.0), steps=5)
>>> ex = explain(r, 2)
>>> ex.equations[1]
'b_k = \\mu\\, b_{k-1} + g_k = 0.9\\cdot (1,\\ -2) + (0.9,\\ -1.8) = (1.8,\\ -3.6)'
>>> ex.step, ex.vectors["μ·v_prev (momentum carried over)"]
(array([-0.18,  0.36]), array([-0.09,  0.18]))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

import optimizers
from optimizers.run import DIVERGENCE_BOUND
from surfaces import Surface

__all__ = [
    "ACTUAL_STEP",
    "GRADIENT_STEP",
    "Replay",
    "StepExplanation",
    "explain",
    "fmt",
    "fmt_vec",
    "replay",
]

Array = npt.NDArray[np.float64]

GRADIENT_STEP = "−lr·g (gradient step)"
"""Name of the plain gradient-descent step :math:`-\\mathrm{lr}\\, g_k` in `vectors`."""
ACTUAL_STEP = "actual step"
"""Name of the step the optimizer really took, :math:`x_k - x_{k-1}`, in `vectors`."""

SIGNIFICANT_DIGITS = 4


# ------------------------------------------------------------------------------- replay


@dataclass(frozen=True, eq=False)
class Replay:
    """One optimizer's run, recorded step by step (picklable, for ``st.cache_data``).

    Step ``k`` (1-based) is the ``k``-th update: from ``points[k - 1]`` with gradient
    ``grads[k - 1]`` and state ``states[k - 1]`` to ``points[k]`` and ``states[k]``.

    Attributes
    ----------
    name : str
        The optimizer's registry name.
    hparams : dict
        All its hyperparameters after validation (defaults included).
    points : ndarray, shape (n + 1, 2)
        ``points[0]`` is the start; equal to ``optimizers.run(...).points[: n + 1]``.
    values : ndarray, shape (n + 1,)
        The loss at each point.
    grads : ndarray, shape (n, 2)
        The gradient passed to ``update`` at each step (noise included).
    noise : ndarray, shape (n, 2)
        The noise part of ``grads`` (zeros without noise).
    states : tuple of State NamedTuples, length n + 1
        ``states[k]`` is the optimizer state after ``k`` steps (``states[0]`` from ``init``).
    lr_scales : ndarray, shape (n,)
        The schedule's multiplier ``m(k - 1)`` of step ``k`` (ones without a schedule).
    lrs : ndarray, shape (n,)
        The learning rate used at step ``k``, ``lr * m(k - 1)``.
    scheduled : bool
        Whether a schedule was given.
    steps : int
        The number of steps asked for.
    diverged_at : int
        The step at which the run diverged (as ``Trajectory.diverged_at``), ``-1`` if never.
        Recording stops before that step, so ``n = diverged_at - 1`` then, else ``n = steps``.
    """

    name: str
    hparams: Mapping[str, Any]
    points: Array
    values: Array
    grads: Array
    noise: Array
    states: tuple[Any, ...]
    lr_scales: Array
    lrs: Array
    scheduled: bool
    steps: int
    diverged_at: int

    @property
    def n_steps(self) -> int:
        """The number of recorded steps ``n`` (the scrubber's range is ``1..n``)."""
        return len(self.points) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0


def _scalar_hparams(hparams: Mapping[str, Any]) -> None:
    for key, value in hparams.items():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, np.ndarray) and v.ndim > 0:
                raise ValueError(
                    f"replay runs one optimizer: hyperparameter {key!r} must be a scalar, "
                    f"got an array of shape {v.shape}"
                )


def _readonly(a: Array) -> Array:
    a.flags.writeable = False
    return a


def replay(
    surface: Surface,
    name: str,
    hparams: Mapping[str, Any],
    start: Any,
    steps: int,
    schedule: optimizers.Schedule | None = None,
    noise: float = 0.0,
    seed: Any = None,
) -> Replay:
    """Re-run one optimizer on ``surface`` and record every step.

    The loop is `optimizers.run`'s, step for step: the gradient at the current point, plus
    ``noise * rng.standard_normal(2)`` from ``np.random.default_rng(seed)`` when
    ``noise > 0``, then ``update(g, state, x, lr_scale=m(t))`` (with ``hess=`` the surface's
    Hessian for the optimizers in ``optimizers.NEEDS_HESSIAN``, as `analysis.race` does).
    So the points equal ``run(make(name, **hparams), surface.grad, start, steps, schedule,
    noise=noise, seed=seed).points`` exactly, up to divergence. Recording stops at the first
    step whose point is non-finite or has a coordinate beyond ``1e6`` (that step is not
    recorded).

    Parameters
    ----------
    surface : Surface
        The loss surface (its ``grad`` is the gradient).
    name : str
        A key of `optimizers.OPTIMIZERS`.
    hparams : mapping
        Hyperparameters for `optimizers.make`; scalars only (one run).
    start : array_like, shape (2,)
        The start point.
    steps : int
        The number of steps to run.
    schedule : Schedule, optional
        Learning-rate multiplier ``m(t)``; scalar parameters only.
    noise : float, default 0
        Standard deviation of the Gaussian gradient noise.
    seed : int or numpy.random.Generator seed, optional
        Seed of the noise (the same seed as the race gives the same noise).

    Returns
    -------
    Replay

    Raises
    ------
    ValueError
        For array hyperparameters or schedule parameters, a start that is not one 2D point,
        negative ``steps`` or invalid ``noise`` (and `optimizers.make`'s errors).
    """
    opt = optimizers.make(name, **dict(hparams))
    _scalar_hparams(opt.hparams)
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be one point of shape (2,), got shape {start.shape}")
    if isinstance(steps, bool | np.bool_) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be an integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    steps = int(steps)
    noise = float(noise)
    if not (0.0 <= noise < np.inf):
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise}")
    mult = optimizers.multipliers(schedule, steps)
    if mult.shape != (steps,):
        raise ValueError("replay runs one optimizer: the schedule's parameters must be scalars")
    lr = float(opt.hparams.get("lr", 1.0))
    rng = np.random.default_rng(seed) if noise > 0 else None
    # As `analysis.race`: Newton's methods get the exact Hessian (first-order ones ignore it).
    needs_hessian = opt.name in getattr(optimizers, "NEEDS_HESSIAN", frozenset())

    p = np.array(start)
    with np.errstate(all="ignore"):
        state = opt.init(p)
    points, grads, xis, states = [p], [], [], [state]
    diverged_at = -1
    for t in range(steps):
        with np.errstate(all="ignore"):
            g = surface.grad(p)
            xi = np.zeros(2)
            if rng is not None:  # as run: g + noise * z, with z drawn after the gradient
                xi = noise * rng.standard_normal(p.shape)
                g = g + xi
            hess = surface.hessian(p) if needs_hessian else None
            scale = 1.0 if schedule is None else mult[t]
            new, state = opt.update(g, state, p, lr_scale=scale, hess=hess)
        if not (
            new.max(initial=-np.inf) <= DIVERGENCE_BOUND
            and new.min(initial=np.inf) >= -DIVERGENCE_BOUND
        ):
            diverged_at = t + 1
            break
        p = new
        points.append(p)
        grads.append(np.array(g, dtype=np.float64))
        xis.append(xi)
        states.append(state)
    n = len(grads)
    pts = np.array(points, dtype=np.float64).reshape(n + 1, 2)
    with np.errstate(all="ignore"):
        values = np.asarray(surface.value(pts), dtype=np.float64).copy()
    with np.errstate(all="ignore"):
        lrs = mult[:n] * lr  # as Trajectory.lrs: m * lr
    return Replay(
        name=opt.name,
        hparams=dict(opt.hparams),
        points=_readonly(pts),
        values=_readonly(values),
        grads=_readonly(np.array(grads, dtype=np.float64).reshape(n, 2)),
        noise=_readonly(np.array(xis, dtype=np.float64).reshape(n, 2)),
        states=tuple(states),
        lr_scales=_readonly(np.array(mult[:n], dtype=np.float64)),
        lrs=_readonly(np.array(lrs, dtype=np.float64)),
        scheduled=schedule is not None,
        steps=steps,
        diverged_at=diverged_at,
    )


# ---------------------------------------------------------------------------- formatting


def fmt(x: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    r"""A number as compact LaTeX with ``digits`` significant digits.

    >>> fmt(1.23456), fmt(-0.5), fmt(1e-8), fmt(12345.6), fmt(0.0), fmt(float("nan"))
    ('1.235', '-0.5', '10^{-8}', '1.235{\\times}10^{4}', '0', '\\mathrm{NaN}')
    """
    x = float(x)
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return power if mantissa == "1" else "-" + power
    return rf"{mantissa}{{\times}}{power}"


def fmt_vec(v: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    r"""A 2D vector as LaTeX ``(a,\ b)``.

    >>> fmt_vec([1.0, -2.5])
    '(1,\\ -2.5)'
    """
    a, b = np.asarray(v, dtype=np.float64).reshape(2)
    return rf"({fmt(a, digits)},\ {fmt(b, digits)})"


_v, _s = fmt_vec, fmt


# --------------------------------------------------------------------------- explanation


@dataclass(frozen=True, eq=False)
class StepExplanation:
    r"""Step ``k`` of a replay, ready to draw and to typeset.

    Attributes
    ----------
    name : str
        The optimizer.
    k : int
        The step (1-based): the update from :math:`x_{k-1}` to :math:`x_k`.
    lr : float
        The learning rate used at this step (schedule included).
    point : ndarray, shape (2,)
        :math:`x_{k-1}`, where every arrow starts.
    grad : ndarray, shape (2,)
        The gradient the optimizer was given (noise included, weight decay not).
    step : ndarray, shape (2,)
        The actual step :math:`x_k - x_{k-1}`.
    vectors : mapping of str to ndarray (2,)
        Displacements to draw as arrows from ``point``, in drawing order: first
        `GRADIENT_STEP`, last `ACTUAL_STEP`, and between them the optimizer's own (momentum,
        velocity, moment estimates), each scaled as a displacement (``-lr * b``, ...).
    numbers : mapping of str to float or ndarray (2,)
        Named quantities of the step that are not displacements (buffers, bias corrections,
        the per-coordinate effective learning rate).
    equations : tuple of str
        LaTeX lines (KaTeX-safe, one ``st.latex`` each): the update rule with the numbers
        of this step filled in.
    formula_step : ndarray, shape (2,)
        The step as the displayed formulas compute it (equals ``step`` up to rounding; a
        check that the equations are the ones the optimizer ran).
    state_before, state_after : NamedTuple
        The optimizer state before and after the step.
    """

    name: str
    k: int
    lr: float
    point: Array
    grad: Array
    step: Array
    vectors: Mapping[str, Array]
    numbers: Mapping[str, Any]
    equations: tuple[str, ...]
    formula_step: Array
    state_before: Any = field(repr=False)
    state_after: Any = field(repr=False)


class _Step(NamedTuple):
    """What every explainer needs about step ``k``."""

    name: str
    k: int
    hp: Mapping[str, Any]
    x: Array  # x_{k-1}
    x_next: Array  # x_k
    grad: Array  # given to update (noise included)
    noise: Array
    lr: float
    lr0: float
    scale: float
    scheduled: bool
    before: Any
    after: Any


class _Parts(NamedTuple):
    lines: list[str]
    vectors: dict[str, Array]
    numbers: dict[str, Any]
    formula_step: Array


def _arr(x: Any) -> Array:
    return np.array(np.broadcast_to(np.asarray(x, dtype=np.float64), (2,)))


def _head(s: _Step) -> list[str]:
    """The learning-rate line (with a schedule) and the gradient line."""
    lines = []
    if s.scheduled:
        lines.append(
            rf"\mathrm{{lr}} = \mathrm{{lr}}_0\cdot m(k-1) = {_s(s.lr0)}\cdot {_s(s.scale)}"
            rf" = {_s(s.lr)}"
        )
    if np.any(s.noise != 0):
        lines.append(
            rf"g_k = \nabla f(x_{{k-1}}) + \xi_k = {_v(s.grad - s.noise)} + {_v(s.noise)}"
            rf" = {_v(s.grad)}"
        )
    else:
        lines.append(rf"g_k = \nabla f(x_{{k-1}}) = \nabla f{_v(s.x)} = {_v(s.grad)}")
    return lines


def _l2(s: _Step, lines: list[str]) -> Array:
    """L2 weight decay (added to the gradient), with its line; returns the gradient used."""
    lam = float(s.hp.get("weight_decay", 0.0))
    if lam == 0:
        return s.grad
    g = s.grad + lam * s.x
    lines.append(
        rf"g_k \leftarrow g_k + \lambda\, x_{{k-1}} = {_v(s.grad)} + {_s(lam)}\cdot {_v(s.x)}"
        rf" = {_v(g)}"
    )
    return g


def _decoupled(s: _Step, lines: list[str], vectors: dict[str, Array]) -> Array:
    """Decoupled (AdamW) weight decay: shrink the parameters; returns the shrunk point."""
    lam = float(s.hp.get("weight_decay", 0.0))
    x = s.x * (1 - s.lr * lam)
    lines.append(
        rf"\tilde x_{{k-1}} = (1 - \mathrm{{lr}}\,\lambda)\, x_{{k-1}} = "
        rf"(1 - {_s(s.lr)}\cdot {_s(lam)})\cdot {_v(s.x)} = {_v(x)}"
    )
    vectors["−lr·λ·x (weight decay)"] = x - s.x
    return x


def _per_coordinate(lines: list[str]) -> None:
    lines.append(
        r"\text{(per coordinate: squares, } \sqrt{\cdot}\text{, / and } \odot"
        r"\text{ act elementwise)}"
    )


# -- SGD, momentum, Nesterov


def _sgd(s: _Step) -> _Parts:
    hp = s.hp
    lines = _head(s)
    g = _l2(s, lines)
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
        return _Parts(lines, vectors, numbers, -lr * g)

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
    numbers["b_k (momentum buffer)"] = _arr(b)
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
    return _Parts(lines, vectors, numbers, -lr * direction)


def _cs231n_momentum(
    s: _Step, mu: float, g: Array, v_prev: Array, v: Array, nesterov: bool
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


# -- Adagrad, RMSprop, Adadelta


def _adagrad(s: _Step) -> _Parts:
    hp = s.hp
    lines = _head(s)
    g = _l2(s, lines)
    _per_coordinate(lines)
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
    lines.append(_eff_step(s, "g_k", g, lr_eff))
    numbers = {"s_k (sum of squared gradients)": _arr(total),
               "lr_eff = lr/(√s_k+ε)": lr_eff}
    return _Parts(lines, {GRADIENT_STEP: -s.lr * g}, numbers, -lr_eff * g)


def _eff_step(s: _Step, what: str, value: Array, lr_eff: Array, x: Array | None = None) -> str:
    x_name, x = (r"x_{k-1}", s.x) if x is None else (r"\tilde x_{k-1}", x)
    return (
        rf"x_k = {x_name} - \mathrm{{lr}}_{{\mathrm{{eff}}}} \odot {what} = {_v(x)} - "
        rf"{_v(lr_eff)} \odot {_v(value)} = {_v(s.x_next)}"
    )


def _rmsprop(s: _Step) -> _Parts:
    hp = s.hp
    lines = _head(s)
    g = _l2(s, lines)
    _per_coordinate(lines)
    alpha, eps, mu = float(hp["alpha"]), float(hp["eps"]), float(hp["momentum"])
    lr = s.lr
    v_prev, v = s.before.square_avg, s.after.square_avg
    lines.append(
        rf"v_k = \alpha\, v_{{k-1}} + (1-\alpha)\, g_k^2 = {_s(alpha)}\cdot {_v(v_prev)} + "
        rf"{_s(1 - alpha)}\cdot {_v(g * g)} = {_v(v)}\quad\text{{(the notes' cache)}}"
    )
    numbers: dict[str, Any] = {"v_k (mean square)": _arr(v)}
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
        numbers["ḡ_k (mean gradient)"] = _arr(ga)
        v_name = r"\tilde v_k"
    root = np.sqrt(v_used)
    vectors: dict[str, Array] = {GRADIENT_STEP: -lr * g}
    if mu == 0:
        lr_eff = lr / (root + eps)
        lines.append(
            rf"\mathrm{{lr}}_{{\mathrm{{eff}}}} = \mathrm{{lr}}/(\sqrt{{{v_name}}} + \epsilon)"
            rf" = {_s(lr)}/\left({_v(root)} + {_s(eps)}\right) = {_v(lr_eff)}"
        )
        lines.append(_eff_step(s, "g_k", g, lr_eff))
        numbers["lr_eff = lr/(√v_k+ε)"] = lr_eff
        return _Parts(lines, vectors, numbers, -lr_eff * g)
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
    numbers["b_k (momentum buffer)"] = _arr(b)
    vectors["μ·v_prev = −lr·μ·b_prev (momentum)"] = -lr * mu * np.asarray(b_prev)
    vectors["−lr·g/(√v+ε) (normalized step)"] = -lr * q
    return _Parts(lines, vectors, numbers, -lr * (mu * b_prev + q))


def _adadelta(s: _Step) -> _Parts:
    hp = s.hp
    lines = _head(s)
    g = _l2(s, lines)
    _per_coordinate(lines)
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
    numbers = {"v_k (mean square gradient)": _arr(v), "u_k (mean square step)": _arr(u),
               "Δx_k": delta}
    return _Parts(lines, {GRADIENT_STEP: -s.lr * g}, numbers, -s.lr * delta)


# -- Adam and relatives


def _adam_head(s: _Step) -> tuple[list[str], Array, Array, dict[str, Array]]:
    """Gradient, weight decay (L2 or decoupled) and the per-coordinate note."""
    lines = _head(s)
    vectors: dict[str, Array] = {}
    x = s.x
    # AdamW always decouples; Adam, NAdam and RAdam when their torch 2.x flag says so.
    decoupled = s.name == "adamw" or bool(s.hp.get("decoupled_weight_decay", False))
    if float(s.hp.get("weight_decay", 0.0)) and decoupled:
        x = _decoupled(s, lines, vectors)
        g = s.grad
    else:
        g = _l2(s, lines)
    _per_coordinate(lines)
    return lines, g, x, vectors


def _moment_lines(s: _Step, g: Array, b1: float, b2: float | None) -> list[str]:
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


def _adam(s: _Step) -> _Parts:
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
    lines.append(_eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    lines.append(
        r"\text{CS231n: } x \mathrel{+}= -\mathrm{lr}\cdot \hat m/(\sqrt{\hat v}"
        r" + \epsilon)\text{, with the bias correction}"
    )
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat, **extra}
    numbers = {"m_k (first moment)": _arr(m), "v_k (second moment)": _arr(s.after.exp_avg_sq),
               "m̂_k": m_hat, "v̂_k": v_hat, "1−β1^k": bc1, "1−β2^k": bc2,
               "lr_eff = lr/(√v̂_k+ε)": lr_eff}
    return _Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def _nadam(s: _Step) -> _Parts:
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
    lines.append(_eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (Nesterov first moment)": -s.lr * m_hat,
               **extra}
    numbers = {"μ_k": mu, "μ_{k+1}": mu_next, "m_k (first moment)": _arr(m),
               "v_k (second moment)": _arr(v), "m̂_k": m_hat, "v̂_k": v_hat,
               "lr_eff = lr/(√v̂_k+ε)": lr_eff}
    return _Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def _radam(s: _Step) -> _Parts:
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
    numbers: dict[str, Any] = {"m_k (first moment)": _arr(m), "v_k (second moment)": _arr(v),
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
    lines.append(_eff_step(s, r"\hat m_k", m_hat, lr_eff, None if x is s.x else x))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat, **extra}
    return _Parts(lines, vectors, numbers, x - s.x - lr_eff * m_hat)


def _adamax(s: _Step) -> _Parts:
    hp = s.hp
    lines = _head(s)
    g = _l2(s, lines)
    _per_coordinate(lines)
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
    lines.append(_eff_step(s, r"\hat m_k", m_hat, lr_eff))
    vectors = {GRADIENT_STEP: -s.lr * g, "−lr·m̂ (first moment)": -s.lr * m_hat}
    numbers = {"m_k (first moment)": _arr(m), "u_k (infinity norm)": _arr(u), "m̂_k": m_hat,
               "lr_eff = lr/u_k": lr_eff}
    return _Parts(lines, vectors, numbers, -lr_eff * m_hat)


def _generic(s: _Step) -> _Parts:
    """Any other optimizer: the gradient, its state by name and the step."""
    lines = _head(s)
    numbers: dict[str, Any] = {}
    for key, value in s.after._asdict().items():
        if key == "t":
            continue
        arr = np.asarray(value, dtype=np.float64)
        label = key.replace("_", r"\_")
        if arr.shape == (2,):
            lines.append(rf"\mathrm{{{label}}}_k = {_v(arr)}")
            numbers[key] = arr
        elif arr.ndim == 0:
            lines.append(rf"\mathrm{{{label}}}_k = {_s(arr)}")
            numbers[key] = float(arr)
    step = s.x_next - s.x
    lines.append(rf"x_k = x_{{k-1}} + \Delta x_k = {_v(s.x)} + {_v(step)} = {_v(s.x_next)}")
    return _Parts(lines, {GRADIENT_STEP: -s.lr * s.grad}, numbers, step)


_EXPLAINERS: Mapping[str, Callable[[_Step], _Parts]] = {
    "sgd": _sgd,
    "momentum": _sgd,
    "nesterov": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adadelta": _adadelta,
    "adam": _adam,
    "adamw": _adam,
    "nadam": _nadam,
    "radam": _radam,
    "adamax": _adamax,
}


def explain(replay: Replay, k: int) -> StepExplanation:
    r"""Explain step ``k`` (1-based) of ``replay``: arrows to draw and filled-in equations.

    Parameters
    ----------
    replay : Replay
    k : int
        ``1 <= k <= replay.n_steps``.

    Returns
    -------
    StepExplanation

    Raises
    ------
    ValueError
        If ``k`` is out of range (a diverged replay has no step at or after divergence).

    Notes
    -----
    SGD, momentum, Nesterov, Adagrad, RMSprop (centered and momentum variants too), Adadelta,
    Adam/AdamW (amsgrad too), NAdam, RAdam and Adamax each get their torch algorithm box with
    numbers; momentum and Nesterov also the CS231n velocity form ``v = mu*v - lr*dx``
    with :math:`v = -\mathrm{lr}\, b`. An optimizer without an explainer gets a generic one:
    the gradient, its state by name and the step.

    Examples
    --------
    >>> from surfaces import SURFACES
    >>> r = replay(SURFACES["bowl"], "sgd", {"lr": 0.1}, (1.0, -2.0), steps=3)
    >>> ex = explain(r, 1)
    >>> ex.step
    array([-0.1,  0.2])
    >>> print(ex.equations[-2])
    x_k = x_{k-1} - \mathrm{lr}\, g_k = (1,\ -2) - 0.1\cdot (1,\ -2) = (0.9,\ -1.8)
    """
    n = replay.n_steps
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
        raise ValueError(f"k must be a step in 1..{n}, got {k!r}")
    k = int(k)
    s = _Step(
        name=replay.name,
        k=k,
        hp=replay.hparams,
        x=np.array(replay.points[k - 1]),
        x_next=np.array(replay.points[k]),
        grad=np.array(replay.grads[k - 1]),
        noise=np.array(replay.noise[k - 1]),
        lr=float(replay.lrs[k - 1]),
        lr0=float(replay.hparams.get("lr", 1.0)),
        scale=float(replay.lr_scales[k - 1]),
        scheduled=replay.scheduled,
        before=replay.states[k - 1],
        after=replay.states[k],
    )
    with np.errstate(all="ignore"):
        parts = _EXPLAINERS.get(replay.name, _generic)(s)
    step = s.x_next - s.x
    vectors = {name: _arr(vec) for name, vec in parts.vectors.items() if name != ACTUAL_STEP}
    vectors[ACTUAL_STEP] = step
    return StepExplanation(
        name=replay.name,
        k=k,
        lr=s.lr,
        point=s.x,
        grad=s.grad,
        step=step,
        vectors=vectors,
        numbers=dict(parts.numbers),
        equations=tuple(parts.lines),
        formula_step=_arr(parts.formula_step),
        state_before=s.before,
        state_after=s.after,
    )
