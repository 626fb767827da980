"""The 2020s optimizers (Lion, Rprop, Muon, Adafactor, Schedule-Free, Prodigy, AdEMAMix,
ADOPT) beyond their table rows (tests/optimizer_table_modern.py): what their update rules
imply (sign steps, step sizes that grow and halve, normalized steps, relative steps, x the
average of z, d that only grows), the state the app draws (Schedule-Free's x and z,
Prodigy's d), batches of runs through `run` and the divergence rule. Trajectory-level
agreement with the reference implementations is in tests/test_goldens.py (and, live,
tests/test_optimizers_torch.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from optimizers import PER_POINT, iterate, make, make_schedule, run
from optimizers._muon import NS_COEFFICIENTS, newton_schulz
from surfaces import SURFACES

NEW = (
    "rprop",
    "lion",
    "muon",
    "adafactor",
    "sgd_schedule_free",
    "adamw_schedule_free",
    "prodigy",
    "ademamix",
    "adopt",
)
CURV = np.array([1.0, 4.0])  # f = (x^2 + 4 y^2) / 2
START = np.array([1.0, -2.0])


def steps(opt, n, start=START, grad=lambda x: CURV * x, **kw):
    """Positions after steps 1..n and the final state."""
    x, state, out = np.array(start, dtype=float), opt.init(np.array(start, dtype=float)), []
    for _ in range(n):
        x, state = opt.update(grad(x), state, x, **kw)
        out.append(x)
    return np.array(out), state


# ---------------------------------------------------------------------------- by hand


def test_lion_moves_every_coordinate_by_exactly_lr():
    got, state = steps(make("lion", lr=0.1), 3)
    assert_allclose(got, [[0.9, -1.9], [0.8, -1.8], [0.7, -1.7]], rtol=1e-15)
    g1, g2, g3 = CURV * START, CURV * got[0], CURV * got[1]
    m = 0.01 * g1  # m_t = 0.99 m + 0.01 g
    m = 0.99 * m + 0.01 * g2
    assert_allclose(state.exp_avg, 0.99 * m + 0.01 * g3, rtol=1e-14)


def test_lion_weight_decay_and_its_decoupled_flag():
    a, _ = steps(make("lion", lr=0.1, weight_decay=0.5), 1)
    assert_allclose(a[0], START * (1 - 0.05) - 0.1 * np.sign(START), rtol=1e-15)
    b, _ = steps(make("lion", lr=0.1, weight_decay=0.5, decoupled_weight_decay=True), 1)
    assert_allclose(b[0], START * (1 - 0.5) - 0.1 * np.sign(START), rtol=1e-15)  # wd / lr


def test_rprop_grows_while_the_sign_holds_and_halves_on_a_flip():
    opt = make("rprop", lr=0.6)
    got, state = steps(opt, 3)
    # Step 1 keeps lr (no previous gradient); step 2 grows both to 0.72 and x overshoots 0:
    assert_allclose(got[0], [0.4, -1.4], rtol=1e-15)
    assert_allclose(got[1], [0.4 - 0.72, -1.4 + 0.72], rtol=1e-15)
    # step 3: x's gradient flipped, so x halves its step and stands still; y grows again.
    assert_allclose(got[2], [0.4 - 0.72, -1.4 + 0.72 + 0.864], rtol=1e-14)
    assert_allclose(state.step_size, [0.36, 0.864], rtol=1e-14)
    assert_allclose(state.prev, [0.0, 4 * got[1][1]], rtol=1e-15)
    # lr_scale is ignored (torch's Rprop reads lr once), and the bounds clamp.
    assert_array_equal(steps(opt, 3, lr_scale=0.1)[0], got)
    small, _ = steps(make("rprop", lr=0.6, step_sizes=(1e-6, 0.5)), 1)
    assert_allclose(small[0], START - 0.5 * np.sign(START), rtol=1e-15)


def test_muon_on_a_point_is_normalized_nesterov_momentum():
    a, b, c = NS_COEFFICIENTS
    sigma = 1.0
    for _ in range(5):  # each Newton-Schulz step on a 1 x n matrix only rescales it
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    assert sigma == pytest.approx(0.6964, abs=1e-4)
    lr, wd = 0.1, 0.1
    got, state = steps(make("muon", lr=lr), 1)
    g = CURV * START
    direction = g * (1 - 0.95**2)  # lerp(g, 0.05 g, 0.95)
    assert_allclose(state.momentum_buffer, 0.05 * g, rtol=1e-15)
    expected = START * (1 - lr * wd) - lr * sigma * direction / np.linalg.norm(direction)
    assert_allclose(got[0], expected, rtol=1e-13)
    # The step length does not depend on the gradient's scale.
    big, _ = steps(make("muon", lr=lr, weight_decay=0.0), 1, grad=lambda x: 1e6 * CURV * x)
    assert np.linalg.norm(big[0] - START) == pytest.approx(lr * sigma, rel=1e-12)
    match, _ = steps(make("muon", lr=lr, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"), 1)
    assert np.linalg.norm(match[0] - START) == pytest.approx(0.2 * math.sqrt(2) * lr * sigma)


@pytest.mark.parametrize("scale", [1e-12, 1e-8, 1e-7, 1.0, 1e6])
def test_muon_newton_schulz_is_torchs_iteration_on_a_row(scale):
    """The iteration on the norm equals torch's on the 1 x 2 matrix (written out here),
    also below eps, where torch divides by eps and the result is not normalized."""
    m = scale * np.array([[3.0, -4.0], [1.0, 0.0], [0.0, 0.0]])
    a, b, c = NS_COEFFICIENTS
    x = m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-7)
    for _ in range(5):
        gram = np.sum(x * x, axis=-1, keepdims=True)  # X X^T, 1 x 1
        x = a * x + (b * gram + c * gram * gram) * x
    assert_allclose(newton_schulz(m, 2, NS_COEFFICIENTS, 5, 1e-7), x, rtol=1e-14, atol=0)


def test_adafactor_first_step_is_relative_to_the_points_rms():
    lr = 0.1
    got, state = steps(make("adafactor", lr=lr), 2)
    rms = np.sqrt(np.mean(START**2))
    assert_allclose(got[0], START - lr * rms * np.sign(CURV * START), rtol=1e-15)
    assert_allclose(state.variance[0] > 0, True)
    # Step 2: v = lerp(g1^2, g2^2, 2^-0.8), rho = min(lr, 1/sqrt(2)), clipped by RMS(U) / d.
    g1, g2 = CURV * START, CURV * got[0]
    w = 2.0**-0.8
    v = g1**2 + (g2**2 - g1**2) * (1 - (1 - w)) if w < 0.5 else g2**2 - (g2**2 - g1**2) * (1 - w)
    u = g2 / np.sqrt(v)
    alpha = max(1e-3, np.sqrt(np.mean(got[0] ** 2))) * min(lr, 1 / math.sqrt(2))
    expected = got[0] - alpha / max(1.0, np.sqrt(np.mean(u**2))) * u
    assert_allclose(got[1], expected, rtol=1e-14)


def test_adafactor_floors_the_step_near_the_origin():
    got, _ = steps(make("adafactor", lr=0.1), 1, start=np.array([1e-6, -1e-6]))
    assert_allclose(got[0], [1e-6 - 1e-4, -1e-6 + 1e-4], rtol=1e-12)  # eps2 * rho


@pytest.mark.parametrize("name", ["sgd_schedule_free", "adamw_schedule_free"])
def test_schedule_free_x_is_the_average_of_z_and_y_lies_between(name):
    opt = make(name, lr=0.05)
    beta = opt.hparams["momentum"] if name == "sgd_schedule_free" else opt.hparams["betas"][0]
    x, state = START.copy(), opt.init(START)
    zs = []
    for _ in range(6):
        x, state = opt.update(CURV * x, state, x)
        zs.append(state.z)
        # Constant lr, no warmup, r = 0: c_t = 1/t, so x is the plain average of the z.
        assert_allclose(state.x, np.mean(zs, axis=0), rtol=1e-13)
        assert_allclose(x, (1 - beta) * state.z + beta * state.x, rtol=1e-13)
    assert state.weight_sum == pytest.approx(6 * 0.05**2)
    assert state.lr_max == 0.05


def test_schedule_free_sgd_first_step_and_warmup():
    got, state = steps(make("sgd_schedule_free", lr=0.1), 1)
    assert_allclose(got[0], START - 0.1 * CURV * START, rtol=1e-15)  # y_1 = z_1 = x_1
    assert_array_equal(state.z, got[0])
    warm, state = steps(make("sgd_schedule_free", lr=0.1, warmup_steps=4), 2)
    assert_allclose(warm[0], START - 0.025 * CURV * START, rtol=1e-15)  # lr * 1/4
    assert state.lr_max == pytest.approx(0.05)  # lr * 2/4 at step 2
    # weights lr_max^2: 0.025^2 then 0.05^2
    assert state.weight_sum == pytest.approx(0.025**2 + 0.05**2)


def test_prodigy_d_starts_at_d0_never_decreases_and_finds_the_scale():
    opt = make("prodigy")
    x, state = np.array([3.0, -4.0]), opt.init(np.array([3.0, -4.0]))
    ds = [state.d]
    for _ in range(300):
        x, state = opt.update(x, state, x)  # f = |x|^2 / 2, minimum at distance 5
        ds.append(state.d)
    assert ds[0] == 1e-6 and ds[1] == 1e-6  # step 1: p0 = p, so no evidence yet
    assert all(b >= a for a, b in zip(ds, ds[1:], strict=False))
    assert 0.5 < ds[-1] < 50  # from 1e-6 to the problem's scale (distance 5)
    assert np.linalg.norm(x) < 0.05
    assert state.k == 300 and isinstance(state.d, float)


def test_prodigy_does_not_move_at_a_zero_gradient_or_a_zero_lr():
    """The reference returns before moving when sum |s| = 0 (zero gradients) and skips
    everything at lr 0 (say, the end of a cosine schedule)."""
    opt = make("prodigy")
    x = np.array([0.0, 0.0])
    new, state = opt.update(np.zeros(2), opt.init(x), x)
    assert_array_equal(new, x)
    assert state.k == 0 and state.d == 1e-6
    x = np.array([1.0, 2.0])
    new, state = opt.update(x, opt.init(x), x, lr_scale=0.0)
    assert_array_equal(new, x)
    assert state.k == 0


def test_ademamix_first_step_and_alpha_warmup():
    lr = 0.1
    got, state = steps(make("ademamix", lr=lr), 1)
    g = CURV * START
    # m/bc1 = g, slow = 1e-4 g, denom = |g| + eps: a step of lr (1 + 5e-4) sign(g)
    assert_allclose(got[0], START - lr * (g + 5 * 1e-4 * g) / (np.abs(g) + 1e-8), rtol=1e-14)
    assert_allclose(state.exp_avg_slow, 1e-4 * g, rtol=1e-12)
    warm, state = steps(make("ademamix", lr=lr, t_alpha_beta3=10.0), 1)
    beta3_1 = math.exp(
        math.log(0.9) * math.log(0.9999) / (0.9 * math.log(0.9999) + 0.1 * math.log(0.9))
    )
    assert_allclose(state.exp_avg_slow, (1 - beta3_1) * g, rtol=1e-12)
    alpha_1 = 5.0 / 10
    expected = START - lr * (g + alpha_1 * (1 - beta3_1) * g) / (np.abs(g) + 1e-8)
    assert_allclose(warm[0], expected, rtol=1e-13)


def test_adopt_first_step_only_measures_then_steps_with_the_old_moment():
    lr = 0.1
    got, state = steps(make("adopt", lr=lr), 2)
    assert_array_equal(got[0], START)
    g = CURV * START  # same point twice: g2 = g1
    n = np.clip(g / np.abs(g), -(2**0.25), 2**0.25)
    assert_allclose(got[1], START - lr * 0.1 * n, rtol=1e-15)
    assert_allclose(state.exp_avg_sq, 0.9999 * g**2 + 1e-4 * g**2, rtol=1e-15)
    clipped, _ = steps(make("adopt", lr=lr), 2, grad=lambda x: CURV * x * (1 + 9 * (x[0] < 1)))
    assert_allclose(clipped[1], [1.0, -2.0] - lr * 0.1 * np.sign(g), rtol=1e-15)  # |n| = 1 < 2^¼


# ------------------------------------------------------------------------- validation
# The references' ValueError messages are the table's ``invalid`` column
# (tests/optimizer_table_modern.py, checked by tests/test_optimizers.py).


def test_validation_of_types():
    with pytest.raises(TypeError, match="ns_steps"):
        make("muon", ns_steps=2.5)
    assert make("muon", ns_steps=4.0).hparams["ns_steps"] == 4  # from a number widget
    with pytest.raises(TypeError, match="clip_lambda"):
        make("adopt", clip_lambda=2.0)
    with pytest.raises(TypeError, match="betas"):
        make("ademamix", betas=(0.9, 0.999))
    make("lion", betas=(1.0, 1.0))  # lion_pytorch allows 1
    make("adafactor", beta2_decay=0.0, d=1.0, eps=(0.0, 0.0))


# ---------------------------------------------------------------- runs, batches, schedules

SWEEPS = {  # one array hyperparameter per optimizer (Prodigy's axis is d_coef)
    "rprop": {"lr": np.array([1e-3, 1e-2, 0.1])},
    "lion": {"lr": np.array([1e-3, 1e-2, 0.1]), "betas": (0.9, np.array([0.9, 0.99, 0.999]))},
    "muon": {"lr": np.array([1e-3, 1e-2, 0.1]), "momentum": np.array([0.0, 0.5, 0.95])},
    "adafactor": {"lr": np.array([1e-3, 1e-2, 0.1]), "d": np.array([1.0, 1.5, 3.0])},
    "sgd_schedule_free": {"lr": np.array([1e-4, 1e-3, 2e-3]), "warmup_steps": np.array([0, 3, 9])},
    "adamw_schedule_free": {"lr": np.array([1e-3, 1e-2, 0.1])},
    "prodigy": {"d_coef": np.array([0.1, 1.0, 3.0]), "growth_rate": np.array([1.05, 2.0, 1e9])},
    "ademamix": {"lr": np.array([1e-3, 1e-2, 0.1]), "alpha": np.array([0.0, 2.0, 8.0])},
    "adopt": {"lr": np.array([1e-3, 1e-2, 0.1])},
}


def _single(hp, i):
    return {
        k: tuple(float(e[i]) if np.ndim(e) else e for e in v)
        if isinstance(v, tuple)
        else float(v[i])
        for k, v in hp.items()
    }


@pytest.mark.parametrize("name", NEW)
def test_a_swept_run_under_a_schedule_equals_the_single_runs(name):
    """As the sweep map and the lr blocks run them: arrays of hyperparameters (materialized
    at the points' shape by `run`) and a schedule with an array decay, on Rosenbrock."""
    surface = SURFACES["rosenbrock"]
    schedule = make_schedule("exponential", gamma=np.array([[0.9, 0.99]]))
    hp = {  # each array on the first batch axis, the decays on the second
        k: tuple(e[:, None] if np.ndim(e) else e for e in v) if isinstance(v, tuple) else v[:, None]
        for k, v in SWEEPS[name].items()
    }
    traj = run(make(name, **hp), surface.grad, [-1.2, 1.0], 40, schedule=schedule)
    assert traj.points.shape == (41, 3, 2, 2)
    for i in range(3):
        for j, gamma in enumerate((0.9, 0.99)):
            single = run(
                make(name, **_single(SWEEPS[name], i)),
                surface.grad,
                [-1.2, 1.0],
                40,
                schedule=make_schedule("exponential", gamma=gamma),
            )
            assert_allclose(traj.points[:, i, j], single.points, rtol=1e-12, atol=1e-300)
            assert traj.diverged_at[i, j] == single.diverged_at


BLOW_UP = {  # the second run leaves the bound within a few steps
    "rprop": {"lr": np.array([1e-2, 1e8]), "step_sizes": (1e-6, 1e9)},
    "adafactor": {"eps": (None, np.array([1e-3, 1e9]))},  # its steps scale with max(eps2, RMS)
    "prodigy": {"d0": np.array([1e-6, 1e8])},  # its lr is d
}


@pytest.mark.parametrize("name", NEW)
def test_iterate_yields_the_runs_points_and_diverged_runs_freeze(name):
    surface = SURFACES["ravine"]
    opt = make(name, **BLOW_UP.get(name, {"lr": np.array([1e-2, 1e8])}))
    schedule = make_schedule("cosine", T_max=60)
    traj = run(opt, surface.grad, [-1.5, 0.8], 60, schedule=schedule)
    for t, points, alive in iterate(opt, surface.grad, [-1.5, 0.8], 60, schedule=schedule):
        assert_array_equal(points, traj.points[t])
        assert_array_equal(alive, (traj.diverged_at == -1) | (traj.diverged_at > t))
    assert traj.diverged_at[0] == -1 and 1 <= traj.diverged_at[1] <= 3
    at = traj.diverged_at[1]  # frozen at the last point inside the bound
    assert_array_equal(traj.points[at:, 1], np.broadcast_to(traj.points[at - 1, 1], (61 - at, 2)))
    assert np.all(np.abs(traj.points) <= 1e6)


def test_per_point_optimizers_are_the_ones_that_couple_coordinates():
    """Permuting the batch axis permutes the results for every optimizer; mixing the
    coordinates of one point changes only the per-point ones."""
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.1, -1.0]])
    for name in NEW:
        opt = make(name, lr=0.05) if name != "prodigy" else make(name)
        full, _ = steps(opt, 30, start=x, grad=lambda p: p * [1.0, 4.0, 9.0])
        alone, _ = steps(opt, 30, start=x[:, :1], grad=lambda p: p)
        coupled = not np.allclose(full[..., :1], alone, rtol=1e-12)
        assert coupled == (name in PER_POINT), name
