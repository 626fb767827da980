"""The fast paths of the run loop agree with the general ones.

A single run (points of shape ``(2,)``, as in a race) checks divergence with two float
comparisons instead of two reductions, and `run` enters its errstate once for the whole loop
instead of once per step. Neither may change a trajectory or let a warning escape.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from optimizers import OPTIMIZERS, iterate, make, run
from optimizers.run import DIVERGENCE_BOUND, _inside

EDGES = [
    0.0,
    DIVERGENCE_BOUND,
    -DIVERGENCE_BOUND,
    np.nextafter(DIVERGENCE_BOUND, np.inf),
    np.nextafter(-DIVERGENCE_BOUND, -np.inf),
    np.inf,
    -np.inf,
    np.nan,
]


@pytest.mark.parametrize("x", EDGES)
@pytest.mark.parametrize("y", EDGES)
def test_single_point_check_agrees_with_the_batch_check(x, y):
    point = np.array([x, y])
    expected = bool(np.all(np.abs(point) <= DIVERGENCE_BOUND))  # NaN is outside
    assert _inside(point) is expected
    assert _inside(point[None]) is expected
    assert _inside(np.array([point, [0.0, 0.0]])) is expected


def rosenbrock(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)], -1)


def blows_up_to_nan(p):
    """Finite at first, then inf - inf = NaN once the points overflow."""
    return p**3 - p**3 * (np.abs(p) > 1e100) + p * 1e5


def identity_hessian(p):
    return np.broadcast_to(np.eye(2), p.shape + (2,)).copy()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("grad", [rosenbrock, blows_up_to_nan])
@pytest.mark.parametrize("lr", [1e-3, 0.05, 10.0])
def test_a_single_run_equals_a_batch_of_one(name, grad, lr):
    second_order = name in ("newton", "saddle_free_newton", "lbfgs")
    hess = identity_hessian if name in ("newton", "saddle_free_newton") else None
    opt = make(name) if second_order else make(name, lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = run(opt, grad, [-1.2, 1.0], 60, hess_fn=hess, noise=0.1, seed=3)
        batch = run(opt, grad, [[-1.2, 1.0]], 60, hess_fn=hess, noise=0.1, seed=3)
    assert single.points.shape == (61, 2)
    assert_array_equal(single.points, batch.points[:, 0])
    assert single.diverged_at == batch.diverged_at[0]


def test_single_runs_diverge_on_nan_and_on_leaving_the_bound():
    nan = run(make("sgd", lr=1.0), lambda p: np.full(2, np.nan), [0.0, 0.0], 5)
    assert nan.diverged_at == 1 and np.all(nan.points == 0.0)
    out = run(make("sgd", lr=1.0), lambda p: np.array([0.0, -2e6]), [0.0, 0.0], 5)
    assert out.diverged_at == 1 and np.all(out.points == 0.0)
    edge = run(make("sgd", lr=1.0), lambda p: np.array([0.0, -DIVERGENCE_BOUND]), [0.0, 0.0], 1)
    assert edge.diverged_at == -1 and edge.final[1] == DIVERGENCE_BOUND


def test_run_restores_the_callers_errstate_even_when_grad_fn_raises():
    def failing(p):
        raise RuntimeError("boom")

    with np.errstate(over="raise", invalid="warn"):
        before = np.geterr()
        with pytest.raises(RuntimeError, match="boom"):
            run(make("adam", lr=0.1), failing, [1.0, 1.0], 3)
        assert np.geterr() == before
        run(make("sgd", lr=1e3), lambda p: p**3, [3.0, 1.0], 10)  # overflows, silently
        assert np.geterr() == before


def test_iterate_yields_read_only_points_and_run_agrees():
    opt = make("momentum", lr=0.01)
    steps = list(iterate(opt, rosenbrock, [0.0, 0.0], 20))
    assert not any(p.flags.writeable for _, p, _ in steps)
    paths = np.array([p for _, p, _ in steps])
    assert_array_equal(paths, run(opt, rosenbrock, [0.0, 0.0], 20).points)
