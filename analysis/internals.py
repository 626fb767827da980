"""Inside the optimizers: what a race does not draw.

The lr each run used at each step (grouped where runs share it), Prodigy's distance estimate
``d`` (its lr scale, which it finds itself) and Schedule-Free's three sequences ``x`` (the
average, the point to evaluate), ``y`` (where the gradient is taken: the race's path) and
``z`` (the base SGD/Adam iterate). Each run is the race's own: the loop of `optimizers.run`
(`optimizers.iterate` with ``details=True``), set up as `analysis.race.race` sets it up, so
the recorded points equal the race's path exactly, noise included, up to divergence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.race import OptimizerSpec, RaceEntry, base_name, runnable
from surfaces import Surface

Array = npt.NDArray[np.float64]

PRODIGY = "prodigy"
SCHEDULE_FREE = ("sgd_schedule_free", "adamw_schedule_free")
# torch's Rprop reads its lr once (the first step size) and then adapts each step size by
# itself: a schedule changes nothing, so an lr curve for it would be a false picture.
IGNORES_SCHEDULE = frozenset({"rprop"})
# Where d "stops growing much": the first step at which it has reached this fraction of its
# final value (it only grows, so it stays within 10% from there on).
SETTLED_FRACTION = 0.9


@dataclass(frozen=True, eq=False)
class LrCurve:
    """One lr-per-step line: the optimizers whose runs used exactly these lrs.

    ``lrs[k - 1]`` is the lr of step ``k`` (``RaceEntry.lrs``), up to the step a run diverged
    at (that step used an lr too); ``scheduled``: whether the race's schedule drove it (a
    racer may run without it: a constant-lr baseline)."""

    names: tuple[str, ...]
    lrs: Array
    scheduled: bool


@dataclass(frozen=True, eq=False)
class ProdigyTrace:
    """Prodigy's distance estimate along its race (``name``: the racer, Prodigy or a copy).

    ``d[t]`` is ``d`` after ``t`` steps (``d[0] = d0``), recorded while the run stays on the
    map; ``lrs[k - 1]`` the scheduled lr of step ``k``; ``settled_at`` the first step at
    which ``d`` reached `SETTLED_FRACTION` of its last value."""

    name: str
    d: Array
    lrs: Array
    settled_at: int
    diverged_at: int

    @property
    def step_size(self) -> Array:
        """``d · lr`` of each step ``k`` (Prodigy's effective lr, ``d`` before the step:
        ``eta_k = d_{k-1} lr_k``; times Adam's bias correction if that is on)."""
        n = min(len(self.d), len(self.lrs))
        return self.d[:n] * self.lrs[:n]


@dataclass(frozen=True, eq=False)
class ThreeSequences:
    """Schedule-Free's sequences along its race, each ``(n + 1, 2)`` (row ``t``: after ``t``
    steps), and the loss at each of their points: ``y`` is the race's path (the parameters
    the optimizer moves), ``x`` the average to evaluate, ``z`` the base iterate."""

    name: str
    x: Array
    y: Array
    z: Array
    fx: Array
    fy: Array
    fz: Array
    diverged_at: int


@dataclass(frozen=True, eq=False)
class Internals:
    """What the race page shows under the race, one per racer that has it, in race order:
    Prodigy's ``d`` (Prodigy and its copies) and Schedule-Free's sequences."""

    prodigy: tuple[ProdigyTrace, ...]
    schedule_free: tuple[ThreeSequences, ...]


def _record(
    surface: Surface, spec: OptimizerSpec, start: Any, steps: int,
    schedule: optimizers.Schedule | None, noise: float, seed: Any,
) -> tuple[optimizers.Optimizer, list[Array], list[Any], int]:
    """The optimizer of one race run, its points and states while it stays on the map
    (``t = 0..``), and the step it diverged at (``-1`` if never; that step is not
    recorded)."""
    name, hparams = spec
    opt, hess_fn = runnable(surface, name, hparams)
    points, states = [], []
    diverged_at = -1
    for record in optimizers.iterate(opt, surface.grad, np.asarray(start, dtype=np.float64),
                                     steps, schedule=schedule, hess_fn=hess_fn, noise=noise,
                                     seed=seed, details=True):
        if not bool(record.alive):
            diverged_at = record.t
            break
        points.append(np.array(record.points))
        states.append(record.state)
    return opt, points, states, diverged_at


def settled_step(d: npt.ArrayLike, fraction: float = SETTLED_FRACTION) -> int:
    """The first step at which ``d`` reached ``fraction`` of its last value (0 if it never
    grew).

    >>> settled_step([1e-6, 1e-3, 0.3, 0.38, 0.4])
    3
    """
    d = np.asarray(d, dtype=np.float64)
    if d.size == 0 or not np.isfinite(d[-1]):
        return 0
    return int(np.argmax(d >= fraction * d[-1]))


def scheduled_lrs(lr: float, schedule: optimizers.Schedule | None, steps: int) -> Array:
    """The lr of each step, ``lr · m(k - 1)`` for ``k = 1..steps`` (as `optimizers.run`)."""
    return float(lr) * optimizers.multipliers(schedule, steps)


def prodigy_trace(
    surface: Surface, spec: OptimizerSpec, start: Any, steps: int,
    schedule: optimizers.Schedule | None = None, noise: float = 0.0, seed: Any = None,
) -> ProdigyTrace:
    """Prodigy's ``d`` after each step of its race (``spec = ("prodigy", hparams)``, or a
    copy's name)."""
    opt, _, states, diverged_at = _record(surface, spec, start, steps, schedule, noise, seed)
    d = np.array([float(s.d) for s in states])
    return ProdigyTrace(name=spec[0], d=d, lrs=scheduled_lrs(opt.hparams["lr"], schedule, steps),
                        settled_at=settled_step(d),
                        diverged_at=diverged_at)


def schedule_free_sequences(
    surface: Surface, spec: OptimizerSpec, start: Any, steps: int,
    schedule: optimizers.Schedule | None = None, noise: float = 0.0, seed: Any = None,
) -> ThreeSequences:
    """A Schedule-Free run's ``x``, ``y`` and ``z`` after each step of its race."""
    _, points, states, diverged_at = _record(surface, spec, start, steps, schedule, noise, seed)
    y = np.array(points).reshape(-1, 2)
    x = np.array([s.x for s in states]).reshape(-1, 2)
    z = np.array([s.z for s in states]).reshape(-1, 2)
    with np.errstate(all="ignore"):  # x and z may leave the map where y does not
        fx, fy, fz = (surface.value(p) for p in (x, y, z))
    return ThreeSequences(spec[0], x, y, z, fx, fy, fz, diverged_at)


def internals(
    surface: Surface, specs: Sequence[OptimizerSpec], start: Any, steps: int,
    schedule: optimizers.Schedule | None = None, noise: float = 0.0, seed: Any = None,
    unscheduled: Collection[str] = (),
) -> Internals:
    """Prodigy's ``d`` and Schedule-Free's sequences for the raced ``specs`` that have them
    (the same arguments as `analysis.race.race`: the racers in ``unscheduled`` run without
    ``schedule``)."""
    prodigy, free = [], []
    for spec in specs:
        base = base_name(spec[0])
        own = None if spec[0] in unscheduled else schedule
        if base == PRODIGY:
            prodigy.append(prodigy_trace(surface, spec, start, steps, own, noise, seed))
        elif base in SCHEDULE_FREE:
            free.append(schedule_free_sequences(surface, spec, start, steps, own, noise, seed))
    return Internals(prodigy=tuple(prodigy), schedule_free=tuple(free))


def used_lrs(entry: RaceEntry) -> Array:
    """The lrs a run used: every step's, up to (and with) the step it diverged at."""
    return entry.lrs[: entry.diverged_at] if entry.diverged else entry.lrs


def lr_curves(entries: Sequence[RaceEntry]) -> tuple[LrCurve, ...]:
    """One curve per distinct sequence of used lrs, its optimizers in race order; runs whose
    optimizer ignores the schedule (`IGNORES_SCHEDULE`) are left out."""
    groups: dict[bytes, tuple[list[str], Array, list[bool]]] = {}
    for e in entries:
        if base_name(e.name) in IGNORES_SCHEDULE:
            continue
        lrs = np.asarray(used_lrs(e), dtype=np.float64)
        names, _, scheduled = groups.setdefault(lrs.tobytes(), ([], lrs, []))
        names.append(e.name)
        scheduled.append(e.scheduled)
    return tuple(LrCurve(tuple(names), lrs, any(scheduled))
                 for names, lrs, scheduled in groups.values())


def falls_by(lrs: npt.ArrayLike, factor: float = 10.0) -> int | None:
    """The first step ``k`` (1-based) whose lr is at most the first step's divided by
    ``factor``, or None.

    >>> falls_by([1.0, 0.5, 0.1, 0.05])
    3
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.size == 0 or not lrs[0] > 0:
        return None
    hits = np.flatnonzero(lrs <= lrs[0] / factor)
    return int(hits[0]) + 1 if hits.size else None
