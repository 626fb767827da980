r"""Step-through mode: replay one optimizer step by step and explain any single step.

`replay` runs one optimizer through `optimizers.iterate` (``details=True``), the very loop of
`optimizers.run` (same gradient-noise draws for the same ``seed``, same learning-rate
multipliers, same divergence rule), and keeps everything a lecturer wants to point at: the
gradient each step used, the optimizer state before and after it and the learning rate.
`explain` turns step ``k`` of a replay into arrows to draw from :math:`x_{k-1}` (the plain
gradient step, the momentum / moment estimates, the actual step) and the update equations,
torch's form (and the CS231n notes' form for momentum), with that step's numbers filled in as
KaTeX-ready LaTeX. The explainers live in `analysis.explain`, one module per optimizer family.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.explain import EXPLAINERS
from analysis.explain.base import ACTUAL_STEP, GRADIENT_STEP, Step, arr, fmt, fmt_vec
from analysis.race import base_name, runnable
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


# ------------------------------------------------------------------------------- replay


@dataclass(frozen=True, eq=False)
class Replay:
    """One optimizer's run, recorded step by step (picklable, for ``st.cache_data``).

    Step ``k`` (1-based) is the ``k``-th update: from ``points[k - 1]`` with gradient
    ``grads[k - 1]`` and state ``states[k - 1]`` to ``points[k]`` and ``states[k]``.

    Attributes
    ----------
    name : str
        The optimizer's registry name (or, for a copy in a race, its name there: ``sgd~2``).
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
    hessians : ndarray, shape (n, 2, 2), or None
        The Hessian passed to ``update`` at each step, for the optimizers that take one
        (``optimizers.NEEDS_HESSIAN``); None for the others.
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
    hessians: Array | None = None

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

    The loop is `optimizers.run`'s own (``iterate(..., details=True)``), set up as
    `analysis.race` sets it up (`analysis.race.runnable`: the surface's Hessian for the
    optimizers in ``optimizers.NEEDS_HESSIAN``, its loss for a line search). So the points
    equal ``run(make(name, **hparams), surface.grad, start, steps, schedule, noise=noise,
    seed=seed).points`` exactly, up to divergence. Recording stops at the first step whose
    point is non-finite or has a coordinate beyond ``1e6`` (that step is not recorded).

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
    opt, hess_fn = runnable(surface, name, hparams)
    _scalar_hparams(opt.hparams)
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be one point of shape (2,), got shape {start.shape}")
    if isinstance(steps, bool | np.bool_) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be an integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    steps = int(steps)
    mult = optimizers.multipliers(schedule, steps)
    if mult.shape != (steps,):
        raise ValueError("replay runs one optimizer: the schedule's parameters must be scalars")
    records = []
    diverged_at = -1
    for record in optimizers.iterate(opt, surface.grad, start, steps, schedule, hess_fn=hess_fn,
                                     noise=noise, seed=seed, details=True):  # fmt: skip
        if not record.alive:  # diverged: the run freezes the point; stop before this step
            diverged_at = record.t
            break
        records.append(record)
    steps_done = records[1:]
    n = len(steps_done)
    pts = np.array([r.points for r in records], dtype=np.float64).reshape(n + 1, 2)
    with np.errstate(all="ignore"):
        values = np.asarray(surface.value(pts), dtype=np.float64).copy()
        lrs = mult[:n] * float(opt.hparams.get("lr", 1.0))  # as Trajectory.lrs: m * lr
    hessians = None
    if hess_fn is not None:
        hessians = _readonly(np.array([r.hess for r in steps_done]).reshape(n, 2, 2))
    return Replay(
        name=opt.name,
        # the surface's functions (a line search's value_fn) stay out: replays are cached
        # by pickling, and a typed formula's functions are closures
        hparams={k: v for k, v in opt.hparams.items() if k not in ("value_fn", "grad_fn")},
        points=_readonly(pts),
        values=_readonly(values),
        grads=_readonly(np.array([r.grad for r in steps_done], dtype=np.float64).reshape(n, 2)),
        noise=_readonly(np.array([r.noise for r in steps_done], dtype=np.float64).reshape(n, 2)),
        states=tuple(r.state for r in records),
        lr_scales=_readonly(np.array(mult[:n], dtype=np.float64)),
        lrs=_readonly(np.array(lrs, dtype=np.float64)),
        scheduled=schedule is not None,
        steps=steps,
        diverged_at=diverged_at,
        hessians=hessians,
    )


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
    Every optimizer of `optimizers.make` has an explainer in `analysis.explain` (its module
    mirrors the optimizer's): its update rule in the algorithm box's order, with this step's
    numbers; momentum and Nesterov also the CS231n velocity form ``v = mu*v - lr*dx`` with
    :math:`v = -\mathrm{lr}\, b`. An optimizer without one raises ValueError (a test keeps
    the mapping complete).

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
    s = Step(
        name=base_name(replay.name),  # the rule is the optimizer's, a copy's too
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
        hess=None if replay.hessians is None else np.array(replay.hessians[k - 1]),
    )
    explainer = EXPLAINERS.get(base_name(replay.name))
    if explainer is None:  # every registered optimizer has one (tests/test_stepthrough.py)
        raise ValueError(f"no explainer for optimizer {replay.name!r}: add one to "
                         "analysis.explain")
    with np.errstate(all="ignore"):
        parts = explainer(s)
    step = s.x_next - s.x
    vectors = {name: arr(vec) for name, vec in parts.vectors.items() if name != ACTUAL_STEP}
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
        formula_step=arr(parts.formula_step),
        state_before=s.before,
        state_after=s.after,
    )
