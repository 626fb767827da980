"""Explainers of single optimizer steps, one module per optimizer family.

The modules mirror ``optimizers/_*.py``: `sgd` (SGD, momentum, Nesterov), `adaptive`
(Adagrad, RMSprop, Adadelta), `adam` (Adam, AdamW, NAdam, RAdam, Adamax), `adam_variants`
(AdEMAMix, ADOPT), `sign` (Lion, Rprop), `muon`, `adafactor`, `schedule_free` (SGD and
AdamW), `prodigy`, `newton` (Newton, saddle-free Newton) and `lbfgs`. An explainer is a
function ``Step -> Parts`` (`analysis.explain.base`); `EXPLAINERS` maps every optimizer name
of `optimizers.make` to its own, and a test fails for an optimizer without one.
`analysis.stepthrough.explain` is the entry point.
"""

from collections.abc import Callable, Mapping
from types import MappingProxyType

from analysis.explain import (
    adafactor,
    adam,
    adam_variants,
    adaptive,
    lbfgs,
    muon,
    newton,
    prodigy,
    schedule_free,
    sgd,
    sign,
)
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
        "rprop": sign.rprop,
        "lion": sign.lion,
        "muon": muon.muon,
        "adafactor": adafactor.adafactor,
        "sgd_schedule_free": schedule_free.sgd_schedule_free,
        "adamw_schedule_free": schedule_free.adamw_schedule_free,
        "prodigy": prodigy.prodigy,
        "ademamix": adam_variants.ademamix,
        "adopt": adam_variants.adopt,
        "newton": newton.newton,
        "saddle_free_newton": newton.saddle_free_newton,
        "lbfgs": lbfgs.lbfgs,
    }
)
"""Optimizer name -> its explainer (read-only)."""

__all__ = ["EXPLAINERS", "Parts", "Step"]
