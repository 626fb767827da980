"""Specification of `optimizers.schedules`: closed forms, validation, array parameters."""

from __future__ import annotations

import doctest
import math
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizers import schedules
from optimizers.schedules import SCHEDULES, make_schedule, multipliers

T = np.arange(60)


def test_registry():
    assert list(SCHEDULES) == [
        "constant", "step", "exponential", "inverse_time", "cosine", "cosine_periodic"
    ]
    assert isinstance(SCHEDULES, MappingProxyType)
    with pytest.raises(TypeError):
        SCHEDULES["mine"] = SCHEDULES["constant"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "kw", "closed_form"),
    [
        ("constant", {}, lambda t: 1.0),
        ("step", {"step_size": 10}, lambda t: 0.1 ** (t // 10)),
        ("step", {"step_size": 3, "gamma": 0.5}, lambda t: 0.5 ** (t // 3)),
        ("exponential", {"gamma": 0.9}, lambda t: 0.9**t),
        ("exponential", {"gamma": 1.02}, lambda t: 1.02**t),
        ("inverse_time", {"decay": 0.5}, lambda t: 1 / (1 + 0.5 * t)),
        ("inverse_time", {"decay": 0.0}, lambda t: 1.0),
        (
            "cosine",
            {"T_max": 25},
            lambda t: (1 + math.cos(math.pi * min(t, 25) / 25)) / 2,
        ),
        (
            "cosine",
            {"T_max": 25, "eta_min": 0.2},
            lambda t: 0.2 + 0.8 * (1 + math.cos(math.pi * min(t, 25) / 25)) / 2,
        ),
        (
            "cosine_periodic",
            {"T_max": 25, "eta_min": 0.2},
            lambda t: 0.2 + 0.8 * (1 + math.cos(math.pi * t / 25)) / 2,
        ),
    ],
)
def test_closed_forms(name, kw, closed_form):
    m = make_schedule(name, **kw)
    expected = [closed_form(int(t)) for t in T]
    scalar = [m(int(t)) for t in T]
    assert all(isinstance(v, float) for v in scalar)
    assert_allclose(scalar, expected, rtol=1e-14, atol=1e-16)
    assert_allclose(multipliers(m, len(T)), expected, rtol=1e-14, atol=1e-16)
    assert m(0) == 1.0  # step 0 always uses the base learning rate


def test_step_schedule_values():
    m = make_schedule("step", step_size=2, gamma=0.5)
    assert [m(t) for t in range(7)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_cosine_holds_at_eta_min_after_t_max():
    m = make_schedule("cosine", T_max=10, eta_min=0.1)
    assert m(5) == pytest.approx(0.55)
    assert m(10) == pytest.approx(0.1)
    assert [m(t) for t in (11, 20, 21, 1000)] == [pytest.approx(0.1)] * 4
    values = multipliers(m, 30)
    assert np.all(np.diff(values) <= 1e-15)  # monotone: never climbs back up


def test_cosine_periodic_is_cosine_until_t_max_then_climbs_back():
    held = multipliers(make_schedule("cosine", T_max=10, eta_min=0.1), 41)
    periodic = multipliers(make_schedule("cosine_periodic", T_max=10, eta_min=0.1), 41)
    assert_allclose(periodic[:11], held[:11], rtol=1e-15)
    assert np.all(np.diff(periodic[10:21]) > 0)  # back up to the base rate at 2 T_max
    assert_allclose(periodic[[20, 30, 40]], [1.0, 0.1, 1.0], rtol=1e-14)


def test_inverse_time_is_the_notes_one_over_t_decay():
    m = make_schedule("inverse_time", decay=0.1)
    assert m(10) == pytest.approx(0.5)
    assert m(90) == pytest.approx(0.1)


def test_schedules_accept_integer_arrays():
    for name, kw in [
        ("constant", {}),
        ("step", {"step_size": 4, "gamma": 0.3}),
        ("exponential", {"gamma": 0.97}),
        ("inverse_time", {"decay": 0.2}),
        ("cosine", {"T_max": 17, "eta_min": 0.05}),
        ("cosine_periodic", {"T_max": 7, "eta_min": 0.05}),
    ]:
        m = make_schedule(name, **kw)
        assert_allclose(m(T), [m(int(t)) for t in T], rtol=1e-15, err_msg=name)


@pytest.mark.parametrize(
    ("name", "kw", "param"),
    [
        ("step", {"step_size": 3}, "gamma"),
        ("exponential", {}, "gamma"),
        ("inverse_time", {}, "decay"),
        ("cosine", {"T_max": 12}, "eta_min"),
        ("cosine_periodic", {"T_max": 6}, "eta_min"),
    ],
)
def test_array_parameters_sweep(name, kw, param):
    values = np.array([[0.1, 0.5], [0.9, 0.99]])
    m = make_schedule(name, **kw, **{param: values})
    assert m(0).shape == (2, 2)
    table = multipliers(m, 20)
    assert table.shape == (20, 2, 2)
    for i in range(2):
        for j in range(2):
            single = make_schedule(name, **kw, **{param: float(values[i, j])})
            assert_allclose(table[:, i, j], multipliers(single, 20), rtol=1e-15)
            assert_allclose(m(7)[i, j], single(7), rtol=1e-15)


def test_array_parameters_are_copied():
    gamma = np.array([0.5, 0.9])
    m = make_schedule("exponential", gamma=gamma)
    gamma[0] = 0.0
    assert_allclose(m(1), [0.5, 0.9])


def test_multipliers_of_none_and_of_zero_steps():
    assert_array_equal(multipliers(None, 4), np.ones(4))
    assert multipliers(make_schedule("exponential", gamma=0.5), 0).shape == (0,)
    gamma = np.array([0.5, 0.9, 0.99])
    assert multipliers(make_schedule("exponential", gamma=gamma), 0).shape == (0, 3)


def test_multipliers_of_arbitrary_callables():
    def scalar_only(t: int) -> float:  # fails on arrays: called once per step
        return 1.0 if t < 3 else 0.25

    assert_array_equal(multipliers(scalar_only, 5), [1, 1, 1, 0.25, 0.25])
    assert_array_equal(multipliers(lambda t: 0.5, 3), [0.5, 0.5, 0.5])  # scalar for arrays
    assert_allclose(multipliers(lambda t: 0.5**t, 4), [1, 0.5, 0.25, 0.125])
    assert_array_equal(multipliers(lambda t: [1.0, 0.5][t % 2], 4), [1, 0.5, 1, 0.5])


@pytest.mark.parametrize(
    ("name", "kw", "message"),
    [
        ("step", {"step_size": 0}, "step_size must be >= 1"),
        ("step", {"step_size": 5, "gamma": 0.0}, "gamma must be positive"),
        ("step", {"step_size": 5, "gamma": -0.5}, "gamma must be positive"),
        ("step", {"step_size": 5, "gamma": float("inf")}, "gamma must be positive and finite"),
        ("exponential", {"gamma": float("nan")}, "gamma must be positive"),
        ("exponential", {"gamma": np.array([0.9, -1.0])}, "got -1.0"),
        ("inverse_time", {"decay": -0.1}, "decay must be non-negative"),
        ("cosine", {"T_max": 0}, "T_max must be >= 1"),
        ("cosine", {"T_max": 10, "eta_min": 1.5}, "eta_min must be a fraction"),
        ("cosine", {"T_max": 10, "eta_min": -0.1}, "eta_min must be a fraction"),
        ("cosine_periodic", {"T_max": 0}, "T_max must be >= 1"),
        ("cosine_periodic", {"T_max": 10, "eta_min": 1.5}, "eta_min must be a fraction"),
    ],
)
def test_validation_errors(name, kw, message):
    with pytest.raises(ValueError, match=message):
        make_schedule(name, **kw)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("step", {"step_size": 2.5}),
        ("step", {"step_size": True}),
        ("cosine", {"T_max": "10"}),
        ("exponential", {"gamma": "0.9"}),
    ],
)
def test_type_errors(name, kw):
    with pytest.raises(TypeError):
        make_schedule(name, **kw)


def test_unknown_schedule_lists_valid_names():
    with pytest.raises(KeyError) as err:
        make_schedule("linear")
    assert isinstance(err.value, ValueError)
    for name in SCHEDULES:
        assert name in str(err.value)


def test_unknown_or_missing_arguments_list_valid_ones():
    with pytest.raises(TypeError, match="step_size, gamma"):
        make_schedule("step", gamma=0.5)  # step_size missing
    with pytest.raises(TypeError, match="decay"):
        make_schedule("inverse_time", decay=0.1, k=2)
    with pytest.raises(TypeError, match="none"):
        make_schedule("constant", gamma=0.5)


@settings(max_examples=50, deadline=None)
@given(
    gamma=st.floats(1e-3, 1.0),
    step_size=st.integers(1, 50),
    decay=st.floats(0.0, 10.0),
    t=st.integers(0, 10_000),
)
def test_multipliers_are_positive_and_at_most_one(gamma, step_size, decay, t):
    for m in (
        make_schedule("step", step_size=step_size, gamma=gamma),
        make_schedule("exponential", gamma=gamma),
        make_schedule("inverse_time", decay=decay),
        make_schedule("cosine", T_max=step_size, eta_min=gamma),
        make_schedule("cosine_periodic", T_max=step_size, eta_min=gamma),
    ):
        assert 0.0 <= m(t) <= 1.0


def test_huge_steps_do_not_raise():
    with np.errstate(over="ignore"):
        assert make_schedule("exponential", gamma=1.5)(100_000) == math.inf
    assert make_schedule("exponential", gamma=0.5)(100_000) == 0.0


def test_docstring_examples():
    assert doctest.testmod(schedules).failed == 0
