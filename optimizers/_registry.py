"""The optimizer registry: `OPTIMIZERS`, `make` and `defaults`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from optimizers._adafactor import adafactor
from optimizers._adam import adam, adamw
from optimizers._adam_variants import ademamix, adopt
from optimizers._adamax import adamax
from optimizers._adaptive import adadelta, adagrad, rmsprop
from optimizers._core import Optimizer, unknown_name
from optimizers._lbfgs import lbfgs
from optimizers._muon import muon
from optimizers._nadam import nadam
from optimizers._newton import newton, saddle_free_newton
from optimizers._prodigy import prodigy
from optimizers._radam import radam
from optimizers._schedule_free import adamw_schedule_free, sgd_schedule_free
from optimizers._sgd import momentum, nesterov, sgd
from optimizers._sign import lion, rprop

OPTIMIZERS: Mapping[str, Callable[..., Optimizer]] = MappingProxyType(
    {
        "sgd": sgd,
        "momentum": momentum,
        "nesterov": nesterov,
        "adagrad": adagrad,
        "rmsprop": rmsprop,
        "adadelta": adadelta,
        "adam": adam,
        "adamw": adamw,
        "nadam": nadam,
        "radam": radam,
        "adamax": adamax,
        "rprop": rprop,
        "lion": lion,
        "muon": muon,
        "adafactor": adafactor,
        "sgd_schedule_free": sgd_schedule_free,
        "adamw_schedule_free": adamw_schedule_free,
        "prodigy": prodigy,
        "ademamix": ademamix,
        "adopt": adopt,
    }
)
"""Read-only, ordered mapping from name to factory (``factory(**hparams) -> Optimizer``):
the first-order methods, which run on gradients alone and on any parameter shape: those of
torch.optim, then the 2020s ones (Lion, Muon, Adafactor, Schedule-Free, Prodigy, AdEMAMix,
ADOPT; their references are named in their docstrings). `make` also knows the
`SECOND_ORDER` methods."""

PER_POINT: frozenset[str] = frozenset({"muon", "adafactor", "prodigy"})
"""First-order optimizers that couple the coordinates of a point: they treat the **last**
axis of the parameters as one parameter tensor (a norm, an RMS or a dot product over it), so
a ``(..., 2)`` batch of points is a batch of independent runs, but reshaping the parameters
changes the result. The others are elementwise. Their array hyperparameters and
``lr_scale`` must be the same along the last axis (as `run` makes them)."""

SECOND_ORDER: Mapping[str, Callable[..., Optimizer]] = MappingProxyType(
    {
        "newton": newton,
        "saddle_free_newton": saddle_free_newton,
        "lbfgs": lbfgs,
    }
)
"""Read-only mapping of the second-order and quasi-Newton methods (the CS231n notes'
"second-order methods"), kept apart from `OPTIMIZERS` because they do not fit every caller of
a first-order method: ``newton`` and ``saddle_free_newton`` need the Hessian (`NEEDS_HESSIAN`:
pass ``hess_fn`` to `run`), and ``lbfgs`` couples the coordinates of a vector (parameters
``(..., n)``: one run per vector) and needs ``value_fn`` (and ``grad_fn``) for its line
search. `make` and `defaults` accept their names."""

NEEDS_HESSIAN: frozenset[str] = frozenset({"newton", "saddle_free_newton"})
"""Names of the optimizers whose ``update`` needs ``hess=``: run them with ``hess_fn``."""

_ALL: Mapping[str, Callable[..., Optimizer]] = MappingProxyType({**OPTIMIZERS, **SECOND_ORDER})


def _factory(name: str) -> Callable[..., Optimizer]:
    try:
        return _ALL[name]
    except (KeyError, TypeError):
        raise unknown_name("optimizer", name, _ALL) from None


def defaults(name: str) -> dict[str, Any]:
    """The default hyperparameters of optimizer ``name`` (a fresh dict, in torch's order).

    Parameters
    ----------
    name : str
        A key of `OPTIMIZERS` or of `SECOND_ORDER`.

    Returns
    -------
    dict
        Hyperparameter name to default value; mutating it changes nothing.

    Raises
    ------
    KeyError
        (also a `ValueError`) for an unknown name, listing the valid names.

    Examples
    --------
    >>> defaults("adadelta")
    {'lr': 1.0, 'rho': 0.9, 'eps': 1e-06, 'weight_decay': 0.0}
    """
    params = inspect.signature(_factory(name)).parameters.values()
    return {p.name: p.default for p in params}


def make(name: str, **hparams: Any) -> Optimizer:
    """Make the optimizer ``name`` with torch.optim's hyperparameter names and defaults.

    Parameters
    ----------
    name : str
        A key of `OPTIMIZERS`: ``sgd``, ``momentum`` (sgd, ``momentum=0.9``), ``nesterov``
        (sgd, ``momentum=0.9, nesterov=True``), ``adagrad``, ``rmsprop``, ``adadelta``,
        ``adam``, ``adamw``, ``nadam``, ``radam``, ``adamax``, ``rprop``, ``lion``,
        ``muon``, ``adafactor``, ``sgd_schedule_free``, ``adamw_schedule_free``, ``prodigy``,
        ``ademamix``, ``adopt``; or a key of `SECOND_ORDER`:
        ``newton``, ``saddle_free_newton`` (both need ``hess_fn`` in `run`), ``lbfgs``.
    **hparams
        Hyperparameters overriding `defaults` (``name``). Numeric ones may be arrays whose
        axes index a batch of runs along the *leading* axes of the parameters.

    Returns
    -------
    Optimizer
        ``(name, init, update, hparams)``.

    Raises
    ------
    KeyError
        (also a `ValueError`) for an unknown ``name``, listing the valid names.
    TypeError
        For an unknown hyperparameter, listing the valid ones, or a value of the wrong type.
    ValueError
        For an invalid value, with torch's message (``Invalid learning rate: -1.0``).

    Notes
    -----
    Departures from torch.optim: no ``maximize``, ``foreach``, ``capturable``,
    ``differentiable`` or ``fused`` flags; NaN hyperparameters are rejected everywhere (torch's
    ``lr < 0`` check in SGD lets NaN through); array hyperparameters are validated
    elementwise (the message shows the first offending element); ``betas`` may mix a float
    and an array (torch wants both floats or both tensors). ``decoupled_weight_decay`` is
    torch 2.x's flag of ``Adam``, ``NAdam`` and ``RAdam``.

    Examples
    --------
    >>> opt = make("nesterov", lr=0.01)
    >>> opt.name, opt.hparams["momentum"], opt.hparams["nesterov"]
    ('nesterov', 0.9, True)
    """
    factory = _factory(name)
    valid = inspect.signature(factory).parameters
    unknown = [key for key in hparams if key not in valid]
    if unknown:
        raise TypeError(
            f"Unknown hyperparameter(s) {', '.join(map(repr, unknown))} for optimizer "
            f"{name!r}; valid hyperparameters are: {', '.join(valid)}"
        )
    return factory(**hparams)
