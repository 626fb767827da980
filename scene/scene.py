"""A scene: everything the page needs to reproduce one race, as plain, hashable values.

The app turns widgets into a :class:`Scene`; everything else (optimizer hyperparameters,
the schedule, cache keys, later the URL) is derived from it here, where tests reach it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import optimizers
import surfaces
from analysis.race import COPY_MARK, OptimizerSpec, RaceEntry, base_name, race
from surfaces import SURFACES, Surface

CUSTOM = "custom"
NETWORK = "network"
DEFAULT_FORMULA = "(1 - x)**2 + 100*(y - x**2)**2"
DEFAULT_BOUNDS = (-3.0, 3.0, -3.0, 3.0)


@functools.lru_cache(maxsize=1)
def network_surface() -> Surface:
    """A real network's loss: the 2-3-1 ReLU net of the network lab, trained for 2000 Adam
    steps from seed 0 (it ends in the "valley" local minimum), sliced along two random
    filter-normalized directions through its weights (Li et al., 2018). Exact gradient and
    Hessian. Trained once per process (about a second)."""
    import numpy as np

    import netlab

    data = netlab.make_data(np.random.default_rng(0), 128)
    trained = netlab.train(netlab.init_params([0], 3), data, "relu",
                           optimizers.make("adam", lr=0.01), steps=2000)
    return netlab.landscape_surface(trained.params[0], data, "relu", np.random.default_rng(0),
                                    span=1.0, name=NETWORK)


@functools.lru_cache(maxsize=64)
def custom_surface(formula: str, bounds: tuple[float, float, float, float]) -> Surface:
    """The surface of a typed formula (parsed once per formula and window: the symbolic
    step takes up to a second). Raises ``surfaces.ExpressionError`` for bad input."""
    x0, x1, y0, y1 = bounds
    # surfaces.from_expression imports SymPy on first use: only custom surfaces pay for it.
    return surfaces.from_expression(formula, bounds=((x0, x1), (y0, y1)))

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
# Everything the page can race: first-order methods, then Newton's methods and L-BFGS.
ALL_OPTIMIZERS = (*optimizers.OPTIMIZERS, *optimizers.SECOND_ORDER)

# First-order optimizers whose lr is not a step size but a multiplier of a step they
# estimate themselves (Prodigy's d): like Newton's methods, they keep their own lr (the
# reference's default, 1) unless given one, instead of following the shared lr slider.
KEEPS_OWN_LR = frozenset({"prodigy"})

# The optimizers whose `momentum` hyperparameter the page's momentum slider drives.
MOMENTUM_DRIVEN = frozenset({"momentum", "nesterov"})

# Settings of one racer that are not hyperparameters of its optimizer; they travel with the
# per-optimizer overrides (in the URL too) and take these defaults.
ENTRY_SETTINGS = MappingProxyType({
    "decay": True,  # follows the scene's decay schedule (False: a constant-lr baseline)
    "lr_factor": 1.0,  # runs at lr_factor x the lr slider (auto-tune sets it; the slider
    # then scales every tuned lr together)
})
MAX_COPIES = 3  # a race holds up to 3 copies of one optimizer: "sgd~2", "sgd~3", "sgd~4"

HP_LIMIT = 1e6  # the largest magnitude a hyperparameter set on the page (or in a URL) may have


def copy_names(name: str) -> tuple[str, ...]:
    """The names the copies of optimizer ``name`` take in a race, in order."""
    return tuple(f"{name}{COPY_MARK}{k}" for k in range(2, MAX_COPIES + 2))


def is_entry_name(name: str) -> bool:
    """Whether ``name`` can be raced: an optimizer, or one of its copies (`copy_names`)."""
    base = base_name(name)
    return base in ALL_OPTIMIZERS and (name == base or name in copy_names(base))


# Hyperparameters whose reference default is not a finite number but which are one when
# set: the page offers them as numbers, empty = the reference's default.
OPTIONAL_NUMBERS = MappingProxyType({
    ("prodigy", "beta3"): (0.0, 0.99999),  # None: sqrt(beta2)
    ("prodigy", "growth_rate"): (1.0, HP_LIMIT),  # inf: d may grow without bound
})


def optional_number(name: str, param: str) -> tuple[float, float] | None:
    """The range of racer ``name``'s hyperparameter ``param`` if it is one of the
    `OPTIONAL_NUMBERS`, else None."""
    return OPTIONAL_NUMBERS.get((base_name(name), param))


def settable(default: Any) -> bool:
    """Whether the page sets a hyperparameter with this default (a widget, a URL field): a
    bool, a finite number or a tuple of finite numbers. None (L-BFGS's ``line_search_fn``
    aside, which has its own menu, and Prodigy's ``beta3``, one of the `OPTIONAL_NUMBERS`),
    callables (ADOPT's ``clip_lambda``), strings, infinities (but Prodigy's ``growth_rate``)
    and tuples holding any of them (Adafactor's ``eps = (None, 1e-3)``) keep their
    defaults."""
    if isinstance(default, tuple):
        return bool(default) and all(settable(d) and not isinstance(d, bool) for d in default)
    if isinstance(default, bool):
        return True
    return isinstance(default, int | float) and math.isfinite(default)


def hp_bounds(default: Any, element: Any = None) -> tuple[float, float]:
    """The range of a settable hyperparameter (``element``: one entry of a tuple one).

    A tuple of probabilities (``betas``) stays in ``[0, 0.99999]``; any other number in
    ``[0, 1e6]``, or in ``[-1e6, 1e6]`` if its default is negative (Adafactor's
    ``beta2_decay``, Muon's Newton-Schulz coefficients). The optimizer's own validation has
    the last word (its ValueError names the bad value)."""
    if isinstance(default, tuple) and all(0.0 <= d < 1.0 for d in default):
        return 0.0, 0.99999
    value = default if element is None else element
    return (0.0 if value >= 0 else -HP_LIMIT), HP_LIMIT


STEPS_RANGE = (10, 2000)
LR_RANGE = (1e-6, 100.0)
LR_FACTOR_RANGE = (1e-4, 1e4)  # a racer's lr as a multiple of the slider's (auto-tune)
MOMENTUM_RANGE = (0.0, 0.999)
NOISE_RANGE = (0.0, 100.0)

# What `Scene.decay` means for each schedule, its allowed range and its default.
DECAY_SETTINGS = MappingProxyType({
    "step": ("γ: multiply lr by γ every N steps", (0.01, 1.0), 0.5),
    "exponential": ("γ per step (lr·γᵗ)", (0.8, 1.0), 0.99),
    "inverse_time": ("k in lr / (1 + k·t)", (0.0, 10.0), 0.01),
    "cosine": ("final lr as a fraction of lr", (0.0, 1.0), 0.0),
})

VIEWS = MappingProxyType({
    "race": "Race",
    "3d": "3D surface",
    "sweep": "Sweep map",
    "basins": "Basins",
    "step": "Step-through",
    "gradcheck": "Gradient check",
})

SCHEDULE_LABELS = MappingProxyType({
    "constant": "none",
    "step": "step",
    "exponential": "exponential",
    "inverse_time": "1/t",
    "cosine": "cosine",
})


@dataclass(frozen=True)
class SurfaceDefaults:
    """A per-surface starting scene: a learning rate and a step count that tell its story."""

    lr: float
    steps: int


# Chosen by running the default race on each surface: the lr at which SGD makes visible
# progress without diverging, so the first picture already shows the differences.
SURFACE_DEFAULTS = MappingProxyType({
    "bowl": SurfaceDefaults(0.1, 100),
    "ravine": SurfaceDefaults(0.05, 150),
    "saddle": SurfaceDefaults(0.02, 200),
    "saddle_escape": SurfaceDefaults(0.05, 200),
    "monkey_saddle": SurfaceDefaults(0.01, 200),
    "rosenbrock": SurfaceDefaults(0.001, 300),
    "beale": SurfaceDefaults(0.005, 500),
    "himmelblau": SurfaceDefaults(0.01, 200),
    "six_hump_camel": SurfaceDefaults(0.02, 200),
    "rastrigin": SurfaceDefaults(0.005, 200),
    "plateau": SurfaceDefaults(0.1, 300),
    "kink": SurfaceDefaults(0.05, 200),
    "smooth_kink": SurfaceDefaults(0.05, 200),
    "network": SurfaceDefaults(0.03, 200),
    # the default formula is Rosenbrock's, started further out than its classic start
    "custom": SurfaceDefaults(0.0005, 300),
})
FALLBACK_DEFAULTS = SurfaceDefaults(0.01, 300)


def surface_defaults(name: str) -> SurfaceDefaults:
    return SURFACE_DEFAULTS.get(name, FALLBACK_DEFAULTS)


@dataclass(frozen=True)
class Scene:
    """One race, fully specified.

    ``overrides`` holds per-optimizer hyperparameters that differ from torch's defaults, as
    a sorted tuple of ``(optimizer, hyperparameter, value)`` so the scene stays hashable.
    ``decay`` means the schedule's own rate: ``gamma`` for step and exponential, ``decay``
    for 1/t, and ``eta_min`` (a fraction of lr) for cosine.
    """

    surface: str = "rosenbrock"
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    lr: float = 1e-3
    momentum: float = 0.9
    schedule: str = "constant"
    decay: float = 0.5
    step_size: int = 100
    steps: int = 300
    start: tuple[float, float] | None = None
    noise: float = 0.0
    seed: int = 0
    overrides: tuple[tuple[str, str, Any], ...] = field(default=())
    view: str = "race"
    formula: str = ""
    bounds: tuple[float, float, float, float] = DEFAULT_BOUNDS

    def race_key(self) -> Scene:
        """This scene without its presentation fields: the key for cached computations, so
        switching the view never recomputes a race."""
        return replace(self, view="race") if self.view != "race" else self

    def get_surface(self) -> Surface:
        if self.surface == CUSTOM:
            return custom_surface(self.formula, self.bounds)
        if self.surface == NETWORK:
            return network_surface()
        return SURFACES[self.surface]

    def surface_key(self) -> Scene:
        """Only what defines the surface: the cache key for contour grids."""
        return Scene(surface=self.surface, formula=self.formula, bounds=self.bounds,
                     optimizers=(), start=None)

    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.get_surface().start

    def hparams(self, name: str) -> dict[str, Any]:
        """The hyperparameters passed to ``optimizers.make(name, ...)``.

        Newton's methods and L-BFGS keep their own step size (default 1: a full Newton step)
        unless given one: the shared first-order lr would only make them crawl."""
        base = base_name(name)
        own = base in optimizers.SECOND_ORDER or base in KEEPS_OWN_LR
        # (lr is None in the scene a slider's races share: ui.cached.along)
        lr = None if self.lr is None else self.lr * self.entry_setting(name, "lr_factor")
        hp: dict[str, Any] = {} if own else {"lr": lr}
        if base in MOMENTUM_DRIVEN:
            hp["momentum"] = self.momentum
        hp.update({param: value for opt, param, value in self.overrides
                   if opt == name and param not in ENTRY_SETTINGS})
        if hp.get("momentum", 1.0) == 0 and hp.get(
                "nesterov", optimizers.defaults(base).get("nesterov")):
            # torch refuses Nesterov without momentum; at mu = 0 its update is plain SGD's,
            # so the race runs (and the legend says) exactly that
            hp["nesterov"] = False
        return hp

    def optimizer_specs(self) -> tuple[OptimizerSpec, ...]:
        return tuple((name, self.hparams(name)) for name in self.optimizers)

    def race_arguments(self) -> dict[str, Any]:
        """The arguments of ``analysis.race.race`` for this scene's race (also those of
        anything that reruns it, e.g. ``analysis.internals``)."""
        return {"surface": self.get_surface(), "specs": self.optimizer_specs(),
                "start": self.start_point(), "steps": self.steps,
                "schedule": self.schedule_fn(), "noise": self.noise, "seed": self.seed,
                "unscheduled": self.unscheduled()}

    def race(self) -> tuple[RaceEntry, ...]:
        """The race this scene shows."""
        return race(**self.race_arguments())

    def override(self, name: str, param: str) -> Any:
        """Racer ``name``'s own value of ``param`` in ``overrides``, or None."""
        return next((v for opt, p, v in self.overrides if opt == name and p == param), None)

    def entry_setting(self, name: str, setting: str) -> Any:
        """Racer ``name``'s own value of an `ENTRY_SETTINGS` setting, or its default."""
        value = self.override(name, setting)
        return ENTRY_SETTINGS[setting] if value is None else value

    def unscheduled(self) -> frozenset[str]:
        """The racers that run at a constant lr whatever the decay schedule."""
        return frozenset(n for n in self.optimizers if not self.entry_setting(n, "decay"))

    def lr_factors(self) -> dict[str, float]:
        """Each racer's multiple of the lr slider, where it is not 1 (after auto-tune)."""
        return {n: f for n in self.optimizers
                if (f := self.entry_setting(n, "lr_factor")) != 1.0}

    def schedule_spec(self, racer: str | None = None) -> tuple[str | None, dict[str, Any]]:
        """The schedule as ``(name, kwargs)`` for ``make_schedule`` (``None`` = constant),
        or the one racer ``racer`` runs with."""
        kind = self.schedule
        if kind == "constant" or (racer is not None and not self.entry_setting(racer, "decay")):
            return None, {}
        if kind == "step":
            return "step", {"step_size": self.step_size, "gamma": self.decay}
        if kind == "exponential":
            return "exponential", {"gamma": self.decay}
        if kind == "inverse_time":
            return "inverse_time", {"decay": self.decay}
        if kind == "cosine":
            return "cosine", {"T_max": self.steps, "eta_min": self.decay}
        raise ValueError(f"Unknown schedule {kind!r}; valid: {', '.join(SCHEDULE_LABELS)}")

    def schedule_fn(self, racer: str | None = None) -> optimizers.schedules.Schedule | None:
        """The decay schedule (None: constant), or the one racer ``racer`` runs with."""
        name, kwargs = self.schedule_spec(racer)
        return None if name is None else optimizers.schedules.make_schedule(name, **kwargs)

    def summary(self) -> str:
        """A one-line description of the settings, for export attributions."""
        parts = [f"lr={self.lr:g}" + (" × each one's tuned factor" if self.lr_factors()
                                      else "")]
        if MOMENTUM_DRIVEN & {base_name(n) for n in self.optimizers}:
            parts.append(f"μ={self.momentum:g}")
        if self.schedule != "constant":
            parts.append(f"{SCHEDULE_LABELS[self.schedule]} decay {self.decay:g}")
        if self.noise:
            parts.append(f"noise σ={self.noise:g} (seed {self.seed})")
        x, y = self.start_point()
        parts.append(f"{self.steps} steps from ({x:g}, {y:g})")
        return " · ".join(parts)

    def with_surface(self, name: str) -> Scene:
        """Switch surface and take its default lr, steps and start."""
        d = surface_defaults(name)
        formula = (self.formula or DEFAULT_FORMULA) if name == CUSTOM else ""
        bounds = self.bounds if name == CUSTOM else DEFAULT_BOUNDS
        return replace(self, surface=name, lr=d.lr, steps=d.steps, start=None,
                       formula=formula, bounds=bounds)
