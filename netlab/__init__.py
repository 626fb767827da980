"""The tiny-network lab: a 2-H-1 perceptron learning ``|x + iy|``, trained from many seeds at once.

Pure NumPy (plus the project's ``optimizers``): every run's parameters are one row of a
``(runs, 4H + 1)`` array, forward and backward passes are batched over runs, and one optimizer
``update`` steps them all. See docs/netlab_results.md for what the comparison grid measured.

Examples
--------
>>> import numpy as np, optimizers
>>> from netlab import init_params, make_data, references, train
>>> data = make_data(np.random.default_rng(0), 64)
>>> res = train(init_params(range(4), 3), data, "relu", optimizers.make("adam", lr=0.01),
...             steps=50, threshold=references(data).threshold)
>>> res.losses.shape, res.final_loss.shape, res.dead.shape
((51, 4), (4,), (4, 3))
"""

from netlab._activations import ACTIVATIONS, Activation, get_activation
from netlab._claims import Claim, evaluate_claims
from netlab._compare import (
    GRID_ACTIVATIONS,
    GRID_HIDDEN,
    GRID_LR,
    GRID_OPTIMIZERS,
    GRID_SEED_START,
    Comparison,
    ComparisonRow,
    GridConfig,
    Paired,
    grid_seeds,
    make_grid,
    paired,
    paired_outcomes,
    run_comparison,
    sign_test,
    train_config,
    wilson_interval,
)
from netlab._data import DOMAINS, Dataset, make_data, target
from netlab._grid import SurfaceGrid, surface_grid
from netlab._landscape import filter_normalized_directions, landscape_surface
from netlab._mlp import (
    INIT_SCHEMES,
    MAX_HIDDEN,
    Forward,
    Weights,
    forward,
    hidden_units,
    init_params,
    loss_and_grad,
    mse,
    n_params,
    pack,
    pre_activations,
    predict,
    unpack,
)
from netlab._reference import PYRAMID_FACTOR, References, pyramid_loss, references
from netlab._train import MERGE_COSINE, TrainResult, median_run, train, unit_status

__all__ = [
    "ACTIVATIONS",
    "DOMAINS",
    "GRID_ACTIVATIONS",
    "GRID_HIDDEN",
    "GRID_LR",
    "GRID_OPTIMIZERS",
    "GRID_SEED_START",
    "INIT_SCHEMES",
    "MAX_HIDDEN",
    "MERGE_COSINE",
    "PYRAMID_FACTOR",
    "Activation",
    "Claim",
    "Comparison",
    "ComparisonRow",
    "Dataset",
    "Forward",
    "GridConfig",
    "Paired",
    "References",
    "SurfaceGrid",
    "TrainResult",
    "Weights",
    "evaluate_claims",
    "filter_normalized_directions",
    "forward",
    "get_activation",
    "hidden_units",
    "init_params",
    "landscape_surface",
    "loss_and_grad",
    "make_data",
    "grid_seeds",
    "make_grid",
    "median_run",
    "mse",
    "n_params",
    "pack",
    "paired",
    "paired_outcomes",
    "pre_activations",
    "predict",
    "pyramid_loss",
    "references",
    "run_comparison",
    "sign_test",
    "surface_grid",
    "target",
    "train",
    "train_config",
    "unit_status",
    "unpack",
    "wilson_interval",
]
