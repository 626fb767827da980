"""Evaluate one network on a grid over the training domain, for surface plots."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from netlab._activations import get_activation
from netlab._data import Domain, target
from netlab._mlp import Array, predict


class SurfaceGrid(NamedTuple):
    """Coordinates ``X, Y`` and values ``Z_pred, Z_target``, all of one 2D shape."""

    X: Array
    Y: Array
    Z_pred: Array
    Z_target: Array


def surface_grid(
    params: Array,
    activation: str,
    *,
    radius: float = 1.0,
    domain: Domain = "disc",
    resolution: int = 61,
) -> SurfaceGrid:
    """Network output and target ``|x + iy|`` over the training domain.

    The disc is covered by a polar grid (``resolution // 2 + 1`` radii x ``resolution + 12``
    angles), so a surface plot has a round rim and the cone its exact tip; the square by a
    ``resolution x resolution`` grid.

    Examples
    --------
    >>> from netlab._mlp import init_params
    >>> g = surface_grid(init_params([0], 3)[0], "relu", resolution=5)
    >>> g.X.shape, float(np.abs(g.Z_target - np.hypot(g.X, g.Y)).max()), float(g.Z_target.max())
    ((3, 17), 0.0, 1.0)
    """
    if domain == "disc":
        r = np.linspace(0.0, radius, resolution // 2 + 1)
        theta = np.linspace(0.0, 2.0 * np.pi, resolution + 12)
        X, Y = r[:, None] * np.cos(theta), r[:, None] * np.sin(theta)
    else:
        xs = np.linspace(-radius, radius, resolution)
        X, Y = np.meshgrid(xs, xs)
    P = np.stack([X, Y], axis=-1).reshape(-1, 2)
    Z_pred = predict(np.asarray(params, dtype=np.float64), P, get_activation(activation))
    return SurfaceGrid(X, Y, Z_pred.reshape(X.shape), target(P).reshape(X.shape))
