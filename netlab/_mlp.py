"""A 2-H-1 perceptron in NumPy, batched over independent runs, with exact backprop.

All of a run's parameters live in one flat vector of length ``P = 4H + 1``::

    [ W1 (H, 2) row-major | b1 (H,) | w2 (H,) | b2 ]

and a batch of runs is one array ``params`` of shape ``(..., P)`` (usually ``(runs, P)``), so an
optimizer of the library steps every run with one ``update`` call. The network is

.. math:: \\hat y(x) = w_2^\\top f(W_1 x + b_1) + b_2 .
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from netlab._activations import Activation

Array = npt.NDArray[np.float64]
InitScheme = Literal["glorot_uniform", "he_uniform", "torch"]
INIT_SCHEMES: tuple[InitScheme, ...] = ("glorot_uniform", "he_uniform", "torch")
MAX_HIDDEN = 32


class Weights(NamedTuple):
    """Views into a parameter array ``(..., P)``: ``W1 (..., H, 2)``, ``b1``, ``w2 (..., H)``,
    ``b2 (...)``."""

    W1: Array
    b1: Array
    w2: Array
    b2: Array


class Forward(NamedTuple):
    """Intermediate values of a forward pass over ``n`` inputs.

    ``Z`` (pre-activations), ``A`` (activations) and ``fprime`` (``f'(Z)``) have shape
    ``(..., H, n)`` (unit axis first: the long input axis stays contiguous); ``out`` has shape
    ``(..., n)``.
    """

    Z: Array
    A: Array
    fprime: Array
    out: Array


def n_params(hidden: int) -> int:
    """Number of parameters of a 2-`hidden`-1 network, ``4 * hidden + 1``."""
    return 4 * hidden + 1


def hidden_units(params: npt.ArrayLike) -> int:
    """Number of hidden units ``H`` of a parameter array ``(..., 4H + 1)``."""
    size = np.shape(params)[-1]
    hidden, rest = divmod(size - 1, 4)
    if rest or hidden < 1:
        raise ValueError(f"Invalid parameter vector length: {size} (expected 4H + 1)")
    return hidden


def unpack(params: Array) -> Weights:
    """Split ``params (..., 4H + 1)`` into `Weights` views (no copy).

    Examples
    --------
    >>> w = unpack(np.arange(9.0))
    >>> w.W1.tolist(), w.b1.tolist(), w.w2.tolist(), float(w.b2)
    ([[0.0, 1.0], [2.0, 3.0]], [4.0, 5.0], [6.0, 7.0], 8.0)
    """
    H = hidden_units(params)
    lead = params.shape[:-1]
    return Weights(
        params[..., : 2 * H].reshape(*lead, H, 2),
        params[..., 2 * H : 3 * H],
        params[..., 3 * H : 4 * H],
        params[..., 4 * H],
    )


def pack(W1: Array, b1: Array, w2: Array, b2: npt.ArrayLike) -> Array:
    """Inverse of `unpack`: concatenate the weights into ``(..., 4H + 1)``."""
    W1 = np.asarray(W1, dtype=np.float64)
    lead = W1.shape[:-2]
    return np.concatenate(
        [
            W1.reshape(*lead, -1),
            np.broadcast_to(b1, W1.shape[:-1]),
            np.broadcast_to(w2, W1.shape[:-1]),
            np.broadcast_to(np.asarray(b2, dtype=np.float64)[..., None], (*lead, 1)),
        ],
        axis=-1,
    )


def _limits(hidden: int, scheme: InitScheme) -> Array:
    """Half-width of the uniform distribution of each parameter under `scheme`."""
    if scheme == "glorot_uniform":  # Keras Dense default; zero biases
        l1, l2 = np.sqrt(6.0 / (2 + hidden)), np.sqrt(6.0 / (hidden + 1))
        bias1 = bias2 = 0.0
    elif scheme == "he_uniform":  # Keras he_uniform; zero biases
        l1, l2 = np.sqrt(6.0 / 2), np.sqrt(6.0 / hidden)
        bias1 = bias2 = 0.0
    elif scheme == "torch":  # torch.nn.Linear default: U(+-1/sqrt(fan_in)) for W and b
        l1, l2 = 1.0 / np.sqrt(2.0), 1.0 / np.sqrt(hidden)
        bias1, bias2 = l1, l2
    else:
        raise ValueError(f"Unknown init scheme: {scheme!r} (choose from {', '.join(INIT_SCHEMES)})")
    return pack(np.full((hidden, 2), l1), np.full(hidden, bias1), np.full(hidden, l2), bias2)


def init_params(
    seeds: Sequence[int], hidden: int, *, scheme: InitScheme = "glorot_uniform"
) -> Array:
    """Initial parameters of one run per seed, shape ``(len(seeds), 4 * hidden + 1)``.

    Run ``i`` draws ``u ~ U(-1, 1)^P`` from ``np.random.default_rng(seeds[i])`` and scales it by
    the scheme's limits, so a seed gives the same network whatever the other seeds are, and the
    same seed gives the same weight *directions* under every scheme and activation (a paired
    comparison).

    Parameters
    ----------
    seeds : sequence of int
        One seed per run.
    hidden : int
        Number of hidden units ``H``, 1 to ``MAX_HIDDEN``.
    scheme : {"glorot_uniform", "he_uniform", "torch"}
        ``"glorot_uniform"``: Keras' ``Dense`` default, ``U(+-sqrt(6 / (fan_in + fan_out)))``,
        zero biases. ``"he_uniform"``: ``U(+-sqrt(6 / fan_in))``, zero biases. ``"torch"``:
        ``torch.nn.Linear``'s default, weights and biases ``U(+-1 / sqrt(fan_in))``.

    Returns
    -------
    ndarray of shape (len(seeds), 4 * hidden + 1)

    Examples
    --------
    >>> p = init_params([0, 1], 3)
    >>> p.shape, bool(np.all(unpack(p).b1 == 0))
    ((2, 13), True)
    >>> bool(np.array_equal(init_params([1], 3)[0], p[1]))
    True
    """
    if not 1 <= hidden <= MAX_HIDDEN:
        raise ValueError(f"Invalid number of hidden units: {hidden} (1 to {MAX_HIDDEN})")
    limits = _limits(hidden, scheme)
    u = np.array(
        [np.random.default_rng(seed).uniform(-1.0, 1.0, size=limits.size) for seed in seeds],
        dtype=np.float64,
    ).reshape(len(seeds), limits.size)
    return u * limits


def pre_activations(params: Array, X: Array) -> Array:
    """Hidden pre-activations ``w_h . x + b_h``, shape ``(..., H, n)``, for inputs ``X (n, 2)``."""
    W1, b1, _, _ = unpack(params)
    H, n = W1.shape[-2], X.shape[0]
    # One (runs * H, 2) x (2, n) product instead of a batched matmul with a 2-long inner axis.
    Z = (W1.reshape(-1, 2) @ X.T).reshape(*W1.shape[:-2], H, n)
    return Z + b1[..., None]


def forward(params: Array, X: Array, activation: Activation) -> Forward:
    """Run the network(s) ``params (..., P)`` on inputs ``X (n, 2)`` shared by every run."""
    _, _, w2, b2 = unpack(params)
    Z = pre_activations(params, X)
    A, fprime = activation.f_df(Z)
    out = (w2[..., None, :] @ A)[..., 0, :] + b2[..., None]
    return Forward(Z, A, fprime, out)


def predict(params: Array, X: Array, activation: Activation) -> Array:
    """Network output(s) ``(..., n)`` for inputs ``X (n, 2)``."""
    return forward(params, X, activation).out


def mse(params: Array, X: Array, y: Array, activation: Activation) -> Array:
    """Mean squared error over the ``n`` points, one value per run, shape ``(...)``."""
    r = predict(params, X, activation) - y
    return np.mean(r * r, axis=-1)


def loss_and_grad(params: Array, X: Array, y: Array, activation: Activation) -> tuple[Array, Array]:
    """MSE and its exact gradient by backpropagation, batched over runs.

    Parameters
    ----------
    params : ndarray of shape (..., P)
        One parameter vector per run.
    X : ndarray of shape (n, 2)
        Inputs, shared by all runs.
    y : ndarray of shape (n,)
        Targets.
    activation : Activation
        Hidden-unit nonlinearity.

    Returns
    -------
    loss : ndarray of shape (...)
        ``mean((y_hat - y)^2)`` per run.
    grad : ndarray of shape (..., P)
        ``d loss / d params`` in the same packed layout.

    Notes
    -----
    With residuals ``r = y_hat - y``, ``d = 2 r / n`` and ``dZ = (w_2 d^T) * f'(Z)``
    (shape ``(H, n)``):

    .. math::

        \\partial_{b_2} L = \\textstyle\\sum_n d_n, \\quad
        \\partial_{w_2} L = A d, \\quad
        \\partial_{b_1} L = \\textstyle\\sum_n dZ_{:, n}, \\quad
        \\partial_{W_1} L = dZ \\, X .

    Examples
    --------
    >>> from netlab._activations import get_activation
    >>> X, y = np.array([[1.0, 0.0]]), np.array([1.0])
    >>> params = pack(np.array([[1.0, 0.0]]), np.zeros(1), np.ones(1), 0.5)
    >>> loss, grad = loss_and_grad(params, X, y, get_activation("relu"))
    >>> float(loss), grad.tolist()
    (0.25, [1.0, 0.0, 1.0, 1.0, 1.0])
    """
    _, _, w2, _ = unpack(params)
    _, A, fprime, out = forward(params, X, activation)
    r = out - y
    loss = np.mean(r * r, axis=-1)
    d = (2.0 / r.shape[-1]) * r
    dZ = fprime * (w2[..., :, None] * d[..., None, :])
    H, n = dZ.shape[-2:]
    gW1 = (dZ.reshape(-1, n) @ X).reshape(*dZ.shape[:-2], H, 2)
    gb1 = dZ.sum(axis=-1)
    gw2 = (A @ d[..., :, None])[..., 0]
    gb2 = d.sum(axis=-1)
    return loss, pack(gW1, gb1, gw2, gb2)
