"""Specs for analysis.sweep: a sweep is exactly a batch of single runs, reduced on the fly."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import optimizers
from analysis.race import optimum_value, race, summarize
from analysis.sweep import default_axes, resolve_param, score, sweep, with_param
from analysis.tuning import auto_tune, best_lr, shared_lr_warning
from surfaces import get_surface

RAVINE = get_surface("ravine")
TOL = 1e-3


def single(surface, name, hparams, steps, schedule=None, start=None):
    """The app's single-run path: race + summarize."""
    (entry,) = race(surface, [(name, hparams)], start or surface.start, steps, schedule=schedule)
    (row,) = summarize(surface, [entry], tol=TOL)
    return row


def assert_cell_equals_single_run(res, i, j, hparams, schedule=None) -> None:
    surface = get_surface(res.surface)
    row = single(surface, res.optimizer, hparams, res.steps, schedule, res.start)
    assert res.diverged_at[i, j] == row.diverged_at
    assert res.steps_to_tol[i, j] == row.steps_to_tolerance
    if row.diverged_at >= 0:
        assert np.isnan(res.final_loss[i, j]) and res.diverged[i, j]
    else:
        assert res.final_loss[i, j] == pytest.approx(row.final_loss, rel=1e-9, abs=1e-300)


@pytest.fixture(scope="module")
def ravine_sweep():
    lrs = np.geomspace(1e-3, 1.0, 14)
    mus = np.linspace(0.0, 0.95, 9)
    return sweep(RAVINE, "sgd", {}, x_values=lrs, y_values=mus, steps=200, tol=TOL)


def test_shape_and_axes(ravine_sweep) -> None:
    res = ravine_sweep
    assert res.final_loss.shape == res.steps_to_tol.shape == res.diverged.shape == (9, 14)
    assert res.x_name == "lr" and res.y_name == "momentum"
    assert res.diverged.any() and (~res.diverged).any()
    assert_array_equal(res.diverged, res.diverged_at >= 0)
    assert np.isnan(res.final_loss[res.diverged]).all()
    assert np.isfinite(res.final_loss[~res.diverged]).all()
    with pytest.raises(ValueError):
        res.final_loss[0, 0] = 1.0  # read-only


def test_every_cell_equals_the_single_run(ravine_sweep) -> None:
    res = ravine_sweep
    for i, mu in enumerate(res.y_values):
        for j, lr in enumerate(res.x_values):
            assert_cell_equals_single_run(res, i, j, {"lr": lr, "momentum": mu})


def test_settings_reproduce_a_cell(ravine_sweep) -> None:
    res = ravine_sweep
    hp, sk = res.settings(res.x_values[5], res.y_values[3])
    assert hp == {"lr": res.x_values[5], "momentum": res.y_values[3]} and sk == {}


def test_adam_beta2_sweep_cells() -> None:
    surface = get_surface("rosenbrock")
    lrs = np.geomspace(1e-3, 0.5, 5)
    b2 = np.array([0.5, 0.9, 0.999])
    res = sweep(
        surface,
        "adam",
        {"betas": (0.8, 0.999)},
        x_values=lrs,
        y_param="betas[1]",
        y_values=b2,
        steps=120,
    )
    for i, j in [(0, 0), (1, 3), (2, 4), (2, 1)]:
        hp, _ = res.settings(lrs[j], b2[i])
        assert hp["betas"] == (0.8, b2[i])
        assert_cell_equals_single_run(res, i, j, hp)


@pytest.mark.parametrize(("name", "y_param", "y_values"), [
    ("prodigy", "d_coef", np.array([0.05, 0.5, 5.0])),  # Prodigy's axis: its lr is found
    ("muon", "momentum", np.array([0.0, 0.5, 0.95])),  # coordinates coupled within a point
    ("lion", "betas[1]", np.array([0.5, 0.9, 0.999])),
])
def test_new_optimizers_sweep_cells(name, y_param, y_values) -> None:
    lrs = np.geomspace(1e-3, 1.0, 4)
    res = sweep(RAVINE, name, {}, x_values=lrs, y_param=y_param, y_values=y_values, steps=120)
    for i, j in [(0, 0), (1, 2), (2, 3), (2, 1)]:
        hp, _ = res.settings(lrs[j], y_values[i])
        assert_cell_equals_single_run(res, i, j, hp)


def test_schedule_decay_sweep_cells() -> None:
    lrs = np.geomspace(1e-3, 0.2, 6)
    decays = np.array([0.0, 0.01, 0.1, 1.0])
    res = sweep(RAVINE, "momentum", {}, x_values=lrs, y_param="decay", y_values=decays, steps=150)
    assert res.schedule == "inverse_time"
    for i, j in [(0, 0), (1, 5), (2, 3), (3, 4)]:
        hp, sk = res.settings(lrs[j], decays[i])
        assert sk == {"decay": decays[i]}
        sched = optimizers.make_schedule("inverse_time", **sk)
        assert_cell_equals_single_run(res, i, j, hp, sched)


def test_chunks_threads_and_axis_order_do_not_change_the_result(ravine_sweep) -> None:
    res = ravine_sweep
    kwargs = dict(x_values=res.x_values, y_values=res.y_values, steps=200, tol=TOL)
    for other in (
        sweep(RAVINE, "sgd", chunk=1, **kwargs),
        sweep(RAVINE, "sgd", chunk=4, workers=2, **kwargs),
    ):
        assert_array_equal(other.final_loss, res.final_loss)
        assert_array_equal(other.steps_to_tol, res.steps_to_tol)
        assert_array_equal(other.diverged_at, res.diverged_at)
    # lr on the y axis (blocks of rows): the transposed map
    swapped = sweep(
        RAVINE,
        "sgd",
        x_param="momentum",
        x_values=res.y_values,
        y_param="lr",
        y_values=res.x_values,
        steps=200,
        tol=TOL,
        chunk=3,
    )
    assert_array_equal(swapped.final_loss, res.final_loss.T)
    assert_array_equal(swapped.steps_to_tol, res.steps_to_tol.T)


def test_progress_is_reported_per_block() -> None:
    seen: list[float] = []
    sweep(
        RAVINE,
        "sgd",
        x_values=np.geomspace(0.01, 0.1, 5),
        y_values=[0.0, 0.5],
        steps=10,
        chunk=2,  # blocks of 2 learning rates: 3 blocks
        progress=seen.append,
    )
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_tol_none_skips_steps_to_tol() -> None:
    res = sweep(RAVINE, "sgd", x_values=[0.05], y_values=[0.5], steps=100, tol=None)
    assert res.steps_to_tol[0, 0] == -1 and np.isfinite(res.final_loss[0, 0])


def test_surface_without_known_minimum() -> None:
    saddle = get_surface("saddle")
    assert np.isnan(optimum_value(saddle))
    res = sweep(saddle, "sgd", x_values=[0.01, 0.1], y_values=[0.0, 0.9], steps=50)
    assert (res.steps_to_tol == -1).all()


def test_resolve_param() -> None:
    assert resolve_param("lr", "adam")[0].target == "optimizer"
    ref, sched = resolve_param("gamma", "sgd")
    assert (ref.target, sched) == ("schedule", "exponential")
    ref, sched = resolve_param("schedule.eta_min", "sgd", "cosine")
    assert (ref.key, sched) == ("eta_min", "cosine")
    for bad in ("nesterov", "nope", "betas[1]"):  # a flag, unknown, sgd has no betas
        with pytest.raises(ValueError, match="Cannot sweep"):
            resolve_param(bad, "sgd")
    with pytest.raises(ValueError, match="must differ"):
        sweep(RAVINE, "sgd", x_values=[0.1], y_param="lr", y_values=[0.1])


def test_with_param_copies() -> None:
    hp = {"lr": 0.1}
    ref, _ = resolve_param("betas[0]", "adam")
    new, _ = with_param(hp, {}, ref, 0.5, {"betas": (0.9, 0.999)})
    assert new["betas"] == (0.5, 0.999) and hp == {"lr": 0.1}


def test_default_axes() -> None:
    x, y = default_axes("lr", "momentum", 7, 5)
    assert x[0] == pytest.approx(1e-4) and x[-1] == pytest.approx(1.0)
    assert np.allclose(np.diff(np.log10(x)), np.log10(x[1] / x[0]))
    assert y[0] == 0.0 and y[-1] == pytest.approx(0.99)


# ------------------------------------------------------------------------------ auto-tune


def test_best_lr_on_the_bowl_is_one_step() -> None:
    bowl = get_surface("bowl")
    lr, table = best_lr(bowl, "sgd", {}, bowl.start, 100, criterion="steps_to_tol")
    assert lr == pytest.approx(1.0)  # x - 1 * grad = 0: the minimum in one step
    assert table.steps_to_tol[np.argmin(np.abs(table.lrs - 1.0))] == 1
    diverged = table.lrs > 2.0 + 1e-9  # GD on the bowl diverges above lr = 2
    assert (table.diverged_at[diverged] > 0).all() and np.isinf(table.score[diverged]).all()
    assert (table.diverged_at[table.lrs < 1.99] == -1).all()


def test_best_lr_final_loss_matches_single_run_and_is_minimal() -> None:
    lrs = np.geomspace(1e-4, 1.0, 25)
    lr, table = best_lr(RAVINE, "adam", {}, RAVINE.start, 100, lrs=lrs)
    k = int(np.argmin(np.abs(lrs - lr)))
    row = single(RAVINE, "adam", {"lr": lr}, 100)
    assert table.final_loss[k] == pytest.approx(row.final_loss, rel=1e-9)
    finite = np.isfinite(table.score)
    assert table.score[k] == table.score[finite].min()


def test_auto_tune_and_shared_lr_warning() -> None:
    specs = [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.01, "betas": (0.9, 0.99)})]
    tuned = auto_tune(RAVINE, specs, RAVINE.start, 100, lrs=np.geomspace(1e-4, 1, 13))
    assert [name for name, _ in tuned] == ["sgd", "adam"]
    assert tuned[1][1]["betas"] == (0.9, 0.99)
    lrs = {name: hp["lr"] for name, hp in tuned}
    assert all(np.isfinite(v) for v in lrs.values())
    assert shared_lr_warning(lrs, 1e-4) is not None
    assert shared_lr_warning({"sgd": 0.05, "adam": 0.06}, 0.05) is None


def test_score() -> None:
    s = score(np.array([np.nan, 1e-3, 1e-20, 1e-30]), np.array([-1, -1, 50, 10]), "final_loss")
    assert np.isinf(s[0]) and s[1] > s[2] > s[3]  # floored gaps tie, fewer steps win
    s = score(np.array([1e-5, 1e-8, 0.1]), np.array([40, 40, -1]), "steps_to_tol")
    assert s[1] < s[0] < s[2] and np.isinf(s[2])
    with pytest.raises(ValueError):
        score([1.0], [1], "fastest")


def test_shortcuts_keep_results_exact() -> None:
    """Blocks that all reached tol (loss no longer evaluated) or all diverged (loop stopped)."""
    bowl = get_surface("bowl")
    lrs = np.array([0.3, 0.6, 1.0, 1.4, 2.5, 3.0])  # GD on the bowl diverges above lr = 2
    res = sweep(bowl, "sgd", x_values=lrs, y_values=[0.0, 0.1], steps=200, chunk=2)
    assert res.diverged[:, 4:].all() and not res.diverged[:, :4].any()
    for i, mu in enumerate(res.y_values):
        for j, lr in enumerate(lrs):
            assert_cell_equals_single_run(res, i, j, {"lr": lr, "momentum": mu})


def test_auto_tuned_lrs_read_like_slider_stops() -> None:
    """Legends show tuned lrs as the slider does (0.004, not 0.00398107)."""
    from analysis.tuning import auto_tune
    from surfaces import SURFACES

    tuned = auto_tune(SURFACES["rosenbrock"], [("sgd", {}), ("adam", {})], steps=50)
    for _, hp in tuned:
        lr = hp["lr"]
        assert lr == float(format(lr, ".2g")), lr
