"""Specs for analysis.theory: heavy-ball theory in torch's parametrization, checked by runs."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import optimizers
from analysis.sweep import sweep
from analysis.theory import (
    applies_to_sweep,
    critical_momentum,
    distances,
    measured_rate,
    mode_radius,
    predicted_rate,
    quadratic_theory,
    stability_limit,
    theory_curves,
)
from surfaces import get_surface

RAVINE = get_surface("ravine")
BOWL = get_surface("bowl")


def test_ravine_closed_forms() -> None:
    th = quadratic_theory(RAVINE)
    assert th is not None
    assert_allclose(th.eigenvalues, [1.0, 25.0], rtol=1e-12)
    assert_allclose(th.kappa, 25.0, rtol=1e-12)
    assert_allclose(th.gd_lr, 2 / 26, rtol=1e-12)
    assert_allclose(th.gd_rate, 24 / 26, rtol=1e-12)
    assert_allclose(th.gd_limit, 2 / 25, rtol=1e-12)
    assert_allclose(th.hb_lr, 4 / 36, rtol=1e-12)  # 4 / (sqrt(25) + sqrt(1))**2
    assert_allclose(th.hb_momentum, (4 / 6) ** 2, rtol=1e-12)
    assert_allclose(th.hb_rate, 4 / 6, rtol=1e-12)
    assert_allclose(th.minimizer, [0.0, 0.0])


def test_bowl_is_perfectly_conditioned() -> None:
    th = quadratic_theory(BOWL)
    assert th is not None
    assert th.kappa == pytest.approx(1.0)
    assert th.gd_lr == pytest.approx(1.0)
    assert th.hb_momentum == pytest.approx(0.0, abs=1e-15)
    assert th.gd_rate == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "rastrigin", "saddle", "beale"])
def test_no_theory_off_convex_quadratics(name: str) -> None:
    # saddle is a quadratic but indefinite: no linear rate to predict
    assert quadratic_theory(get_surface(name)) is None


def test_torch_sgd_is_the_classical_heavy_ball() -> None:
    """b = mu b + g; x -= lr b  equals  x+ = x - lr g + mu (x - x_prev), x_prev(0) = x0."""
    lr, mu, steps = 0.05, 0.8, 60
    traj = optimizers.run(
        optimizers.make("sgd", lr=lr, momentum=mu), RAVINE.grad, RAVINE.start, steps
    )
    x_prev = x = np.array(RAVINE.start)
    expected = [x]
    for _ in range(steps):
        x, x_prev = x - lr * RAVINE.grad(x) + mu * (x - x_prev), x
        expected.append(x)
    assert_allclose(traj.points, np.array(expected), rtol=1e-12, atol=1e-14)


def test_predicted_rate_is_the_spectral_radius_of_the_iteration_matrix() -> None:
    rng = np.random.default_rng(0)
    lrs = 10 ** rng.uniform(-3, 0, 50)
    mus = rng.uniform(0, 0.99, 50)
    eig = np.array([1.0, 25.0])
    got = predicted_rate(lrs, mus, eig)
    for lr, mu, rate in zip(lrs, mus, got, strict=True):
        radii = [
            np.abs(np.linalg.eigvals(np.array([[1 + mu - lr * lam, -mu], [1.0, 0.0]]))).max()
            for lam in eig
        ]
        assert rate == pytest.approx(max(radii), rel=1e-9)


def test_gd_rate_and_heavy_ball_optimum_are_predicted() -> None:
    th = quadratic_theory(RAVINE)
    assert float(predicted_rate(th.gd_lr, 0.0, th.eigenvalues)) == pytest.approx(th.gd_rate)
    assert float(th.predicted_rate(th.hb_lr, th.hb_momentum)) == pytest.approx(th.hb_rate)
    # the optimum is optimal: nearby settings are slower
    for dlr, dmu in [(1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95)]:
        assert th.predicted_rate(th.hb_lr * dlr, th.hb_momentum * dmu) >= th.hb_rate - 1e-12


@pytest.mark.parametrize(
    ("surface", "lr", "mu"),
    [
        (RAVINE, 2 / 26, 0.0),  # GD optimum
        (RAVINE, 1 / 9, 4 / 9),  # heavy-ball optimum (critically damped at both ends)
        (RAVINE, 0.02, 0.9),  # underdamped: oscillates, rate sqrt(0.9)
        (RAVINE, 0.01, 0.3),  # overdamped slow mode
        (RAVINE, 0.07, 0.0),
        (BOWL, 0.3, 0.0),
        (BOWL, 0.5, 0.5),
    ],
)
def test_predicted_rate_matches_measured_rate(surface, lr: float, mu: float) -> None:
    th = quadratic_theory(surface)
    steps = 300
    traj = optimizers.run(
        optimizers.make("sgd", lr=lr, momentum=mu), surface.grad, surface.start, steps
    )
    d = distances(traj.points, th.minimizer)
    measured = measured_rate(d)
    predicted = float(th.predicted_rate(lr, mu))
    assert measured == pytest.approx(predicted, rel=0.02, abs=2e-3)
    gaps = surface.value(traj.points) - 0.0
    assert measured_rate(gaps, squared=True) == pytest.approx(predicted, rel=0.03, abs=3e-3)


def test_stability_limit_is_sharp() -> None:
    th = quadratic_theory(RAVINE)
    mus = np.array([0.0, 0.3, 0.6, 0.9])
    limit = th.stability_limit(mus)
    assert_allclose(limit, 2 * (1 + mus) / 25)
    lrs = limit[:, None] * np.array([0.97, 1.03])  # (4, 2): just below, just above
    traj = optimizers.run(
        optimizers.make("sgd", lr=lrs, momentum=mus[:, None]), RAVINE.grad, RAVINE.start, 2000
    )
    assert np.all(traj.diverged_at[:, 0] == -1)
    assert np.all(np.linalg.norm(traj.final[:, 0], axis=-1) < 1e-3)
    assert np.all(traj.diverged_at[:, 1] > 0)


def test_stability_curve_separates_converged_from_diverged_cells_of_a_sweep() -> None:
    th = quadratic_theory(RAVINE)
    lrs = np.geomspace(1e-3, 1.0, 61)
    mus = np.linspace(0.0, 0.99, 45)
    res = sweep(RAVINE, "sgd", x_values=lrs, y_values=mus, steps=300)
    limit = th.stability_limit(mus)[:, None]
    clearly_below = lrs[None, :] < 0.9 * limit
    clearly_above = lrs[None, :] > 1.1 * limit
    assert clearly_below.sum() > 500 and clearly_above.sum() > 500
    f0 = float(RAVINE.value(np.array(RAVINE.start)))
    assert not res.diverged[clearly_below].any()
    assert np.all(res.final_loss[clearly_below] < f0)
    assert res.diverged[clearly_above].all()


def test_critical_momentum_gives_a_double_root() -> None:
    m = 1.0
    lrs = np.array([1e-3, 0.01, 0.1, 0.5, 1.0])
    mu = critical_momentum(lrs, m)
    assert_allclose(mu, (1 - np.sqrt(lrs * m)) ** 2)
    a = 1 + mu - lrs * m
    assert_allclose(a * a - 4 * mu, 0.0, atol=1e-12)  # discriminant zero
    assert_allclose(mode_radius(lrs, mu, m), np.sqrt(mu), atol=1e-7)
    assert np.isnan(critical_momentum(2.0, m))


def test_stability_limit_nan_at_momentum_one() -> None:
    assert np.isnan(stability_limit(1.0, 25.0))


def test_theory_curves_lie_on_the_formulas() -> None:
    th = quadratic_theory(RAVINE)
    curves = theory_curves(th, (1e-3, 1.0), (0.0, 0.99))
    lim_x, lim_y = curves["stability limit lr = 2(1+μ)/L"]
    ok = np.isfinite(lim_x)
    assert ok.sum() > 100
    assert_allclose(lim_x[ok], 2 * (1 + lim_y[ok]) / 25)
    crit_x, crit_y = curves["critical momentum μ = (1-√(lr·m))²"]
    ok = np.isfinite(crit_y)
    assert_allclose(crit_y[ok], (1 - np.sqrt(crit_x[ok])) ** 2)
    assert curves["optimal heavy ball"][0][0] == pytest.approx(1 / 9)
    assert curves["optimal GD step 2/(m+L)"][0][0] == pytest.approx(2 / 26)
    # points outside the box are left out
    assert "optimal heavy ball" not in theory_curves(th, (1e-3, 0.05), (0.0, 0.99))


def test_measured_rate_edge_cases() -> None:
    assert measured_rate(0.5 ** np.arange(50)) == pytest.approx(0.5)
    # converged to exactly zero: only the part above the floor counts
    seq = np.concatenate([0.8 ** np.arange(40), np.zeros(20)])
    assert measured_rate(seq) == pytest.approx(0.8)
    assert np.isnan(measured_rate([1.0, 0.5]))
    assert measured_rate(0.9 ** np.arange(100), window=10) == pytest.approx(0.9)


def test_rates_of_a_raced_run() -> None:
    th = quadratic_theory(RAVINE)
    traj = optimizers.run(optimizers.make("momentum", lr=0.05, momentum=0.5), RAVINE.grad,
                          RAVINE.start, 300)
    predicted, measured = th.rates(0.05, 0.5, traj.points)
    assert measured == pytest.approx(predicted, rel=0.02)


def test_theory_applies_only_to_plain_heavy_ball_sweeps() -> None:
    assert applies_to_sweep(RAVINE, "sgd", {}, "lr", "momentum") is not None
    assert applies_to_sweep(BOWL, "momentum", {"lr": 0.1}, "lr", "momentum") is not None
    assert applies_to_sweep(RAVINE, "nesterov", {}, "lr", "momentum") is None
    assert applies_to_sweep(RAVINE, "sgd", {"nesterov": True}, "lr", "momentum") is None
    assert applies_to_sweep(RAVINE, "sgd", {"dampening": 0.1}, "lr", "momentum") is None
    assert applies_to_sweep(RAVINE, "adam", {}, "lr", "betas[1]") is None
    assert applies_to_sweep(RAVINE, "sgd", {}, "lr", "decay", "inverse_time") is None
    assert applies_to_sweep(get_surface("rosenbrock"), "sgd", {}, "lr", "momentum") is None
