"""Specification of `optimizers.run` / `optimizers.iterate` and `Trajectory`."""

from __future__ import annotations

import ast
import dataclasses
import doctest
import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizers import OPTIMIZERS, Optimizer, Trajectory, iterate, make, make_schedule, run


def bowl(p):
    """Gradient of f = x^2 + y^2."""
    return 2.0 * p


def quadratic(p):
    """Gradient of f = (x^2 + 10 y^2) / 2."""
    return p * np.array([1.0, 10.0])


def rosenbrock(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)], -1)


def saddle(p):
    """Gradient of f = x^2 - y^2."""
    return p * np.array([2.0, -2.0])


def absolute(p):
    """(Sub)gradient of f = |x| + |y|."""
    return np.sign(p)


run_module = importlib.import_module("optimizers.run")  # `optimizers.run` is also the function


# ----------------------------------------------------------------------------------- shapes


def test_shapes_single_start():
    traj = run(make("adam", lr=0.1), quadratic, [1.0, 1.0], 25)
    assert isinstance(traj, Trajectory)
    assert traj.points.shape == (26, 2)
    assert traj.points.dtype == np.float64
    assert traj.lrs.shape == (25,)
    assert traj.diverged_at.shape == () and traj.diverged_at.dtype.kind == "i"
    assert traj.steps == 25
    assert_array_equal(traj.final, traj.points[-1])
    assert_array_equal(traj.points[0], [1.0, 1.0])
    assert_allclose(traj.lrs, 0.1)


def test_shapes_batch_of_starts():
    starts = np.random.default_rng(0).normal(size=(4, 5, 2))
    traj = run(make("sgd", lr=0.01), quadratic, starts, 7)
    assert traj.points.shape == (8, 4, 5, 2)
    assert traj.diverged_at.shape == (4, 5)
    assert traj.final.shape == (4, 5, 2)
    assert_array_equal(traj.points[0], starts)


def test_batch_from_array_hyperparameters_and_start():
    opt = make("sgd", lr=np.full((3, 1), 0.01), momentum=np.full((1, 4), 0.5))
    traj = run(opt, quadratic, [1.0, -1.0], 5)
    assert traj.points.shape == (6, 3, 4, 2)
    assert traj.lrs.shape == (5, 3, 1)
    # start axes are leading-aligned too: (3, 2) starts with lr (3, 4)
    traj = run(make("sgd", lr=np.full((3, 4), 0.01)), quadratic, np.ones((3, 2)), 2)
    assert traj.points.shape == (3, 3, 4, 2)
    # betas elements count: beta2 of shape (6,)
    opt = make("adam", betas=(0.9, np.linspace(0.5, 0.999, 6)))
    assert run(opt, quadratic, [1.0, 1.0], 3).points.shape == (4, 6, 2)


def test_lrs_are_base_lr_times_schedule():
    lr = np.array([0.1, 0.01])
    sched = make_schedule("step", step_size=2, gamma=0.5)
    traj = run(make("sgd", lr=lr), quadratic, [1.0, 1.0], 5, schedule=sched)
    m = np.array([1.0, 1.0, 0.5, 0.5, 0.25])
    assert_allclose(traj.lrs, np.multiply.outer(m, lr))
    gamma = np.array([0.5, 0.9, 0.99])
    traj = run(
        make("sgd", lr=0.2), quadratic, [1.0, 1.0], 4, make_schedule("exponential", gamma=gamma)
    )
    assert traj.points.shape == (5, 3, 2)
    assert_allclose(traj.lrs, 0.2 * gamma ** np.arange(4)[:, None])


def test_schedule_is_applied_step_by_step():
    sched = make_schedule("exponential", gamma=0.5)
    traj = run(make("momentum", lr=0.1), quadratic, [1.0, 1.0], 6, schedule=sched)
    opt = make("momentum", lr=0.1)
    x = np.array([1.0, 1.0])
    state = opt.init(x)
    for t in range(6):
        x, state = opt.update(quadratic(x), state, x, lr_scale=0.5**t)
        assert_allclose(traj.points[t + 1], x, rtol=1e-15)


def test_zero_steps():
    traj = run(make("adam"), quadratic, [[1.0, 2.0], [3.0, 4.0]], 0)
    assert traj.points.shape == (1, 2, 2)
    assert traj.lrs.shape == (0,)
    assert_array_equal(traj.diverged_at, [-1, -1])


def test_trajectory_is_frozen_and_read_only():
    traj = run(make("sgd", lr=0.1), quadratic, [1.0, 1.0], 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        traj.points = traj.points  # type: ignore[misc]
    for a in (traj.points, traj.lrs, traj.diverged_at):
        with pytest.raises(ValueError):
            a[...] = 0


def test_start_is_not_mutated_or_aliased():
    start = np.array([[1.0, 1.0], [2.0, 2.0]])
    copy = start.copy()
    traj = run(make("adam", lr=0.5), quadratic, start, 5)
    assert_array_equal(start, copy)
    assert not np.shares_memory(traj.points, start)


# ------------------------------------------------------------------------------- divergence


def test_diverged_at_sgd_lr_10_on_a_quadratic():
    # f = x^2 / 2 (and y likewise), gradient x: x <- x - 10 x = -9 x, so |x_k| = 9^k.
    # 9^6 = 531441 <= 1e6 < 9^7 = 4782969: the run leaves the bound at step 7 and stays
    # frozen at its last point inside, x_6 = (-9)^6.
    traj = run(make("sgd", lr=10.0), lambda p: p, [1.0, 0.5], 12)
    assert traj.diverged_at == 7
    assert_array_equal(traj.points[6], [531441.0, 265720.5])
    for k in range(7, 13):
        assert_array_equal(traj.points[k], traj.points[6])
    assert_array_equal(traj.points[3], [-729.0, -364.5])


def test_diverged_at_per_run_in_a_batch():
    # f = x^2 + y^2 with lr (0.25, 1.5, 1.01): x <- (1 - 2 lr) x = 0.5 x, -2 x, -1.02 x.
    lr = np.array([0.25, 1.5, 1.01])
    traj = run(make("sgd", lr=lr), bowl, [1.0, 1.0], 30)
    assert_array_equal(traj.diverged_at, [-1, 20, -1])  # 2^19 < 1e6 < 2^20; 1.02^30 ~ 1.8
    assert_array_equal(traj.final[1], [-(2.0**19), -(2.0**19)])
    assert_allclose(traj.points[:, 0, 0], 0.5 ** np.arange(31))


def test_non_finite_gradient_is_divergence():
    def nan_beyond_two(p):
        g = 2.0 * p
        return np.where(np.abs(p) > 2.0, np.nan, g)

    # A repelling gradient -2x with lr 0.5: x <- 2 x, until |x| > 2 makes the gradient NaN.
    traj = run(make("sgd", lr=0.5), lambda p: -nan_beyond_two(p), [[0.75, 0.0], [0.01, 0.0]], 6)
    # run 0: 0.75, 1.5, 3.0, then a NaN gradient: NaN at step 3. run 1: 0.01 * 2^6 = 0.64.
    assert_array_equal(traj.diverged_at, [3, -1])
    assert_array_equal(traj.final[0], [3.0, 0.0])
    assert np.all(np.isfinite(traj.points))


def test_infinite_point_is_divergence():
    traj = run(make("sgd", lr=1.0), lambda p: np.where(p > 0.5, -np.inf, -p), [0.3, 0.0], 4)
    # 0.3 -> 0.6 -> inf at step 2, frozen at 0.6
    assert traj.diverged_at == 2
    assert_array_equal(traj.final, [0.6, 0.0])


def test_start_outside_the_bound_diverges_at_step_one():
    traj = run(make("sgd", lr=0.1), bowl, [[2e6, 0.0], [1.0, 0.0]], 3)
    assert_array_equal(traj.diverged_at, [1, -1])
    assert_array_equal(traj.final[0], [2e6, 0.0])


def test_no_warning_escapes_even_with_overflow_and_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = np.geterr()
        for name in OPTIMIZERS:
            traj = run(make(name, lr=1e3), lambda p: p**5, [[3.0, -2.0], [1e300, 1e-300]], 20)
            assert np.all(np.isfinite(traj.points))
        growing = make_schedule("exponential", gamma=1.5)  # multipliers overflow to inf
        traj = run(make("adam", lr=1e300), bowl, [1.0, 1.0], 2000, schedule=growing)
        assert traj.diverged_at > 0 and np.isinf(traj.lrs[-1])
        assert np.geterr() == before


def test_iterate_does_not_leak_errstate_to_the_caller_between_steps():
    before = np.geterr()
    for _ in iterate(make("sgd", lr=1e3), lambda p: p**3, [3.0, 1.0], 5):
        assert np.geterr() == before


# ------------------------------------------------------------------------------------ noise


def test_noise_is_reproducible_with_a_seed():
    opt = make("sgd", lr=0.05)
    a = run(opt, quadratic, [1.0, 1.0], 50, noise=0.5, seed=7)
    b = run(opt, quadratic, [1.0, 1.0], 50, noise=0.5, seed=7)
    c = run(opt, quadratic, [1.0, 1.0], 50, noise=0.5, seed=8)
    assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    clean = run(opt, quadratic, [1.0, 1.0], 50)
    assert not np.allclose(a.points, clean.points)
    assert_array_equal(run(opt, quadratic, [1.0, 1.0], 50, noise=0.0, seed=3).points, clean.points)


def test_noise_draws_absolute_gaussian_noise_per_step():
    # With a zero gradient, SGD performs x <- x - lr * noise * N(0, 1) with rng(seed) draws.
    opt = make("sgd", lr=0.1)
    traj = run(opt, lambda p: np.zeros_like(p), np.zeros((3, 2)), 4, noise=2.0, seed=11)
    rng = np.random.default_rng(11)
    x = np.zeros((3, 2))
    for t in range(4):
        x = x - 0.1 * (2.0 * rng.standard_normal((3, 2)))
        assert_allclose(traj.points[t + 1], x, rtol=1e-15)


def test_noise_makes_sgd_jitter_around_the_minimum():
    """Absolute noise does not vanish at the minimum: SGD keeps moving (the lesson)."""
    traj = run(make("sgd", lr=0.1), bowl, np.zeros((200, 2)), 300, noise=1.0, seed=0)
    spread = traj.points[100:].std()
    # stationary AR(1) x <- 0.8 x - 0.1 e: std = 0.1 / sqrt(1 - 0.64) = 0.1667
    assert spread == pytest.approx(0.1 / np.sqrt(1 - 0.64), rel=0.05)


# ------------------------------------------------------------------------ batch == singles


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_batch_of_starts_equals_single_runs(name):
    starts = np.array([[-1.2, 1.0], [0.5, 0.5], [1.5, -0.3], [0.0, 2.0]])
    sched = make_schedule("cosine", T_max=30, eta_min=0.1)
    opt = make(name, lr=1e-3 if name != "adadelta" else 1.0)
    batch = run(opt, rosenbrock, starts, 30, schedule=sched)
    for i, s in enumerate(starts):
        single = run(opt, rosenbrock, s, 30, schedule=sched)
        assert_allclose(batch.points[:, i], single.points, rtol=1e-13)
        assert batch.diverged_at[i] == single.diverged_at


def test_a_hyperparameter_grid_equals_single_runs():
    lrs = np.array([1e-3, 1e-2, 0.05, 0.25])
    moms = np.array([0.0, 0.5, 0.9])
    traj = run(make("sgd", lr=lrs[:, None], momentum=moms[None, :]), quadratic, [1.0, 1.0], 40)
    assert traj.points.shape == (41, 4, 3, 2)
    for i, lr in enumerate(lrs):
        for j, mu in enumerate(moms):
            single = run(make("sgd", lr=lr, momentum=mu), quadratic, [1.0, 1.0], 40)
            assert_allclose(traj.points[:, i, j], single.points, rtol=1e-13)
            assert traj.diverged_at[i, j] == single.diverged_at


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(list(OPTIMIZERS)),
    lrs=st.lists(st.floats(1e-4, 2.0), min_size=2, max_size=4),
)
def test_batched_lr_equals_single_runs(name, lrs):
    traj = run(make(name, lr=np.array(lrs)), saddle, [0.5, 1e-3], 20)
    for i, lr in enumerate(lrs):
        single = run(make(name, lr=lr), saddle, [0.5, 1e-3], 20)
        assert_allclose(traj.points[:, i], single.points, rtol=1e-12)
        assert traj.diverged_at[i] == single.diverged_at


# ------------------------------------------------------------------------ robustness (hypothesis)

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(list(OPTIMIZERS)),
    grad=st.sampled_from([quadratic, rosenbrock, saddle, absolute]),
    start=st.tuples(finite, finite),
    lr=st.floats(1e-6, 1e3),
    steps=st.integers(0, 25),
    noise=st.sampled_from([0.0, 0.1]),
)
def test_never_raises_or_warns(name, grad, start, lr, steps, noise):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(make(name, lr=lr), grad, start, steps, noise=noise, seed=0)
    assert traj.points.shape == (steps + 1, 2)
    assert np.all(np.isfinite(traj.points))
    d = int(traj.diverged_at)
    assert d == -1 or 1 <= d <= steps
    if d != -1:  # frozen from the step before divergence on
        assert np.all(traj.points[d:] == traj.points[d - 1])
    else:
        assert np.all(np.abs(traj.points[1:]) <= 1e6)


# ------------------------------------------------------------------------- iterate and run


def test_iterate_and_run_agree():
    opt = make("sgd", lr=np.array([1e-3, 0.05]), momentum=0.5)
    sched = make_schedule("inverse_time", decay=0.1)
    traj = run(opt, rosenbrock, [-1.2, 1.0], 40, schedule=sched, noise=0.3, seed=5)
    seen = []
    for t, points, alive in iterate(opt, rosenbrock, [-1.2, 1.0], 40, sched, noise=0.3, seed=5):
        assert_array_equal(points, traj.points[t])
        assert_array_equal(alive, (traj.diverged_at == -1) | (traj.diverged_at > t))
        seen.append(t)
    assert seen == list(range(41))
    assert traj.diverged_at[1] != -1 and traj.diverged_at[0] == -1


def test_iterate_details_record_what_each_update_was_given_and_kept():
    """details=True yields the same points, plus each step's gradient (noise apart), Hessian
    and state: one direct update from the record before reproduces the record."""
    opt = make("adam", lr=0.05)
    sched = make_schedule("exponential", gamma=0.9)
    hess = lambda p: np.broadcast_to(np.diag([2.0, 6.0]), (*p.shape[:-1], 2, 2))  # noqa: E731
    plain = list(iterate(opt, rosenbrock, [-1.2, 1.0], 15, sched, noise=0.3, seed=5))
    records = list(iterate(opt, rosenbrock, [-1.2, 1.0], 15, sched, hess_fn=hess, noise=0.3,
                           seed=5, details=True))  # fmt: skip
    assert [r.t for r in records] == list(range(16))
    first = records[0]
    assert first.grad is None and first.noise is None and first.hess is None
    for a, b in zip(first.state, opt.init(np.array([-1.2, 1.0])), strict=True):
        assert_array_equal(a, b)
    for (t, points, alive), rec, prev in zip(plain[1:], records[1:], records[:-1], strict=True):
        assert_array_equal(rec.points, points)
        assert_array_equal(rec.alive, alive)
        assert not rec.points.flags.writeable
        assert_array_equal(rec.grad, rosenbrock(prev.points) + rec.noise)
        assert np.all(rec.noise != 0)
        assert_array_equal(rec.hess, hess(prev.points))
        new, state = opt.update(rec.grad, prev.state, prev.points, lr_scale=0.9 ** (t - 1))
        assert_array_equal(new, rec.points)
        assert state.t == rec.state.t == t
        for a, b in zip(state, rec.state, strict=True):
            assert_array_equal(a, b)


def test_iterate_details_without_noise_report_zero_noise():
    records = list(iterate(make("sgd", lr=0.1), bowl, [1.0, 1.0], 3, details=True))
    assert all(np.all(r.noise == 0) for r in records[1:])


def test_iterate_yields_read_only_views_and_a_stable_alive_mask():
    masks = []
    for _, points, alive in iterate(make("sgd", lr=np.array([0.1, 1.5])), bowl, [1.0, 1.0], 25):
        assert not points.flags.writeable and not alive.flags.writeable
        masks.append(alive)
    assert masks[0] is masks[19] and masks[20] is not masks[19] and masks[20] is masks[25]
    assert_array_equal(masks[19], [True, True])
    assert_array_equal(masks[20], [True, False])


def test_iterate_validates_eagerly():
    opt = make("sgd")
    with pytest.raises(ValueError, match="start"):
        iterate(opt, bowl, [1.0, 2.0, 3.0], 5)
    with pytest.raises(ValueError, match="steps"):
        iterate(opt, bowl, [1.0, 2.0], -1)
    with pytest.raises(TypeError, match="steps"):
        run(opt, bowl, [1.0, 2.0], 2.5)
    with pytest.raises(ValueError, match="noise"):
        run(opt, bowl, [1.0, 2.0], 3, noise=-1.0)
    with pytest.raises(ValueError, match="start"):
        run(opt, bowl, 1.0, 3)


def test_hess_fn_is_passed_to_update():
    """A Newton step (a foreign optimizer, not in the registry) gets the Hessian."""

    def init(params):
        return ()

    def update(grads, state, params, lr_scale=1.0, hess=None):
        return params - np.linalg.solve(hess, grads[..., None])[..., 0], state

    newton = Optimizer("newton", init, update, {"lr": 1.0})
    hess = lambda p: np.broadcast_to(np.diag([1.0, 10.0]), p.shape[:-1] + (2, 2))  # noqa: E731
    traj = run(newton, quadratic, [[3.0, -4.0], [1.0, 1.0]], 2, hess_fn=hess)
    assert_allclose(traj.points[1], 0.0, atol=1e-15)  # exact on a quadratic
    assert_array_equal(traj.lrs, [1.0, 1.0])


def test_run_imports_only_numpy_the_standard_library_and_optimizers():
    tree = ast.parse(Path(run_module.__file__).read_text())
    roots = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert roots <= {"__future__", "collections", "dataclasses", "typing", "numpy", "optimizers"}


def test_docstring_examples():
    assert doctest.testmod(run_module).failed == 0


def test_hand_made_optimizer_with_a_registry_name_is_used_as_is():
    """run() only rebuilds (for speed) optimizers made by the registry itself."""
    calls = []

    def update(grads, state, params, lr_scale=1.0, hess=None):
        calls.append(1)
        return params - 0.5 * grads, state

    mine = Optimizer("sgd", lambda p: (), update, {"lr": np.array([0.5, 0.5])})
    traj = run(mine, bowl, [1.0, 1.0], 3)
    assert len(calls) == 3
    assert_allclose(traj.points[1], 0.0)
