"""The one optimizer table (optax style): every registered optimizer once, with its reference
implementation and the cases checked against it.

`TABLE` maps each name of ``optimizers.OPTIMIZERS`` / ``optimizers.SECOND_ORDER`` to a `Row`.
The tests parametrize over it (a registered optimizer without a row fails
``tests/test_optimizers.py``), and ``tools/make_goldens.py`` runs every row's `Reference` to
write the golden trajectories in ``tests/fixtures/`` (checked by ``tests/test_goldens.py``
without torch, and regenerated live by the torch tests).

**Adding a reference optimizer is one row**: give its `Row` a ``reference=Reference(build,
cases)``, where ``build(params, hparams)`` makes the reference optimizer (torch.optim, or
another package) from *our* validated hyperparameters (``make(name, **case).hparams``, defaults
included), and ``cases`` are our hyperparameters, every flag covered. `reference_class` builds
the usual ``build`` from a dotted class name. A reference that needs a mode switch (say
``opt.train()``) takes ``prepare``; one that must not run under lr schedules takes
``schedules=False``. Then run ``python tools/make_goldens.py`` and commit the fixture.

Nothing here imports torch: a reference class is imported only when a reference is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Hparams = Mapping[str, Any]


@dataclass(frozen=True)
class Reference:
    """The reference implementation of one of our optimizers, for the golden trajectories.

    Attributes
    ----------
    build : callable
        ``build(params, hparams) -> reference optimizer``: ``params`` is a list with one
        float64 torch tensor (one run: a point ``(2,)``), ``hparams`` our validated
        hyperparameters (all of them, defaults included).
    cases : tuple of dict
        Our hyperparameters (JSON-able: numbers, bools, strings, None, lists for ``betas``),
        each run on every golden surface and start.
    prepare : callable, optional
        ``prepare(opt)`` once after ``build`` (e.g. ``opt.train()`` for Schedule-Free).
    schedules : bool, default True
        Also run every case under each lr schedule (torch LR schedulers on the reference).
    steps : int, default 30
        Steps per run (fewer where rounding differences grow fast, as in L-BFGS).
    rtol : float, default 1e-10
        How close our runs stay to the live reference (``tests/test_optimizers_torch.py``);
        the committed goldens are checked to ``1e-6 * (1 + |reference|)``.

    The reference steps with a closure (``opt.step(closure)``) that sets ``p.grad`` to our
    analytic gradient and returns the loss, so every torch.optim class, L-BFGS included, runs
    unchanged; a package whose ``step`` takes no closure can be wrapped in ``build``.
    """

    build: Callable[[list[Any], dict[str, Any]], Any]
    cases: tuple[Hparams, ...]
    prepare: Callable[[Any], None] | None = None
    schedules: bool = True
    steps: int = 30
    rtol: float = 1e-10


@dataclass(frozen=True)
class ReferenceClass:
    """A `Reference.build` for the class at dotted ``path`` (``"torch.optim.SGD"``).

    The class gets our hyperparameters minus ``drop`` (ours only, e.g. L-BFGS's
    ``value_fn``), plus ``fixed`` (the reference's own settings, e.g. ``max_iter=1``).
    ``via`` names a function of ``tools/reference_optimizers.py`` that builds it instead,
    ``via(cls, params, kwargs)``, for a class that needs a wrapper (Muon takes matrices).
    """

    path: str
    drop: tuple[str, ...] = ()
    fixed: Hparams = field(default_factory=dict)
    via: str = ""

    def resolve(self) -> Any:
        """The class itself (imports its package)."""
        module, _, name = self.path.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def __call__(self, params: list[Any], hparams: dict[str, Any]) -> Any:
        kwargs = {k: v for k, v in hparams.items() if k not in self.drop}
        if self.via:
            wrappers = importlib.import_module("tools.reference_optimizers")
            return getattr(wrappers, self.via)(self.resolve(), params, {**kwargs, **self.fixed})
        return self.resolve()(params, **kwargs, **self.fixed)


def reference_class(
    path: str, *, drop: tuple[str, ...] = (), via: str = "", **fixed: Any
) -> ReferenceClass:
    """`ReferenceClass` ``(path, drop, fixed, via)``: ``reference_class("torch.optim.LBFGS",
    drop=("value_fn",), max_iter=1)``."""
    return ReferenceClass(path, drop, fixed, via)


@dataclass(frozen=True)
class Hand:
    """First steps derived by hand from the reference's algorithm box.

    ``expected()`` returns the positions after steps ``1..n`` (shape ``(n, 2)``) of
    ``make(name, **hparams)`` on the quadratic of ``tests/test_optimizers.py``
    (:math:`f = (x^2 + 4 y^2) / 2` from ``(1, -2)``, Hessian passed as ``hess``).
    """

    hparams: Hparams
    expected: Callable[[], Any]
    rtol: float = 1e-13


@dataclass(frozen=True)
class Converge:
    """Reaches the surface's minimum within ``steps`` steps (to ``tol`` in distance) from its
    default start with these hyperparameters (``lr`` stated)."""

    hparams: Hparams
    steps: int
    tol: float = 1e-3


@dataclass(frozen=True)
class Row:
    """One optimizer: its hand-derived first steps, its reference (goldens and live torch
    checks), its sweepable hyperparameters (hypothesis strategies, for batches of runs; with
    ``flags`` switched on) and where it converges (surface name -> `Converge`)."""

    first_steps: tuple[Hand, ...] = ()
    reference: Reference | None = None
    sweepable: Mapping[str, Any] = field(default_factory=dict)
    flags: Hparams = field(default_factory=dict)
    converges: Mapping[str, Converge] = field(default_factory=dict)


_SGD = reference_class("torch.optim.SGD")


def _train_mode(opt: Any) -> None:
    """Schedule-Free's ``opt.train()``: the parameters are ``y``, where gradients are taken."""
    opt.train()


TABLE: Mapping[str, Row] = {
    "sgd": Row(
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
    ),
    "momentum": Row(reference=Reference(_SGD, ({"lr": 5e-4},))),
    "nesterov": Row(reference=Reference(_SGD, ({"lr": 5e-4},))),
    "adagrad": Row(
        reference=Reference(
            reference_class("torch.optim.Adagrad"),
            (
                {"lr": 0.1},
                {
                    "lr": 0.2,
                    "lr_decay": 0.05,
                    "initial_accumulator_value": 0.3,
                    "weight_decay": 0.1,
                },
            ),
        ),
    ),
    "rmsprop": Row(
        reference=Reference(
            reference_class("torch.optim.RMSprop"),
            (
                {"lr": 1e-2},
                {"lr": 3e-3, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1},
                {"lr": 3e-3, "momentum": 0.9, "eps": 1e-4},
            ),
        ),
    ),
    "adadelta": Row(
        reference=Reference(
            reference_class("torch.optim.Adadelta"),
            ({}, {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
        ),
    ),
    "adam": Row(
        reference=Reference(
            reference_class("torch.optim.Adam"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9], "amsgrad": True, "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
            ),
        ),
    ),
    "adamw": Row(
        reference=Reference(
            reference_class("torch.optim.AdamW"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.5, 0.99], "weight_decay": 0.3, "amsgrad": True},
            ),
        ),
    ),
    "nadam": Row(
        reference=Reference(
            reference_class("torch.optim.NAdam"),
            (
                {"lr": 1e-2},
                {"lr": 1e-2, "betas": [0.8, 0.95], "momentum_decay": 0.05, "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.2, "decoupled_weight_decay": True},
            ),
        ),
    ),
    "radam": Row(
        # RAdam's first steps are un-normalized SGD (lr * |gradient|): a small lr.
        reference=Reference(
            reference_class("torch.optim.RAdam"),
            (
                {"lr": 1e-4},
                {"lr": 1e-4, "betas": [0.9, 0.9], "weight_decay": 0.1},
                {
                    "lr": 1e-4,
                    "betas": [0.7, 0.6],
                    "weight_decay": 0.1,
                    "decoupled_weight_decay": True,
                },
            ),
        ),
    ),
    "adamax": Row(
        reference=Reference(
            reference_class("torch.optim.Adamax"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.1},
            ),
        ),
    ),
    "rprop": Row(
        reference=Reference(
            reference_class("torch.optim.Rprop"),
            (
                {"lr": 1e-2},
                {"lr": 0.1, "etas": [0.3, 1.5], "step_sizes": [1e-3, 1.0]},
                {"lr": 0.5, "etas": [0.6, 1.1]},
            ),
        ),
    ),
    "lion": Row(
        reference=Reference(
            reference_class("lion_pytorch.Lion"),
            (
                {"lr": 1e-2},
                {"lr": 3e-3, "betas": [0.8, 0.95], "weight_decay": 0.5},
                {"lr": 1e-2, "weight_decay": 0.5, "decoupled_weight_decay": True},
                {"lr": 0.3, "betas": [0.5, 1.0]},
            ),
        ),
    ),
    "muon": Row(
        # torch.optim.Muon on the point as a 1 x 2 float64 matrix, its Newton-Schulz run in
        # float64 (torch's code, bfloat16 cast off): see tools/reference_optimizers.py.
        reference=Reference(
            reference_class("torch.optim.Muon", via="muon_matrix"),
            (
                {"lr": 1e-2},
                {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
                {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw", "ns_steps": 3},
                {"lr": 0.02, "ns_coefficients": [1.5, -0.5, 0.0], "ns_steps": 10},
            ),
        ),
    ),
    "adafactor": Row(
        reference=Reference(
            reference_class("torch.optim.Adafactor"),
            (
                {"lr": 1e-2},
                {
                    "lr": 0.1,
                    "beta2_decay": -0.5,
                    "eps": [1e-30, 1e-2],
                    "d": 2.0,
                    "weight_decay": 0.1,
                },
                {"lr": 0.05, "eps": [None, 0.1]},
            ),
        ),
    ),
    "sgd_schedule_free": Row(
        reference=Reference(
            reference_class("schedulefree.SGDScheduleFree"),
            (
                {"lr": 1e-3},
                {
                    "lr": 5e-3,
                    "momentum": 0.5,
                    "weight_decay": 0.1,
                    "warmup_steps": 10,
                    "r": 1.0,
                    "weight_lr_power": 1.0,
                },
                {"lr": 0.05},
            ),
            prepare=_train_mode,
        ),
    ),
    "adamw_schedule_free": Row(
        reference=Reference(
            reference_class("schedulefree.AdamWScheduleFree"),
            (
                {"lr": 1e-2},
                {
                    "lr": 0.05,
                    "betas": [0.8, 0.99],
                    "eps": 1e-4,
                    "weight_decay": 0.1,
                    "warmup_steps": 5,
                    "r": 0.5,
                    "weight_lr_power": 0.0,
                },
            ),
            prepare=_train_mode,
        ),
    ),
    "prodigy": Row(
        reference=Reference(
            reference_class("prodigyopt.Prodigy", via="quiet"),
            (
                {},
                {
                    "d_coef": 0.5,
                    "betas": [0.8, 0.9],
                    "beta3": 0.95,
                    "weight_decay": 0.1,
                    "decouple": False,
                    "use_bias_correction": True,
                },
                {
                    "weight_decay": 0.1,
                    "safeguard_warmup": True,
                    "growth_rate": 1.1,
                    "d0": 1e-3,
                    "eps": 1e-6,
                },
            ),
        ),
    ),
    "ademamix": Row(
        reference=Reference(
            reference_class("pytorch_optimizer.AdEMAMix"),
            (
                {"lr": 1e-2},
                {
                    "lr": 2e-2,
                    "betas": [0.8, 0.9, 0.99],
                    "alpha": 2.0,
                    "t_alpha_beta3": 10,
                    "weight_decay": 0.1,
                },
                {"lr": 1e-2, "weight_decay": 0.1, "weight_decouple": True},
                {"lr": 1e-2, "weight_decay": 0.3, "weight_decouple": True, "fixed_decay": True},
            ),
        ),
    ),
    "adopt": Row(
        reference=Reference(
            reference_class("pytorch_optimizer.ADOPT"),
            (
                {"lr": 1e-2},
                {
                    "lr": 2e-2,
                    "betas": [0.8, 0.9],
                    "clip_lambda": None,
                    "eps": 1e-3,
                    "weight_decay": 0.1,
                },
                {"lr": 1e-2, "weight_decay": 0.1, "weight_decouple": True, "fixed_decay": True},
            ),
        ),
    ),
    "newton": Row(),  # no torch.optim counterpart: checked against closed forms
    "saddle_free_newton": Row(),
    "lbfgs": Row(
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
    ),
}
"""Name -> `Row`, in the registry's order."""
