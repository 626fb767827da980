"""Gradient-descent optimizers in pure NumPy, with their references' names and semantics.

An optimizer is a pair of pure functions, ``init(params) -> state`` and
``update(grads, state, params, lr_scale=1.0, hess=None) -> (new_params, new_state)``
(optax style), made by `make` with the reference's hyperparameter names, defaults, validation
messages and update rules: torch.optim for most, and for the newer ones lion-pytorch (Lion),
schedulefree (Schedule-Free SGD and AdamW), prodigyopt (Prodigy) and pytorch-optimizer
(AdEMAMix, ADOPT); torch.optim for Muon, Adafactor and Rprop. `PER_POINT` names those that
treat the last axis of the parameters as one parameter tensor. Parameters may have any
shape; numeric hyperparameters may be arrays that index a batch of runs along the leading
axes of the parameters.

`SECOND_ORDER` adds Newton's method, saddle-free Newton and L-BFGS (also made by `make`);
those in `NEEDS_HESSIAN` need ``hess_fn`` in `run`.

`run` and `iterate` drive an optimizer over 2D points ``(..., 2)`` with a gradient callable,
an optional learning-rate schedule (`schedules`) and optional gradient noise.

Examples
--------
>>> import numpy as np
>>> from optimizers import make, run
>>> traj = run(make("momentum", lr=0.1), lambda p: p, start=[1.0, -1.0], steps=200)
>>> bool(np.all(np.abs(traj.final) < 1e-3))
True
"""

from optimizers import schedules
from optimizers._core import Optimizer, UnknownNameError
from optimizers._lbfgs import LINE_SEARCHES
from optimizers._registry import (
    NEEDS_HESSIAN,
    OPTIMIZERS,
    PER_POINT,
    SECOND_ORDER,
    defaults,
    make,
)
from optimizers.run import StepRecord, Trajectory, iterate, run
from optimizers.schedules import SCHEDULES, Schedule, make_schedule, multipliers

__all__ = [
    "LINE_SEARCHES",
    "NEEDS_HESSIAN",
    "OPTIMIZERS",
    "PER_POINT",
    "SCHEDULES",
    "SECOND_ORDER",
    "Optimizer",
    "Schedule",
    "StepRecord",
    "Trajectory",
    "UnknownNameError",
    "defaults",
    "iterate",
    "make",
    "make_schedule",
    "multipliers",
    "run",
    "schedules",
]
