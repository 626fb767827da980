r"""Hyperparameter sweeps: every setting of a 2D grid raced at once, reduced on the fly.

A sweep runs one optimizer from one start for every cell of an ``x`` by ``y`` grid of
hyperparameters (``lr`` by ``momentum``, by Adam's ``betas[1]``, by a schedule's ``decay``,
...) as a *single batch* of the optimizer library: the ``x`` values become an array
hyperparameter of shape ``(1, nx)``, the ``y`` values one of shape ``(rows, 1)``, and
`optimizers.iterate` runs the whole block without a Python loop over runs. Each step is
reduced immediately (has the loss gap dropped below ``tol`` yet?), so memory is a few arrays
of the block's size, never the paths; blocks of rows (``chunk``) bound it further.

Time and peak memory: run ``python benchmarks/bench_explore.py``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.race import base_name, optimum_value
from surfaces import Surface

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[float], None]

CHUNK_RUNS = 8192
"""Default number of runs per block (columns of lr, or rows, grouped up to about this many)."""

SECOND_ORDER = frozenset({"newton", "saddle_free_newton"})
"""Optimizers that need the Hessian; only they are given ``hess_fn`` (it costs a step)."""

CRITERIA = ("final_loss", "steps_to_tol")

_TUPLE_PARAM = re.compile(r"^(\w+)\[(\d+)\]$")


# ------------------------------------------------------------------------ parameter names


@dataclass(frozen=True)
class ParamRef:
    """Where a swept value goes: an optimizer hyperparameter, one element of a tuple
    hyperparameter (``betas[1]``), or an argument of the learning-rate schedule.

    Attributes
    ----------
    name : str
        The name as given (``"lr"``, ``"betas[1]"``, ``"decay"``, ``"schedule.gamma"``).
    target : {"optimizer", "schedule"}
        Which keyword arguments receive the value.
    key : str
        The keyword (``"betas"`` for ``"betas[1]"``).
    index : int or None
        The element of a tuple hyperparameter, else ``None``.
    """

    name: str
    target: str
    key: str
    index: int | None = None

    @property
    def log_scale(self) -> bool:
        """Whether the parameter is naturally swept on a log axis (rates, eps, decay)."""
        return self.key in {"lr", "eps", "weight_decay", "lr_decay", "decay"}


def schedule_params(schedule: str) -> tuple[str, ...]:
    """The argument names of the schedule ``schedule`` (a key of ``optimizers.SCHEDULES``)."""
    factory = optimizers.SCHEDULES[schedule]
    return tuple(inspect.signature(factory).parameters)


# A schedule parameter swept without naming a schedule implies the schedule that owns it.
_IMPLIED_SCHEDULE = {"decay": "inverse_time", "gamma": "exponential", "eta_min": "cosine"}


def resolve_param(
    name: str, optimizer_name: str, schedule: str | None = None
) -> tuple[ParamRef, str | None]:
    """Resolve a swept parameter name; return it and the schedule then in use.

    Optimizer hyperparameters win over schedule arguments; ``"schedule.<arg>"`` forces the
    schedule. Sweeping ``decay``, ``gamma`` or ``eta_min`` with no schedule selects
    ``inverse_time``, ``exponential`` or ``cosine`` respectively.

    Raises
    ------
    ValueError
        For a name that is neither.

    Examples
    --------
    >>> resolve_param("betas[1]", "adam")
    (ParamRef(name='betas[1]', target='optimizer', key='betas', index=1), None)
    >>> resolve_param("decay", "sgd")
    (ParamRef(name='decay', target='schedule', key='decay', index=None), 'inverse_time')
    """
    hparams = optimizers.defaults(base_name(optimizer_name))
    match = _TUPLE_PARAM.match(name)
    if match and isinstance(hparams.get(match[1]), tuple):
        return ParamRef(name, "optimizer", match[1], int(match[2])), schedule
    key = name.removeprefix("schedule.")
    if name in hparams and not isinstance(hparams[name], bool | tuple):
        return ParamRef(name, "optimizer", name), schedule
    if schedule is None and key in _IMPLIED_SCHEDULE:
        schedule = _IMPLIED_SCHEDULE[key]
    if schedule is not None and key in schedule_params(schedule):
        return ParamRef(name, "schedule", key), schedule
    valid = [k for k, v in hparams.items() if not isinstance(v, bool)]
    raise ValueError(
        f"Cannot sweep {name!r} for optimizer {optimizer_name!r}"
        f"{'' if schedule is None else f' with schedule {schedule!r}'}; sweepable: "
        f"{', '.join(valid)} (tuple elements as 'betas[1]'), or a schedule argument"
    )


def with_param(
    hparams: Mapping[str, Any],
    schedule_kwargs: Mapping[str, Any],
    ref: ParamRef,
    value: Any,
    defaults: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of ``hparams`` and ``schedule_kwargs`` with ``ref`` set to ``value``.

    ``defaults`` supplies the other elements of a tuple hyperparameter missing from
    ``hparams`` (e.g. ``beta1`` when only ``betas[1]`` is swept).

    Examples
    --------
    >>> ref, _ = resolve_param("betas[1]", "adam")
    >>> with_param({"lr": 0.1}, {}, ref, 0.99, {"betas": (0.9, 0.999)})
    ({'lr': 0.1, 'betas': (0.9, 0.99)}, {})
    """
    hp, sk = dict(hparams), dict(schedule_kwargs)
    if ref.target == "schedule":
        sk[ref.key] = value
    elif ref.index is None:
        hp[ref.key] = value
    else:
        base = hp.get(ref.key, (defaults or {}).get(ref.key))
        elems = list(base)
        elems[ref.index] = value
        hp[ref.key] = tuple(elems)
    return hp, sk


# ----------------------------------------------------------------------------- the core


@dataclass(frozen=True, eq=False)
class Outcome:
    """What a batch of runs reduced to (arrays of the batch shape)."""

    final_loss: Array
    steps_to_tol: IntArray
    diverged_at: IntArray
    final_points: Array


def reduce_runs(
    surface: Surface,
    optimizer: optimizers.Optimizer,
    start: npt.ArrayLike,
    steps: int,
    *,
    tol: float | None = None,
    f_star: float = 0.0,
    schedule: optimizers.Schedule | None = None,
) -> Outcome:
    """Run a batch and reduce it on the fly; nothing of size ``steps`` is kept.

    Parameters
    ----------
    surface : Surface
        Gives ``grad`` (and ``value`` for the reductions).
    optimizer : Optimizer
        Possibly with array hyperparameters (they define the batch with ``start``).
    start : array_like, shape (..., 2)
        Start point(s).
    steps : int
        Number of steps.
    tol : float, optional
        ``steps_to_tol`` is the first ``t`` (``0..steps``) with ``value - f_star < tol``
        (``-1`` if never); ``None`` skips the per-step loss evaluation (all ``-1``).
    f_star : float
        The optimal value the gap is measured from.
    schedule : Schedule, optional
        Learning-rate multiplier, as in `optimizers.iterate`.

    Returns
    -------
    Outcome
        ``final_loss`` (NaN where diverged), ``steps_to_tol``, ``diverged_at`` (``-1``
        never) and ``final_points`` (frozen at the last point inside the bound if diverged).

    Notes
    -----
    Two shortcuts that do not change any result: once every run has reached ``tol`` or
    diverged, the loss is no longer evaluated per step; once every run has diverged (all
    points frozen), the loop stops.
    """
    hess_fn = surface.hessian if optimizer.name in SECOND_ORDER else None
    check = tol is not None
    seen = count = hit = gap = diverged_at = previous = None
    p = alive = None
    t = counted = 0
    with np.errstate(all="ignore"):
        runs = optimizers.iterate(
            optimizer, surface.grad, start, steps, schedule=schedule, hess_fn=hess_fn
        )
        for t, p, alive in runs:
            if previous is None:
                diverged_at = np.full(alive.shape, -1, dtype=np.int64)
                seen = np.zeros(alive.shape, dtype=bool)
                hit = np.empty(alive.shape, dtype=bool)
                gap = np.empty(alive.shape, dtype=np.float64)
                count = np.zeros(alive.shape, dtype=np.int64)
            elif alive is not previous:
                diverged_at[previous & ~alive] = t
                if not alive.any():  # all frozen: nothing can change any more
                    break
                check = check and not (seen | ~alive).all()
            previous = alive
            if check:
                np.subtract(surface.value(p), f_star, out=gap)
                np.less(gap, tol, out=hit)  # NaN compares False
                np.logical_or(seen, hit, out=seen)
                np.add(count, seen, out=count)
                counted = t + 1
                if t % 16 == 15:
                    check = not (seen | ~alive).all()
        final = np.array(surface.value(p), dtype=np.float64)
    final[~alive] = np.nan
    if tol is None:
        steps_to_tol = np.full(alive.shape, -1, dtype=np.int64)
    else:
        # count = number of checked t at or after the first hit; a run that was seen stays
        # seen for the steps that were not checked (counted..steps)
        count += seen * (steps + 1 - counted)
        steps_to_tol = np.where(seen, steps + 1 - count, -1)
    return Outcome(final, steps_to_tol, diverged_at, np.array(p))


def gap_tolerance(surface: Surface, tol: float | None) -> tuple[float, float | None]:
    """``(f*, tol)`` for `reduce_runs`; the tolerance is dropped where ``f*`` is unknown."""
    f_star = optimum_value(surface)
    if tol is None or not np.isfinite(f_star):
        return f_star, None
    return f_star, float(tol)


# ---------------------------------------------------------------------------- the sweep


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A swept grid of settings: ``[i, j]`` is ``y_values[i]`` (row) by ``x_values[j]``.

    Attributes
    ----------
    surface, optimizer : str
        Names.
    base_hparams : Mapping
        Fixed hyperparameters of every run (before the swept ones are set).
    schedule : str or None
        Learning-rate schedule name; ``schedule_kwargs`` its fixed arguments.
    x_name, y_name : str
        Swept parameter names (``"lr"``, ``"momentum"``, ``"betas[1]"``, ``"decay"``, ...).
    x_values, y_values : (nx,), (ny,) arrays
    start : (x, y)
    steps : int
    tol : float or None
        Tolerance on the loss gap ``f - f*``.
    f_star : float
        Lowest listed minimum's value (NaN if unknown: then ``steps_to_tol`` is all -1).
    final_loss : (ny, nx) array
        Loss after ``steps`` steps; NaN where the run diverged.
    steps_to_tol : (ny, nx) int array
        First step with ``f - f* < tol``; -1 if never.
    diverged : (ny, nx) bool array
    diverged_at : (ny, nx) int array
        Step at which the run left ``|coordinate| <= 1e6`` or became non-finite; -1 never.
    """

    surface: str
    optimizer: str
    base_hparams: Mapping[str, Any]
    schedule: str | None
    schedule_kwargs: Mapping[str, Any]
    x_name: str
    x_values: Array
    y_name: str
    y_values: Array
    start: tuple[float, float]
    steps: int
    tol: float | None
    f_star: float
    final_loss: Array
    steps_to_tol: IntArray
    diverged: npt.NDArray[np.bool_]
    diverged_at: IntArray

    @property
    def shape(self) -> tuple[int, int]:
        return self.final_loss.shape  # type: ignore[return-value]

    @property
    def final_gap(self) -> Array:
        """``final_loss - f*`` (just ``final_loss`` where ``f*`` is unknown)."""
        return self.final_loss - self.f_star if np.isfinite(self.f_star) else self.final_loss

    def settings(self, x_value: float, y_value: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """Hyperparameters and schedule arguments of the cell at ``(x_value, y_value)``.

        This is what a click on the map loads into the race view.
        """
        defaults = optimizers.defaults(base_name(self.optimizer))
        xref, _ = resolve_param(self.x_name, self.optimizer, self.schedule)
        yref, _ = resolve_param(self.y_name, self.optimizer, self.schedule)
        hp, sk = with_param(self.base_hparams, self.schedule_kwargs, xref, float(x_value),
                            defaults)
        return with_param(hp, sk, yref, float(y_value), defaults)

    def best_cell(self, criterion: str = "final_loss") -> tuple[int, int] | None:
        """``(i, j)`` of the best cell by ``criterion`` (see `score`), ``None`` if all failed."""
        s = score(self.final_gap, self.steps_to_tol, criterion, log=bool(np.isfinite(self.f_star)))
        if not np.isfinite(s).any():
            return None
        i, j = np.unravel_index(int(np.argmin(np.where(np.isfinite(s), s, np.inf))), s.shape)
        return int(i), int(j)


def sweep(
    surface: Surface,
    optimizer_name: str,
    base_hparams: Mapping[str, Any] | None = None,
    *,
    x_param: str = "lr",
    x_values: npt.ArrayLike,
    y_param: str = "momentum",
    y_values: npt.ArrayLike,
    start: tuple[float, float] | None = None,
    steps: int = 300,
    tol: float | None = 1e-3,
    schedule: str | None = None,
    schedule_kwargs: Mapping[str, Any] | None = None,
    chunk: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> SweepResult:
    """Run ``optimizer_name`` for every ``(y, x)`` setting of a grid and reduce each run.

    Parameters
    ----------
    surface : Surface
        The loss surface.
    optimizer_name : str
        A key of ``optimizers.OPTIMIZERS``.
    base_hparams : Mapping, optional
        Fixed hyperparameters (defaults for the rest).
    x_param, y_param : str
        Swept parameters: an optimizer hyperparameter (``"lr"``, ``"momentum"``,
        ``"alpha"``, ``"eps"``, ...), an element of a tuple one (``"betas[0]"``,
        ``"betas[1]"``), or a schedule argument (``"decay"``, ``"gamma"``,
        ``"schedule.eta_min"``; see `resolve_param`).
    x_values, y_values : array_like, 1-D
        The grid's axes (``x`` = columns, ``y`` = rows).
    start : (x, y), optional
        Start point; default ``surface.start``.
    steps : int
        Steps per run.
    tol : float or None
        Tolerance on the loss gap ``f - f*`` for ``steps_to_tol``; ``None`` skips it (faster).
    schedule : str, optional
        Learning-rate schedule name, ``schedule_kwargs`` its fixed arguments.
    chunk : int, optional
        Columns (rows if ``y_param`` is ``lr``) per block; default about `CHUNK_RUNS` runs
        per block. Memory is a few dozen arrays of one block's runs.
    workers : int
        Threads running blocks concurrently (NumPy releases the GIL inside its loops).
        Results do not depend on it.
    progress : callable, optional
        Called with the fraction done (0..1] after each block, in the calling thread.

    Returns
    -------
    SweepResult

    Notes
    -----
    Every cell is exactly the single run ``optimizers.run(make(optimizer_name, **settings),
    surface.grad, start, steps, schedule)``: the batch only vectorizes it. Gradient noise is
    not supported (a noisy sweep would depend on the batch layout).
    """
    start = surface.start if start is None else (float(start[0]), float(start[1]))
    xv = np.asarray(x_values, dtype=np.float64).reshape(-1)
    yv = np.asarray(y_values, dtype=np.float64).reshape(-1)
    if x_param == y_param:
        raise ValueError(f"x_param and y_param must differ, both are {x_param!r}")
    xref, schedule = resolve_param(x_param, optimizer_name, schedule)
    yref, schedule = resolve_param(y_param, optimizer_name, schedule)
    base = dict(base_hparams or {})
    sk0 = dict(schedule_kwargs or {})
    defaults = optimizers.defaults(base_name(optimizer_name))
    f_star, gap_tol = gap_tolerance(surface, tol)
    ny, nx = len(yv), len(xv)
    # Blocks are slices of the lr axis when lr is swept (x by default), so that a block of
    # large learning rates, where every run diverges, stops as soon as they all have.
    by_cols = yref.key != "lr"
    n_along, n_across = (nx, ny) if by_cols else (ny, nx)
    width = chunk or max(1, CHUNK_RUNS // max(n_across, 1))
    blocks = [slice(i, min(i + width, n_along)) for i in range(0, n_along, width)]

    def block(part: slice) -> Outcome:
        xs, ys = (xv[part], yv) if by_cols else (xv, yv[part])
        hp, sk = with_param(base, sk0, xref, xs.reshape(1, -1), defaults)
        hp, sk = with_param(hp, sk, yref, ys.reshape(-1, 1), defaults)
        opt = optimizers.make(base_name(optimizer_name), **hp)
        sched = None if schedule is None else optimizers.make_schedule(schedule, **sk)
        return reduce_runs(surface, opt, np.asarray(start), steps, tol=gap_tol, f_star=f_star,
                           schedule=sched)

    final = np.empty((ny, nx))
    to_tol = np.empty((ny, nx), dtype=np.int64)
    div_at = np.empty((ny, nx), dtype=np.int64)
    for k, (part, out) in enumerate(map_blocks(block, blocks, workers)):
        cells = (slice(None), part) if by_cols else (part, slice(None))
        shape = final[cells].shape
        final[cells] = np.broadcast_to(out.final_loss, shape)
        to_tol[cells] = np.broadcast_to(out.steps_to_tol, shape)
        div_at[cells] = np.broadcast_to(out.diverged_at, shape)
        if progress is not None:
            progress((k + 1) / len(blocks))
    for a in (final, to_tol, div_at, xv, yv):
        a.flags.writeable = False
    diverged = div_at >= 0
    diverged.flags.writeable = False
    return SweepResult(
        surface=surface.name, optimizer=optimizer_name, base_hparams=base,
        schedule=schedule, schedule_kwargs=sk0, x_name=x_param, x_values=xv,
        y_name=y_param, y_values=yv, start=start, steps=int(steps), tol=tol, f_star=f_star,
        final_loss=final, steps_to_tol=to_tol, diverged=diverged, diverged_at=div_at,
    )


def map_blocks(
    fn: Callable[[Any], Outcome], items: Sequence[Any], workers: int
) -> Any:
    """Yield ``(item, fn(item))`` in order, computing up to ``workers`` at once."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield item, fn(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        for item, future in zip(items, futures, strict=True):
            yield item, future.result()


def default_axes(
    x_param: str, y_param: str, nx: int = 200, ny: int = 200
) -> tuple[Array, Array]:
    """Sensible grid axes for common sweeps (``lr`` log-spaced ``1e-4..1``, ``momentum``
    ``0..0.99``, ``betas[1]`` ``0.5..0.9999``, ``decay`` log ``1e-4..1``, ...)."""
    ranges = {
        "lr": (1e-4, 1.0, True), "momentum": (0.0, 0.99, False), "betas[0]": (0.0, 0.99, False),
        "betas[1]": (0.5, 0.9999, False), "alpha": (0.5, 0.999, False),
        "decay": (1e-4, 1.0, True), "gamma": (0.9, 1.0, False), "eps": (1e-10, 1e-1, True),
        "weight_decay": (1e-5, 1.0, True), "dampening": (0.0, 0.99, False),
        "d_coef": (1e-2, 10.0, True),
    }

    def axis(name: str, n: int) -> Array:
        lo, hi, log = ranges.get(name.removeprefix("schedule."), (0.0, 1.0, False))
        return np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)

    return axis(x_param, nx), axis(y_param, ny)


# -------------------------------------------------------------------------- auto-tune lr


def score(
    gap: npt.ArrayLike, steps_to_tol: npt.ArrayLike, criterion: str, *, log: bool = True
) -> Array:
    """Lower is better; ``inf`` for runs that diverged (``gap`` NaN).

    ``"final_loss"``: ``log10`` of the final gap ``f - f*`` floored at ``1e-12`` (below it
    runs count as equally converged), plus a tie-breaker below ``1e-5`` that prefers fewer
    steps to the tolerance. With ``log=False`` (``f*`` unknown, ``gap`` is the raw loss) the
    loss itself. ``"steps_to_tol"``: the steps to reach the tolerance (never: ``inf``), plus
    a tie-breaker in ``(0, 1)`` increasing with the final gap.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"Unknown criterion {criterion!r}; valid: {', '.join(CRITERIA)}")
    gap = np.asarray(gap, dtype=np.float64)
    steps = np.asarray(steps_to_tol, dtype=np.float64)
    reached = steps >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        if criterion == "final_loss":
            base = np.log10(np.maximum(gap, 1e-12)) if log else gap
            s = base + 1e-10 * np.where(reached, steps, 1e5)
        else:
            tie = 0.5 + np.arctan(np.log10(np.maximum(gap, 1e-300)) if log else gap) / np.pi
            s = np.where(reached, steps + np.clip(tie, 1e-9, 1 - 1e-9), np.inf)
    return np.where(np.isnan(gap), np.inf, s)
