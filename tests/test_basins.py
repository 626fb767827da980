"""Specs for analysis.basins: every start labelled by the minimum it reaches."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import optimizers
from analysis.basins import (
    DIVERGED,
    NOT_CONVERGED,
    basins,
    default_radius,
    final_points,
    label_points,
    start_grid,
)
from surfaces import get_surface

# A stable learning rate per multi-minimum surface (rastrigin's dimples need lr < 2/397).
CASES = {
    "himmelblau": ("sgd", {"lr": 0.01}),
    "six_hump_camel": ("sgd", {"lr": 0.02}),
    "saddle_escape": ("sgd", {"lr": 0.1}),
    "rastrigin": ("sgd", {"lr": 0.002}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_minimum_neighbourhood_is_labelled_with_that_minimum(name: str) -> None:
    surface = get_surface(name)
    opt_name, hp = CASES[name]
    r = default_radius(surface)
    assert len(surface.minima) >= 2
    for k, (mx, my) in enumerate(surface.minima):
        box = ((mx - r, mx + r), (my - r, my + r))
        res = basins(surface, opt_name, hp, resolution=5, steps=300, bounds=box)
        assert_array_equal(res.labels, k), f"{name}: minimum {k} at ({mx:.3f}, {my:.3f})"


def test_rastrigin_all_25_minima_at_once() -> None:
    """The same spec through the lower-level API: one batch of starts around every minimum."""
    surface = get_surface("rastrigin")
    r = default_radius(surface)
    offsets = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, -0.5], [-0.35, 0.35]]) * r
    starts = surface.minima[:, None, :] + offsets[None, :, :]  # (25, 4, 2)
    p, alive = final_points(surface, optimizers.make("sgd", lr=0.002), starts, 300)
    labels = label_points(p, alive, surface.minima, r)
    assert_array_equal(labels, np.arange(len(surface.minima))[:, None] * np.ones((1, 4)))


def test_diverged_runs_are_labelled_diverged() -> None:
    surface = get_surface("himmelblau")
    res = basins(surface, "sgd", {"lr": 0.03}, resolution=12, steps=100)
    assert (res.labels == DIVERGED).any() and (res.labels >= 0).any()
    # every label agrees with the single run from that start
    opt = optimizers.make("sgd", lr=0.03)
    for i in range(0, 12, 3):
        for j in range(0, 12, 2):
            start = np.array([[res.xs[j], res.ys[i]]])
            traj = optimizers.run(opt, surface.grad, start, 100)
            assert (res.labels[i, j] == DIVERGED) == (traj.diverged_at[0] >= 0)
            if res.labels[i, j] >= 0:
                d = np.linalg.norm(surface.minima - traj.final[0], axis=-1)
                assert res.labels[i, j] == int(np.argmin(d)) and d.min() < res.radius


def test_not_converged_when_no_steps_are_taken() -> None:
    surface = get_surface("saddle_escape")
    res = basins(surface, "sgd", {"lr": 0.1}, resolution=40, steps=0)
    X, Y = np.meshgrid(res.xs, res.ys)
    d = np.stack([np.hypot(X - mx, Y - my) for mx, my in surface.minima])
    assert_array_equal(res.labels, np.where(d.min(0) < res.radius, d.argmin(0), NOT_CONVERGED))


def test_no_minima_listed_means_not_converged() -> None:
    res = basins(get_surface("monkey_saddle"), "sgd", {"lr": 0.01}, resolution=8, steps=20)
    assert set(np.unique(res.labels)) <= {NOT_CONVERGED, DIVERGED}


def test_result_shape_fractions_and_chunking() -> None:
    surface = get_surface("himmelblau")
    seen: list[float] = []
    res = basins(
        surface, "momentum", {"lr": 0.005}, resolution=30, steps=150, chunk=7, progress=seen.append
    )
    assert res.labels.shape == (30, 30) and res.labels.dtype == np.int8
    assert len(seen) == 5 and seen[-1] == 1.0
    assert sum(res.fractions().values()) == pytest.approx(1.0)
    same = basins(surface, "momentum", {"lr": 0.005}, resolution=30, steps=150, workers=2)
    assert_array_equal(same.labels, res.labels)
    with pytest.raises(ValueError):
        res.labels[0, 0] = 0


def test_momentum_basins_differ_from_sgd() -> None:
    """The lesson: the same starts end in different minima with momentum."""
    surface = get_surface("himmelblau")
    a = basins(surface, "sgd", {"lr": 0.01}, resolution=40, steps=300)
    b = basins(surface, "momentum", {"lr": 0.01}, resolution=40, steps=300)
    assert (a.labels >= 0).mean() > 0.95
    assert (a.labels != b.labels).mean() > 0.1


def test_label_points_with_gradient_tolerance() -> None:
    p = np.array([[0.01, 0.0], [0.02, 0.0]])
    g = np.array([[1e-6, 0.0], [1.0, 0.0]])
    labels = label_points(p, [True, True], [[0.0, 0.0]], 0.1, g, grad_tol=1e-3)
    assert_array_equal(labels, [0, NOT_CONVERGED])


def test_start_grid_and_radius() -> None:
    xs, ys = start_grid(((0.0, 1.0), (-1.0, 1.0)), 4)
    assert_array_equal(xs, [0.125, 0.375, 0.625, 0.875])
    assert_array_equal(ys, [-0.75, -0.25, 0.25, 0.75])
    camel = get_surface("six_hump_camel")
    r = default_radius(camel)
    d = np.linalg.norm(camel.minima[:, None] - camel.minima[None], axis=-1)
    assert 0 < r <= d[d > 0].min() / 4
