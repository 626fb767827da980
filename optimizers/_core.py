"""Shared types and helpers: the `Optimizer` tuple, hyperparameter coercion and validation.

Hyperparameters are either Python floats or read-only float64 arrays. An array hyperparameter
indexes a *batch* of runs: its axes align with the **leading** axes of the parameters (see
`align`), so ``lr`` of shape ``(100, 1)`` and ``momentum`` of shape ``(1, 100)`` run a
100 x 100 grid of settings on parameters of shape ``(100, 100, 2)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Hyper = float | Array
"""A hyperparameter value: a float, or an array whose axes index a batch of runs."""


class Optimizer(NamedTuple):
    """An optimizer: a pair of pure functions plus its name and validated hyperparameters.

    Attributes
    ----------
    name : str
        The registry name it was made with (``"adam"``, ``"nesterov"``, ...).
    init : callable
        ``init(params) -> State``. ``State`` is a NamedTuple of arrays with a step count ``t``
        (``0`` after ``init``; torch's ``state["step"]``, so the first update uses ``t = 1``).
    update : callable
        ``update(grads, state, params, lr_scale=1.0, hess=None) -> (new_params, new_state)``.
        Pure: never mutates its inputs. ``lr_scale`` multiplies ``lr`` for this step, exactly
        as if a torch LR scheduler had set ``group["lr"] = lr * lr_scale`` before the step.
        ``hess`` is accepted and ignored by first-order methods.
    hparams : Mapping[str, Any]
        All hyperparameters, defaults included, after validation (read-only).
    """

    name: str
    init: Callable[[Array], Any]
    update: Callable[..., tuple[Array, Any]]
    hparams: Mapping[str, Any]


class UnknownNameError(KeyError, ValueError):
    """An unknown optimizer or schedule name (both a `KeyError` and a `ValueError`)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def unknown_name(kind: str, name: object, valid: Mapping[str, Any]) -> UnknownNameError:
    """Build the error for an unknown ``name``, listing the valid ones."""
    return UnknownNameError(f"Unknown {kind} {name!r}; valid names are: {', '.join(valid)}")


def frozen(mapping: dict[str, Any]) -> Mapping[str, Any]:
    """A read-only view of a fresh copy of ``mapping``."""
    return MappingProxyType(dict(mapping))


def as_hyper(name: str, value: Any) -> Hyper:
    """Coerce a numeric hyperparameter to a float, or to a read-only float64 array.

    A 0-d array becomes a float. Booleans and non-numeric values raise `TypeError`.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # e.g. ragged nested lists
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf":  # not bools, strings, None or objects
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}")
    arr = np.array(arr, dtype=np.float64)  # a copy: the caller keeps their array
    if arr.ndim == 0:
        return float(arr)
    arr.setflags(write=False)
    return arr


def as_flag(name: str, value: Any) -> bool:
    """Coerce a boolean flag (a plain bool, or a NumPy bool scalar)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def checked(name: str, value: Any, ok: Callable[[Hyper], Any], message: str) -> Hyper:
    """Coerce ``value`` with `as_hyper` and check ``ok`` elementwise.

    On failure raise ``ValueError(message.format(bad))`` where ``bad`` is the value itself
    (a scalar) or the first offending element (an array), as torch formats its messages.
    NaN fails every check written as ``not (low <= x)``.
    """
    x = as_hyper(name, value)
    valid = np.asarray(ok(x))
    if not valid.all():
        bad = value if np.ndim(x) == 0 else np.broadcast_to(x, valid.shape)[~valid][0]
        raise ValueError(message.format(bad))
    return x


def nonnegative(name: str, value: Any, message: str | None = None) -> Hyper:
    """``value`` coerced and checked ``>= 0`` (NaN fails), with torch's message: ``message``
    or ``Invalid <name> value: <value>``."""
    return checked(name, value, lambda x: x >= 0.0, message or f"Invalid {name} value: {{}}")


def valid_lr(value: Any) -> Hyper:
    """The learning rate, checked as torch does (``Invalid learning rate: -1.0``)."""
    return nonnegative("lr", value, "Invalid learning rate: {}")


def valid_eps(value: Any) -> Hyper:
    """The ``eps`` term, checked as torch does (``Invalid epsilon value: -1.0``)."""
    return nonnegative("eps", value, "Invalid epsilon value: {}")


def check(valid: Any, message: str) -> None:
    """Raise ``ValueError(message)`` unless every element of ``valid`` is true."""
    if not np.all(valid):
        raise ValueError(message)


def is_array(h: Any) -> bool:
    """Whether ``h`` is a batch (array) hyperparameter rather than a scalar."""
    return isinstance(h, np.ndarray) and h.ndim > 0


def nonzero(h: Hyper) -> bool:
    """Whether any element of ``h`` is non-zero (so the corresponding branch must run)."""
    return bool(np.any(h != 0))


def align(h: Any, ndim: int) -> Any:
    """Align an array hyperparameter with the **leading** axes of ``ndim``-d parameters.

    Reshapes ``h`` to ``h.shape + (1,) * (ndim - h.ndim)``; scalars pass through unchanged.

    >>> align(np.zeros((100, 1)), 3).shape
    (100, 1, 1)
    """
    if isinstance(h, np.ndarray) and 0 < h.ndim < ndim:
        return h.reshape(h.shape + (1,) * (ndim - h.ndim))
    if isinstance(h, np.ndarray) and h.ndim > ndim:
        raise ValueError(
            f"A hyperparameter of shape {h.shape} has more axes than parameters with ndim "
            f"{ndim}; its axes must index the leading (batch) axes of the parameters"
        )
    return h


def scaled_lr(lr: Hyper, lr_scale: Any, ndim: int) -> Any:
    """``lr * lr_scale``, both aligned with the leading axes of ``ndim``-d parameters."""
    if isinstance(lr_scale, float | int):
        lr = align(lr, ndim)
        return lr if lr_scale == 1 else lr * lr_scale  # (exact either way; no copy at 1)
    return align(lr, ndim) * align(np.asarray(lr_scale, dtype=np.float64), ndim)


def leading_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Broadcast shapes aligned on their **leading** axes (pad with trailing 1s).

    Equals `numpy.broadcast_shapes` when all shapes have the same number of axes.

    >>> leading_shape((3,), (3, 5), ())
    (3, 5)
    """
    ndim = max((len(s) for s in shapes), default=0)
    return np.broadcast_shapes(*(tuple(s) + (1,) * (ndim - len(s)) for s in shapes))


def hyper_shapes(hparams: Mapping[str, Any]) -> list[tuple[int, ...]]:
    """The shapes of all array hyperparameters (including elements of tuples like betas)."""
    shapes: list[tuple[int, ...]] = []
    for value in hparams.values():
        for v in value if isinstance(value, tuple) else (value,):
            if is_array(v):
                shapes.append(v.shape)
    return shapes


def full_shape(params: Array, grads: Array, nd: int, *hypers: Any) -> tuple[int, ...]:
    """The shape of an update: ``params`` and ``grads`` broadcast with the (leading-aligned)
    shapes of the array hyperparameters among ``hypers``.

    Updates allocate their new arrays with this shape and then work in place on them (our own
    temporaries, never the inputs), which keeps NumPy from allocating and freeing a dozen
    temporaries per step.
    """
    shape = params.shape
    if grads.shape != shape:
        shape = np.broadcast_shapes(shape, grads.shape)
    for h in hypers:
        if isinstance(h, np.ndarray) and h.ndim:
            if h.ndim > nd:
                align(h, nd)  # raises the explanatory error
            shape = np.broadcast_shapes(shape, h.shape + (1,) * (nd - h.ndim))
    return shape


def add_(temp: Array, other: Any) -> Array:
    """``temp + other``, in place when ``other`` is a scalar (``temp`` must be a temporary).

    In place only for scalars: an array operand may broadcast to a larger shape.
    """
    if isinstance(other, float | int):
        temp += other
        return temp
    return temp + other


def zeros(params: Array) -> Array:
    """A float64 zero array shaped like ``params`` (for optimizer state)."""
    return np.zeros(np.shape(params), dtype=np.float64)


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """``torch.lerp(start, end, weight)``, with torch's two formulas (so results match it).

    ``start + weight * (end - start)`` where ``|weight| < 0.5``, else
    ``end - (end - start) * (1 - weight)``: exact at both ends of the interval.
    """
    if isinstance(weight, float | int):
        if abs(weight) < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    small = np.abs(weight) < 0.5
    diff = end - start
    return np.where(small, start + weight * diff, end - diff * (1 - weight))


def expand(x: Any, nd: int) -> Any:
    """A per-vector quantity (shaped like the batch) broadcastable against the parameters."""
    if nd and isinstance(x, np.ndarray) and x.ndim:
        return x[..., None]
    return x


def vector_sum(x: Array, nd: int) -> Any:
    """Sum over each vector (the last axis) of ``nd``-d parameters: batch-shaped."""
    if not nd:
        return x
    if x.shape[-1] == 2:  # a point: the same sum, 5x faster than a reduction over 2 elements
        return x[..., 0] + x[..., 1]
    return x.sum(axis=-1)


def vector_norm(x: Array, nd: int) -> Any:
    """The Euclidean norm of each vector (the last axis): batch-shaped."""
    return np.sqrt(vector_sum(x * x, nd)) if nd else np.abs(x)


def owned(x: Any, shape: tuple[int, ...]) -> Array:
    """``x`` (a fresh array of ours, never an input) broadcast to ``shape``; copied only if
    its shape differs."""
    x = np.asarray(x, dtype=np.float64)
    return x if x.shape == shape else np.array(np.broadcast_to(x, shape))
