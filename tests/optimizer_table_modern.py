"""The optimizer table's rows for the 2020s optimizers (``tests/optimizer_table.py`` holds the
table and its docstring; the columns are in ``tests/table_schema.py``).

Their references are lion-pytorch, torch.optim (Rprop, Muon, Adafactor), schedulefree,
prodigyopt and pytorch-optimizer; ``tools/reference_optimizers.py`` wraps the two that need
help (Muon takes matrices; Prodigy prints). Hand derivations: ``tests/hand_derivations_modern.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from optimizers._adam_variants import quarter_power
from tests.hand_derivations import derived
from tests.hand_derivations_modern import (
    adafactor_steps,
    ademamix_coord,
    adopt_coord,
    lion_coord,
    muon_steps,
    prodigy_steps,
    rprop_coord,
    schedule_free_coord,
)
from tests.table_schema import Converge, Hand, Hparams, Reference, Row, reference_class

_LR = st.floats(1e-4, 0.3)
_UNIT = st.floats(0.0, 0.99)
_BETAS = (0.9, 0.999)


def _invalid(*cases: tuple[Hparams, str]) -> tuple[tuple[Hparams, type[Exception], str], ...]:
    """ValueErrors with the reference's messages (its asserts and exceptions, as ValueError)."""
    return tuple((hp, ValueError, message) for hp, message in cases)


def _train_mode(opt: Any) -> None:
    """Schedule-Free's ``opt.train()``: the parameters are ``y``, where gradients are taken."""
    opt.train()


_SF_STEPS = (("warmup_steps", 0), ("r", 0.0), ("weight_lr_power", 2.0))

ROWS: Mapping[str, Row] = {
    "rprop": Row(
        defaults={"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50)},
        first_steps=(
            Hand({"lr": 0.6}, derived(rprop_coord(0.6)), n=4),
            Hand({"lr": 0.6, "etas": (0.3, 1.5), "step_sizes": (0.1, 0.7)},
                 derived(rprop_coord(0.6, (0.3, 1.5), (0.1, 0.7))), n=4),
        ),
        reference=Reference(
            reference_class("torch.optim.Rprop"),
            (
                {"lr": 1e-2},
                {"lr": 0.1, "etas": [0.3, 1.5], "step_sizes": [1e-3, 1.0]},
                {"lr": 0.5, "etas": [0.6, 1.1]},
            ),
        ),
        sweepable={"lr": _LR},
        converges={
            "bowl": Converge({"lr": 0.1}, 50),
            "ravine": Converge({"lr": 0.1}, 80),
            "rosenbrock": Converge({"lr": 1e-3}, 4500),
        },
        invalid=_invalid(
            ({"lr": -1.0}, "Invalid learning rate: -1.0"),
            ({"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
            ({"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
        ),
    ),
    "lion": Row(
        defaults={"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0,
                  "decoupled_weight_decay": False},
        first_steps=(
            Hand({"lr": 0.1}, derived(lion_coord(0.1))),
            Hand({"lr": 0.1, "betas": (0.5, 0.8), "weight_decay": 0.5},
                 derived(lion_coord(0.1, 0.5, 0.8, wd=0.5))),
            Hand({"lr": 0.1, "weight_decay": 0.5, "decoupled_weight_decay": True},
                 derived(lion_coord(0.1, wd=0.5, decoupled=True))),
        ),
        reference=Reference(
            reference_class("lion_pytorch.Lion"),
            (
                {"lr": 1e-2},
                {"lr": 3e-3, "betas": [0.8, 0.95], "weight_decay": 0.5},
                {"lr": 1e-2, "weight_decay": 0.5, "decoupled_weight_decay": True},
                {"lr": 0.3, "betas": [0.5, 1.0]},
            ),
        ),
        sweepable={"lr": _LR, "beta1": _UNIT, "beta2": _UNIT, "weight_decay": _UNIT},
        converges={  # sign steps of lr: it ends within about lr of the minimum
            "bowl": Converge({"lr": 1e-3}, 2000, tol=1e-2),
            "ravine": Converge({"lr": 1e-3}, 3300, tol=1e-2),
            "rosenbrock": Converge({"lr": 3e-4}, 11000),
        },
        invalid=_invalid(
            ({"lr": 0.0}, "Invalid learning rate: 0.0"),
            ({"betas": (1.5, 0.99)}, "Invalid beta parameter at index 0: 1.5"),
            ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ),
        busy=({"weight_decay": 0.1}, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ),
    "muon": Row(
        defaults={"lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95, "nesterov": True,
                  "ns_coefficients": (3.4445, -4.7750, 2.0315), "eps": 1e-7, "ns_steps": 5,
                  "adjust_lr_fn": None},
        first_steps=(
            Hand({"lr": 0.1}, muon_steps(0.1)),
            Hand({"lr": 0.1, "weight_decay": 0.0, "momentum": 0.5, "nesterov": False},
                 muon_steps(0.1, wd=0.0, mu=0.5, nesterov=False)),
            Hand({"lr": 0.1, "ns_coefficients": (1.5, -0.5, 0.0), "ns_steps": 12,
                  "adjust_lr_fn": "match_rms_adamw"},
                 muon_steps(0.1, coefficients=(1.5, -0.5, 0.0), ns_steps=12,
                            ratio=0.2 * math.sqrt(2))),
        ),
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
        sweepable={"lr": _LR, "momentum": _UNIT, "weight_decay": _UNIT,
                   "eps": st.floats(1e-9, 1e-3)},
        converges={  # steps of 0.7 lr: without decay it ends within about that
            "bowl": Converge({"lr": 1e-3, "weight_decay": 0.0}, 3500),
            "ravine": Converge({"lr": 1e-3, "weight_decay": 0.0}, 5000),
            "rosenbrock": Converge({"lr": 1e-3, "weight_decay": 0.0}, 5500),
        },
        invalid=_invalid(
            ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
            ({"momentum": -0.1}, "momentum should be >= 0 but is: -0.1"),
            ({"weight_decay": -0.1}, "weight decay should be >= 0 but is: -0.1"),
            ({"adjust_lr_fn": "x"}, "Adjust learning rate function x is not supported"),
            ({"ns_steps": 100},
             "Number of steps must be less than 100 for computational efficiency"),
            ({"ns_coefficients": (1.0, 2.0)}, "Coefficients must be a tuple of exactly 3 values"),
        ),
        busy=({"nesterov": False}, {}),
    ),
    "adafactor": Row(
        defaults={"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0,
                  "weight_decay": 0},
        first_steps=(
            Hand({"lr": 0.1}, adafactor_steps(0.1)),
            Hand({"lr": 0.5, "beta2_decay": -0.5, "eps": (1e-3, 0.5), "d": 1.2,
                  "weight_decay": 0.1},
                 adafactor_steps(0.5, c=-0.5, eps1=1e-3, eps2=0.5, d=1.2, wd=0.1)),
        ),
        reference=Reference(
            reference_class("torch.optim.Adafactor"),
            (
                {"lr": 1e-2},
                {"lr": 0.1, "beta2_decay": -0.5, "eps": [1e-30, 1e-2], "d": 2.0,
                 "weight_decay": 0.1},
                {"lr": 0.05, "eps": [None, 0.1]},
            ),
        ),
        sweepable={"lr": _LR, "beta2_decay": st.floats(-1.0, 0.0), "d": st.floats(1.0, 3.0)},
        converges={
            "bowl": Converge({"lr": 0.1}, 900),
            "ravine": Converge({"lr": 0.1}, 1400),
            "rosenbrock": Converge({"lr": 3e-3}, 13000, tol=1e-2),
        },
        invalid=_invalid(
            ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
            ({"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
            ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
            ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
            ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
            ({"weight_decay": -1.0}, "weight_decay should be >= 0 but is: -1.0"),
        ),
        busy=({"weight_decay": 0.1},),
    ),
    "sgd_schedule_free": Row(
        defaults={"lr": 1.0, "momentum": 0.9, "weight_decay": 0, **dict(_SF_STEPS)},
        first_steps=(
            Hand({"lr": 0.1}, derived(schedule_free_coord(0.1, 0.9))),
            Hand({"lr": 0.1, "momentum": 0.5, "weight_decay": 0.2, "warmup_steps": 2,
                  "r": 1.0, "weight_lr_power": 1.0},
                 derived(schedule_free_coord(0.1, 0.5, 0.2, warmup=2, r=1.0, power=1.0))),
        ),
        reference=Reference(
            reference_class("schedulefree.SGDScheduleFree"),
            (
                {"lr": 1e-3},
                {"lr": 5e-3, "momentum": 0.5, "weight_decay": 0.1, "warmup_steps": 10,
                 "r": 1.0, "weight_lr_power": 1.0},
                {"lr": 0.05},
            ),
            prepare=_train_mode,
        ),
        sweepable={"lr": _LR, "momentum": st.floats(0.01, 0.99), "weight_decay": _UNIT,
                   "warmup_steps": st.integers(0, 4), "r": _UNIT,
                   "weight_lr_power": st.floats(0.0, 3.0)},
        converges={
            "bowl": Converge({"lr": 0.1}, 800),
            "ravine": Converge({"lr": 0.1}, 800),
            "rosenbrock": Converge({"lr": 2e-3, "momentum": 0.5, "r": 1.0}, 13000),
        },
        invalid=_invalid(
            ({"lr": -1.0}, "Invalid learning rate: -1.0"),
            ({"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
            ({"momentum": 1.0}, "Momentum must be between 0 and 1 exclusive: 1.0"),
            ({"momentum": 0.0}, "Momentum must be between 0 and 1 exclusive: 0.0"),
        ),
        busy=({"weight_decay": 0.1, "warmup_steps": 2},),
    ),
    "adamw_schedule_free": Row(
        defaults={"lr": 0.0025, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0,
                  **dict(_SF_STEPS)},
        first_steps=(
            Hand({"lr": 0.1}, derived(schedule_free_coord(0.1, 0.9, b2=0.999))),
            Hand({"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.2,
                  "warmup_steps": 2, "r": 0.5, "weight_lr_power": 0.0},
                 derived(schedule_free_coord(0.1, 0.5, 0.2, warmup=2, r=0.5, power=0.0,
                                             b2=0.9, eps=1e-3))),
        ),
        reference=Reference(
            reference_class("schedulefree.AdamWScheduleFree"),
            (
                {"lr": 1e-2},
                {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-4, "weight_decay": 0.1,
                 "warmup_steps": 5, "r": 0.5, "weight_lr_power": 0.0},
            ),
            prepare=_train_mode,
        ),
        sweepable={"lr": _LR, "beta1": st.floats(0.01, 0.99), "beta2": _UNIT,
                   "warmup_steps": st.integers(0, 4)},
        converges={
            "bowl": Converge({"lr": 0.1}, 450),
            "ravine": Converge({"lr": 0.03}, 3300),
            "rosenbrock": Converge({"lr": 0.01}, 19500),
        },
        invalid=_invalid(
            ({"lr": -1.0}, "Invalid learning rate: -1.0"),
            ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
            ({"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
            ({"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
        ),
        busy=({"weight_decay": 0.1, "warmup_steps": 2},),
    ),
    "prodigy": Row(
        defaults={"lr": 1.0, "betas": _BETAS, "beta3": None, "eps": 1e-8, "weight_decay": 0,
                  "decouple": True, "use_bias_correction": False, "safeguard_warmup": False,
                  "d0": 1e-6, "d_coef": 1.0, "growth_rate": math.inf},
        first_steps=(
            Hand({}, prodigy_steps(), rtol=1e-12, n=4),
            Hand({"betas": (0.8, 0.9), "beta3": 0.95, "weight_decay": 0.1, "decouple": False,
                  "use_bias_correction": True, "d0": 1e-3, "d_coef": 2.0},
                 prodigy_steps(b1=0.8, b2=0.9, b3=0.95, wd=0.1, decouple=False,
                               bias_correction=True, d0=1e-3, d_coef=2.0),
                 rtol=1e-12, n=4),
            Hand({"lr": 0.5, "weight_decay": 0.1, "safeguard_warmup": True, "growth_rate": 1.5,
                  "eps": 1e-3},
                 prodigy_steps(lr=0.5, wd=0.1, safeguard=True, growth=1.5, eps=1e-3),
                 rtol=1e-12, n=4),
        ),
        reference=Reference(
            reference_class("prodigyopt.Prodigy", via="quiet"),
            (
                {},
                {"d_coef": 0.5, "betas": [0.8, 0.9], "beta3": 0.95, "weight_decay": 0.1,
                 "decouple": False, "use_bias_correction": True},
                {"weight_decay": 0.1, "safeguard_warmup": True, "growth_rate": 1.1, "d0": 1e-3,
                 "eps": 1e-6},
            ),
        ),
        sweepable={"lr": st.floats(0.1, 2.0), "beta1": _UNIT, "beta2": _UNIT,
                   "d_coef": st.floats(0.1, 3.0), "d0": st.floats(1e-6, 1e-2),
                   "growth_rate": st.floats(1.01, 2.0), "weight_decay": _UNIT},
        flags={"use_bias_correction": True},
        converges={  # its lr is found, d_coef scales it
            "bowl": Converge({"d_coef": 0.1}, 250),
            "ravine": Converge({"d_coef": 0.1}, 250),
            "rosenbrock": Converge({"d_coef": 0.01}, 2200, tol=1e-2),
        },
        invalid=_invalid(
            ({"d0": 0.0}, "Invalid d0 value: 0.0"),
            ({"lr": 0.0}, "Invalid learning rate: 0.0"),
            ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
            ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ),
        busy=({"weight_decay": 0.1}, {"weight_decay": 0.1, "decouple": False,
                                      "safeguard_warmup": True, "use_bias_correction": True}),
    ),
    "ademamix": Row(
        defaults={"lr": 1e-3, "betas": (0.9, 0.999, 0.9999), "weight_decay": 0,
                  "weight_decouple": False, "fixed_decay": False, "alpha": 5.0,
                  "t_alpha_beta3": None, "eps": 1e-8},
        first_steps=(
            Hand({"lr": 0.1}, derived(ademamix_coord(0.1))),
            Hand({"lr": 0.1, "betas": (0.8, 0.9, 0.99), "alpha": 2.0, "t_alpha_beta3": 10.0,
                  "weight_decay": 0.1},
                 derived(ademamix_coord(0.1, (0.8, 0.9, 0.99), 2.0, 10.0, wd=0.1))),
            Hand({"lr": 0.1, "weight_decay": 0.3, "weight_decouple": True},
                 derived(ademamix_coord(0.1, wd=0.3, decouple=True))),
            Hand({"lr": 0.1, "weight_decay": 0.3, "weight_decouple": True, "fixed_decay": True},
                 derived(ademamix_coord(0.1, wd=0.3, decouple=True, fixed=True))),
        ),
        reference=Reference(
            reference_class("pytorch_optimizer.AdEMAMix"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9, 0.99], "alpha": 2.0, "t_alpha_beta3": 10,
                 "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.1, "weight_decouple": True},
                {"lr": 1e-2, "weight_decay": 0.3, "weight_decouple": True, "fixed_decay": True},
            ),
        ),
        sweepable={"lr": _LR, "alpha": st.floats(0.0, 8.0), "weight_decay": _UNIT},
        flags={"t_alpha_beta3": 5.0},
        converges={
            "bowl": Converge({"lr": 0.1}, 3500),
            "ravine": Converge({"lr": 0.1}, 3000, tol=1e-2),
            "rosenbrock": Converge({"lr": 0.01}, 15000),  # its slow momentum overshoots at 0.03
        },
        invalid=_invalid(
            ({"lr": -0.1}, "learning rate must be positive. (-0.1 > 0)"),
            ({"betas": (0.9, 1.0, 0.9999)}, "beta2 must be in the range [0.0, 1.0)"),
            ({"betas": (0.9, 0.999, 1.5)}, "beta3 must be in the range [0.0, 1.0]"),
            ({"alpha": -1.0}, "alpha must be non-negative"),
            ({"t_alpha_beta3": -1.0}, "t_alpha_beta3 must be non-negative"),
            ({"weight_decay": -1.0}, "weight_decay must be non-negative"),
            ({"eps": -1.0}, "eps must be non-negative"),
        ),
        busy=({"weight_decay": 0.1, "t_alpha_beta3": 5.0},),
    ),
    "adopt": Row(
        defaults={"lr": 1e-3, "betas": (0.9, 0.9999), "clip_lambda": quarter_power,
                  "weight_decay": 0, "weight_decouple": False, "fixed_decay": False,
                  "eps": 1e-6},
        first_steps=(
            Hand({"lr": 0.1}, derived(adopt_coord(0.1)), n=4),
            Hand({"lr": 0.1, "betas": (0.5, 0.9), "clip_lambda": None, "eps": 0.5,
                  "weight_decay": 0.2},
                 derived(adopt_coord(0.1, 0.5, 0.9, eps=0.5, clip=False, wd=0.2)), n=4),
            Hand({"lr": 0.1, "weight_decay": 0.2, "weight_decouple": True},
                 derived(adopt_coord(0.1, wd=0.2, decouple=True)), n=4),
            Hand({"lr": 0.1, "weight_decay": 0.2, "weight_decouple": True, "fixed_decay": True},
                 derived(adopt_coord(0.1, wd=0.2, decouple=True, fixed=True)), n=4),
        ),
        reference=Reference(
            reference_class("pytorch_optimizer.ADOPT"),
            (
                {"lr": 1e-2},
                {"lr": 2e-2, "betas": [0.8, 0.9], "clip_lambda": None, "eps": 1e-3,
                 "weight_decay": 0.1},
                {"lr": 1e-2, "weight_decay": 0.1, "weight_decouple": True, "fixed_decay": True},
            ),
        ),
        sweepable={"lr": _LR, "beta1": _UNIT, "beta2": _UNIT, "weight_decay": _UNIT},
        converges={
            "bowl": Converge({"lr": 0.1}, 200),
            "ravine": Converge({"lr": 0.1}, 1100),
            "rosenbrock": Converge({"lr": 0.1}, 15500),
        },
        invalid=_invalid(
            ({"lr": -0.1}, "learning rate must be positive. (-0.1 > 0)"),
            ({"betas": (1.0, 0.9999)}, "beta1 must be in the range [0.0, 1.0)"),
            ({"weight_decay": -1.0}, "weight_decay must be non-negative"),
            ({"eps": -1.0}, "eps must be non-negative"),
        ),
        busy=({"weight_decay": 0.1},),
    ),
}
"""Name -> `Row` for the 2020s optimizers, in the registry's order."""
