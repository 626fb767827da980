r"""Learning-rate schedules: multipliers :math:`m(t)` of the base learning rate.

A `Schedule` maps the 0-based step index ``t`` to a multiplier: step ``t`` uses
``lr * m(t)``, exactly like a torch LR scheduler that is stepped after each optimizer step
(``m(0) == 1`` for every schedule here). Pass ``m(t)`` to ``Optimizer.update`` as
``lr_scale``, or pass the schedule to `optimizers.run`.

The schedules of the CS231n notes ("annealing the learning rate") are ``step`` (step decay),
``exponential`` (:math:`\alpha_0 e^{-kt}`, here :math:`\gamma^t` with
:math:`\gamma = e^{-k}`) and ``inverse_time`` (1/t decay, :math:`\alpha_0 / (1 + kt)`);
``cosine`` anneals like torch's ``CosineAnnealingLR`` for ``T_max`` steps and then **holds at
eta_min** (as optax's ``cosine_decay_schedule``), where torch's climbs back up the cosine;
``cosine_periodic`` is torch's ``CosineAnnealingLR`` exactly (down over ``T_max`` steps, back
up over the next ``T_max``, and so on).

Schedules made here also accept an integer array ``t``; a decay parameter may be an array
(a sweep over decay rates), in which case ``m(t)`` has shape ``t.shape + param.shape``.

Examples
--------
>>> from optimizers.schedules import make_schedule, multipliers
>>> m = make_schedule("step", step_size=2, gamma=0.5)
>>> [m(t) for t in range(5)]
[1.0, 1.0, 0.5, 0.5, 0.25]
>>> multipliers(make_schedule("inverse_time", decay=1.0), 4)
array([1.        , 0.5       , 0.33333333, 0.25      ])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from optimizers._core import Array, checked, unknown_name

Schedule = Callable[[int], float]
"""``m(t) -> multiplier`` of the base learning rate at the 0-based step ``t``."""

__all__ = [
    "SCHEDULES",
    "Schedule",
    "constant",
    "cosine",
    "cosine_periodic",
    "exponential",
    "inverse_time",
    "make_schedule",
    "multipliers",
    "step",
]


def _outer(t: Any, param: Any) -> Any:
    """Give an array ``t`` trailing axes for an array parameter (``t.shape + param.shape``)."""
    if isinstance(t, np.ndarray) and np.ndim(param) > 0:
        return t.reshape(t.shape + (1,) * np.ndim(param))
    return t


def _result(value: Any) -> Any:
    """A float for a scalar result, else a float64 array."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)


def _int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _gamma(value: Any) -> Any:
    """Validate a decay factor; a float becomes ``np.float64`` (overflow: inf, no error)."""
    gamma = checked(
        "gamma",
        value,
        lambda x: (x > 0.0) & np.isfinite(x),
        "gamma must be positive and finite, got {}",
    )
    return np.float64(gamma) if isinstance(gamma, float) else gamma


def constant() -> Schedule:
    """The constant multiplier 1 (no schedule; torch without a scheduler).

    Examples
    --------
    >>> constant()(1000)
    1.0
    """

    def schedule(t: Any) -> Any:
        return 1.0 if np.ndim(t) == 0 else np.ones(np.shape(t))

    return schedule


def step(step_size: int, gamma: Any = 0.1) -> Schedule:
    r"""Step decay: :math:`m(t) = \gamma^{\lfloor t / \text{step\_size} \rfloor}`.

    Torch's ``StepLR(optimizer, step_size, gamma)``; the notes' "reduce the learning rate by
    some factor every few epochs".

    Parameters
    ----------
    step_size : int
        Decay every ``step_size`` steps (``>= 1``).
    gamma : float or array, default 0.1
        Multiplicative factor (``> 0``; ``> 1`` grows the learning rate).

    Examples
    --------
    >>> m = step(10, gamma=0.5)
    >>> m(9), m(10), m(25)
    (1.0, 0.5, 0.25)
    """
    step_size = _int("step_size", step_size)
    gamma = _gamma(gamma)

    def schedule(t: Any) -> Any:
        return _result(gamma ** (_outer(t, gamma) // step_size))

    return schedule


def exponential(gamma: Any) -> Schedule:
    r"""Exponential decay: :math:`m(t) = \gamma^t` (torch's ``ExponentialLR``).

    The notes' :math:`\alpha = \alpha_0 e^{-kt}` with :math:`\gamma = e^{-k}`.

    Parameters
    ----------
    gamma : float or array
        Multiplicative factor per step (``> 0``).

    Examples
    --------
    >>> exponential(0.5)(3)
    0.125
    """
    gamma = _gamma(gamma)

    def schedule(t: Any) -> Any:
        return _result(gamma ** _outer(t, gamma))

    return schedule


def inverse_time(decay: Any) -> Schedule:
    r"""1/t decay: :math:`m(t) = 1 / (1 + k t)`, the notes' :math:`\alpha_0 / (1 + kt)`.

    Equals torch's ``LambdaLR(optimizer, lambda t: 1 / (1 + decay * t))``.

    Parameters
    ----------
    decay : float or array
        The decay rate :math:`k` (``>= 0``).

    Examples
    --------
    >>> inverse_time(0.5)(2)
    0.5
    """
    decay = checked(
        "decay",
        decay,
        lambda x: (x >= 0.0) & np.isfinite(x),
        "decay must be non-negative and finite, got {}",
    )

    def schedule(t: Any) -> Any:
        return _result(1.0 / (1.0 + decay * _outer(t, decay)))

    return schedule


def _cosine_parts(T_max: Any, eta_min: Any) -> tuple[int, Any]:
    """Validate the arguments of `cosine` and `cosine_periodic`."""
    T_max = _int("T_max", T_max)
    eta_min = checked(
        "eta_min",
        eta_min,
        lambda x: (x >= 0.0) & (x <= 1.0),
        "eta_min must be a fraction of the base learning rate in [0, 1], got {}",
    )
    return T_max, eta_min


def _half_cosine(t: Any, T_max: int, eta_min: Any) -> Any:
    r""":math:`\eta_{min} + (1 - \eta_{min}) (1 + \cos(\pi t / T_{max})) / 2`."""
    return _result(eta_min + (1.0 - eta_min) * (1.0 + np.cos(math.pi * t / T_max)) / 2.0)


def cosine(T_max: int, eta_min: Any = 0.0) -> Schedule:
    r"""Cosine annealing from 1 to ``eta_min`` over ``T_max`` steps, then held at ``eta_min``.

    .. math::
        m(t) = \eta_{min} + (1 - \eta_{min}) \frac{1 + \cos(\pi t / T_{max})}{2}
        \quad (t \le T_{max}), \qquad m(t) = \eta_{min} \quad (t > T_{max}).

    For :math:`t \le T_{max}` this is torch's ``CosineAnnealingLR(optimizer, T_max,
    eta_min=eta_min * lr)``: our ``eta_min`` is a *fraction* of the base learning rate,
    torch's is absolute. After ``T_max`` we hold at ``eta_min``, as optax's
    ``cosine_decay_schedule`` does; torch instead keeps following the cosine, which rises
    back to the base rate at :math:`2 T_{max}` and oscillates with period
    :math:`2 T_{max}`: that is `cosine_periodic`.

    Parameters
    ----------
    T_max : int
        Number of steps of the half cosine (``>= 1``).
    eta_min : float or array, default 0.0
        Final multiplier, in ``[0, 1]``.

    Examples
    --------
    >>> m = cosine(10, eta_min=0.1)
    >>> m(0), round(m(5), 12), m(10), m(15)
    (1.0, 0.55, 0.1, 0.1)
    """
    T_max, eta_min = _cosine_parts(T_max, eta_min)

    def schedule(t: Any) -> Any:
        return _half_cosine(np.minimum(_outer(t, eta_min), T_max), T_max, eta_min)

    return schedule


def cosine_periodic(T_max: int, eta_min: Any = 0.0) -> Schedule:
    r"""torch's ``CosineAnnealingLR`` exactly: the cosine of `cosine`, never held.

    .. math::
        m(t) = \eta_{min} + (1 - \eta_{min}) \frac{1 + \cos(\pi t / T_{max})}{2}
        \quad \text{for every } t,

    down to ``eta_min`` at :math:`T_{max}`, back up to 1 at :math:`2 T_{max}`, period
    :math:`2 T_{max}`. Equals ``CosineAnnealingLR(optimizer, T_max, eta_min=eta_min * lr)``
    (torch's ``eta_min`` is absolute, ours a fraction of lr), so a torch user can reproduce a
    torch run past ``T_max``.

    Parameters
    ----------
    T_max : int
        Number of steps of each half cosine (``>= 1``).
    eta_min : float or array, default 0.0
        Lowest multiplier, in ``[0, 1]``.

    Examples
    --------
    >>> m = cosine_periodic(10, eta_min=0.1)
    >>> m(0), m(10), round(m(15), 12), m(20)
    (1.0, 0.1, 0.55, 1.0)
    """
    T_max, eta_min = _cosine_parts(T_max, eta_min)

    def schedule(t: Any) -> Any:
        return _half_cosine(_outer(t, eta_min), T_max, eta_min)

    return schedule


SCHEDULES: Mapping[str, Callable[..., Schedule]] = MappingProxyType(
    {
        "constant": constant,
        "step": step,
        "exponential": exponential,
        "inverse_time": inverse_time,
        "cosine": cosine,
        "cosine_periodic": cosine_periodic,
    }
)
"""Read-only, ordered mapping from name to schedule factory."""


def make_schedule(name: str, **kwargs: Any) -> Schedule:
    """Make the schedule ``name`` (a key of `SCHEDULES`) with its arguments.

    Arguments are validated here, eagerly.

    Raises
    ------
    KeyError
        (also a `ValueError`) for an unknown name, listing the valid names.
    TypeError
        For an unknown or missing argument, listing the valid ones.
    ValueError
        For an invalid argument value.

    Examples
    --------
    >>> make_schedule("exponential", gamma=0.9)(2)
    0.81
    """
    try:
        factory = SCHEDULES[name]
    except (KeyError, TypeError):
        raise unknown_name("schedule", name, SCHEDULES) from None
    params = inspect.signature(factory).parameters
    try:
        inspect.signature(factory).bind(**kwargs)
    except TypeError as err:
        raise TypeError(
            f"{err} for schedule {name!r}; its arguments are: {', '.join(params) or 'none'}"
        ) from None
    return factory(**kwargs)


def multipliers(schedule: Schedule | None, steps: int) -> Array:
    """The multipliers ``m(0), ..., m(steps - 1)`` as an array of shape ``(steps, *m.shape)``.

    Schedules made by this module are evaluated in one vectorized call; any other callable
    is tried vectorized (and spot-checked against scalar calls), else called once per step.

    Parameters
    ----------
    schedule : Schedule or None
        ``None`` means constant (all ones).
    steps : int
        Number of steps (``>= 0``).

    Examples
    --------
    >>> multipliers(make_schedule("exponential", gamma=np.array([0.5, 1.0])), 3)
    array([[1.  , 1.  ],
           [0.5 , 1.  ],
           [0.25, 1.  ]])
    """
    steps = _int("steps", steps, low=0)
    if schedule is None:
        return np.ones(steps)
    with np.errstate(all="ignore"):  # e.g. gamma > 1 over many steps: inf, not a warning
        return _multipliers(schedule, steps)


def _multipliers(schedule: Schedule, steps: int) -> Array:
    first = np.asarray(schedule(0), dtype=np.float64)
    shape = (steps, *first.shape)
    try:
        out = np.asarray(schedule(np.arange(steps)), dtype=np.float64)
        ok = out.shape == shape and (
            steps == 0
            or (
                np.array_equal(out[0], first, equal_nan=True)
                and np.array_equal(out[-1], np.asarray(schedule(steps - 1)), equal_nan=True)
            )
        )
    except Exception:  # a scalar-only callable: fall back to one call per step
        ok = False
    if not ok:
        out = np.empty(shape)
        for t in range(steps):
            out[t] = schedule(t)
    return out
