"""The columns of the optimizer table (``tests/optimizer_table.py``): `Row`, `Hand`,
`Converge`, `Reference` (with `reference_class`), and `make_kwargs`, which turns a table case
into ``make``'s arguments on a surface."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizers import defaults
from surfaces import SURFACES

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
    ``make(name, **hparams)`` on the quadratic of ``tests/hand_derivations.py``
    (:math:`f = (x^2 + 4 y^2) / 2` from ``(1, -2)``, the Hessian passed as ``hess``).
    """

    hparams: Hparams
    expected: Callable[[], Any]
    rtol: float = 1e-13
    atol: float = 0.0
    n: int = 3


@dataclass(frozen=True)
class Converge:
    """Reaches the surface's minimum (distance below ``tol``) within ``steps`` steps from the
    surface's default start, with these hyperparameters (``lr`` stated)."""

    hparams: Hparams
    steps: int
    tol: float = 1e-3


@dataclass(frozen=True)
class Row:
    """One optimizer (see the module docstring).

    Attributes
    ----------
    defaults : dict
        The reference's defaults, in its order (``optimizers.defaults`` must equal it).
    first_steps : tuple of Hand
        Positions derived by hand, every flag covered.
    reference : Reference or None
        Its reference implementation and cases (goldens, live torch checks); None where
        there is none (Newton's methods: checked against closed forms).
    sweepable : dict
        Hyperparameters that may be arrays (a batch of runs): name -> hypothesis strategy
        (``beta1``/``beta2`` stand for the elements of ``betas``).
    flags : dict
        Switched on when sweeping, so the batch runs the flag's code path.
    converges : dict
        Surface name -> `Converge`: bowl, ravine and Rosenbrock.
    invalid : tuple
        ``(hparams, error type, message)``: torch's validation messages, word for word.
    busy : tuple of dict
        Settings that use all of its state (the purity test runs each).
    """

    defaults: Hparams
    first_steps: tuple[Hand, ...]
    reference: Reference | None
    sweepable: Mapping[str, Any]
    converges: Mapping[str, Converge]
    invalid: tuple[tuple[Hparams, type[Exception], str], ...] = ()
    busy: tuple[Hparams, ...] = ({},)
    flags: Hparams = field(default_factory=dict)


def make_kwargs(name: str, case: Mapping[str, Any], surface: str) -> dict[str, Any]:
    """``make``'s keyword arguments for a (JSON-able) case: lists become tuples (``betas``),
    and an optimizer that takes ``value_fn``/``grad_fn`` (L-BFGS's line search) gets the
    surface's."""
    hp = {k: tuple(v) if isinstance(v, list) else v for k, v in case.items()}
    accepted = defaults(name)
    s = SURFACES[surface]
    for key, fn in (("value_fn", s.value), ("grad_fn", s.grad)):
        if key in accepted:
            hp[key] = fn
    return hp
