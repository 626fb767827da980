"""Specs for analysis.search: grid vs random search with the same budget, measured."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from analysis.race import race, summarize
from analysis.search import SearchComparison, compare_search, grid_samples, random_samples
from analysis.sweep import score
from surfaces import get_surface

RAVINE = get_surface("ravine")


def test_grid_is_a_lattice_of_cell_centres() -> None:
    g = grid_samples((1e-4, 1.0), (0.0, 0.9), 3, x_log=True, y_log=False)
    assert g.shape == (9, 2)
    assert_allclose(np.unique(g[:, 0]), 10.0 ** np.array([-4 + 4 / 6, -2, -4 / 6]))
    assert_allclose(np.unique(g[:, 1]), [0.15, 0.45, 0.75])


def test_random_samples_are_log_uniform_in_the_box() -> None:
    s = random_samples((1e-6, 10.0), (0.0, 0.99), 4000, np.random.default_rng(0), seeds=2)
    assert s.shape == (2, 4000, 2)
    assert (s[..., 0] >= 1e-6).all() and (s[..., 0] <= 10.0).all()
    assert (s[..., 1] >= 0).all() and (s[..., 1] <= 0.99).all()
    # the notes' 10 ** uniform(-6, 1): each decade equally likely
    decades = np.floor(np.log10(s[..., 0]))
    counts = np.array([(decades == d).mean() for d in range(-6, 1)])
    assert_allclose(counts, 1 / 7, atol=0.02)


def test_scores_equal_single_runs() -> None:
    c = compare_search(
        RAVINE,
        "sgd",
        budget=4,
        seeds=2,
        rng=np.random.default_rng(3),
        x_range=(1e-3, 0.05),
        steps=80,
    )
    pts = np.concatenate([c.grid_points, c.random_points.reshape(-1, 2)])
    scores = np.concatenate([c.grid_scores, c.random_scores.ravel()])
    entries = race(RAVINE, [("sgd", {"lr": x, "momentum": y}) for x, y in pts], RAVINE.start, 80)
    for row, s in zip(summarize(RAVINE, entries, tol=1e-3), scores, strict=True):
        expected = score(
            np.array([row.final_loss]), np.array([row.steps_to_tolerance]), "final_loss"
        )[0]
        assert s == pytest.approx(expected, rel=1e-9) or (np.isinf(s) and np.isinf(expected))


def test_same_budget_and_reproducible() -> None:
    kw = dict(budget=30, seeds=3, steps=50)
    a = compare_search(RAVINE, "sgd", rng=np.random.default_rng(7), **kw)
    b = compare_search(RAVINE, "sgd", rng=np.random.default_rng(7), **kw)
    assert a.budget == 25 and a.grid_points.shape == (25, 2)  # rounded down to 5 x 5
    assert a.random_points.shape == (3, 25, 2) and a.random_scores.shape == (3, 25)
    assert_array_equal(a.random_points, b.random_points)
    assert_array_equal(a.random_scores, b.random_scores)
    ov = a.overlay(seed=1)
    assert set(ov) == {"grid search", "random search", "grid best", "random best"}
    assert_array_equal(ov["random search"][0], a.random_points[1, :, 0])


def test_random_beats_grid_when_one_parameter_hardly_matters() -> None:
    """Bergstra & Bengio's argument: Adam's eps barely matters, so the 5x5 grid tries only 5
    learning rates while 25 random trials try 25."""
    c = compare_search(
        RAVINE,
        "adam",
        y_param="eps",
        y_range=(1e-10, 1e-6),
        budget=25,
        seeds=20,
        rng=np.random.default_rng(0),
        steps=100,
    )
    assert c.outcome == "random" and c.win_rate >= 0.8
    assert c.verdict().startswith("Random search beat grid search")
    assert len(np.unique(c.grid_points[:, 0])) == 5
    assert len(np.unique(c.random_points[0, :, 0])) == 25


def _comparison(grid: list[float], rand: list[list[float]]) -> SearchComparison:
    r = np.array(rand)
    return SearchComparison(
        x_name="lr",
        y_name="momentum",
        x_range=(1e-4, 1.0),
        y_range=(0.0, 0.99),
        x_log=True,
        y_log=False,
        budget=len(grid),
        criterion="final_loss",
        grid_points=np.zeros((len(grid), 2)),
        grid_scores=np.array(grid),
        random_points=np.zeros(r.shape + (2,)),
        random_scores=r,
    )


def test_verdict_is_honest_when_random_search_loses() -> None:
    c = _comparison([-6.0, -1.0, 0.0, 1.0], [[-3.0, 0, 0, 0], [-5.0, 0, 0, 0], [-7.0, 0, 0, 0]])
    assert c.win_rate == pytest.approx(1 / 3) and c.loss_rate == pytest.approx(2 / 3)
    assert c.outcome == "grid"
    assert "NOT better" in c.verdict() and "won 1, tied 0 and lost 2 of 3" in c.verdict()


def test_verdict_counts_seeds_that_found_nothing() -> None:
    inf = np.inf
    c = _comparison([-1.0, inf, inf, inf], [[inf] * 4, [-3.0, inf, inf, inf]])
    assert c.random_failures == 1 and c.random_best_mean == pytest.approx(-3.0)
    assert c.outcome == "mixed" and "1 seeds found nothing" in c.verdict()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        compare_search(RAVINE, "sgd", budget=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        compare_search(RAVINE, "sgd", seeds=0, rng=np.random.default_rng(0))
