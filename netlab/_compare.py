"""Put the source documents' claims to the test: a paired grid of training configurations."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

import optimizers
from netlab._data import Dataset
from netlab._mlp import InitScheme, init_params
from netlab._train import TrainResult, train

GRID_ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "elu", "softplus", "tanh", "sigmoid")
GRID_HIDDEN: tuple[int, ...] = (3, 8)
GRID_OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
GRID_LR: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("relu", "sgd"): 0.1,
        ("relu", "adam"): 0.01,
        ("leaky_relu", "sgd"): 0.1,
        ("leaky_relu", "adam"): 0.1,
        ("elu", "sgd"): 0.3,
        ("elu", "adam"): 0.1,
        ("softplus", "sgd"): 0.3,
        ("softplus", "adam"): 0.1,
        ("tanh", "sgd"): 0.3,
        ("tanh", "adam"): 0.3,
        ("sigmoid", "sgd"): 0.3,
        ("sigmoid", "adam"): 0.1,
    }
)
"""Learning rate of each (activation, optimizer): the one with the most successes (H = 3 and
8 together; ties to the lower summed median loss) in a sweep over seeds 0-63, 2000 full-batch
steps (docs/netlab_results.md)."""
GRID_SEED_START = 1000
"""Evaluation seeds of the grid start here, away from the tuning seeds 0-63 of `GRID_LR`."""


def grid_seeds(runs: int = 64) -> range:
    """The evaluation seeds ``GRID_SEED_START, ..., GRID_SEED_START + runs - 1``."""
    return range(GRID_SEED_START, GRID_SEED_START + runs)


class GridConfig(NamedTuple):
    """One configuration of a comparison: activation, hidden units, optimizer, hparams."""

    activation: str
    hidden: int
    optimizer: str
    hparams: tuple[tuple[str, Any], ...]


def make_grid(
    activations: Sequence[str] = GRID_ACTIVATIONS,
    hiddens: Sequence[int] = GRID_HIDDEN,
    optimizer_names: Sequence[str] = GRID_OPTIMIZERS,
    lr: Mapping[tuple[str, str], float] = GRID_LR,
) -> tuple[GridConfig, ...]:
    """The product activation x hidden x optimizer, each with its learning rate from `lr`.

    Examples
    --------
    >>> make_grid(("relu",), (3,), ("adam",))
    (GridConfig(activation='relu', hidden=3, optimizer='adam', hparams=(('lr', 0.01),)),)
    """
    return tuple(
        GridConfig(a, h, o, (("lr", lr[(a, o)]),))
        for a in activations
        for h in hiddens
        for o in optimizer_names
    )


class ComparisonRow(NamedTuple):
    """One configuration of the grid, trained from every seed.

    ``success``, ``final_loss``, ``steps_to_threshold``, ``dead_units`` and ``merged_units``
    are per-seed arrays in the order of the seeds, so two rows compare seed by seed.
    """

    activation: str
    hidden: int
    optimizer: str
    hparams: tuple[tuple[str, Any], ...]
    success: npt.NDArray[np.bool_]
    final_loss: npt.NDArray[np.float64]
    steps_to_threshold: npt.NDArray[np.int64]
    dead_units: npt.NDArray[np.int64]
    merged_units: npt.NDArray[np.int64]
    seconds: float

    @property
    def label(self) -> str:
        """Short name, e.g. ``"relu H=3 adam(lr=0.01)"``."""
        hp = ", ".join(f"{k}={v}" for k, v in self.hparams)
        return f"{self.activation} H={self.hidden} {self.optimizer}" + (f"({hp})" if hp else "")

    @property
    def successes(self) -> int:
        """Number of successful runs."""
        return int(self.success.sum())

    @property
    def runs(self) -> int:
        """Number of runs (seeds)."""
        return int(self.success.size)

    def record(self, stuck_level: float = np.inf) -> dict[str, Any]:
        """A flat dict of primitives for a table (one row of ``st.dataframe``).

        ``"valley or worse"`` is the share of runs whose final loss is ``>= stuck_level``.
        """
        lo, hi = wilson_interval(self.successes, self.runs)
        steps = self.steps_to_threshold[self.success]
        return {
            "activation": self.activation,
            "H": self.hidden,
            "optimizer": self.optimizer,
            "lr": dict(self.hparams).get("lr"),
            "success": f"{self.successes}/{self.runs}",
            "success rate": self.successes / self.runs,
            "ci_low": lo,
            "ci_high": hi,
            "valley or worse": float(np.mean(self.final_loss >= stuck_level)),
            "median final MSE": float(np.median(self.final_loss)),
            "median steps to threshold": float(np.median(steps)) if steps.size else None,
            "mean dead units": float(self.dead_units.mean()),
            "mean merged units": float(self.merged_units.mean()),
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of `run_comparison`: one row per configuration, same seeds in every row."""

    rows: tuple[ComparisonRow, ...]
    seeds: tuple[int, ...]
    steps: int
    threshold: float
    stuck_level: float = np.inf

    def row(self, activation: str, hidden: int, optimizer: str) -> ComparisonRow:
        """The row of one configuration."""
        for r in self.rows:
            if (r.activation, r.hidden, r.optimizer) == (activation, hidden, optimizer):
                return r
        raise KeyError(f"No row for {activation} H={hidden} {optimizer}")

    def records(self) -> list[dict[str, Any]]:
        """All rows as flat dicts (see `ComparisonRow.record`)."""
        return [r.record(self.stuck_level) for r in self.rows]


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n`` (95 % by default).

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(8, 64)]
    [0.065, 0.228]
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial (sign) test of ``wins`` vs ``losses`` under p = 1/2.

    For paired successes (``wins`` = only A succeeded, ``losses`` = only B) this is the exact
    McNemar test. Ties are left out by the caller.

    Examples
    --------
    >>> sign_test(0, 0), round(sign_test(9, 1), 4), sign_test(5, 5)
    (1.0, 0.0215, 1.0)
    """
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2.0 * tail)


class Paired(NamedTuple):
    """Seed-by-seed comparison of the successes of configuration A and B."""

    both: int
    only_a: int
    only_b: int
    neither: int
    p_value: float
    """Exact McNemar test (two-sided) on the discordant seeds."""


def paired_outcomes(a: npt.ArrayLike, b: npt.ArrayLike) -> Paired:
    """Compare two boolean outcomes seed by seed (exact McNemar test on the discordant seeds).

    Examples
    --------
    >>> paired_outcomes([1, 1, 0, 0], [1, 0, 0, 0])
    Paired(both=1, only_a=1, only_b=0, neither=2, p_value=1.0)
    """
    sa, sb = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    only_a, only_b = int(np.sum(sa & ~sb)), int(np.sum(~sa & sb))
    return Paired(
        both=int(np.sum(sa & sb)),
        only_a=only_a,
        only_b=only_b,
        neither=int(np.sum(~sa & ~sb)),
        p_value=sign_test(only_a, only_b),
    )


def paired(a: ComparisonRow, b: ComparisonRow) -> Paired:
    """Compare the successes of two rows seed by seed (see `paired_outcomes`)."""
    return paired_outcomes(a.success, b.success)


def train_config(
    data: Dataset,
    seeds: Sequence[int],
    activation: str,
    hidden: int,
    optimizer: str,
    hparams: Mapping[str, Any],
    *,
    steps: int,
    threshold: float,
    batch_size: int | None = None,
    batch_seed: int = 0,
    init: InitScheme = "glorot_uniform",
    record_every: int = 1,
) -> TrainResult:
    """Train one configuration from every seed (the building block of `run_comparison`).

    Every configuration with the same `hidden` starts from the same weights (`init_params`)
    and, for minibatches, sees the same batches (an rng seeded with `batch_seed`), so
    configurations compare seed by seed.
    """
    return train(
        init_params(seeds, hidden, scheme=init),
        data,
        activation,
        optimizers.make(optimizer, **hparams),
        steps=steps,
        batch_size=batch_size,
        rng=np.random.default_rng(batch_seed),
        threshold=threshold,
        record_every=record_every,
    )


def run_comparison(
    data: Dataset,
    seeds: Sequence[int] | None = None,
    *,
    steps: int,
    threshold: float,
    stuck_level: float = np.inf,
    configs: Sequence[GridConfig] | None = None,
    batch_size: int | None = None,
    batch_seed: int = 0,
    init: InitScheme = "glorot_uniform",
) -> Comparison:
    """Train every configuration of a grid over the same seeds.

    Parameters
    ----------
    data : Dataset
        Training set shared by every configuration.
    seeds : sequence of int, optional
        One run per seed, the same seeds in every configuration (paired); `grid_seeds` ()
        by default.
    steps : int
        Optimizer steps per run.
    threshold : float
        Success threshold on the final training MSE (e.g. ``references(data).threshold``).
    stuck_level : float
        Final losses at or above this count as "valley or worse" (e.g. half the valley's MSE).
    configs : sequence of GridConfig, optional
        The grid; `make_grid` () by default (16 configurations).
    batch_size, batch_seed, init
        As in `train_config`.

    Returns
    -------
    Comparison
        One row per configuration, in the order of `configs`.
    """
    seeds = tuple(grid_seeds() if seeds is None else seeds)
    rows = []
    for cfg in make_grid() if configs is None else configs:
        start = time.perf_counter()
        res = train_config(
            data,
            seeds,
            cfg.activation,
            cfg.hidden,
            cfg.optimizer,
            dict(cfg.hparams),
            steps=steps,
            threshold=threshold,
            batch_size=batch_size,
            batch_seed=batch_seed,
            init=init,
            record_every=max(1, steps // 50),
        )
        rows.append(
            ComparisonRow(
                activation=cfg.activation,
                hidden=cfg.hidden,
                optimizer=cfg.optimizer,
                hparams=tuple(cfg.hparams),
                success=res.success,
                final_loss=res.final_loss,
                steps_to_threshold=res.steps_to_threshold,
                dead_units=res.dead_units,
                merged_units=res.merged_units,
                seconds=time.perf_counter() - start,
            )
        )
    return Comparison(
        rows=tuple(rows),
        seeds=tuple(seeds),
        steps=steps,
        threshold=threshold,
        stuck_level=stuck_level,
    )
