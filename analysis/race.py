"""Race several optimizers from one start on one surface, and summarise the outcome."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from surfaces import Surface

Array = npt.NDArray[np.float64]
OptimizerSpec = tuple[str, Mapping[str, Any]]

COPY_MARK = "~"


def base_name(name: str) -> str:
    """The optimizer a race entry runs: a race may hold copies of one optimizer, each with
    its own settings, named ``"sgd~2"``, ``"sgd~3"`` (-> ``"sgd"``)."""
    return name.partition(COPY_MARK)[0]


@dataclass(frozen=True, eq=False)
class RaceEntry:
    """One optimizer's run: its path, the loss along it and where it diverged.

    ``diverged_at`` is the first step whose point was non-finite or left |coordinate| > 1e6
    (``-1`` if it never diverged); from that step on ``points`` repeat the last finite point,
    and ``values`` are NaN so that charts stop drawing where the run blew up.
    """

    name: str
    hparams: Mapping[str, Any]
    points: Array
    values: Array
    lrs: Array
    diverged_at: int
    scheduled: bool = False  # whether the race's lr schedule drove this run

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table (NaN / -1 where a number does not apply)."""

    name: str
    final_loss: float
    distance_to_minimum: float
    steps_to_tolerance: int
    diverged_at: int

    @property
    def status(self) -> str:
        if self.diverged_at >= 0:
            return f"diverged at step {self.diverged_at}"
        if self.steps_to_tolerance >= 0:
            return f"converged in {self.steps_to_tolerance} steps"
        return "not converged"


def race(
    surface: Surface,
    specs: Sequence[OptimizerSpec],
    start: tuple[float, float],
    steps: int,
    schedule: optimizers.schedules.Schedule | None = None,
    noise: float = 0.0,
    seed: int | None = None,
    unscheduled: Collection[str] = (),
) -> tuple[RaceEntry, ...]:
    """Run every ``(name, hparams)`` in ``specs`` from ``start`` for ``steps`` steps.

    All optimizers see the same gradient noise sequence (same ``seed``), so differences in
    the picture come from the update rules alone. Those in ``optimizers.NEEDS_HESSIAN``
    (Newton's methods) also get the surface's exact Hessian (``hess_fn=surface.hessian``).
    The entries named in ``unscheduled`` run at their constant lr, without ``schedule`` (a
    baseline beside its decayed copy). ``name`` may be a copy (``"sgd~2"``: `base_name`).
    """
    entries = []
    start_arr = np.asarray(start, dtype=np.float64)
    for name, hparams in specs:
        opt, hess_fn = runnable(surface, name, hparams)
        own = None if name in unscheduled else schedule
        traj = optimizers.run(
            opt, surface.grad, start_arr, steps, schedule=own, hess_fn=hess_fn,
            noise=noise, seed=seed,
        )
        with np.errstate(all="ignore"):
            values = surface.value(traj.points)
        entries.append(_entry(name, opt.hparams, traj.points, values, traj.lrs,
                              int(traj.diverged_at), own is not None))
    return tuple(entries)


def runnable(
    surface: Surface, name: str, hparams: Mapping[str, Any]
) -> tuple[optimizers.Optimizer, Callable[[Array], Array] | None]:
    """Optimizer ``name`` made for a run on ``surface``, and the ``hess_fn`` to run it with.

    A line search needs the loss itself (torch's closure): L-BFGS with ``line_search_fn``
    gets the surface's value and gradient. Newton's methods (``optimizers.NEEDS_HESSIAN``)
    get its exact Hessian; the others None. ``name`` may be a copy (`base_name`).
    """
    if base_name(name) == "lbfgs" and hparams.get("line_search_fn"):
        hparams = {**hparams, "value_fn": surface.value, "grad_fn": surface.grad}
    opt = optimizers.make(base_name(name), **hparams)
    return opt, surface.hessian if opt.name in optimizers.NEEDS_HESSIAN else None


def _entry(name: str, hparams: Mapping[str, Any], points: Array, values: Array, lrs: Array,
           diverged_at: int, scheduled: bool) -> RaceEntry:
    """A RaceEntry, its values NaN from the step it diverged at."""
    values = np.array(values, dtype=np.float64)  # a copy: the caller's array stays as it is
    if diverged_at >= 0:
        values[diverged_at:] = np.nan
    return RaceEntry(name=name, points=points, values=values, hparams=_plain(hparams),
                     lrs=np.asarray(lrs, dtype=np.float64), diverged_at=diverged_at,
                     scheduled=scheduled)


def _plain(hparams: Mapping[str, Any]) -> dict[str, Any]:
    # callables (a line search's value_fn) stay out: entries are cached by pickling
    return {k: v for k, v in hparams.items() if not callable(v)}


def race_batched(
    surface: Surface,
    specs: Sequence[OptimizerSpec],
    size: int,
    start: tuple[float, float],
    steps: int,
    schedule: optimizers.schedules.Schedule | None = None,
) -> list[tuple[RaceEntry, ...]]:
    """``size`` races at once: hyperparameters in ``specs`` and the schedule's own parameter
    may be arrays of length ``size`` (race ``i`` takes element ``i``), computed as one run per
    optimizer over the whole batch.

    A race is a few NumPy calls per step on 2-element arrays, so its cost is the per-call
    overhead: one run over 51 lrs (or momenta, or decay rates) costs about what one run over
    a single value does. The paths are the same as separate runs' (the arithmetic is
    elementwise). Without gradient noise only: a noisy batch would draw other noise than a
    single run.
    """
    if size <= 0:
        return []
    pick = lambda v, i: v[i].item() if isinstance(v, np.ndarray) else v  # noqa: E731
    columns = []
    for name, hparams in specs:
        opt = optimizers.make(base_name(name), **hparams)
        hess_fn = surface.hessian if opt.name in optimizers.NEEDS_HESSIAN else None
        traj = optimizers.run(opt, surface.grad, np.asarray(start, dtype=np.float64), steps,
                              schedule=schedule, hess_fn=hess_fn)
        points = np.broadcast_to(traj.points.reshape(steps + 1, -1, 2), (steps + 1, size, 2))
        lrs = np.broadcast_to(np.reshape(traj.lrs, (steps, -1)), (steps, size))
        diverged = np.broadcast_to(traj.diverged_at, (size,)).tolist()
        with np.errstate(all="ignore"):
            values = surface.value(points)  # (steps + 1, size): one call for the batch
        # One copy per array for the whole batch, each race a row of it (race-major).
        lanes = np.ascontiguousarray(points.transpose(1, 0, 2))
        lane_lrs = np.ascontiguousarray(lrs.T)
        lane_values = np.array(values.T, dtype=np.float64)
        for i, d in enumerate(diverged):
            if d >= 0:
                lane_values[i, d:] = np.nan
        columns.append([
            RaceEntry(name=name, hparams=_plain({k: pick(v, i) for k, v in opt.hparams.items()}),
                      points=lanes[i], values=lane_values[i], lrs=lane_lrs[i], diverged_at=d,
                      scheduled=schedule is not None)
            for i, d in enumerate(diverged)
        ])
    return [tuple(column[i] for column in columns) for i in range(size)]


def race_over_lrs(
    surface: Surface,
    specs: Sequence[OptimizerSpec],
    lrs: Sequence[float],
    start: tuple[float, float],
    steps: int,
    schedule: optimizers.schedules.Schedule | None = None,
) -> list[tuple[RaceEntry, ...]]:
    """``race(surface, specs with "lr" = lr, ...)`` for every ``lr`` in ``lrs``, in one batch
    (:func:`race_batched`). First-order optimizers only: Newton's methods keep their own step
    size."""
    for name, _ in specs:
        if base_name(name) in optimizers.SECOND_ORDER:
            raise ValueError(f"{name} has its own step size: race it with race()")
    lr_array = np.asarray(lrs, dtype=np.float64)
    return race_batched(surface, [(name, {**hp, "lr": lr_array}) for name, hp in specs],
                        len(lr_array), start, steps, schedule)


def optimum_value(surface: Surface) -> float:
    """The lowest listed minimum's value, or NaN for surfaces unbounded below."""
    if len(surface.minima) == 0:
        return float("nan")
    return float(np.min(surface.value(surface.minima)))


def summarize(surface: Surface, entries: Sequence[RaceEntry], tol: float = 1e-3) -> list[ResultRow]:
    """Per entry: final loss, distance to the nearest listed minimum, steps until the loss
    gap ``f - f*`` first drops below ``tol`` (``-1`` if never or if ``f*`` is unknown)."""
    f_star = optimum_value(surface)
    rows = []
    for entry in entries:
        final = entry.points[-1]
        if len(surface.minima):
            distance = float(np.min(np.linalg.norm(surface.minima - final, axis=-1)))
        else:
            distance = float("nan")
        reached = -1
        if np.isfinite(f_star):
            with np.errstate(invalid="ignore"):
                below = np.flatnonzero(entry.values - f_star < tol)
            if below.size:
                reached = int(below[0])
        final_loss = float("nan") if entry.diverged else float(entry.values[-1])
        rows.append(
            ResultRow(
                name=entry.name, final_loss=final_loss,
                distance_to_minimum=float("nan") if entry.diverged else distance,
                steps_to_tolerance=reached, diverged_at=entry.diverged_at,
            )
        )
    return rows
