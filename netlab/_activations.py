"""Hidden-unit activations with their exact derivatives, as the frameworks define them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

LEAKY_SLOPE = 0.01
"""``torch.nn.LeakyReLU`` default ``negative_slope`` (Keras' ``LeakyReLU`` uses 0.3)."""
ELU_ALPHA = 1.0
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Activation(NamedTuple):
    """An elementwise activation ``a = f(z)`` with its derivative.

    Attributes
    ----------
    name : str
        Registry key (``"relu"``).
    title : str
        Human name for the UI.
    f_df : callable
        ``f_df(z) -> (f(z), f'(z))``, elementwise, any shape; one call shares the one ``exp``
        both need (transcendental functions dominate the cost of training). At a kink the
        derivative is the one PyTorch's autograd uses (``relu'(0) = 0``,
        ``leaky_relu'(0) = negative_slope``, ``selu'(0) = scale * alpha``).
    kinks : tuple of float
        Points where ``f`` is not differentiable (gradient checks must stay away from them).
    dies : bool
        Whether the derivative is exactly zero on the whole negative side, so that a unit whose
        pre-activation is negative on every input gets no gradient at all ("dead").
    d2 : callable
        ``d2(z, a, da) -> f''(z)`` from ``z`` and ``(a, da) = f_df(z)`` (0 on the linear pieces
        of ReLU and leaky ReLU; the left value at 0 for ELU and SELU). Used by the exact
        Hessian of `netlab.landscape_surface`.
    """

    name: str
    title: str
    f_df: Callable[[Array], tuple[Array, Array]]
    kinks: tuple[float, ...]
    dies: bool
    d2: Callable[[Array, Array, Array], Array]


def _zero_d2(z: Array, a: Array, da: Array) -> Array:
    return np.zeros_like(z)


def _exp_side_d2(z: Array, a: Array, da: Array) -> Array:
    # ELU/SELU: f'' = f' on the exponential side (alpha e^z, times scale), 0 on the linear one.
    return da * (z <= 0.0)


def _softplus_d2(z: Array, a: Array, da: Array) -> Array:
    return da * (1.0 - da)


def _tanh_d2(z: Array, a: Array, da: Array) -> Array:
    return -2.0 * a * da


def _sigmoid_d2(z: Array, a: Array, da: Array) -> Array:
    return da * (1.0 - 2.0 * a)


def _relu(z: Array) -> tuple[Array, Array]:
    return np.maximum(z, 0.0), (z > 0.0).astype(np.float64)


def _leaky(z: Array) -> tuple[Array, Array]:
    pos = z > 0.0
    # max(z, s z) is leaky ReLU for 0 < s < 1.
    return np.maximum(z, LEAKY_SLOPE * z), LEAKY_SLOPE + (1.0 - LEAKY_SLOPE) * pos


def _elu_parts(z: Array, alpha: float) -> tuple[Array, Array]:
    # e = exp(min(z, 0)) without the slow exp of many exact zeros: exp(z) clipped at 1.
    with np.errstate(over="ignore"):
        e = np.minimum(np.exp(z), 1.0)
    pos = z > 0.0
    return np.maximum(z, 0.0) + alpha * (e - 1.0), alpha * e + (1.0 - alpha) * pos


def _elu(z: Array) -> tuple[Array, Array]:
    return _elu_parts(z, ELU_ALPHA)


def _selu(z: Array) -> tuple[Array, Array]:
    a, da = _elu_parts(z, SELU_ALPHA)
    return SELU_SCALE * a, SELU_SCALE * da


def _sigmoid_parts(z: Array) -> tuple[Array, Array, Array]:
    """``e = exp(-|z|)``, ``s = 1 / (1 + e)`` and ``sigmoid(z)``, overflow-free."""
    e = np.exp(-np.abs(z))
    s = 1.0 / (1.0 + e)
    # sigmoid(z) = s for z >= 0 and e s = 1 - s for z < 0.
    return e, s, (1.0 - s) + (z >= 0.0) * (2.0 * s - 1.0)


def _softplus(z: Array) -> tuple[Array, Array]:
    e, _, sig = _sigmoid_parts(z)
    return np.maximum(z, 0.0) + np.log1p(e), sig


def _tanh(z: Array) -> tuple[Array, Array]:
    e = np.exp(-2.0 * np.abs(z))
    t = (1.0 - e) / (1.0 + e)  # tanh |z|
    a = t * (2.0 * (z >= 0.0) - 1.0)
    return a, 1.0 - a * a


def _sigmoid(z: Array) -> tuple[Array, Array]:
    _, _, a = _sigmoid_parts(z)
    return a, a * (1.0 - a)


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        act.name: act
        for act in (
            Activation("relu", "ReLU", _relu, (0.0,), True, _zero_d2),
            Activation(
                "leaky_relu", f"Leaky ReLU (slope {LEAKY_SLOPE})", _leaky, (0.0,), False, _zero_d2
            ),
            Activation("elu", "ELU", _elu, (), False, _exp_side_d2),
            Activation("selu", "SELU", _selu, (0.0,), False, _exp_side_d2),
            Activation("softplus", "Softplus", _softplus, (), False, _softplus_d2),
            Activation("tanh", "tanh", _tanh, (), False, _tanh_d2),
            Activation("sigmoid", "Sigmoid", _sigmoid, (), False, _sigmoid_d2),
        )
    }
)
"""Read-only registry of the activations the lab offers, keyed by name."""


def get_activation(name: str) -> Activation:
    """Return the activation called `name`.

    Parameters
    ----------
    name : str
        One of ``ACTIVATIONS``.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        If `name` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> act = get_activation("relu")
    >>> z = np.array([-1.0, 0.0, 2.0])
    >>> act.f_df(z)
    (array([0., 0., 2.]), array([0., 0., 1.]))
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation: {name!r} (choose from {', '.join(ACTIVATIONS)})"
        ) from None
