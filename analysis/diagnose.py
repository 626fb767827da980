"""Why a run diverged, told from the numbers rather than assumed to be the learning rate.

Three causes a lecture tells apart:

- ``"unbounded"``: the loss fell without bound on the way out (a saddle or monkey saddle
  has no minimum along its escape direction): the run did what descent should do, and no lr
  would keep it on the map;
- ``"momentum"``: the same run without momentum stays finite, so the velocity, not the step,
  blew up (heavy ball is stable only for lr < 2(1+μ)/L, and that region shrinks as μ → 1
  from the other side: a large μ makes a slowly damped oscillation grow);
- ``"lr"``: anything else: each step overshoots further.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import optimizers
from analysis.race import RaceEntry, race
from surfaces import Surface

UNBOUNDED, MOMENTUM, LEARNING_RATE = "unbounded", "momentum", "lr"


def fell_without_bound(entry: RaceEntry) -> bool:
    """Whether the loss was falling, far below where it started, when the run left."""
    finite = entry.values[: entry.diverged_at]
    finite = finite[np.isfinite(finite)]
    if finite.size < 3:
        return False
    drop = finite[0] - finite[-1]
    return bool(drop > 10.0 * (1.0 + abs(finite[0])) and finite[-1] < finite[-2] < finite[-3])


def _without_momentum(hparams: Mapping[str, Any]) -> dict[str, Any] | None:
    if float(np.max(hparams.get("momentum", 0.0))) <= 0.0:
        return None
    return {**hparams, "momentum": 0.0, "nesterov": False} if "nesterov" in hparams else {
        **hparams, "momentum": 0.0}


def divergence_cause(
    surface: Surface,
    entry: RaceEntry,
    start: tuple[float, float],
    schedule: optimizers.schedules.Schedule | None = None,
) -> str:
    """`UNBOUNDED`, `MOMENTUM` or `LEARNING_RATE` for a diverged ``entry`` of a race from
    ``start`` (the momentum test reruns the race to the step it diverged at, without
    momentum, noise-free)."""
    if fell_without_bound(entry):
        return UNBOUNDED
    plain = _without_momentum(entry.hparams)
    if plain is not None:
        try:
            (rerun,) = race(surface, [(entry.name, plain)], start,
                            max(entry.diverged_at, 1) * 4,
                            schedule=schedule if entry.scheduled else None)
        except ValueError:  # no momentum-free setting (Schedule-Free's momentum is in (0, 1))
            return LEARNING_RATE
        if not rerun.diverged:
            return MOMENTUM
    return LEARNING_RATE
