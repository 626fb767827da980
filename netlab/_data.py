"""Training data for the lab: points in the plane and their distance to the origin."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Domain = Literal["disc", "square"]
DOMAINS: tuple[Domain, ...] = ("disc", "square")


class Dataset(NamedTuple):
    """Inputs ``X`` of shape ``(n, 2)`` and targets ``y = |x + iy|`` of shape ``(n,)``."""

    X: Array
    y: Array


def target(X: npt.ArrayLike) -> Array:
    """Return the target ``|x + iy| = sqrt(x^2 + y^2)`` of points ``(..., 2)``.

    Examples
    --------
    >>> target([[3.0, 4.0], [0.0, -2.0]])
    array([5., 2.])
    """
    return np.hypot(*np.moveaxis(np.asarray(X, dtype=np.float64), -1, 0))


def make_data(
    rng: np.random.Generator, n: int, *, domain: Domain = "disc", radius: float = 1.0
) -> Dataset:
    """Draw `n` points uniformly in a disc or a square and label them with their norm.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the data are a pure function of its state).
    n : int
        Number of points, at least 1.
    domain : {"disc", "square"}
        ``"disc"``: uniform in the disc of radius `radius` (``r = radius * sqrt(u)``);
        ``"square"``: uniform in ``[-radius, radius]^2``.
    radius : float
        Size of the domain.

    Returns
    -------
    Dataset
        ``X`` of shape ``(n, 2)`` and ``y = target(X)`` of shape ``(n,)``.

    Examples
    --------
    >>> data = make_data(np.random.default_rng(0), 5)
    >>> data.X.shape, data.y.shape, bool(np.all(data.y <= 1.0))
    ((5, 2), (5,), True)
    """
    if n < 1:
        raise ValueError(f"Invalid number of points: {n}")
    if not radius > 0:
        raise ValueError(f"Invalid radius: {radius}")
    if domain == "disc":
        r = radius * np.sqrt(rng.uniform(size=n))
        theta = rng.uniform(0.0, 2.0 * np.pi, size=n)
        X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)
    elif domain == "square":
        X = rng.uniform(-radius, radius, size=(n, 2))
    else:
        raise ValueError(f"Unknown domain: {domain!r} (choose from {', '.join(DOMAINS)})")
    return Dataset(X, target(X))
