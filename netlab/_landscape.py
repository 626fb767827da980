"""A real network's loss landscape as a 2D `Surface` (Li et al., 2018).

The training loss is sliced through trained weights ``theta*`` along two random directions
``delta_1, delta_2`` that are *filter-normalized*: every hidden unit's incoming weights (a row
of ``W1``) and the output unit's incoming weights (``w2``) get the norm of the corresponding
weights of ``theta*``, and the bias directions are zero (the paper's ``ignore="biasbn"``).
So a step of 1 along a direction is "as large as the weights themselves", whatever their scale.

The surface ``L(a, b) = MSE(theta* + a delta_1 + b delta_2)`` has an exact gradient and an
exact Hessian (almost everywhere: across a ReLU kink the Hessian jumps), from the chain rule
along the plane, so the optimizers of the library can race on it like on any other surface.

References
----------
H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein, "Visualizing the Loss Landscape of Neural
Nets", NeurIPS 2018.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from netlab._activations import Activation, get_activation
from netlab._data import Dataset
from netlab._mlp import Array, pack, pre_activations, unpack
from surfaces import Surface

BLOCK_POINTS = 256
"""Landscape points evaluated per block (bounds the ``(points, H, n)`` temporaries)."""


def filter_normalized_directions(
    params: npt.ArrayLike, rng: np.random.Generator, *, count: int = 2
) -> Array:
    """Random directions ``(count, P)`` scaled filter by filter to the weights of `params`.

    Parameters
    ----------
    params : array of shape (4H + 1,)
        The weights the directions are normalized to (usually trained weights).
    rng : numpy.random.Generator
        Draws the Gaussian directions.
    count : int
        Number of directions.

    Returns
    -------
    ndarray of shape (count, 4H + 1)
        Row ``h`` of each direction's ``W1`` has the norm of row ``h`` of ``W1``; its ``w2``
        the norm of ``w2``; its biases are zero.

    Examples
    --------
    >>> from netlab._mlp import init_params
    >>> p = init_params([0], 3)[0]
    >>> d = filter_normalized_directions(p, np.random.default_rng(1))
    >>> w, dw = unpack(p), unpack(d[0])
    >>> bool(np.allclose(np.linalg.norm(dw.W1, axis=1), np.linalg.norm(w.W1, axis=1)))
    True
    >>> float(np.abs(dw.b1).max()), float(dw.b2)
    (0.0, 0.0)
    """
    params = np.asarray(params, dtype=np.float64)
    w = unpack(params)
    raw = unpack(rng.standard_normal((count, params.size)))

    def scaled(d: Array, ref: Array) -> Array:
        norm = np.linalg.norm(d, axis=-1, keepdims=True)
        return d * np.linalg.norm(ref, axis=-1, keepdims=True) / np.where(norm > 0, norm, 1.0)

    return pack(
        scaled(raw.W1, w.W1),
        np.zeros_like(raw.b1),
        scaled(raw.w2, w.w2),
        np.zeros_like(raw.b2),
    )


def _derivatives(
    points: Array,
    origin: Array,
    directions: Array,
    X: Array,
    y: Array,
    act: Activation,
    order: int = 2,
) -> tuple[Array, ...]:
    """Loss (M,), then gradient (M, 2), then Hessian (M, 2, 2) at points (M, 2) of the plane,
    up to derivative ``order`` (a race asks only for gradients: the Hessian's terms are most
    of the work)."""
    theta = origin + points @ directions  # (M, P)
    Z = pre_activations(theta, X)  # (M, H, n)
    A, dA = act.f_df(Z)
    w = unpack(theta)
    out = np.einsum("mh,mhn->mn", w.w2, A) + w.b2[:, None]
    r = out - y
    n = X.shape[0]
    value = np.mean(r * r, axis=-1)
    if order == 0:
        return (value,)
    D = unpack(directions)  # W1 (2, H, 2), b1 (2, H), w2 (2, H), b2 (2,)
    dz = D.W1 @ X.T + D.b1[..., None]  # (2, H, n): d Z / d(a, b), the same at every point
    wdA = w.w2[:, :, None] * dA  # (M, H, n)
    if order == 1:
        # df/dk = sum_h [dw2_k,h A_h + w2_h f'(z_h) dz_k,h] + db2_k, summed against r over
        # the samples first, so no (M, 2, n) array is built
        m = points.shape[0]
        rA = (A @ r[:, :, None])[..., 0]  # (M, H)
        rwdA = (wdA * r[:, None, :]).reshape(m, -1)  # (M, H n)
        grad = rA @ D.w2.T + rwdA @ dz.reshape(2, -1).T + r.sum(axis=-1)[:, None] * D.b2
        return value, (2.0 / n) * grad
    fk = np.stack(
        [
            np.einsum("h,mhn->mn", D.w2[k], A) + np.einsum("mhn,hn->mn", wdA, dz[k]) + D.b2[k]
            for k in range(2)
        ],
        axis=1,
    )  # (M, 2, n)
    grad = (2.0 / n) * np.einsum("mn,mkn->mk", r, fk)
    wd2 = w.w2[:, :, None] * act.d2(Z, A, dA)
    fkl = np.empty((points.shape[0], 2, 2, X.shape[0]))
    for k in range(2):
        for j in range(k, 2):
            fkl[:, k, j] = (
                np.einsum("h,mhn,hn->mn", D.w2[k], dA, dz[j])
                + np.einsum("h,mhn,hn->mn", D.w2[j], dA, dz[k])
                + np.einsum("mhn,hn->mn", wd2, dz[k] * dz[j])
            )
            fkl[:, j, k] = fkl[:, k, j]
    hess = (2.0 / n) * (np.einsum("mkn,mjn->mkj", fk, fk) + np.einsum("mn,mkjn->mkj", r, fkl))
    return value, grad, hess


def landscape_surface(
    params: npt.ArrayLike,
    data: Dataset,
    activation: str,
    rng: np.random.Generator,
    *,
    span: float = 1.0,
    name: str = "network_slice",
) -> Surface:
    """The training loss of a 2-H-1 network around `params`, as a 2D `Surface`.

    Parameters
    ----------
    params : array of shape (4H + 1,)
        Centre of the slice (e.g. one run's trained weights).
    data : Dataset
        Training set of the loss.
    activation : str
        Hidden activation.
    rng : numpy.random.Generator
        Draws the two filter-normalized directions.
    span : float
        The plotting window is ``[-span, span]^2`` (in units of the filter norms).
    name : str
        Registry-style name of the surface.

    Returns
    -------
    Surface
        ``value``, ``grad`` and ``hessian`` take points ``(..., 2)``; ``minima`` holds the
        origin (the trained weights).

    Examples
    --------
    >>> from netlab._data import make_data
    >>> from netlab._mlp import init_params, mse
    >>> data = make_data(np.random.default_rng(0), 32)
    >>> p = init_params([0], 3)[0]
    >>> s = landscape_surface(p, data, "relu", np.random.default_rng(0))
    >>> bool(np.isclose(s.value(np.zeros(2)), mse(p, data.X, data.y, get_activation("relu"))))
    True
    >>> s.grad(np.zeros((4, 5, 2))).shape, s.hessian(np.zeros(2)).shape
    ((4, 5, 2), (2, 2))
    """
    origin = np.array(params, dtype=np.float64)
    directions = filter_normalized_directions(origin, rng)
    X, y = np.array(data.X), np.array(data.y)
    for arr in (origin, directions, X, y):
        arr.setflags(write=False)
    act = get_activation(activation)

    def evaluate(p: npt.ArrayLike, which: int) -> Array:
        p = np.asarray(p, dtype=np.float64)
        flat = p.reshape(-1, 2)
        parts = [
            _derivatives(flat[s : s + BLOCK_POINTS], origin, directions, X, y, act, which)[which]
            for s in range(0, max(flat.shape[0], 1), BLOCK_POINTS)
        ]
        out = np.concatenate(parts, axis=0)
        return out.reshape(p.shape[:-1] + out.shape[1:])

    return Surface(
        name=name,
        title=f"2-{unpack(origin).w2.size}-1 {act.title} network, loss slice",
        formula=r"L(\theta^* + a\,\delta_1 + b\,\delta_2)",
        value=lambda p: evaluate(p, 0),
        grad=lambda p: evaluate(p, 1),
        hessian=lambda p: evaluate(p, 2),
        bounds=((-span, span), (-span, span)),
        minima=[(0.0, 0.0)],
        start=(0.7 * span, 0.5 * span),
        description=(
            "The training loss of a real network around its trained weights, along two random "
            "filter-normalized directions (Li et al., 2018)."
        ),
        log_levels=True,
        # one gradient is a pass over every sample through every hidden unit
        cost=float(X.shape[0] * unpack(origin).w2.size),
    )
