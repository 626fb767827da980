"""Fair comparisons: each optimizer's best learning rate for a surface and start.

`best_lr` races every candidate lr of one optimizer as one batch (a one-axis sweep) and
scores the outcomes (`analysis.sweep.score`); `auto_tune` gives every raced optimizer its
own; `shared_lr_warning` says when one shared lr is unfair to someone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.race import base_name
from analysis.sweep import (
    Array,
    IntArray,
    gap_tolerance,
    reduce_runs,
    score,
)
from surfaces import Surface


@dataclass(frozen=True, eq=False)
class LrTable:
    """The outcome of every candidate learning rate of `best_lr` (1-D arrays)."""

    optimizer: str
    lrs: Array
    final_loss: Array
    final_gap: Array
    steps_to_tol: IntArray
    diverged_at: IntArray
    score: Array
    criterion: str


TUNE_LRS = tuple(float(f"{v:.2g}") for v in np.logspace(-5, 1, 61))
"""The candidate lrs of `best_lr` and `auto_tune`."""


def best_lr(
    surface: Surface,
    optimizer_name: str,
    hparams: Mapping[str, Any] | None = None,
    start: tuple[float, float] | None = None,
    steps: int = 300,
    lrs: npt.ArrayLike | None = None,
    criterion: str = "final_loss",
    *,
    tol: float = 1e-3,
    schedule: str | None = None,
    schedule_kwargs: Mapping[str, Any] | None = None,
) -> tuple[float, LrTable]:
    """The best learning rate of ``optimizer_name`` on this surface from this start.

    All candidates run as one batch (``lr`` an array of shape ``(len(lrs),)``).

    Criterion
    ---------
    ``"final_loss"`` (default): the smallest loss gap ``f - f*`` after ``steps`` steps (the
    raw loss where ``f*`` is unknown). Gaps below ``1e-12`` count as equal (converged to
    plotting precision); ties go to the run that reached ``tol`` first, then to the
    **smaller** lr (the same result with a wider margin from divergence). A diverged run
    scores ``+inf``. ``"steps_to_tol"``: the fewest steps to ``f - f* < tol`` (never:
    ``+inf``), ties broken by the final gap, then the smaller lr.

    Returns
    -------
    lr : float
        The winner (NaN if every candidate diverged).
    table : LrTable
        Every candidate's outcome and score, for a plot or a table.

    Notes
    -----
    ``lrs`` defaults to `TUNE_LRS`: ``np.logspace(-5, 1, 61)`` (10 per decade) rounded to
    two significant digits, as the lr slider shows them (``0.004``, not ``0.00398107``).
    """
    lr_arr = np.asarray(TUNE_LRS if lrs is None else lrs, dtype=np.float64)
    lr_arr = lr_arr.reshape(-1)
    start = surface.start if start is None else start
    f_star, gap_tol = gap_tolerance(surface, tol)
    hp = {k: v for k, v in dict(hparams or {}).items() if k != "lr"}
    opt = optimizers.make(base_name(optimizer_name), lr=lr_arr, **hp)
    sched = None if schedule is None else optimizers.make_schedule(
        schedule, **dict(schedule_kwargs or {}))
    out = reduce_runs(surface, opt, np.asarray(start, dtype=np.float64), steps,
                      tol=gap_tol, f_star=f_star, schedule=sched)
    gap = out.final_loss - f_star if np.isfinite(f_star) else out.final_loss
    s = score(gap, out.steps_to_tol, criterion, log=bool(np.isfinite(f_star)))
    # argmin takes the first minimum: the smallest lr among exact ties (lrs ascending).
    order = np.argsort(lr_arr, kind="stable")
    best = float("nan")
    if np.isfinite(s).any():
        best = float(lr_arr[order[int(np.argmin(s[order]))]])
    table = LrTable(optimizer_name, lr_arr, out.final_loss, gap, out.steps_to_tol,
                    out.diverged_at, s, criterion)
    return best, table


def auto_tune(
    surface: Surface,
    specs: Sequence[tuple[str, Mapping[str, Any]]],
    start: tuple[float, float] | None = None,
    steps: int = 300,
    lrs: npt.ArrayLike | None = None,
    criterion: str = "final_loss",
    **kwargs: Any,
) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Give every ``(name, hparams)`` spec its own `best_lr` (other hyperparameters kept).

    An optimizer whose every candidate diverged keeps its lr. Extra keyword arguments go to
    `best_lr` (``tol``, ``schedule``, ``schedule_kwargs``).
    """
    tuned = []
    for name, hp in specs:
        lr, _ = best_lr(surface, name, hp, start, steps, lrs, criterion, **kwargs)
        new = dict(hp)
        if math.isfinite(lr):
            new["lr"] = lr
        tuned.append((name, new))
    return tuple(tuned)


def shared_lr_warning(
    tuned: Mapping[str, float], shared: float, factor: float = 10.0
) -> str | None:
    """A warning when one lr for all is unfair: it is ``factor`` times off someone's best.

    ``tuned`` maps optimizer name to its tuned lr. Returns ``None`` if the shared lr is
    within ``factor`` of every tuned lr.

    Examples
    --------
    >>> shared_lr_warning({"sgd": 0.05, "adam": 0.5}, 0.05)
    'One learning rate for all is unfair here: lr = 0.05 is 10x below the best for adam (0.5).'
    >>> shared_lr_warning({"sgd": 0.05}, 0.05) is None
    True
    """
    notes = []
    for name, lr in tuned.items():
        if not (math.isfinite(lr) and lr > 0 and shared > 0):
            continue
        ratio = shared / lr
        if ratio >= factor * (1 - 1e-9):
            notes.append(f"{ratio:.3g}x above the best for {name} ({lr:.3g})")
        elif ratio <= (1 + 1e-9) / factor:
            notes.append(f"{1 / ratio:.3g}x below the best for {name} ({lr:.3g})")
    if not notes:
        return None
    return f"One learning rate for all is unfair here: lr = {shared:.3g} is " + "; ".join(
        notes) + "."
