"""Reference fits of the cone: what a few well-placed ReLU units can reach at all.

A *regular k-pyramid* is ``a * sum_j relu(u_j . x) + c`` with ``k`` unit vectors ``u_j`` spread
evenly around the circle (lines through the origin): ``k = 1`` is a ramp, ``k = 2`` the valley
``a |u . x| + c``, ``k = 3`` the hexagonal pyramid the question hoped three ReLUs would find.
Each is exactly a 2-k-1 ReLU network, so its loss bounds the best loss of that network from
above; for ``k = 3`` it is within about 10 % of the best of 256 long Adam runs (see
docs/netlab_results.md).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from netlab._data import Dataset

PYRAMID_FACTOR = 2.0
"""Success: final MSE within this factor of the hexagonal (3-ReLU) pyramid's MSE."""


def pyramid_loss(data: Dataset, k: int, *, angles: int = 720) -> float:
    """Least-squares MSE of the best regular `k`-pyramid on `data`.

    Parameters
    ----------
    data : Dataset
        Points and targets.
    k : int
        Number of ReLU units (``>= 1``), evenly spread at angles ``phi + 2 pi j / k``.
    angles : int
        Rotations ``phi`` tried in ``[0, 2 pi / k)``; for each, ``a`` and ``c`` are fitted by
        least squares in closed form.

    Returns
    -------
    float
        The smallest MSE over the rotations.

    Examples
    --------
    >>> from netlab._data import make_data
    >>> data = make_data(np.random.default_rng(0), 400)
    >>> [round(pyramid_loss(data, k) / float(np.var(data.y)), 3) for k in (1, 2, 3, 8)]
    [0.893, 0.581, 0.014, 0.005]
    """
    if k < 1:
        raise ValueError(f"Invalid number of units: {k}")
    X, y = data
    phi = np.linspace(0.0, 2.0 * np.pi / k, angles, endpoint=False)
    theta = phi[:, None] + 2.0 * np.pi * np.arange(k) / k  # (angles, k)
    U = np.stack([np.cos(theta), np.sin(theta)], axis=-1)  # (angles, k, 2)
    g = np.maximum(U @ X.T, 0.0).sum(axis=-2)  # (angles, n) feature sum_j relu(u_j . x)
    gc = g - g.mean(axis=-1, keepdims=True)
    yc = y - y.mean()
    var_g = np.mean(gc * gc, axis=-1)
    cov = np.mean(gc * yc, axis=-1)
    explained = np.divide(cov * cov, var_g, out=np.zeros_like(cov), where=var_g > 0.0)
    return float(np.var(y) - explained.max())


class References(NamedTuple):
    """Losses of the reference shapes on one data set (all MSE)."""

    constant: float
    """Predicting the mean, ``var(y)``: what a network with every unit dead reaches."""
    ramp: float
    """One ReLU unit through the origin."""
    valley: float
    """Two opposite units: the "valley" the question's network usually got stuck in."""
    pyramid: float
    """Three units: the hexagonal pyramid."""

    @property
    def threshold(self) -> float:
        """Success threshold ``PYRAMID_FACTOR * pyramid``."""
        return PYRAMID_FACTOR * self.pyramid


def references(data: Dataset) -> References:
    """Compute the reference losses of `data` (cheap: docs/performance.md).

    Examples
    --------
    >>> from netlab._data import make_data
    >>> ref = references(make_data(np.random.default_rng(0), 200))
    >>> ref.constant > ref.ramp > ref.valley > ref.pyramid, ref.threshold == 2 * ref.pyramid
    (True, True)
    """
    return References(
        constant=float(np.var(data.y)),
        ramp=pyramid_loss(data, 1),
        valley=pyramid_loss(data, 2),
        pyramid=pyramid_loss(data, 3),
    )
