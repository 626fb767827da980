"""Basins of attraction: which minimum an optimizer reaches from every start of a grid.

Every start of a ``resolution x resolution`` grid over the surface's bounds is one run of a
single batch (the starts are the batch; the hyperparameters are shared), run in blocks of
rows to bound memory. Only the final points are kept: each is labelled by the listed
minimum it ended next to, ``NOT_CONVERGED`` if it is next to none (stuck on a plateau or a
saddle, or still on its way), or ``DIVERGED``.

The picture is the lesson of non-convex optimization: the answer depends on the start *and*
on the optimizer. Momentum's basins are not gradient descent's: it can coast over a ridge
into the next valley, so its basin boundaries move and interleave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.race import base_name
from analysis.sweep import SECOND_ORDER, map_blocks
from surfaces import Bounds, Surface

Array = npt.NDArray[np.float64]

NOT_CONVERGED = -1
"""Label of a run that ended next to no listed minimum."""
DIVERGED = -2
"""Label of a run that diverged (left ``|coordinate| <= 1e6`` or became non-finite)."""

CHUNK_RUNS = 30000
"""Default number of starts per block (rows of the grid are grouped up to about this many)."""


@dataclass(frozen=True, eq=False)
class BasinResult:
    """Labels of a grid of starts: ``labels[i, j]`` is the fate of start ``(xs[j], ys[i])``.

    Attributes
    ----------
    surface, optimizer : str
        Names.
    hparams : Mapping
        The optimizer's hyperparameters (as given).
    xs, ys : (res,) arrays
        The grid's axes (start x = columns, start y = rows).
    labels : (res, res) int8 array
        Index into ``minima`` of the minimum reached, `NOT_CONVERGED` (-1) or `DIVERGED` (-2).
    minima : (k, 2) array
        The surface's listed minima.
    steps : int
        Steps per run.
    radius : float
        A run "reached" a minimum if it ended closer than ``radius`` to it.
    grad_tol : float or None
        If set, a run also needed ``|grad| < grad_tol`` at its final point.
    """

    surface: str
    optimizer: str
    hparams: Mapping[str, Any]
    xs: Array
    ys: Array
    labels: npt.NDArray[np.int8]
    minima: Array
    steps: int
    radius: float
    grad_tol: float | None

    def fractions(self) -> dict[int, float]:
        """Share of starts per label (every minimum's index, -1 and -2), summing to 1."""
        keys = [*range(len(self.minima)), NOT_CONVERGED, DIVERGED]
        total = self.labels.size
        return {k: float(np.count_nonzero(self.labels == k)) / total for k in keys}


def default_radius(surface: Surface) -> float:
    """A quarter of the smallest distance between two listed minima, at most 5% of the
    smaller side of the bounds (so neighbouring basins never share a disc).

    Examples
    --------
    >>> from surfaces import get_surface
    >>> round(default_radius(get_surface("himmelblau")), 6)
    0.5
    """
    (x0, x1), (y0, y1) = surface.bounds
    radius = 0.05 * min(x1 - x0, y1 - y0)
    m = surface.minima
    if len(m) > 1:
        d = np.linalg.norm(m[:, None, :] - m[None, :, :], axis=-1)
        radius = min(radius, 0.25 * float(d[np.triu_indices(len(m), 1)].min()))
    return float(radius)


def start_grid(bounds: Bounds, resolution: int) -> tuple[Array, Array]:
    """The axes ``(xs, ys)`` of a ``resolution x resolution`` grid of starts over ``bounds``.

    Cell centres, so no start sits exactly on the border (or on a symmetry axis through
    the middle when ``resolution`` is even).
    """
    (x0, x1), (y0, y1) = bounds
    k = (np.arange(resolution) + 0.5) / resolution
    return x0 + k * (x1 - x0), y0 + k * (y1 - y0)


def label_points(
    points: npt.ArrayLike,
    alive: npt.ArrayLike,
    minima: npt.ArrayLike,
    radius: float,
    grad: Array | None = None,
    grad_tol: float | None = None,
) -> npt.NDArray[np.int8]:
    """Label final points: nearest minimum within ``radius`` (and ``|grad| < grad_tol`` if
    given), else `NOT_CONVERGED`; `DIVERGED` where not ``alive``.

    Examples
    --------
    >>> label_points([[0.05, 0.0], [0.5, 0.5], [9.0, 9.0]], [True, True, False],
    ...              [[0.0, 0.0], [1.0, 1.0]], radius=0.1)
    array([ 0, -1, -2], dtype=int8)
    """
    p = np.asarray(points, dtype=np.float64)
    m = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
    labels = np.full(p.shape[:-1], NOT_CONVERGED, dtype=np.int8)
    if len(m):
        best = np.full(p.shape[:-1], np.inf)
        for k, (mx, my) in enumerate(m):  # k minima: a few passes over the block
            d2 = (p[..., 0] - mx) ** 2 + (p[..., 1] - my) ** 2
            closer = d2 < best
            best = np.where(closer, d2, best)
            labels = np.where(closer, np.int8(k), labels)
        near = best < radius * radius
        if grad is not None and grad_tol is not None:
            g = np.asarray(grad, dtype=np.float64)
            near &= np.hypot(g[..., 0], g[..., 1]) < grad_tol
        labels = np.where(near, labels, np.int8(NOT_CONVERGED))
    return np.where(np.asarray(alive, dtype=bool), labels, np.int8(DIVERGED)).astype(np.int8)


def final_points(
    surface: Surface,
    optimizer: optimizers.Optimizer,
    starts: npt.ArrayLike,
    steps: int,
    schedule: optimizers.Schedule | None = None,
) -> tuple[Array, npt.NDArray[np.bool_]]:
    """Run every start and return only ``(final points, alive)``; no path is stored.

    Stops early once every run has diverged (their points are frozen from then on).
    """
    hess_fn = surface.hessian if optimizer.name in SECOND_ORDER else None
    previous = last = None
    with np.errstate(all="ignore"):
        runs = optimizers.iterate(
            optimizer, surface.grad, starts, steps, schedule=schedule, hess_fn=hess_fn
        )
        for last in runs:
            alive = last[2]
            if alive is not previous and previous is not None and not alive.any():
                break  # every run diverged: all points are frozen
            previous = alive
    _, p, alive = last
    return np.array(p), np.array(alive)


def basins(
    surface: Surface,
    optimizer_name: str,
    hparams: Mapping[str, Any] | None = None,
    resolution: int = 200,
    steps: int = 300,
    *,
    radius: float | None = None,
    grad_tol: float | None = None,
    bounds: Bounds | None = None,
    schedule: str | None = None,
    schedule_kwargs: Mapping[str, Any] | None = None,
    chunk: int | None = None,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
) -> BasinResult:
    """Label every start of a grid by the minimum ``optimizer_name`` reaches from it.

    Parameters
    ----------
    surface : Surface
        Should list its minima (``surface.minima``); without any, every converged start is
        `NOT_CONVERGED`.
    optimizer_name : str
        A key of ``optimizers.OPTIMIZERS``; ``hparams`` its scalar hyperparameters.
    resolution : int
        Starts per axis (``resolution**2`` runs).
    steps : int
        Steps per run.
    radius : float, optional
        Distance under which a final point counts as at a minimum (`default_radius`).
    grad_tol : float, optional
        Also require a small gradient norm there (rules out a run just passing by).
    bounds : ((x0, x1), (y0, y1)), optional
        Region of starts; default ``surface.bounds``.
    schedule : str, optional
        Learning-rate schedule name; ``schedule_kwargs`` its arguments.
    chunk : int, optional
        Rows of starts per block (default: about `CHUNK_RUNS` starts per block).
    workers : int
        Threads running blocks concurrently (results do not depend on it).
    progress : callable, optional
        Called with the fraction done after each block, in the calling thread.

    Returns
    -------
    BasinResult
    """
    if resolution < 1:
        raise ValueError(f"resolution must be >= 1, got {resolution}")
    hp = dict(hparams or {})
    opt = optimizers.make(base_name(optimizer_name), **hp)
    sched = None if schedule is None else optimizers.make_schedule(
        schedule, **dict(schedule_kwargs or {}))
    box = surface.bounds if bounds is None else bounds
    xs, ys = start_grid(box, resolution)
    r = default_radius(surface) if radius is None else float(radius)
    rows = chunk or max(1, CHUNK_RUNS // resolution)
    blocks = [(i, min(i + rows, resolution)) for i in range(0, resolution, rows)]

    def block(span: tuple[int, int]) -> npt.NDArray[np.int8]:
        i0, i1 = span
        X, Y = np.meshgrid(xs, ys[i0:i1])
        p, alive = final_points(surface, opt, np.stack([X, Y], axis=-1), steps, sched)
        g = None
        if grad_tol is not None:
            with np.errstate(all="ignore"):
                g = surface.grad(p)
        return label_points(p, alive, surface.minima, r, g, grad_tol)

    labels = np.empty((resolution, resolution), dtype=np.int8)
    for k, ((i0, i1), out) in enumerate(map_blocks(block, blocks, workers)):
        labels[i0:i1] = out
        if progress is not None:
            progress((k + 1) / len(blocks))
    for a in (labels, xs, ys):
        a.flags.writeable = False
    return BasinResult(
        surface=surface.name, optimizer=optimizer_name, hparams=hp, xs=xs, ys=ys,
        labels=labels, minima=surface.minima, steps=int(steps), radius=r, grad_tol=grad_tol,
    )
