"""Train many runs of the 2-H-1 network at once with an optimizer of the library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from netlab._activations import Activation, get_activation
from netlab._data import Dataset
from netlab._mlp import Array, hidden_units, loss_and_grad, mse, pre_activations, unpack

MERGE_COSINE = 0.99
"""Two live units whose ``(w, b)`` vectors have cosine above this share one hyperplane."""

BLOCK_ELEMENTS = 65536
"""Forward/backward passes run over blocks of runs whose ``(runs, H, n)`` temporaries hold at
most this many float64s (512 KiB). How fast large temporaries are depends on the allocator:
blocks that are too large keep getting fresh ``mmap`` pages that the kernel faults in on every
step, and very small blocks pay numpy's per-call overhead. This size was measured best or
close to it (docs/performance.md; benchmarks/bench_netlab.py prints the comparison)."""


class OptimizerLike(Protocol):
    """What `train` needs of an ``optimizers.Optimizer``: pure ``init`` and ``update``."""

    name: str

    def init(self, params: Array) -> Any: ...

    def update(
        self, grads: Array, state: Any, params: Array, lr_scale: float = 1.0
    ) -> tuple[Array, Any]: ...


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Everything a training of ``runs`` networks produced.

    Attributes
    ----------
    activation, optimizer : str
        Names of the activation and optimizer.
    hparams : dict
        The optimizer's hyperparameters.
    hidden : int
        Hidden units ``H``.
    steps : int
        Optimizer steps taken.
    batch_size : int or None
        Minibatch size, ``None`` for full batch.
    threshold : float
        Training MSE that counts as success (``inf`` when none was given).
    recorded_steps : ndarray of int, shape (K,)
        Steps at which the full-data loss was recorded (always includes 0 and `steps`).
    losses : ndarray, shape (K, runs)
        Full-data MSE of every run at `recorded_steps` (``nan``/``inf`` once a run diverged).
    params : ndarray, shape (runs, 4H + 1)
        Final parameters.
    final_loss : ndarray, shape (runs,)
        Final full-data MSE; ``inf`` for a diverged run.
    steps_to_threshold : ndarray of int, shape (runs,)
        First step whose full-data loss was ``<= threshold``, ``-1`` if never. Exact for full
        batch; for minibatches it is resolved to the recording interval.
    dead : ndarray of bool, shape (runs, H)
        Final pre-activation ``<= 0`` on every training input (see `unit_status`).
    merged : ndarray of bool, shape (runs, H)
        Live unit that duplicates the hyperplane of an earlier live unit (see `unit_status`).
    """

    activation: str
    optimizer: str
    hparams: dict[str, Any]
    hidden: int
    steps: int
    batch_size: int | None
    threshold: float
    recorded_steps: npt.NDArray[np.int64]
    losses: Array
    params: Array
    final_loss: Array
    steps_to_threshold: npt.NDArray[np.int64]
    dead: npt.NDArray[np.bool_]
    merged: npt.NDArray[np.bool_]

    @property
    def runs(self) -> int:
        """Number of runs."""
        return self.params.shape[0]

    @property
    def success(self) -> npt.NDArray[np.bool_]:
        """Whether each run's final loss is ``<= threshold``."""
        return self.final_loss <= self.threshold

    @property
    def dead_units(self) -> npt.NDArray[np.int64]:
        """Dead (inactive) units per run."""
        return self.dead.sum(axis=-1)

    @property
    def merged_units(self) -> npt.NDArray[np.int64]:
        """Redundant (merged) live units per run."""
        return self.merged.sum(axis=-1)


def unit_status(
    params: Array, X: Array, *, cosine: float = MERGE_COSINE
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Classify hidden units as dead or merged on the inputs `X`.

    Parameters
    ----------
    params : ndarray of shape (..., 4H + 1)
        Networks.
    X : ndarray of shape (n, 2)
        Inputs (the training set).
    cosine : float
        Cosine similarity above which two live units count as one.

    Returns
    -------
    dead : ndarray of bool, shape (..., H)
        The unit's pre-activation ``w . x + b`` is ``<= 0`` on every input. For ReLU the unit
        then outputs 0 and gets a zero gradient on every input: it can never come back (under
        full batch on this set). For the other activations it means "on the negative side
        everywhere": leaky ReLU, ELU and SELU still pass a (small) gradient.
    merged : ndarray of bool, shape (..., H)
        The unit is alive and its ``(w_1, w_2, b)`` direction has cosine ``> cosine`` with an
        earlier live unit: the two cut the plane along the same line, facing the same way, so
        (for ReLU exactly, ``relu(c z) = c relu(z)``) they act as one unit.

    Examples
    --------
    >>> from netlab._mlp import pack
    >>> W1 = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    >>> b1 = np.array([0.0, 0.0, -5.0])
    >>> X = np.array([[1.0, 1.0], [-1.0, 0.5]])
    >>> dead, merged = unit_status(pack(W1, b1, np.ones(3), 0.0), X)
    >>> dead.tolist(), merged.tolist()
    ([False, False, True], [False, True, False])
    """
    dead = np.all(pre_activations(params, X) <= 0.0, axis=-1)
    W1, b1, _, _ = unpack(params)
    v = np.concatenate([W1, b1[..., None]], axis=-1)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    u = v / np.where(norm > 0.0, norm, 1.0)
    cos = u @ np.swapaxes(u, -1, -2)
    H = cos.shape[-1]
    earlier = np.tri(H, k=-1, dtype=bool).T  # earlier[i, j]: i < j
    live = ~dead
    pair = (cos > cosine) & earlier & live[..., :, None] & live[..., None, :]
    merged = np.any(pair, axis=-2)
    return dead, merged


def _blocks(runs: int, hidden: int, n: int) -> list[slice]:
    size = max(1, BLOCK_ELEMENTS // (hidden * n))
    return [slice(start, start + size) for start in range(0, runs, size)]


def _loss_and_grad_blocked(
    params: Array, X: Array, y: Array, act: Activation, blocks: list[slice]
) -> tuple[Array, Array]:
    """`loss_and_grad` over blocks of runs (same numbers, cache-sized temporaries)."""
    if len(blocks) == 1:
        return loss_and_grad(params, X, y, act)
    loss = np.empty(params.shape[0])
    grad = np.empty_like(params)
    for block in blocks:
        loss[block], grad[block] = loss_and_grad(params[block], X, y, act)
    return loss, grad


def _mse_blocked(params: Array, X: Array, y: Array, act: Activation, blocks: list[slice]) -> Array:
    return np.concatenate([mse(params[block], X, y, act) for block in blocks])


def train(
    params: Array,
    data: Dataset,
    activation: str,
    optimizer: OptimizerLike,
    *,
    steps: int,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    threshold: float = np.inf,
    record_every: int = 1,
) -> TrainResult:
    """Train every run in `params` on `data` with one `optimizer` update per step.

    All runs see the same data and the same minibatches, so runs differ only by their
    initialization (paired across activations, optimizers and learning rates).

    Parameters
    ----------
    params : ndarray of shape (runs, 4H + 1)
        Initial parameters, e.g. from `init_params`; not modified.
    data : Dataset
        Training set.
    activation : str
        Name of the hidden activation (see ``ACTIVATIONS``).
    optimizer : Optimizer
        From ``optimizers.make(name, **hparams)``; array hyperparameters of shape ``(runs,)``
        give each run its own value.
    steps : int
        Number of optimizer steps.
    batch_size : int, optional
        Minibatch size; ``None`` (or ``>= n``) is full batch. Minibatches are drawn by
        shuffling the data each epoch, like Keras' ``fit(shuffle=True)``.
    rng : numpy.random.Generator, optional
        Shuffles the minibatches; required when `batch_size` is given.
    threshold : float
        A run succeeds when its full-data MSE is ``<= threshold``.
    record_every : int
        Record the loss curve every this many steps (and at the last step). Full-batch runs
        check the threshold at every step anyway; minibatch runs only at recorded steps, since
        that costs an extra pass over the data.

    Returns
    -------
    TrainResult
    """
    if steps < 0:
        raise ValueError(f"Invalid number of steps: {steps}")
    if record_every < 1:
        raise ValueError(f"Invalid record interval: {record_every}")
    act = get_activation(activation)
    X, y = data
    n = X.shape[0]
    full = batch_size is None or batch_size >= n
    if not full:
        if batch_size < 1:
            raise ValueError(f"Invalid batch size: {batch_size}")
        if rng is None:
            raise ValueError("Minibatch training needs an rng")
    params = np.array(params, dtype=np.float64)
    runs = params.shape[0]
    hidden = hidden_units(params)
    blocks = _blocks(runs, hidden, n)
    batch_blocks = blocks if full else _blocks(runs, hidden, batch_size)
    record = np.unique(np.r_[np.arange(0, steps, record_every), steps])
    losses = np.empty((record.size, runs))
    hit = np.full(runs, -1, dtype=np.int64)
    state = optimizer.init(params)
    per_epoch = 1 if full else -(-n // batch_size)
    order = np.arange(n)
    k = 0  # next row of `losses`
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            if full and t < steps:
                loss, grads = _loss_and_grad_blocked(params, X, y, act, blocks)
            elif full:
                loss = _mse_blocked(params, X, y, act, blocks)
            else:
                loss = _mse_blocked(params, X, y, act, blocks) if record[k] == t else None
                if t < steps:
                    j = t % per_epoch
                    if j == 0:
                        order = rng.permutation(n)
                    idx = order[j * batch_size : (j + 1) * batch_size]
                    _, grads = _loss_and_grad_blocked(params, X[idx], y[idx], act, batch_blocks)
            if loss is not None:
                hit = np.where((hit < 0) & (loss <= threshold), t, hit)
                if record[k] == t:
                    losses[k] = loss
                    k += 1
            if t < steps:
                params, state = optimizer.update(grads, state, params)
    final = losses[-1]
    final = np.where(np.isfinite(final), final, np.inf)
    dead, merged = unit_status(params, X)
    return TrainResult(
        activation=act.name,
        optimizer=getattr(optimizer, "name", type(optimizer).__name__),
        hparams=dict(getattr(optimizer, "hparams", {})),
        hidden=hidden,
        steps=steps,
        batch_size=None if full else batch_size,
        threshold=float(threshold),
        recorded_steps=record.astype(np.int64),
        losses=losses,
        params=params,
        final_loss=final,
        steps_to_threshold=hit,
        dead=dead,
        merged=merged,
    )


def median_run(final_loss: npt.ArrayLike) -> int:
    """Index of the run whose final loss is the median one (the lower middle for even counts).

    Examples
    --------
    >>> median_run([0.3, 0.1, np.inf, 0.2])
    3
    """
    loss = np.asarray(final_loss, dtype=np.float64)
    order = np.argsort(loss, kind="stable")
    return int(order[(loss.size - 1) // 2])
