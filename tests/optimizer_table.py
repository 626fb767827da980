"""The one optimizer table (optax style): every registered optimizer once.

`TABLE` maps each name of ``optimizers.OPTIMIZERS`` / ``optimizers.SECOND_ORDER`` to a `Row`:
torch's defaults, its hand-derived first steps (``tests/hand_derivations.py``), its reference
implementation and the cases checked against it, its sweepable hyperparameters, where it
converges (bowl, ravine, Rosenbrock: within N steps at a stated lr), its validation messages
and the settings that exercise all of its state. The tests parametrize over it
(``tests/test_optimizers.py``: a registered optimizer without a row fails), and
``tools/make_goldens.py`` runs every row's `Reference` to write the golden trajectories in
``tests/fixtures/`` (checked by ``tests/test_goldens.py`` without torch, and regenerated live
by ``tests/test_optimizers_torch.py``).

**Adding an optimizer is one row.** Its reference: ``reference=Reference(build, cases)``,
where ``build(params, hparams)`` makes the reference optimizer (torch.optim, or another
package) from *our* validated hyperparameters (``make(name, **case).hparams``, defaults
included), and ``cases`` are our hyperparameters, every flag covered. `reference_class` builds
the usual ``build`` from a dotted class name. A reference that needs a mode switch (say
``opt.train()``) takes ``prepare``; one that must not run under lr schedules takes
``schedules=False``. Then run ``python tools/make_goldens.py`` and commit the fixture.

The columns are defined in ``tests/table_schema.py``. Nothing here imports torch: a
reference class is imported only when a reference is built.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from hypothesis import strategies as st

from optimizers import OPTIMIZERS, SECOND_ORDER
from surfaces import SURFACES
from tests.hand_derivations import (
    MOMENTUM_STEPS,
    SGD_STEPS,
    adadelta_coord,
    adagrad_coord,
    adam_coord,
    adamax_coord,
    derived,
    lbfgs_steps,
    nadam_coord,
    nesterov_coord,
    newton_coord,
    radam_coord,
    rmsprop_coord,
    sgd_dampening_coord,
    sgd_weight_decay_coord,
    written_out,
)
from tests.optimizer_table_modern import ROWS as MODERN_ROWS
from tests.table_schema import (
    Converge,
    Hand,
    Hparams,
    Reference,
    ReferenceClass,
    Row,
    make_kwargs,
    reference_class,
)

__all__ = ["TABLE", "Converge", "Hand", "Reference", "ReferenceClass", "Row", "make_kwargs",
           "reference_class"]


def _invalid(*cases: tuple[Hparams, str]) -> tuple[tuple[Hparams, type[Exception], str], ...]:
    """ValueErrors with torch's messages."""
    return tuple((hp, ValueError, message) for hp, message in cases)


def _adam_invalid(*extra: tuple[Hparams, str]) -> tuple[tuple[Hparams, type[Exception], str], ...]:
    """The checks every Adam-family constructor makes, plus ``extra``."""
    return _invalid(
        ({"lr": -0.1}, "Invalid learning rate: -0.1"),
        ({"eps": -0.1}, "Invalid epsilon value: -0.1"),
        ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        *extra,
    )


_LR = st.floats(1e-4, 0.3)
_UNIT = st.floats(0.0, 0.99)
_ADAM_SWEEP = {"lr": _LR, "beta1": _UNIT, "beta2": _UNIT, "weight_decay": _UNIT}
_BETAS = (0.9, 0.999)
_SGD = reference_class("torch.optim.SGD")
_NESTEROV_RULE = "Nesterov momentum requires a momentum and zero dampening"
_SGD_DEFAULTS = {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False}
_NEWTON_INVALID = (
    ({"lr": float("nan")}, ValueError, "Invalid learning rate: nan"),
    ({"damping": -1}, ValueError, "Invalid damping value: -1"),
)

_ROWS: dict[str, Row] = {
    "sgd": Row(
        defaults=_SGD_DEFAULTS,
        first_steps=(
            Hand({"lr": 0.1}, written_out(SGD_STEPS), rtol=1e-14),
            Hand({"lr": 0.1, "weight_decay": 0.5}, derived(sgd_weight_decay_coord(0.1, 0.5)),
                 rtol=1e-14),
            Hand({"lr": 0.1, "momentum": 0.9}, written_out(MOMENTUM_STEPS), 1e-14, 1e-15),
            Hand({"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
                 derived(sgd_dampening_coord(0.1, 0.9, 0.5)), rtol=1e-14),
            Hand({"lr": 0.1, "momentum": 0.9, "nesterov": True},
                 derived(nesterov_coord(0.1, 0.9)), rtol=1e-14),
        ),
        reference=Reference(
            _SGD,
            (
                {"lr": 2e-3},
                {"lr": 1e-3, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1},
                {"lr": 1e-3, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
                # Too large for the steep surfaces: runs leave the bound (the divergence rule).
                {"lr": 0.05, "momentum": 0.5},
            ),
        ),
        sweepable={"lr": _LR, "momentum": _UNIT, "dampening": _UNIT, "weight_decay": _UNIT},
        flags={"nesterov": False},
        converges={
            "bowl": Converge({"lr": 0.1}, 100),
            "ravine": Converge({"lr": 0.05}, 200),
            "rosenbrock": Converge({"lr": 2e-3}, 7500, tol=1e-2),
        },
        invalid=_invalid(
            ({"lr": -0.1}, "Invalid learning rate: -0.1"),
            ({"momentum": -0.5}, "Invalid momentum value: -0.5"),
            ({"weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
            ({"nesterov": True}, _NESTEROV_RULE),
            ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, _NESTEROV_RULE),
        ),
        busy=({"weight_decay": 0.1, "momentum": 0.5},),
    ),
    "momentum": Row(
        defaults={**_SGD_DEFAULTS, "momentum": 0.9},
        first_steps=(Hand({"lr": 0.1}, written_out(MOMENTUM_STEPS), 1e-14, 1e-15),),
        reference=Reference(_SGD, ({"lr": 5e-4},)),
        sweepable={"lr": _LR, "momentum": _UNIT, "weight_decay": _UNIT},
        converges={
            "bowl": Converge({"lr": 0.1}, 200),
            "ravine": Converge({"lr": 0.05}, 200),
            "rosenbrock": Converge({"lr": 2e-3}, 1200),
        },
        invalid=_invalid(({"lr": -1}, "Invalid learning rate: -1")),
        busy=({"weight_decay": 0.1, "momentum": 0.5},),
    ),
    "nesterov": Row(
        defaults={**_SGD_DEFAULTS, "momentum": 0.9, "nesterov": True},
        first_steps=(Hand({"lr": 0.1}, derived(nesterov_coord(0.1, 0.9)), rtol=1e-14),),
        reference=Reference(_SGD, ({"lr": 5e-4},)),
        sweepable={"lr": _LR, "momentum": st.floats(0.01, 0.99)},
        converges={
            "bowl": Converge({"lr": 0.1}, 200),
            "ravine": Converge({"lr": 0.05}, 150),
            "rosenbrock": Converge({"lr": 1e-3}, 2000),
        },
        invalid=_invalid(({"momentum": 0.0}, _NESTEROV_RULE)),
        busy=({"weight_decay": 0.1, "momentum": 0.5},),
    ),
    "adagrad": Row(
        defaults={
            "lr": 1e-2, "lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0,
            "eps": 1e-10,
        },
        first_steps=(
            Hand({"lr": 0.1}, derived(adagrad_coord(0.1)), rtol=1e-14),
            Hand({"lr": 0.1, "lr_decay": 0.5, "initial_accumulator_value": 2.0,
                  "weight_decay": 0.1},
                 derived(adagrad_coord(0.1, eta=0.5, tau=2.0, wd=0.1)), rtol=1e-14),
        ),
        reference=Reference(
            reference_class("torch.optim.Adagrad"),
            (
                {"lr": 0.1},
                {"lr": 0.2, "lr_decay": 0.05, "initial_accumulator_value": 0.3,
                 "weight_decay": 0.1},
            ),
        ),
        sweepable={
            "lr": _LR, "lr_decay": _UNIT, "weight_decay": _UNIT,
            "initial_accumulator_value": _UNIT, "eps": st.floats(1e-10, 1e-3),
        },
        converges={
            "bowl": Converge({"lr": 0.5}, 40),
            "ravine": Converge({"lr": 1.0}, 200),
            "rosenbrock": Converge({"lr": 0.5}, 8000, tol=1e-2),
        },
        invalid=_invalid(
            ({"lr": -0.1}, "Invalid learning rate: -0.1"),
            ({"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
            ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
            ({"initial_accumulator_value": -0.1},
             "Invalid initial_accumulator_value value: -0.1"),
            ({"eps": -0.1}, "Invalid epsilon value: -0.1"),
        ),
        busy=({"weight_decay": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.2},),
    ),
    "rmsprop": Row(
        defaults={
            "lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
            "centered": False,
        },
        first_steps=(
            Hand({"lr": 0.01}, derived(rmsprop_coord(0.01)), rtol=1e-14),
            Hand({"lr": 0.01, "centered": True}, derived(rmsprop_coord(0.01, centered=True))),
            Hand({"lr": 0.01, "momentum": 0.5}, derived(rmsprop_coord(0.01, mu=0.5))),
            Hand({"lr": 0.01, "weight_decay": 0.2}, derived(rmsprop_coord(0.01, wd=0.2))),
            Hand({"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1,
                  "alpha": 0.9},
                 derived(rmsprop_coord(0.01, alpha=0.9, wd=0.1, mu=0.9, centered=True))),
        ),
        reference=Reference(
            reference_class("torch.optim.RMSprop"),
            (
                {"lr": 1e-2},
                {"lr": 3e-3, "alpha": 0.9, "momentum": 0.5, "centered": True,
                 "weight_decay": 0.1},
                {"lr": 3e-3, "momentum": 0.9, "eps": 1e-4},
            ),
        ),
        sweepable={"lr": _LR, "alpha": _UNIT, "momentum": _UNIT, "weight_decay": _UNIT},
        flags={"centered": True},
        converges={
            "bowl": Converge({"lr": 1e-3}, 2500, tol=1e-2),
            "ravine": Converge({"lr": 5e-3}, 1700, tol=1e-2),
            "rosenbrock": Converge({"lr": 2e-3}, 6500, tol=1e-2),
        },
        invalid=_invalid(
            ({"lr": -0.1}, "Invalid learning rate: -0.1"),
            ({"eps": -0.1}, "Invalid epsilon value: -0.1"),
            ({"momentum": -0.1}, "Invalid momentum value: -0.1"),
            ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
            ({"alpha": -0.1}, "Invalid alpha value: -0.1"),
        ),
        busy=({"weight_decay": 0.1, "momentum": 0.5, "centered": True},),
    ),
    "adadelta": Row(
        defaults={"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0},
        first_steps=(
            Hand({}, derived(adadelta_coord())),
            Hand({"lr": 0.5, "weight_decay": 0.1}, derived(adadelta_coord(lr=0.5, wd=0.1))),
        ),
        reference=Reference(
            reference_class("torch.optim.Adadelta"),
            ({}, {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
        ),
        sweepable={"lr": st.floats(0.1, 2.0), "rho": _UNIT, "weight_decay": _UNIT},
        converges={
            "bowl": Converge({"lr": 1.0}, 700),
            "ravine": Converge({"lr": 0.1}, 5000, tol=1e-2),
            "rosenbrock": Converge({"lr": 0.05}, 11000, tol=1e-2),
        },
        invalid=_invalid(
            ({"lr": -0.1}, "Invalid learning rate: -0.1"),
            ({"rho": 1.5}, "Invalid rho value: 1.5"),
            ({"eps": -0.1}, "Invalid epsilon value: -0.1"),
            ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ),
        busy=({"weight_decay": 0.1},),
    ),
    "adam": Row(
        defaults={
            "lr": 1e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
            "decoupled_weight_decay": False,
        },
        first_steps=(
            Hand({"lr": 0.1}, derived(adam_coord(0.1, 0.9, 0.999, 1e-8))),
            Hand({"lr": 0.1, "weight_decay": 0.5},
                 derived(adam_coord(0.1, 0.9, 0.999, 1e-8, wd=0.5))),
            # With beta2 = 0.5 the second moment falls as the gradient shrinks: the max matters.
            Hand({"lr": 0.1, "betas": (0.9, 0.5), "amsgrad": True},
                 derived(adam_coord(0.1, 0.9, 0.5, 1e-8, amsgrad=True))),
            # torch 2.x's Adam(decoupled_weight_decay=True) is AdamW.
            Hand({"lr": 0.1, "weight_decay": 0.5, "decoupled_weight_decay": True},
                 derived(adam_coord(0.1, 0.9, 0.999, 1e-8, wd=0.5, decoupled=True))),
        ),
        reference=Reference(
            reference_class("torch.optim.Adam"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9], "amsgrad": True, "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
            ),
        ),
        sweepable=_ADAM_SWEEP,
        flags={"amsgrad": True},
        converges={
            "bowl": Converge({"lr": 0.02}, 250, tol=1e-2),
            "ravine": Converge({"lr": 0.01}, 1700, tol=1e-2),
            "rosenbrock": Converge({"lr": 0.01}, 5000, tol=1e-2),
        },
        invalid=_adam_invalid(),
        busy=({"weight_decay": 0.1, "amsgrad": True},),
    ),
    "adamw": Row(
        defaults={
            "lr": 1e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False,
        },
        first_steps=(
            Hand({"lr": 0.1, "weight_decay": 0.5},
                 derived(adam_coord(0.1, 0.9, 0.999, 1e-8, wd=0.5, decoupled=True))),
            # AdamW's default weight decay is 1e-2 (Adam's is 0).
            Hand({"lr": 0.1}, derived(adam_coord(0.1, 0.9, 0.999, 1e-8, wd=1e-2,
                                                 decoupled=True))),
        ),
        reference=Reference(
            reference_class("torch.optim.AdamW"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.5, 0.99], "weight_decay": 0.3, "amsgrad": True},
            ),
        ),
        sweepable=_ADAM_SWEEP,
        converges={
            "bowl": Converge({"lr": 0.02}, 250, tol=1e-2),
            "ravine": Converge({"lr": 0.01}, 1700, tol=1e-2),
            "rosenbrock": Converge({"lr": 0.01}, 9000, tol=1e-2),
        },
        invalid=_adam_invalid(),
        busy=({"weight_decay": 0.1, "amsgrad": True},),
    ),
    "nadam": Row(
        defaults={
            "lr": 2e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0,
            "momentum_decay": 4e-3, "decoupled_weight_decay": False,
        },
        first_steps=(
            Hand({"lr": 0.1}, derived(nadam_coord(0.1, 0.9, 0.999, 1e-8, 4e-3))),
            *(
                Hand({"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.1,
                      "weight_decay": 0.3, "decoupled_weight_decay": decoupled},
                     derived(nadam_coord(0.05, 0.8, 0.99, 1e-8, 0.1, wd=0.3,
                                         decoupled=decoupled)))
                for decoupled in (False, True)
            ),
        ),
        reference=Reference(
            reference_class("torch.optim.NAdam"),
            (
                {"lr": 1e-2},
                {"lr": 1e-2, "betas": [0.8, 0.95], "momentum_decay": 0.05, "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.2, "decoupled_weight_decay": True},
            ),
        ),
        sweepable={"lr": _LR, "beta1": _UNIT, "beta2": _UNIT, "momentum_decay": _UNIT},
        converges={
            "bowl": Converge({"lr": 0.02}, 350),
            "ravine": Converge({"lr": 5e-3}, 3200, tol=1e-2),
            "rosenbrock": Converge({"lr": 5e-3}, 7500, tol=1e-2),
        },
        invalid=_adam_invalid(({"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1")),
        busy=({"weight_decay": 0.1},),
    ),
    "radam": Row(
        defaults={
            "lr": 1e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0,
            "decoupled_weight_decay": False,
        },
        first_steps=(
            # rho_1 = 1, rho_2 ~ 2, rho_3 ~ 3 (<= 5): x <- x - lr m / (1 - b1^t), un-normalized.
            Hand({"lr": 0.01}, derived(radam_coord(0.01, 0.9, 0.999, 1e-8, 3)), rtol=1e-14),
            # ... it switches to the rectified Adam step at t = 6.
            Hand({"lr": 0.01}, derived(radam_coord(0.01, 0.9, 0.999, 1e-8, 7)), n=7),
            *(
                Hand({"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.2,
                      "decoupled_weight_decay": decoupled},
                     derived(radam_coord(0.01, 0.8, 0.95, 1e-8, 12, wd=0.2,
                                         decoupled=decoupled)), n=12)
                for decoupled in (False, True)
            ),
        ),
        # RAdam's first steps are un-normalized SGD (lr * |gradient|): a small lr.
        reference=Reference(
            reference_class("torch.optim.RAdam"),
            (
                {"lr": 1e-4},
                {"lr": 1e-4, "betas": [0.9, 0.9], "weight_decay": 0.1},
                {"lr": 1e-4, "betas": [0.7, 0.6], "weight_decay": 0.1,
                 "decoupled_weight_decay": True},
            ),
        ),
        sweepable=_ADAM_SWEEP,
        converges={
            "bowl": Converge({"lr": 0.02}, 800, tol=1e-2),
            "ravine": Converge({"lr": 5e-3}, 3500, tol=1e-2),
            "rosenbrock": Converge({"lr": 5e-3}, 11000, tol=1e-2),
        },
        invalid=_adam_invalid(),
        busy=({"weight_decay": 0.1},),
    ),
    "adamax": Row(
        defaults={"lr": 2e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0},
        first_steps=(
            Hand({"lr": 0.1}, derived(adamax_coord(0.1))),
            Hand({"lr": 0.1, "weight_decay": 0.3}, derived(adamax_coord(0.1, wd=0.3))),
        ),
        reference=Reference(
            reference_class("torch.optim.Adamax"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.1},
            ),
        ),
        sweepable=_ADAM_SWEEP,
        converges={
            "bowl": Converge({"lr": 0.01}, 1000),
            "ravine": Converge({"lr": 0.1}, 700, tol=1e-2),
            "rosenbrock": Converge({"lr": 0.1}, 3500, tol=1e-2),
        },
        invalid=_adam_invalid(),
        busy=({"weight_decay": 0.1},),
    ),
    # Newton's methods have no torch.optim counterpart: closed forms (and their own tests).
    "newton": Row(
        defaults={"lr": 1.0, "damping": 0.0},
        first_steps=(
            Hand({}, derived(newton_coord(1.0, 0.0)), atol=1e-15),  # at the minimum at once
            Hand({"lr": 0.5, "damping": 0.5}, derived(newton_coord(0.5, 0.5))),
        ),
        reference=None,
        sweepable={"lr": st.floats(0.1, 1.0), "damping": st.floats(0.0, 2.0)},
        converges={
            "bowl": Converge({}, 1, tol=1e-12),
            "ravine": Converge({}, 1, tol=1e-12),
            "rosenbrock": Converge({}, 8),
        },
        invalid=(
            ({"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
            ({"damping": -0.1}, ValueError, "Invalid damping value: -0.1"),
            ({"damping": np.array([0.1, -0.2])}, ValueError, "Invalid damping value: -0.2"),
            ({"lr": "1"}, TypeError, "lr must be a number or an array of numbers, got '1'"),
        ),
        busy=({"damping": 0.5},),
    ),
    "saddle_free_newton": Row(
        defaults={"lr": 1.0, "damping": 1e-3},
        first_steps=(  # |H| = H on a convex quadratic: damped Newton
            Hand({"lr": 0.5}, derived(newton_coord(0.5, 1e-3))),
            Hand({"damping": 0.0}, derived(newton_coord(1.0, 0.0)), atol=1e-15),
        ),
        reference=None,
        sweepable={"lr": st.floats(0.1, 1.0), "damping": st.floats(1e-3, 2.0)},
        converges={
            "bowl": Converge({}, 3),
            "ravine": Converge({}, 3),
            "rosenbrock": Converge({}, 8),
        },
        invalid=_NEWTON_INVALID,
    ),
    "lbfgs": Row(
        defaults={  # torch.optim.LBFGS's names, defaults and order...
            "lr": 1.0, "tolerance_grad": 1e-7, "tolerance_change": 1e-9,
            "history_size": 10,  # ... but scipy's memory: torch keeps 100 pairs
            "line_search_fn": None, "value_fn": None, "grad_fn": None,
        },
        first_steps=(  # the textbook matrix form of the BFGS update (Nocedal & Wright 7.19)
            Hand({}, lbfgs_steps(1.0, 10), rtol=1e-12),
            Hand({"lr": 0.5, "history_size": 1}, lbfgs_steps(0.5, 1), rtol=1e-12),
        ),
        # torch.optim.LBFGS(max_iter=1, max_eval=26): one of our updates per step(). Rounding
        # differences (operation order) grow ~3x per step on Rosenbrock, hence 20 steps and
        # 1e-7 live agreement.
        reference=Reference(
            reference_class(
                "torch.optim.LBFGS", drop=("value_fn", "grad_fn"), max_iter=1, max_eval=26
            ),
            (
                {"lr": 0.1},
                {"lr": 1.0, "history_size": 5},
                {"line_search_fn": "strong_wolfe"},
                {"line_search_fn": "strong_wolfe", "history_size": 3},
            ),
            steps=20,
            rtol=1e-7,
        ),
        sweepable={"lr": st.floats(0.05, 1.0)},
        converges={  # value_fn and grad_fn: the surface's (make_kwargs)
            "bowl": Converge({"line_search_fn": "strong_wolfe"}, 3),
            "ravine": Converge({"line_search_fn": "strong_wolfe"}, 12),
            "rosenbrock": Converge({"line_search_fn": "strong_wolfe", "tolerance_change": 0.0},
                                   45),
        },
        invalid=(
            ({"lr": -0.5}, ValueError, "Invalid learning rate: -0.5"),
            ({"history_size": 0}, ValueError, "Invalid history_size value: 0"),
            ({"tolerance_grad": -1.0}, ValueError, "Invalid tolerance_grad value: -1.0"),
            ({"tolerance_change": -1.0}, ValueError, "Invalid tolerance_change value: -1.0"),
            ({"line_search_fn": "wolfe"}, ValueError,
             "Invalid line_search_fn: 'wolfe'; expected None, 'strong_wolfe' or 'armijo'"),
            ({"line_search_fn": "armijo"}, ValueError,
             "line_search_fn='armijo' needs value_fn: the line search evaluates the loss at "
             "trial points"),
            ({"line_search_fn": "strong_wolfe", "value_fn": SURFACES["rosenbrock"].value},
             ValueError,
             "line_search_fn='strong_wolfe' needs grad_fn: the strong Wolfe conditions test "
             "the slope at trial points"),
            ({"history_size": 2.5}, TypeError, "history_size must be an integer, got 2.5"),
            ({"history_size": True}, TypeError, "history_size must be an integer, got True"),
            ({"value_fn": 3.0}, TypeError, "value_fn must be callable or None, got 3.0"),
        ),
        busy=({}, {"line_search_fn": "armijo"}, {"line_search_fn": "strong_wolfe"}),
    ),
}

TABLE: Mapping[str, Row] = {
    name: {**_ROWS, **MODERN_ROWS}[name]
    for name in [*OPTIMIZERS, *SECOND_ORDER]
    if name in _ROWS or name in MODERN_ROWS
}
"""Name -> `Row`, in the registry's order (the 2020s optimizers' rows are in
``tests/optimizer_table_modern.py``)."""
