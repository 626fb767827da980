"""The hand derivations, written out: each optimizer's first steps as numbers on a page, and
the identities the notes state (Nesterov's look-ahead form, momentum's velocity form, a
scheduled lr as lr_scale, AdamW's decoupled decay)."""


from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from optimizers import (
    OPTIMIZERS,
    SECOND_ORDER,
    defaults,
    make,
)
from tests.hand_derivations import (
    CURV,
    SGD_STEPS,
    START,
    adagrad_coord,
    adam_coord,
    first_steps,
    nesterov_coord,
    per_coordinate,
    radam_coord,
    rmsprop_coord,
    sgd_dampening_coord,
    sgd_weight_decay_coord,
)
from tests.optimizer_table import TABLE

NAMES = list(OPTIMIZERS)
REGISTERED = [*OPTIMIZERS, *SECOND_ORDER]

# ------------------------------------------------------- the hand derivations, written out


def test_hand_derivations_agree_with_numbers_written_out():
    # SGD, lr 0.1 on (x^2 + 4 y^2) / 2: x: g = x;  x <- x - 0.1 g.   y: g = 4 y.
    x1, y1 = 1.0 - 0.1 * 1.0, -2.0 - 0.1 * (-8.0)  # 0.9, -1.2
    x2, y2 = x1 - 0.1 * x1, y1 - 0.1 * (4 * y1)  # 0.81, -0.72
    x3, y3 = x2 - 0.1 * x2, y2 - 0.1 * (4 * y2)  # 0.729, -0.432
    assert_allclose([[x1, y1], [x2, y2], [x3, y3]], SGD_STEPS)
    assert_allclose(sgd_weight_decay_coord(0.1, 0.5)(1.0, 1.0), [0.85, 0.7225, 0.614125])
    assert_allclose(sgd_dampening_coord(0.1, 0.9, 0.5)(1.0, 1.0), [0.9, 0.765, 0.60525])
    assert_allclose(nesterov_coord(0.1, 0.9)(1.0, 1.0), [0.81, 0.5751, 0.327321])
    # Adagrad's first step is lr in every coordinate: g / sqrt(g^2) = sign(g).
    assert_allclose(adagrad_coord(0.1)(1.0, 1.0)[0], 0.9)


def test_nesterov_equals_cs231n_lookahead_form_at_constant_lr():
    """The notes: v_prev = v; v = mu v - lr dx; x += -mu v_prev + (1 + mu) v."""
    lr, mu = 0.05, 0.9
    x, v = np.array(START), np.zeros(2)
    notes = []
    for _ in range(10):
        v_prev = v
        v = mu * v - lr * (np.array(CURV) * x)
        x = x + (-mu * v_prev + (1 + mu) * v)
        notes.append(x)
    assert_allclose(first_steps(make("nesterov", lr=lr), n=10), notes, rtol=1e-12)


def test_momentum_equals_cs231n_velocity_form_only_at_constant_lr():
    """v = mu v - lr dx; x += v equals torch's b = mu b + g; x -= lr b when lr is constant."""
    lr, mu = 0.05, 0.9

    def notes(scales):
        x, v = np.array(START), np.zeros(2)
        for s in scales:
            v = mu * v - lr * s * (np.array(CURV) * x)
            x = x + v
        return x

    opt = make("momentum", lr=lr)
    assert_allclose(first_steps(opt, n=5)[-1], notes([1.0] * 5), rtol=1e-12)
    # A schedule: torch's buffer holds gradients, so the new lr rescales the whole velocity.
    scales = [1.0, 1.0, 0.1, 0.1, 0.1]
    x, state = np.array(START), opt.init(np.array(START))
    for s in scales:
        x, state = opt.update(np.array(CURV) * x, state, x, lr_scale=s)
    assert not np.allclose(x, notes(scales), rtol=1e-3)


def test_lr_scale_is_a_scheduled_lr():
    """lr_scale = s is exactly torch's group['lr'] = lr * s for that step (Rprop reads its
    lr once, at init, as torch's: there lr_scale changes nothing)."""
    for name in NAMES:
        hp = {"lr": 0.05} if name != "adadelta" else {"lr": 0.5}
        a = first_steps(make(name, **hp), n=1, lr_scale=0.5)
        b = first_steps(make(name, lr=hp["lr"] * (1.0 if name == "rprop" else 0.5)), n=1)
        assert_allclose(a, b, rtol=1e-15, err_msg=name)
        if name == "lion":  # lion_pytorch's decoupled decay divides by the initial lr
            hp["decoupled_weight_decay"] = True
            c = first_steps(make(name, **hp, weight_decay=0.5), n=1, lr_scale=0.5)
            # decay lr_t * wd / lr = 0.5 * wd: c = a - 0.25 * x0
            assert_allclose(c, a - 0.25 * np.array(START), rtol=1e-14)


def test_adagrad_initial_accumulator_is_the_state():
    opt = make("adagrad", lr=0.1, lr_decay=0.5, initial_accumulator_value=2.0)
    assert_array_equal(opt.init(np.zeros(3)).sum, [2.0, 2.0, 2.0])


def test_rmsprop_first_three_steps_written_out():
    # No bias correction: the first step is lr / sqrt(1 - alpha) = 10 lr per coordinate.
    lr, alpha, eps = 0.01, 0.99, 1e-8
    g1 = 1.0
    v1 = (1 - alpha) * g1 * g1
    x1 = 1.0 - lr * g1 / (math.sqrt(v1) + eps)
    g2 = x1
    v2 = alpha * v1 + (1 - alpha) * g2 * g2
    x2 = x1 - lr * g2 / (math.sqrt(v2) + eps)
    g3 = x2
    v3 = alpha * v2 + (1 - alpha) * g3 * g3
    x3 = x2 - lr * g3 / (math.sqrt(v3) + eps)
    assert_allclose(x1, 0.9, rtol=1e-7)
    got = first_steps(make("rmsprop", lr=lr))
    assert_allclose(got[:, 0], [x1, x2, x3], rtol=1e-14)
    assert_allclose(got, per_coordinate(rmsprop_coord(lr, alpha, eps)), rtol=1e-14)


def test_rmsprop_centered_first_step_uses_variance():
    # v1 = 0.01 g^2, ga1 = 0.01 g: v~ = 0.01 g^2 - 0.0001 g^2 = 0.0099 g^2.
    got = first_steps(make("rmsprop", lr=0.01, centered=True), n=1)
    assert_allclose(got[0, 0], 1.0 - 0.01 / math.sqrt(0.0099), rtol=1e-7)


def test_adam_first_three_steps_written_out():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    # Step 1 written out: m_hat = g, v_hat = g^2, so x1 = x0 - lr g / (|g| + eps).
    g1 = 1.0
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1 * g1
    x1 = 1.0 - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    assert_allclose(x1, 0.9, rtol=1e-8)
    g2 = x1
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2 * g2
    x2 = x1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    g3 = x2
    m3, v3 = b1 * m2 + (1 - b1) * g3, b2 * v2 + (1 - b2) * g3 * g3
    x3 = x2 - lr * (m3 / (1 - b1**3)) / (math.sqrt(v3 / (1 - b2**3)) + eps)
    got = first_steps(make("adam", lr=lr))
    assert_allclose(got[:, 0], [x1, x2, x3], rtol=1e-13)
    assert_allclose(got, per_coordinate(adam_coord(lr, b1, b2, eps)), rtol=1e-13)


def test_amsgrad_changes_the_path():
    amsgrad = first_steps(make("adam", lr=0.1, betas=(0.9, 0.5), amsgrad=True))
    plain = first_steps(make("adam", lr=0.1, betas=(0.9, 0.5)))
    assert not np.allclose(amsgrad, plain, rtol=1e-6)


def test_adamw_is_adam_with_decoupled_weight_decay():
    got = first_steps(make("adamw", lr=0.1, weight_decay=0.5))
    # torch 2.x's Adam(decoupled_weight_decay=True) is AdamW, bit for bit.
    same = first_steps(make("adam", lr=0.1, weight_decay=0.5, decoupled_weight_decay=True))
    assert_array_equal(got, same)
    # AdamW's default weight decay is 1e-2 (Adam's is 0).
    assert defaults("adamw")["weight_decay"] == 1e-2


def test_adamw_decay_is_scaled_by_the_schedule():
    opt = make("adamw", lr=0.1, weight_decay=0.5)
    x = np.array([2.0, -2.0])
    new, _ = opt.update(np.zeros(2), opt.init(x), x, lr_scale=0.5)
    assert_allclose(new, x * (1 - 0.1 * 0.5 * 0.5))


def test_nadam_first_step_written_out():
    lr, eps = 0.1, 1e-8
    # Step 1 by hand: mu_1 = 0.9 (1 - 0.5 * 0.96^0.004), mu_2 = 0.9 (1 - 0.5 * 0.96^0.008).
    mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
    m1 = 0.1 * 1.0
    m_hat = mu2 * m1 / (1 - mu1 * mu2) + (1 - mu1) * 1.0 / (1 - mu1)
    x1 = 1.0 - lr * m_hat / (math.sqrt(0.001 / 0.001) + eps)
    got = first_steps(make("nadam", lr=lr))
    assert_allclose(got[0, 0], x1, rtol=1e-13)


def test_nadam_state_keeps_mu_product():
    opt = make("nadam")
    x = np.ones(2)
    state = opt.init(x)
    assert state.mu_product == 1.0
    for _ in range(2):
        x, state = opt.update(x, state, x)
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** (1 * 4e-3))
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 4e-3))
    assert_allclose(state.mu_product, mu1 * mu2, rtol=1e-15)


def test_radam_first_three_steps_are_momentum_sgd():
    # rho_1 = 1, rho_2 ~ 2, rho_3 ~ 3 (<= 5): x <- x - lr m / (1 - b1^t), un-normalized.
    lr, b1 = 0.01, 0.9
    g1 = 1.0
    m1 = (1 - b1) * g1
    x1 = 1.0 - lr * m1 / (1 - b1)
    g2 = x1
    m2 = b1 * m1 + (1 - b1) * g2
    x2 = x1 - lr * m2 / (1 - b1**2)
    g3 = x2
    m3 = b1 * m2 + (1 - b1) * g3
    x3 = x2 - lr * m3 / (1 - b1**3)
    got = first_steps(make("radam", lr=lr))
    assert_allclose(got[:, 0], [x1, x2, x3], rtol=1e-14)
    assert_allclose(got, per_coordinate(radam_coord(lr, b1, 0.999, 1e-8, 3)), rtol=1e-14)


def test_radam_switches_to_rectified_adam_when_rho_exceeds_5():
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = [rho_inf - 2 * t * b2**t / (1 - b2**t) for t in range(1, 8)]
    assert rho[0] == pytest.approx(1.0)
    assert [r > 5 for r in rho] == [False] * 5 + [True] * 2  # switches at t = 6
    # (the 7 steps across the switch: the radam row of the table)
    assert any(h.n == 7 for h in TABLE["radam"].first_steps)


def test_adadelta_first_step_written_out():
    eps = 1e-6
    # Step 1 written out: v1 = 0.1, dx1 = sqrt(1e-6) / sqrt(0.1 + 1e-6) ~ 0.00316.
    dx1 = math.sqrt(0.0 + eps) / math.sqrt(0.1 * 1.0 + eps) * 1.0
    got = first_steps(make("adadelta"))
    assert_allclose(got[0, 0], 1.0 - dx1, rtol=1e-14)


def test_adamax_first_step_is_about_the_sign():
    # step 1: m / ((1 - b1) u) = g / (|g| + eps) ~ sign(g)
    got = first_steps(make("adamax", lr=0.1))
    assert_allclose(got[0], [0.9, -1.9], rtol=1e-8)


