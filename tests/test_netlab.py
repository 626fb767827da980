"""Specs of the tiny-network lab: exact backprop, batching, seeding, diagnostics, statistics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netlab
import optimizers
from netlab import (
    ACTIVATIONS,
    get_activation,
    init_params,
    loss_and_grad,
    make_data,
    mse,
    pack,
    references,
    train,
    unit_status,
    unpack,
)

DATA = make_data(np.random.default_rng(0), 64)


H_FD = 2.0**-13  # ~1.2e-4, a power of two so every stencil point is exact
RTOL = 1e-6
NOISE = 4.0  # rounding noise of the stencil in units of eps * |f| / h


def numerical_grad(params, X, y, act):
    """Fourth-order centered differences ``(8 (f(+h) - f(-h)) - (f(+2h) - f(-2h))) / 12h``.

    Returns the estimate and its rounding noise ``NOISE * eps * (1 + max |f|) / h`` per run
    (as in tests/test_surfaces.py).
    """
    grad = np.zeros_like(params)
    mag = np.zeros(params.shape[:-1])
    for k in range(params.shape[-1]):
        e = np.zeros(params.shape[-1])
        e[k] = H_FD
        f = {j: mse(params + j * e, X, y, act) for j in (-2, -1, 1, 2)}
        grad[..., k] = (8.0 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12.0 * H_FD)
        mag = np.maximum(mag, np.max(np.abs(list(f.values())), axis=0))
    noise = NOISE * np.finfo(np.float64).eps * (1.0 + mag) / H_FD
    return grad, noise[..., None]


def rel_error(a: np.ndarray, b: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """CS231n relative error ``|a - b| / max(|a|, |b|)``, floored at the stencil's noise."""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), noise / RTOL)
    return np.abs(a - b) / scale


def away_from_kinks(params, X, act, margin=1e-2):
    """Keep the inputs whose pre-activations are all at least `margin` from every kink.

    Zero counts as a kink for every activation: ELU is C1 but its second derivative jumps at 0,
    which makes centered differences only first-order accurate across it.
    """
    Z = netlab.pre_activations(params, X)  # (runs, H, n)
    keep = np.ones(X.shape[0], dtype=bool)
    for kink in {0.0, *act.kinks}:
        keep &= np.all(np.abs(Z - kink) > margin, axis=(0, 1))
    return X[keep]


# ----------------------------------------------------------------------- activations


def test_activation_values_and_framework_derivatives_at_kinks() -> None:
    z = np.array([-2.0, 0.0, 1.5])
    expected = {
        "relu": ([0.0, 0.0, 1.5], [0.0, 0.0, 1.0]),
        "leaky_relu": ([-0.02, 0.0, 1.5], [0.01, 0.01, 1.0]),
        "elu": ([np.expm1(-2.0), 0.0, 1.5], [np.exp(-2.0), 1.0, 1.0]),
    }
    for name, (f, df) in expected.items():
        a, da = get_activation(name).f_df(z)
        np.testing.assert_allclose(a, f, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(da, df, rtol=1e-12)
    s, lam = netlab._activations.SELU_ALPHA, netlab._activations.SELU_SCALE
    a, da = get_activation("selu").f_df(z)
    np.testing.assert_allclose(a, lam * np.array([s * np.expm1(-2.0), 0.0, 1.5]), rtol=1e-12)
    np.testing.assert_allclose(da, [lam * s * np.exp(-2.0), lam * s, lam], rtol=1e-12)
    z = np.linspace(-30, 30, 121)
    sig = 1 / (1 + np.exp(-z))
    for name, f, df in (
        ("softplus", np.log1p(np.exp(z)), sig),
        ("sigmoid", sig, sig * (1 - sig)),
        ("tanh", np.tanh(z), 1 - np.tanh(z) ** 2),
    ):
        a, da = get_activation(name).f_df(z)
        np.testing.assert_allclose(a, f, rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(da, df, rtol=1e-9, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_do_not_overflow(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, da = get_activation(name).f_df(np.array([-1e4, -800.0, 800.0, 1e4]))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(da))


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown activation"):
        get_activation("swish")
    with pytest.raises(ValueError, match="Unknown init scheme"):
        init_params([0], 3, scheme="xavier")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Invalid number of hidden units"):
        init_params([0], 33)
    with pytest.raises(ValueError, match="Unknown domain"):
        make_data(np.random.default_rng(0), 4, domain="ball")  # type: ignore[arg-type]


# ----------------------------------------------------------------------- network


def test_pack_unpack_round_trip_and_views() -> None:
    p = np.arange(2 * 13, dtype=np.float64).reshape(2, 13)
    w = unpack(p)
    assert w.W1.shape == (2, 3, 2) and w.b1.shape == (2, 3) and w.b2.shape == (2,)
    assert np.shares_memory(w.W1, p)
    np.testing.assert_array_equal(pack(*w), p)
    with pytest.raises(ValueError, match="4H \\+ 1"):
        unpack(np.zeros(12))


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(list(ACTIVATIONS)),
    hidden=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_backprop_matches_centered_differences(name: str, hidden: int, seed: int) -> None:
    act = get_activation(name)
    rng = np.random.default_rng(seed)
    # torch init: non-zero biases; scaled up so that tanh/sigmoid units are not all linear.
    params = init_params(rng.integers(0, 2**31, size=3), hidden, scheme="torch") * 1.5
    X = away_from_kinks(params, DATA.X, act)
    assert X.shape[0] >= 8
    y = netlab.target(X)
    loss, grad = loss_and_grad(params, X, y, act)
    np.testing.assert_allclose(loss, mse(params, X, y, act), rtol=1e-14)
    # The margin of `away_from_kinks` (1e-2) exceeds any change 2h makes to a pre-activation.
    num, noise = numerical_grad(params, X, y, act)
    err = rel_error(grad, num, noise)
    assert np.all(err < RTOL), f"max relative error {err.max():.2e}"


def test_single_parameter_vector_works_like_a_batch_of_one() -> None:
    act = get_activation("elu")
    p = init_params([3, 4], 5, scheme="torch")
    loss, grad = loss_and_grad(p, DATA.X, DATA.y, act)
    loss1, grad1 = loss_and_grad(p[1], DATA.X, DATA.y, act)
    np.testing.assert_allclose(loss1, loss[1], rtol=1e-14)
    np.testing.assert_allclose(grad1, grad[1], rtol=1e-12, atol=1e-15)


def test_init_is_per_seed_and_paired_across_schemes() -> None:
    a = init_params([5, 6, 7], 4)
    np.testing.assert_array_equal(init_params([6], 4)[0], a[1])
    assert not np.allclose(a[0], a[1])
    w = unpack(a)
    assert np.all(w.b1 == 0) and np.all(w.b2 == 0)  # Keras: zero biases
    limit = np.sqrt(6 / (2 + 4))
    assert np.all(np.abs(w.W1) <= limit) and np.abs(w.W1).max() > 0.8 * limit
    # Same seed, other scheme: same draws, other scale (directions are paired).
    he = unpack(init_params([5, 6, 7], 4, scheme="he_uniform"))
    np.testing.assert_allclose(he.W1, w.W1 * np.sqrt(6 / 2) / limit, rtol=1e-12)
    torch = unpack(init_params([5], 4, scheme="torch"))
    assert np.all(np.abs(torch.b1) <= 1 / np.sqrt(2)) and np.any(torch.b1 != 0)


def test_data_in_disc_and_square() -> None:
    rng = np.random.default_rng(1)
    disc = make_data(rng, 2000, radius=2.0)
    assert np.all(disc.y <= 2.0)
    # Uniform in the disc: P(r < 1) = 1/4 for radius 2.
    assert abs(np.mean(disc.y < 1.0) - 0.25) < 0.04
    square = make_data(rng, 500, domain="square")
    assert np.all(np.abs(square.X) <= 1.0) and square.y.max() > 1.0
    np.testing.assert_allclose(square.y, np.hypot(square.X[:, 0], square.X[:, 1]))


# ----------------------------------------------------------------------- training


def _train(seeds, *, hidden=3, activation="relu", batch_size=None, steps=60, lr=0.02):
    data = make_data(np.random.default_rng(0), 48)
    return train(
        init_params(seeds, hidden),
        data,
        activation,
        optimizers.make("adam", lr=lr),
        steps=steps,
        batch_size=batch_size,
        rng=np.random.default_rng(9),
        threshold=0.02,
    )


@pytest.mark.parametrize("batch_size", [None, 16])
def test_batch_over_runs_equals_single_runs(batch_size: int | None) -> None:
    many = _train([1, 2, 3, 4], batch_size=batch_size, activation="softplus")
    for i, seed in enumerate([1, 2, 3, 4]):
        one = _train([seed], batch_size=batch_size, activation="softplus")
        np.testing.assert_allclose(one.params[0], many.params[i], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(one.losses[:, 0], many.losses[:, i], rtol=1e-10)
        assert one.steps_to_threshold[0] == many.steps_to_threshold[i]


def test_training_is_deterministic_and_reduces_the_loss() -> None:
    a, b = _train(range(6)), _train(range(6))
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.losses.shape == (61, 6) and a.recorded_steps[-1] == 60
    np.testing.assert_array_equal(a.final_loss, a.losses[-1])
    assert np.all(a.final_loss < a.losses[0])


def test_steps_to_threshold_is_the_first_crossing() -> None:
    res = _train(range(8), steps=150, lr=0.05)
    assert res.success.any()
    for run in range(res.runs):
        t = res.steps_to_threshold[run]
        curve = res.losses[:, run]
        if t < 0:
            assert np.all(curve > res.threshold)
        else:
            assert curve[t] <= res.threshold and np.all(curve[:t] > res.threshold)


def test_per_run_learning_rates_match_separate_trainings() -> None:
    data = make_data(np.random.default_rng(0), 32)
    p0 = np.tile(init_params([7], 3), (2, 1))
    both = train(p0, data, "elu", optimizers.make("sgd", lr=np.array([0.05, 0.2])), steps=30)
    for i, lr in enumerate([0.05, 0.2]):
        one = train(p0[:1], data, "elu", optimizers.make("sgd", lr=lr), steps=30)
        np.testing.assert_allclose(one.params[0], both.params[i], rtol=1e-12)


def test_minibatch_needs_an_rng_and_records_on_schedule() -> None:
    data = make_data(np.random.default_rng(0), 32)
    opt = optimizers.make("sgd", lr=0.1)
    with pytest.raises(ValueError, match="rng"):
        train(init_params([0], 2), data, "relu", opt, steps=5, batch_size=8)
    res = train(
        init_params([0], 2),
        data,
        "relu",
        opt,
        steps=25,
        batch_size=8,
        rng=np.random.default_rng(0),
        record_every=10,
    )
    np.testing.assert_array_equal(res.recorded_steps, [0, 10, 20, 25])
    assert res.batch_size == 8 and res.losses.shape == (4, 1)


def test_divergence_is_contained() -> None:
    res = _train(range(3), lr=1e4, steps=30)  # absurd lr: losses blow up
    assert np.all(np.isinf(res.final_loss) | (res.final_loss > 1.0))
    assert not res.success.any()


# ----------------------------------------------------------------------- diagnostics


def test_dead_and_merged_units_on_a_constructed_network() -> None:
    X = DATA.X  # inside the unit disc
    W1 = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, 1.0]])
    b1 = np.array([0.0, 0.0, -1.5, 0.0, 0.3])
    params = pack(W1, b1, np.ones(5), 0.0)
    dead, merged = unit_status(params, X)
    # unit 2: w.x + b <= 1 - 1.5 < 0 on the disc -> dead; unit 1 = 2 x unit 0 -> merged;
    # unit 3 is unit 0 mirrored (a valley, not a merge); unit 4 differs by its bias.
    assert dead.tolist() == [False, False, True, False, False]
    assert merged.tolist() == [False, True, False, False, False]
    # A dead ReLU unit gets exactly zero gradient, so full-batch training never revives it.
    _, grad = loss_and_grad(params, X, DATA.y, get_activation("relu"))
    g = unpack(grad)
    assert np.all(g.W1[2] == 0) and g.b1[2] == 0 and g.w2[2] == 0
    res = train(params[None], DATA, "relu", optimizers.make("adam", lr=0.05), steps=50)
    np.testing.assert_array_equal(unpack(res.params[0]).W1[2], W1[2])
    assert res.dead[0, 2] and res.dead_units[0] >= 1
    # Leaky ReLU: the same unit is inactive but still learns.
    _, grad = loss_and_grad(params, X, DATA.y, get_activation("leaky_relu"))
    assert np.any(unpack(grad).W1[2] != 0)


def test_median_run() -> None:
    assert netlab.median_run([5.0, 1.0, 3.0]) == 2
    assert netlab.median_run([np.inf, 0.1]) == 1


# ----------------------------------------------------------------------- threshold


def test_references_match_the_continuum_and_the_network() -> None:
    big = make_data(np.random.default_rng(3), 20000)
    ref = references(big)
    var = 1 / 2 - 4 / 9  # E r^2 - (E r)^2 for the uniform unit disc
    assert ref.constant == pytest.approx(var, rel=0.03)
    # Closed forms (quadrature) of the continuum: pyramid 1.56 %, valley 67.8 % of var.
    assert ref.pyramid / ref.constant == pytest.approx(0.0156, rel=0.05)
    assert ref.valley / ref.constant == pytest.approx(0.678, rel=0.03)
    assert ref.threshold == 2 * ref.pyramid
    # The pyramid is a 2-3-1 ReLU network: build it and get the same loss.
    data = make_data(np.random.default_rng(4), 300)
    ref = references(data)
    best = None
    for phi in np.linspace(0, 2 * np.pi / 3, 720, endpoint=False):
        ang = phi + 2 * np.pi * np.arange(3) / 3
        W1 = np.stack([np.cos(ang), np.sin(ang)], axis=-1)
        g = np.maximum(data.X @ W1.T, 0).sum(1)
        a, c = np.polyfit(g, data.y, 1)
        loss = float(
            mse(pack(W1, np.zeros(3), np.full(3, a), c), data.X, data.y, get_activation("relu"))
        )
        best = loss if best is None else min(best, loss)
    assert ref.pyramid == pytest.approx(best, rel=1e-9)


def test_threshold_separates_pyramid_from_valley() -> None:
    data = make_data(np.random.default_rng(5), 400)
    ref = references(data)
    relu = get_activation("relu")
    ang = 2 * np.pi * np.arange(3) / 3
    # The continuum's least-squares pyramid: output weight 1.031, bias 0.0104.
    pyramid = pack(np.stack([np.cos(ang), np.sin(ang)], -1), np.zeros(3), np.full(3, 1.031), 0.0104)
    valley = pack(
        np.array([[1.0, 0], [-1, 0], [0, 1]]),
        np.array([0, 0, -5.0]),
        np.array([1.0, 1.0, 1.0]),
        0.3,
    )
    assert mse(pyramid, data.X, data.y, relu) < ref.threshold < ref.valley
    assert mse(valley, data.X, data.y, relu) > ref.threshold


# ----------------------------------------------------------------------- statistics


def test_wilson_and_sign_test_against_known_values() -> None:
    lo, hi = netlab.wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = netlab.wilson_interval(32, 64)
    assert lo + hi == pytest.approx(1.0)
    # Exact binomial: 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * 11 / 1024.
    assert netlab.sign_test(1, 9) == pytest.approx(22 / 1024)
    assert netlab.sign_test(0, 6) == pytest.approx(2 / 64)
    assert netlab.sign_test(3, 3) == 1.0


def _row(activation, hidden, optimizer, success, steps=None):
    success = np.array(success, dtype=bool)
    zeros = np.zeros(success.size, dtype=np.int64)
    steps = np.where(success, 100, -1) if steps is None else np.array(steps)
    return netlab.ComparisonRow(
        activation,
        hidden,
        optimizer,
        (("lr", 0.1),),
        success,
        np.where(success, 1e-4, 0.04),
        steps,
        zeros,
        zeros,
        0.0,
    )


def test_claims_follow_the_numbers() -> None:
    n = 20
    none, half, all_ = [False] * n, [True] * 10 + [False] * 10, [True] * n
    rows = (
        _row("relu", 3, "adam", half, steps=[200] * 10 + [-1] * 10),
        _row("relu", 8, "adam", all_),
        _row("elu", 3, "adam", half, steps=[100] * 10 + [-1] * 10),
        _row("elu", 8, "adam", all_),
    )
    cmp = netlab.Comparison(rows=rows, seeds=tuple(range(n)), steps=500, threshold=1e-3)
    claims = {c.claim: c for c in netlab.evaluate_claims(cmp)}
    more = claims["More hidden units help."]
    assert more.verdict == "threshold: supported"
    assert "only first 10, only second 0" in more.measurement
    assert claims["ELU / SELU did not work better."].verdict.startswith("threshold: supported")
    assert claims["A smooth activation such as ELU speeds up gradient descent."].verdict == (
        "supported"
    )
    stuck = claims["A 2-3-1 ReLU network usually gets stuck in a local minimum (the 'valley')."]
    assert stuck.verdict == "contradicted"  # 10/20 stuck is not "usually"
    p = netlab.paired(rows[0], _row("relu", 3, "sgd", none))
    assert (p.both, p.only_a, p.only_b, p.neither) == (0, 10, 0, 10)
    assert p.p_value == pytest.approx(2 / 2**10)


def test_run_comparison_is_paired_and_complete() -> None:
    data = make_data(np.random.default_rng(0), 32)
    lr = {("relu", "sgd"): 0.1, ("relu", "adam"): 0.01, ("elu", "sgd"): 0.1, ("elu", "adam"): 0.01}
    grid = netlab.make_grid(("relu", "elu"), (2,), ("sgd", "adam"), lr=lr)
    cmp = netlab.run_comparison(
        data, range(4), steps=20, threshold=references(data).threshold, configs=grid
    )
    assert [r.label for r in cmp.rows] == [
        "relu H=2 sgd(lr=0.1)",
        "relu H=2 adam(lr=0.01)",
        "elu H=2 sgd(lr=0.1)",
        "elu H=2 adam(lr=0.01)",
    ]
    rec = cmp.records()[0]
    assert rec["success"] == f"{rec['success rate'] * 4:.0f}/4" and rec["lr"] == 0.1
    same = netlab.train_config(
        data, range(4), "relu", 2, "sgd", {"lr": 0.1}, steps=20, threshold=cmp.threshold
    )
    np.testing.assert_array_equal(same.final_loss, cmp.row("relu", 2, "sgd").final_loss)
    assert all(math.isfinite(r.seconds) for r in cmp.rows)
    assert netlab.evaluate_claims(cmp) is not None


def test_surface_grid_covers_the_domain() -> None:
    params = init_params([0], 3)[0]
    g = netlab.surface_grid(params, "relu", resolution=21)
    assert g.X.shape == g.Z_pred.shape == (11, 33)
    np.testing.assert_allclose(np.hypot(g.X[-1], g.Y[-1]), 1.0)  # the rim is the unit circle
    np.testing.assert_allclose(
        g.Z_pred,
        netlab.predict(
            params, np.stack([g.X, g.Y], -1).reshape(-1, 2), get_activation("relu")
        ).reshape(g.X.shape),
    )
    sq = netlab.surface_grid(params, "relu", resolution=21, domain="square")
    assert sq.X.shape == (21, 21) and sq.Z_target.max() == pytest.approx(np.sqrt(2))


# ----------------------------------------------------------------------- landscape (stretch)


@pytest.mark.parametrize("name", ["relu", "elu", "softplus", "tanh"])
def test_landscape_surface_derivatives_are_exact(name: str) -> None:
    data = make_data(np.random.default_rng(0), 48)
    res = netlab.train_config(data, [0], name, 3, "adam", {"lr": 0.05}, steps=100, threshold=0.0)
    surface = netlab.landscape_surface(res.params[0], data, name, np.random.default_rng(1))
    assert isinstance(surface, netlab._landscape.Surface)
    assert surface.value(np.zeros(2)) == pytest.approx(res.final_loss[0], rel=1e-12)
    pts = np.random.default_rng(2).uniform(-0.8, 0.8, size=(12, 2))
    h = 2.0**-14
    eye = np.eye(2)
    g_num = np.stack(
        [(surface.value(pts + h * e) - surface.value(pts - h * e)) / (2 * h) for e in eye], axis=-1
    )
    H_num = np.stack(
        [(surface.grad(pts + h * e) - surface.grad(pts - h * e)) / (2 * h) for e in eye], axis=-1
    )
    g, H = surface.grad(pts), surface.hessian(pts)
    # A slice could cross a ReLU kink between the stencil points: compare where none does.
    np.testing.assert_allclose(g, g_num, rtol=1e-6, atol=1e-7 * np.abs(g).max())
    np.testing.assert_allclose(H, H_num, rtol=1e-5, atol=1e-6 * np.abs(H).max())
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    assert surface.grad(np.zeros((3, 4, 2))).shape == (3, 4, 2)


def test_filter_normalized_directions_follow_li_et_al() -> None:
    p = init_params([3], 5, scheme="torch")[0]
    d = netlab.filter_normalized_directions(p, np.random.default_rng(0), count=3)
    assert d.shape == (3, 21)
    w = unpack(p)
    for k in range(3):
        dk = unpack(d[k])
        np.testing.assert_allclose(np.linalg.norm(dk.W1, axis=1), np.linalg.norm(w.W1, axis=1))
        assert np.linalg.norm(dk.w2) == pytest.approx(np.linalg.norm(w.w2))
        assert np.all(dk.b1 == 0) and dk.b2 == 0
