"""Our optimizers against the reference optimizers' golden trajectories (no torch needed).

``tests/fixtures/goldens.npz`` holds the paths of torch.optim (and torch.optim.LBFGS, torch's LR
schedulers) on our surfaces, fed our analytic gradients; ``tools/make_goldens.py`` writes it
from the optimizer table (``tests/optimizer_table.py``). Every point of `optimizers.run` must
match to ``1e-6 * (1 + |reference|)`` until the reference leaves the run loop's bound
(`optimizers.run.DIVERGENCE_BOUND`), and the run must diverge at that same step. The live
checks (regenerate in memory, compare to the file) are in ``tests/test_optimizers_torch.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import make, make_schedule, run
from surfaces import SURFACES
from tests.optimizer_table import TABLE, make_kwargs
from tools.make_goldens import FIXTURE, load, reference_divergence, specs

HEADER, PATHS = load(FIXTURE)
GOLDENS = HEADER["goldens"]


def test_the_fixture_is_small_and_covers_the_table():
    assert FIXTURE.stat().st_size < 2_000_000
    assert [g["key"] for g in GOLDENS] == [s.key for s in specs()]
    with_reference = {name for name, row in TABLE.items() if row.reference is not None}
    assert {g["name"] for g in GOLDENS} == with_reference
    assert {g["surface"] for g in GOLDENS} >= {"bowl", "ravine", "rosenbrock", "kink"}
    assert {g["schedule"][0] for g in GOLDENS} == {
        "constant",
        "step",
        "exponential",
        "inverse_time",
        "cosine",
        "cosine_periodic",
    }


@pytest.mark.parametrize("index", range(len(GOLDENS)), ids=[g["key"] for g in GOLDENS])
def test_run_matches_the_golden_trajectory(index):
    golden, expected = GOLDENS[index], PATHS[index]
    name, surface = golden["name"], SURFACES[golden["surface"]]
    kind, kwargs = golden["schedule"]
    starts = np.array(golden["starts"])
    traj = run(
        make(name, **make_kwargs(name, golden["hparams"], golden["surface"])),
        surface.grad,
        starts,
        golden["steps"],
        schedule=None if kind == "constant" else make_schedule(kind, **kwargs),
    )
    assert traj.points.shape == (golden["steps"] + 1, len(starts), 2)
    for i, path in enumerate(expected):
        diverged = reference_divergence(path)
        assert traj.diverged_at[i] == diverged, (i, traj.diverged_at[i], diverged)
        upto = len(path) if diverged == -1 else diverged
        ours = traj.points[:upto, i]
        err = np.abs(ours - path[:upto]) / (1.0 + np.abs(path[:upto]))
        worst = np.unravel_index(np.argmax(err), err.shape)
        assert err.max() <= 1e-6, f"start {i}, step {worst[0]}: {ours[worst]} vs {path[worst]}"


def test_the_comparison_can_fail():
    """A golden from another case does not pass for this one (the fixture is not vacuous)."""
    a = next(i for i, g in enumerate(GOLDENS) if g["key"] == "adam-0-rosenbrock-constant")
    b = next(i for i, g in enumerate(GOLDENS) if g["key"] == "adam-1-rosenbrock-constant")
    err = np.abs(PATHS[a] - PATHS[b]) / (1.0 + np.abs(PATHS[b]))
    assert err.max() > 1e-3
