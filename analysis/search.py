r"""Random search versus grid search with the same budget (Bergstra & Bengio, 2012).

The CS231n notes argue that random search beats grid search: with ``N`` trials a
``sqrt(N) x sqrt(N)`` grid tries only ``sqrt(N)`` distinct values of each hyperparameter,
while ``N`` random trials try ``N`` distinct values of each. When one hyperparameter matters
much more than the other (here usually ``lr``), the grid wastes most of its budget repeating
the same few learning rates. Learning rates are sampled as in the notes,
``lr = 10 ** uniform(log10(lo), log10(hi))`` (the notes use ``10 ** uniform(-6, 1)``).

`compare_search` measures this on the *sweep's objective* (the loss after ``steps`` steps from
the chosen start), with every sample of every seed in **one** batch run, and says plainly
when random search is not better on a given surface.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import optimizers
from analysis.race import base_name
from analysis.sweep import gap_tolerance, reduce_runs, resolve_param, score, with_param
from surfaces import Surface

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SearchComparison:
    """Grid and random samples with their scores (lower is better, ``inf`` = diverged).

    Attributes
    ----------
    x_name, y_name : str
        The searched parameters (``lr`` and ``momentum`` usually).
    x_range, y_range : (lo, hi)
        The box searched by both methods.
    x_log, y_log : bool
        Whether an axis is searched in log space (lattice log-spaced, samples log-uniform).
    budget : int
        Trials per method (``k * k`` for a ``k x k`` grid).
    criterion : str
        ``"final_loss"``: score = ``log10(f - f*)`` after ``steps`` steps (floored at -12);
        ``"steps_to_tol"``: steps to reach the tolerance. See `analysis.sweep.score`.
    grid_points : (budget, 2) array
        ``(x, y)`` of the grid trials (the same for every seed).
    grid_scores : (budget,) array
    random_points : (seeds, budget, 2) array
    random_scores : (seeds, budget) array
    """

    x_name: str
    y_name: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_log: bool
    y_log: bool
    budget: int
    criterion: str
    grid_points: Array
    grid_scores: Array
    random_points: Array
    random_scores: Array

    @property
    def seeds(self) -> int:
        return int(self.random_scores.shape[0])

    @property
    def grid_best(self) -> float:
        """Best score of the grid."""
        return float(self.grid_scores.min())

    @property
    def random_best(self) -> Array:
        """Best score of the random trials, per seed."""
        return self.random_scores.min(axis=1)

    @property
    def random_best_mean(self) -> float:
        """Mean over seeds of random search's best score, over the seeds that found a
        finite one (``inf`` if none did); see `random_failures`."""
        finite = self.random_best[np.isfinite(self.random_best)]
        return float(finite.mean()) if finite.size else float("inf")

    @property
    def random_failures(self) -> int:
        """Seeds whose every random trial diverged (or never reached the tolerance)."""
        return int(np.count_nonzero(~np.isfinite(self.random_best)))

    @property
    def grid_best_point(self) -> Array:
        return self.grid_points[int(np.argmin(self.grid_scores))]

    def random_best_points(self) -> Array:
        """``(seeds, 2)``: each seed's best random trial."""
        idx = np.argmin(self.random_scores, axis=1)
        return self.random_points[np.arange(self.seeds), idx]

    @property
    def win_rate(self) -> float:
        """Fraction of seeds where random search found a strictly better score."""
        return float(np.mean(self.random_best < self.grid_best - 1e-9))

    @property
    def loss_rate(self) -> float:
        """Fraction of seeds where the grid was strictly better."""
        return float(np.mean(self.random_best > self.grid_best + 1e-9))

    @property
    def outcome(self) -> str:
        """``"random"`` if random search won more seeds than it lost and is not worse on
        average, ``"grid"`` for the mirror case, else ``"mixed"``."""
        wins, losses = self.win_rate, self.loss_rate
        r, g = self.random_best_mean, self.grid_best
        if wins > losses and r <= g:
            return "random"
        if losses > wins and r >= g:
            return "grid"
        return "mixed"

    def verdict(self) -> str:
        """One honest sentence for the lecture (which method won, how often, by how much)."""
        k = math.isqrt(self.budget)
        unit = "log10(f - f*)" if self.criterion == "final_loss" else "steps to tolerance"
        failed = f"; {self.random_failures} seeds found nothing" if self.random_failures else ""
        nums = (f"best {unit}: random {_fmt(self.random_best_mean)} on average{failed}, "
                f"grid {_fmt(self.grid_best)}")
        wins = round(self.win_rate * self.seeds)
        losses = round(self.loss_rate * self.seeds)
        tally = (f"random search won {wins}, tied {self.seeds - wins - losses} and lost "
                 f"{losses} of {self.seeds} seeds")
        same = f"with the same budget of {self.budget} trials as the {k}x{k} grid"
        head = {
            "random": "Random search beat grid search",
            "grid": "Here random search is NOT better than grid search",
            "mixed": "Neither search is clearly better here",
        }[self.outcome]
        return f"{head} {same}: {tally} ({nums})."

    def overlay(self, seed: int = 0) -> dict[str, tuple[Array, Array]]:
        """Sample coordinates to draw on a sweep map: label -> ``(xs, ys)``."""
        rp = self.random_points[seed]
        best_r = self.random_best_points()[seed]
        best_g = self.grid_best_point
        return {
            "grid search": (self.grid_points[:, 0], self.grid_points[:, 1]),
            "random search": (rp[:, 0], rp[:, 1]),
            "grid best": (best_g[:1], best_g[1:]),
            "random best": (best_r[:1], best_r[1:]),
        }


def _fmt(v: float) -> str:
    return "none converged" if not math.isfinite(v) else f"{v:.3g}"


def grid_samples(
    x_range: tuple[float, float], y_range: tuple[float, float], k: int,
    x_log: bool = True, y_log: bool = False,
) -> Array:
    """A ``k x k`` lattice of cell centres over the box, ``(k*k, 2)`` (log-spaced on log axes).

    Cell centres rather than edges: a grid that includes the box's corners spends its
    budget on the extremes (the largest lr usually diverges).

    Examples
    --------
    >>> grid_samples((1e-3, 1e-1), (0.0, 1.0), 2)
    array([[0.00316228, 0.25      ],
           [0.03162278, 0.25      ],
           [0.00316228, 0.75      ],
           [0.03162278, 0.75      ]])
    """
    u = (np.arange(k) + 0.5) / k
    xs, ys = _from_unit(u, x_range, x_log), _from_unit(u, y_range, y_log)
    X, Y = np.meshgrid(xs, ys)
    return np.stack([X.ravel(), Y.ravel()], axis=-1)


def random_samples(
    x_range: tuple[float, float], y_range: tuple[float, float], n: int,
    rng: np.random.Generator, x_log: bool = True, y_log: bool = False, seeds: int = 1,
) -> Array:
    """``(seeds, n, 2)`` samples, each coordinate uniform (or log-uniform) over its range.

    On a log axis this is the notes' ``10 ** uniform(log10(lo), log10(hi))``.
    """
    u = rng.uniform(size=(seeds, n, 2))
    return np.stack(
        [_from_unit(u[..., 0], x_range, x_log), _from_unit(u[..., 1], y_range, y_log)], axis=-1
    )


def _from_unit(u: Array, rng_: tuple[float, float], log: bool) -> Array:
    lo, hi = rng_
    if log:
        return 10.0 ** (np.log10(lo) + u * (np.log10(hi) - np.log10(lo)))
    return lo + u * (hi - lo)


def compare_search(
    surface: Surface,
    optimizer_name: str,
    base_hparams: Mapping[str, Any] | None = None,
    *,
    x_param: str = "lr",
    x_range: tuple[float, float] = (1e-4, 1.0),
    y_param: str = "momentum",
    y_range: tuple[float, float] = (0.0, 0.99),
    budget: int = 25,
    seeds: int = 50,
    rng: np.random.Generator,
    start: tuple[float, float] | None = None,
    steps: int = 300,
    tol: float = 1e-3,
    criterion: str = "final_loss",
    x_log: bool | None = None,
    y_log: bool | None = None,
) -> SearchComparison:
    """Grid search versus random search with ``budget`` trials each, over ``seeds`` seeds.

    The grid is the ``k x k`` lattice of cell centres with ``k = isqrt(budget)`` (so the
    budget used is ``k * k``); the random trials are ``k * k`` independent samples per seed.
    Grid and all random trials of all seeds run as one batch of ``(1 + seeds) * k * k`` runs.

    Parameters
    ----------
    surface, optimizer_name, base_hparams, start, steps, tol
        As for `analysis.sweep.sweep` (the objective is the sweep map's).
    x_param, y_param : str
        Searched parameters, over ``x_range`` and ``y_range``.
    budget : int
        Trials per method (rounded down to a square).
    seeds : int
        Independent repetitions of random search (the fixed grid needs only one).
    rng : numpy.random.Generator
        Source of the random samples.
    criterion : {"final_loss", "steps_to_tol"}
        Objective; diverged trials score ``inf``.
    x_log, y_log : bool, optional
        Search in log space; default: log for ``lr``-like parameters (`ParamRef.log_scale`).

    Returns
    -------
    SearchComparison
    """
    k = math.isqrt(int(budget))
    if k < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    xref, schedule = resolve_param(x_param, optimizer_name)
    yref, schedule = resolve_param(y_param, optimizer_name, schedule)
    x_log = xref.log_scale if x_log is None else x_log
    y_log = yref.log_scale if y_log is None else y_log
    n = k * k
    grid = grid_samples(x_range, y_range, k, x_log, y_log)
    rand = random_samples(x_range, y_range, n, rng, x_log, y_log, seeds)
    allp = np.concatenate([grid, rand.reshape(-1, 2)])
    defaults = optimizers.defaults(base_name(optimizer_name))
    hp, sk = with_param(dict(base_hparams or {}), {}, xref, allp[:, 0], defaults)
    hp, sk = with_param(hp, sk, yref, allp[:, 1], defaults)
    opt = optimizers.make(base_name(optimizer_name), **hp)
    sched = None if schedule is None else optimizers.make_schedule(schedule, **sk)
    start = surface.start if start is None else start
    f_star, gap_tol = gap_tolerance(surface, tol)
    out = reduce_runs(surface, opt, np.asarray(start, dtype=np.float64), steps,
                      tol=gap_tol, f_star=f_star, schedule=sched)
    log = bool(np.isfinite(f_star))
    gap = out.final_loss - f_star if log else out.final_loss
    s = score(gap, out.steps_to_tol, criterion, log=log)
    for a in (grid, rand):
        a.flags.writeable = False
    return SearchComparison(
        x_name=x_param, y_name=y_param, x_range=(float(x_range[0]), float(x_range[1])),
        y_range=(float(y_range[0]), float(y_range[1])), x_log=bool(x_log), y_log=bool(y_log),
        budget=n, criterion=criterion, grid_points=grid, grid_scores=s[:n],
        random_points=rand, random_scores=s[n:].reshape(seeds, n),
    )
