"""Small pure helpers shared by the surface modules (coordinates, stacking, Newton, activations).

Everything here is vectorized over points of shape ``(..., 2)`` and allocates fresh arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from surfaces._surface import Array, Field


def coords(p: npt.ArrayLike) -> tuple[Array, Array]:
    """Split points of shape ``(..., 2)`` into float arrays ``x`` and ``y`` of shape ``(...)``.

    Parameters
    ----------
    p : array_like, shape (..., 2)
        Points with a trailing xy axis. Integers are promoted to float64.

    Returns
    -------
    x, y : ndarray, shape (...)
        The two coordinates (views of the float64 copy of ``p``).

    Raises
    ------
    ValueError
        If the trailing axis does not have length 2.

    Examples
    --------
    >>> x, y = coords([[1, 2], [3, 4]])
    >>> x, y
    (array([1., 3.]), array([2., 4.]))
    """
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"Expected points of shape (..., 2), got shape {arr.shape}")
    return arr[..., 0], arr[..., 1]


def stack_grad(gx: npt.ArrayLike, gy: npt.ArrayLike) -> Array:
    """Stack the partial derivatives into a gradient of shape ``(..., 2)``.

    Scalars broadcast against arrays, so constant components may be passed as floats.

    Examples
    --------
    >>> stack_grad(np.array([1.0, 2.0]), 0.0)
    array([[1., 0.],
           [2., 0.]])
    """
    # Filling a preallocated array beats broadcast_arrays + stack on the small batches of a
    # race, where this runs once per optimizer step (docs/performance.md).
    gx, gy = np.asarray(gx, np.float64), np.asarray(gy, np.float64)
    shape = gx.shape if gx.shape == gy.shape else np.broadcast_shapes(gx.shape, gy.shape)
    out = np.empty(shape + (2,))
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def stack_hessian(hxx: npt.ArrayLike, hxy: npt.ArrayLike, hyy: npt.ArrayLike) -> Array:
    """Assemble the symmetric Hessian ``[[hxx, hxy], [hxy, hyy]]`` of shape ``(..., 2, 2)``.

    Scalars broadcast against arrays, so constant entries may be passed as floats.

    Examples
    --------
    >>> stack_hessian(2.0, np.array([0.0, 1.0]), -2.0)[1]
    array([[ 2.,  1.],
           [ 1., -2.]])
    """
    hxx, hxy, hyy = (np.asarray(h, np.float64) for h in (hxx, hxy, hyy))
    out = np.empty(np.broadcast_shapes(hxx.shape, hxy.shape, hyy.shape) + (2, 2))
    out[..., 0, 0] = hxx
    out[..., 0, 1] = hxy
    out[..., 1, 0] = hxy
    out[..., 1, 1] = hyy
    return out


def constant_hessian(x: Array, hxx: float, hxy: float, hyy: float) -> Array:
    """Return the constant Hessian ``[[hxx, hxy], [hxy, hyy]]`` broadcast to ``x.shape + (2, 2)``.

    Examples
    --------
    >>> constant_hessian(np.zeros(3), 1.0, 0.0, 1.0).shape
    (3, 2, 2)
    """
    one = np.ones_like(x)
    return stack_hessian(hxx * one, hxy * one, hyy * one)


def newton_refine(
    grad: Field, hessian: Field, guesses: npt.ArrayLike, *, steps: int = 8, max_shift: float = 0.1
) -> Array:
    """Polish approximate critical points with a fixed number of Newton steps on ``grad = 0``.

    Used at import time to turn literature values (a few digits) into critical points exact to
    float64, from the same exact gradient and Hessian that the app uses. Deterministic and pure.

    Parameters
    ----------
    grad, hessian : callable
        Vectorized gradient ``(..., 2) -> (..., 2)`` and Hessian ``(..., 2) -> (..., 2, 2)``.
    guesses : array_like, shape (k, 2)
        Starting points, each close to a non-degenerate critical point.
    steps : int, optional
        Number of Newton iterations (quadratic convergence: 8 is plenty from 4 digits).
    max_shift : float, optional
        Largest allowed distance between a guess and its refined point.

    Returns
    -------
    ndarray, shape (k, 2)
        The refined critical points.

    Raises
    ------
    ValueError
        If a point moved by more than ``max_shift`` (a wrong guess converging elsewhere).

    Examples
    --------
    >>> newton_refine(lambda p: p**3 - p, lambda p: np.eye(2) * (3 * p**2 - 1)[..., None],
    ...               [[0.95, -1.05]])
    array([[ 1., -1.]])
    """
    start = np.asarray(guesses, dtype=np.float64).reshape(-1, 2)
    p = start
    for _ in range(steps):
        p = p - np.linalg.solve(hessian(p), grad(p)[..., None])[..., 0]
    shift = np.linalg.norm(p - start, axis=-1)
    if np.any(shift > max_shift):
        raise ValueError(f"Newton refinement moved a guess by {shift.max():.3g} > {max_shift}")
    return p


def sigmoid(z: npt.ArrayLike) -> Array:
    """Logistic sigmoid ``1 / (1 + exp(-z))`` without overflow and with full relative precision.

    Both branches use ``exp(-|z|) <= 1``, so ``sigmoid(-800)`` is a tiny positive number (or an
    underflowed 0) rather than an overflow warning.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(z: npt.ArrayLike) -> Array:
    """Softplus ``log(1 + exp(z))``, computed stably as ``logaddexp(0, z)``.

    Examples
    --------
    >>> softplus(np.array([-1000.0, 1000.0]))
    array([   0., 1000.])
    >>> float(softplus(0.0))
    0.6931471805599453
    """
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))
