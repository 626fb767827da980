"""The run loop: optimize a batch of 2D points and record their paths.

`_loop` is the one loop; `iterate` yields its steps and `run` stores them in a `Trajectory`.
Both know nothing about surfaces: they take a ``grad_fn`` callable ``(..., 2) -> (..., 2)``.
``iterate(..., details=True)`` also yields what each step was given and kept (gradient,
noise, Hessian, optimizer state) as a `StepRecord`: what the step-through mode explains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from optimizers._core import Array, Optimizer, hyper_shapes, is_array, leading_shape
from optimizers._registry import OPTIMIZERS
from optimizers.schedules import Schedule, multipliers

__all__ = ["DIVERGENCE_BOUND", "StepRecord", "Trajectory", "iterate", "run"]

DIVERGENCE_BOUND = 1e6
"""A run diverges when a coordinate becomes non-finite or leaves ``[-1e6, 1e6]``."""

GradFn = Callable[[Array], Array]


@dataclass(frozen=True)
class Trajectory:
    """The recorded paths of a batch of runs (all arrays read-only).

    Attributes
    ----------
    points : ndarray, shape (steps + 1, *batch, 2)
        ``points[t]`` is the position after ``t`` steps (``points[0]`` is the start). A
        diverged run stays frozen at its last point inside the bound.
    lrs : ndarray, shape (steps, *lr_batch)
        The effective learning rate of each step, base ``lr`` times the schedule's multiplier
        (``np.multiply.outer(multipliers, lr)`` for a scalar schedule). ``lr_batch`` is the
        shape of an array ``lr`` and/or of an array schedule parameter (leading-aligned).
    diverged_at : ndarray of int, shape batch
        The step (``1..steps``) at which a run first became non-finite or left
        ``|coordinate| <= 1e6``; ``-1`` where it never diverged.
    """

    points: Array
    lrs: Array
    diverged_at: npt.NDArray[np.int64]

    @property
    def steps(self) -> int:
        """The number of steps taken (``len(points) - 1``)."""
        return self.points.shape[0] - 1

    @property
    def final(self) -> Array:
        """The last points, shape ``(*batch, 2)``."""
        return self.points[-1]


class StepRecord(NamedTuple):
    """Step ``t`` of a run with what the update was given and what it kept.

    Yielded by ``iterate(..., details=True)``. At ``t = 0`` ``grad``, ``noise`` and ``hess``
    are None and ``state`` is ``init``'s.

    Attributes
    ----------
    t : int
        Steps taken so far.
    points : ndarray, shape (*batch, 2)
        Positions after ``t`` steps (read-only; diverged runs frozen), as `iterate` yields.
    alive : ndarray of bool, shape batch
        Runs that have not diverged.
    grad : ndarray, shape (*batch, 2) or None
        The gradient step ``t`` passed to ``update``, noise included.
    noise : ndarray, shape (*batch, 2) or None
        The noise part of ``grad`` (zeros without noise).
    hess : ndarray, shape (*batch, 2, 2) or None
        The Hessian passed as ``hess=`` (None without ``hess_fn``).
    state : NamedTuple
        The optimizer state after ``t`` steps.
    """

    t: int
    points: Array
    alive: npt.NDArray[np.bool_]
    grad: Array | None
    noise: Array | None
    hess: Array | None
    state: Any


def _readonly(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _setup(
    optimizer: Optimizer,
    start: Any,
    steps: Any,
    schedule: Schedule | None,
    noise: Any,
) -> tuple[Array, Array | None, tuple[int, ...], float]:
    """Validate the arguments; return the broadcast start, multipliers, batch and noise."""
    if isinstance(steps, bool | np.bool_) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be an integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    noise = float(noise)
    if not (0.0 <= noise < np.inf):
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise}")
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 0 or start.shape[-1] != 2:
        raise ValueError(f"start must have shape (..., 2), got {start.shape}")
    mult = None if schedule is None else multipliers(schedule, int(steps))
    shapes = [start.shape[:-1], *hyper_shapes(optimizer.hparams)]
    if mult is not None:
        shapes.append(mult.shape[1:])
    batch = leading_shape(*shapes)
    lead = start.shape[:-1] + (1,) * (len(batch) - (start.ndim - 1))
    points = np.array(np.broadcast_to(start.reshape(lead + (2,)), batch + (2,)))
    return points, mult, batch, noise


def _full(value: Any, shape: tuple[int, ...]) -> Any:
    """An array hyperparameter materialized at ``shape`` (leading-aligned); scalars as is."""
    if not is_array(value):
        return value
    lead = value.reshape(value.shape + (1,) * (len(shape) - value.ndim))
    return np.ascontiguousarray(np.broadcast_to(lead, shape))


def _expanded(optimizer: Optimizer, shape: tuple[int, ...]) -> Optimizer:
    """The same optimizer with its array hyperparameters materialized at the points' shape.

    Only for speed: an ``lr`` of shape ``(200, 1, 1)`` against points ``(200, 200, 2)``
    makes NumPy's inner loops run over the length-2 coordinate axis, ten times slower than
    same-shape arithmetic. The math is unchanged. Optimizers that are not rebuilt from
    `OPTIMIZERS` into the very same code (say, a hand-made ``Optimizer``) are used as they are.
    """
    hparams = optimizer.hparams
    factory = OPTIMIZERS.get(optimizer.name)
    if factory is None or not hyper_shapes(hparams):
        return optimizer
    full = {
        k: tuple(_full(x, shape) for x in v) if isinstance(v, tuple) else _full(v, shape)
        for k, v in hparams.items()
    }
    try:
        rebuilt = factory(**full)
    except (TypeError, ValueError):
        return optimizer
    same = getattr(rebuilt.update, "__code__", None) is getattr(optimizer.update, "__code__", 0)
    return rebuilt if same else optimizer


def _freeze(
    new: Array, old: Array, alive: npt.NDArray[np.bool_], dead: tuple[npt.NDArray[np.intp], ...]
) -> Array:
    """``new`` with the diverged runs (``dead``, the indices of ``~alive``) reset to ``old``.

    In place when possible: ``new`` is the optimizer's fresh output and only the entries of
    diverged runs, which are ignored from now on, change. Cheaper than a full ``np.where``
    when few runs diverged.
    """
    if alive.ndim == 0:  # a single run
        return new if alive else old
    if new.shape != old.shape or not new.flags.writeable:
        return np.where(alive[..., None], new, old)
    new[dead] = old[dead]
    return new


def _inside(points: Array) -> bool:
    """Whether every coordinate is within ``[-1e6, 1e6]`` (NaN fails every comparison)."""
    if points.ndim == 1:  # a single run, as in a race: two float comparisons beat reductions
        x, y = points.tolist()
        return abs(x) <= DIVERGENCE_BOUND and abs(y) <= DIVERGENCE_BOUND
    return bool(
        points.max(initial=-np.inf) <= DIVERGENCE_BOUND
        and points.min(initial=np.inf) >= -DIVERGENCE_BOUND
    )


def _loop(
    optimizer: Optimizer,
    grad_fn: GradFn,
    points: Array,
    steps: int,
    mult: Array | None,
    hess_fn: GradFn | None,
    noise: float,
    seed: Any,
    details: bool = False,
) -> Iterator[Any]:
    """The loop. Yields ``(t, points, alive)``: the points (fresh arrays, never written after
    they are yielded) and a read-only ``alive`` (the same object until it changes); with
    ``details`` a `StepRecord` instead (only then is the noise kept apart from the gradient).

    It sets no errstate: its two drivers do, `run` once around the whole loop and `iterate`
    around each step but not around its yields (the caller's errstate is theirs). Entering
    an errstate costs as much as a small update, so once per run matters for a race.
    """
    optimizer = _expanded(optimizer, points.shape)
    p = points
    alive = np.ones(p.shape[:-1], dtype=bool)
    alive_view = _readonly(alive)
    dead: tuple[npt.NDArray[np.intp], ...] | None = None  # indices of diverged runs
    rng = np.random.default_rng(seed) if noise > 0 else None
    scales = [1.0] * steps if mult is None else (_full(m, p.shape) for m in mult)
    state = optimizer.init(p)
    yield StepRecord(0, p, alive_view, None, None, None, state) if details else (0, p, alive_view)
    for t, scale in enumerate(scales, 1):  # scale: this step's lr multiplier
        g = grad_fn(p)
        xi = None
        if rng is not None:
            xi = noise * rng.standard_normal(p.shape)
            g = g + xi
        hess = None if hess_fn is None else hess_fn(p)
        new, state = optimizer.update(g, state, p, lr_scale=scale, hess=hess)
        if dead is not None:  # diverged runs stay where they were
            new = _freeze(new, p, alive, dead)
        if not _inside(new):  # fast check first; then find the runs that left
            inside = np.abs(new) <= DIVERGENCE_BOUND  # NaN is outside
            inside = np.logical_and.reduce(inside, axis=-1, out=np.empty(alive.shape, bool))
            alive = np.logical_and(alive, inside, out=inside)
            alive_view = _readonly(alive)
            dead = np.nonzero(~alive) if alive.ndim else ()
            new = _freeze(new, p, alive, dead)
        p = new
        if details:
            noise_part = np.zeros_like(g) if xi is None else xi
            yield StepRecord(t, p, alive_view, g, noise_part, hess, state)
        else:
            yield t, p, alive_view


def _stepwise(loop: Iterator[Any]) -> Iterator[Any]:
    """Drive ``loop`` with floating-point warnings off during each step, not around the
    yields (the caller's errstate is theirs); yield read-only views of the points."""
    while True:
        with np.errstate(all="ignore"):
            item = next(loop, None)
        if item is None:
            return
        if isinstance(item, StepRecord):
            yield item._replace(points=_readonly(item.points))
        else:
            t, p, alive = item
            yield t, _readonly(p), alive


def iterate(
    optimizer: Optimizer,
    grad_fn: GradFn,
    start: Any,
    steps: int,
    schedule: Schedule | None = None,
    hess_fn: GradFn | None = None,
    noise: float = 0.0,
    seed: Any = None,
    *,
    details: bool = False,
) -> Iterator[Any]:
    """Run ``optimizer`` from ``start`` and yield ``(t, points, alive)`` for ``t = 0..steps``.

    Lets a sweep reduce on the fly (final loss, steps to converge) without storing whole
    paths, and (``details=True``) the step-through mode show what each update was given and
    kept, from the very loop `run` drives. Arguments are validated eagerly, when `iterate`
    is called.

    Parameters
    ----------
    optimizer : Optimizer
        From `optimizers.make`. Array hyperparameters add batch axes (leading-aligned).
    grad_fn : callable
        ``(..., 2) -> (..., 2)`` gradient of the loss.
    start : array_like, shape (..., 2)
        Start point(s); broadcast to ``(*batch, 2)``.
    steps : int
        Number of optimizer steps.
    schedule : Schedule, optional
        Multiplier ``m(t)`` of the learning rate at step ``t`` (0-based); ``None`` is
        constant. A schedule with array parameters adds batch axes.
    hess_fn : callable, optional
        ``(..., 2) -> (..., 2, 2)``, passed to ``update`` as ``hess=`` (second-order methods).
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to every gradient component. It is
        *absolute*, not relative to the gradient: minibatch noise does not vanish at the
        minimum (the gradient of the full loss does, each minibatch's does not), so SGD with
        a constant learning rate keeps jittering around the minimum in a ball whose size
        scales with ``lr * noise``. That is the lesson (and why learning rates are annealed).
    seed : int or numpy.random.Generator seed, optional
        Seed of ``np.random.default_rng`` for the noise: the same seed gives the same run.
    details : bool, default False
        Yield a `StepRecord` per step (also the gradient, noise, Hessian and optimizer state
        the update used and returned) instead of ``(t, points, alive)``. The points are the
        same; the plain path pays nothing for the option.

    Yields
    ------
    t : int
        Steps taken so far.
    points : ndarray, shape (*batch, 2)
        Positions after ``t`` steps (read-only; diverged runs frozen).
    alive : ndarray of bool, shape batch
        Runs that have not diverged (read-only; the same object until it changes).

    Notes
    -----
    The batch shape is the leading-aligned broadcast of ``start.shape[:-1]``, the shapes of
    array hyperparameters (including the elements of ``betas``) and of the schedule's
    multiplier. A run diverges at the first step where a coordinate is non-finite or beyond
    ``1e6``; from then on its point stays at the previous one (its optimizer state keeps
    being computed from there, and is ignored). No floating-point warning escapes.
    """
    points, mult, _, noise = _setup(optimizer, start, steps, schedule, noise)
    loop = _loop(optimizer, grad_fn, points, int(steps), mult, hess_fn, noise, seed, details)
    return _stepwise(loop)


def run(
    optimizer: Optimizer,
    grad_fn: GradFn,
    start: Any,
    steps: int,
    schedule: Schedule | None = None,
    hess_fn: GradFn | None = None,
    noise: float = 0.0,
    seed: Any = None,
) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps from ``start`` and record the paths.

    Same arguments as `iterate`; both drive the same loop.

    Returns
    -------
    Trajectory
        ``points (steps + 1, *batch, 2)``, ``lrs (steps, *lr_batch)``,
        ``diverged_at (*batch)``.

    Examples
    --------
    Gradient descent on :math:`f(x, y) = x^2 + y^2` halves the distance each step with
    ``lr=0.25``; ``lr=1.5`` doubles it and diverges at step 20 (:math:`2^{20} > 10^6`):

    >>> import numpy as np
    >>> from optimizers import make, run
    >>> opt = make("sgd", lr=np.array([0.25, 1.5]))
    >>> traj = run(opt, lambda p: 2 * p, start=[1.0, 1.0], steps=30)
    >>> traj.points.shape, traj.diverged_at
    ((31, 2, 2), array([-1, 20]))
    >>> traj.points[3, 0], traj.final[1]
    (array([0.125, 0.125]), array([-524288., -524288.]))
    """
    points, mult, batch, noise = _setup(optimizer, start, steps, schedule, noise)
    steps = int(steps)
    out = np.empty((steps + 1, *batch, 2))
    diverged_at = np.full(batch, -1, dtype=np.int64)
    previous = None
    loop = _loop(optimizer, grad_fn, points, steps, mult, hess_fn, noise, seed)
    # One errstate for the whole loop (not one per step): between the steps only this
    # function's bookkeeping runs, which does no floating-point arithmetic.
    with np.errstate(all="ignore"):
        for t, p, alive in loop:
            out[t] = p
            if previous is not None and alive is not previous:
                diverged_at[previous & ~alive] = t
            previous = alive
    lrs = _lrs(optimizer, mult, steps)
    for a in (out, lrs, diverged_at):
        a.flags.writeable = False
    return Trajectory(points=out, lrs=lrs, diverged_at=diverged_at)


def _lrs(optimizer: Optimizer, mult: Array | None, steps: int) -> Array:
    """Effective learning rates ``lr * m(t)``, leading-aligned, shape ``(steps, *lr_batch)``."""
    lr = np.asarray(optimizer.hparams.get("lr", 1.0), dtype=np.float64)
    if mult is None:
        mult = np.ones(steps)
    m_shape = mult.shape[1:]
    nd = max(len(m_shape), lr.ndim)
    m = mult.reshape((steps, *m_shape) + (1,) * (nd - len(m_shape)))
    with np.errstate(all="ignore"):
        return np.array(m * lr.reshape(lr.shape + (1,) * (nd - lr.ndim)), dtype=np.float64)
