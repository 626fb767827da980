"""Explainers of single optimizer steps, one module per optimizer family.

The modules mirror ``optimizers/_*.py``: `sgd` (SGD, momentum, Nesterov), `adaptive`
(Adagrad, RMSprop, Adadelta), `adam` (Adam, AdamW, NAdam, RAdam, Adamax), `newton` (Newton,
saddle-free Newton) and `lbfgs`. An explainer is a function ``Step -> Parts``
(`analysis.explain.base`); `EXPLAINERS` maps every optimizer name of `optimizers.make` to
its own, and a test fails for an optimizer without one. `analysis.stepthrough.explain` is the
entry point.
"""

from collections.abc import Callable, Mapping
from types import MappingProxyType

from analysis.explain import adam, adaptive, lbfgs, newton, sgd
from analysis.explain.base import Parts, Step

EXPLAINERS: Mapping[str, Callable[[Step], Parts]] = MappingProxyType(
    {
        "sgd": sgd.sgd,
        "momentum": sgd.sgd,
        "nesterov": sgd.sgd,
        "adagrad": adaptive.adagrad,
        "rmsprop": adaptive.rmsprop,
        "adadelta": adaptive.adadelta,
        "adam": adam.adam,
        "adamw": adam.adam,
        "nadam": adam.nadam,
        "radam": adam.radam,
        "adamax": adam.adamax,
        "newton": newton.newton,
        "saddle_free_newton": newton.saddle_free_newton,
        "lbfgs": lbfgs.lbfgs,
    }
)
"""Optimizer name -> its explainer (read-only)."""

__all__ = ["EXPLAINERS", "Parts", "Step"]
