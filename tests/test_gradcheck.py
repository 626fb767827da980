"""Specification of the gradient-check lesson: `analysis.gradcheck` (the CS231n notes' recipe)
and its figure, `viz.gradcheck.gradcheck_figure`."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from analysis import gradcheck
from analysis.gradcheck import (
    DEFAULT_HS,
    EPS,
    VERDICTS,
    crease_point,
    crosses_crease,
    gradient_check,
    relative_error,
    verdict,
)
from surfaces import SURFACES
from viz.gradcheck import ERROR_FLOOR, gradcheck_figure
from viz.spec import decode_typed_array

SMOOTH = ("rosenbrock", "himmelblau", "beale", "six_hump_camel")


def slope(hs, errors):
    """Least-squares slope of log(error) against log(h)."""
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


def random_points(name, n, seed):
    """Points inside the surface's bounds where the gradient is not small."""
    surface = SURFACES[name]
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.bounds
    out = []
    while len(out) < n:
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        if np.linalg.norm(surface.grad(p)) > 0.5:
            out.append(p)
    return out


# --------------------------------------------------------------------- relative error, verdict


def test_relative_error_is_the_notes_formula():
    a = np.array([1.0, -2.0, 0.0, 0.0, 3.0])
    n = np.array([1.1, -2.0, 0.0, 1e-12, -3.0])
    assert_allclose(relative_error(a, n), [0.1 / 1.1, 0.0, 0.0, 1.0, 2.0])
    assert_array_equal(relative_error(a, n), relative_error(n, a))  # symmetric
    assert relative_error(0.0, 0.0) == 0.0  # no 0/0
    assert np.isnan(relative_error(np.nan, 1.0))
    # of vectors, along an axis: norms
    assert_allclose(relative_error([3.0, 4.0], [3.0, 4.5], axis=-1), 0.5 / np.hypot(3, 4.5))
    batch = relative_error(np.ones((4, 2)), np.full((3, 1, 2), 2.0), axis=-1)
    assert batch.shape == (3, 4)
    assert_allclose(batch, 0.5)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (0.0, "good"), (1e-7, "good"), (1.01e-7, "ok_if_kinked"), (1e-4, "ok_if_kinked"),
        (1.01e-4, "uneasy"), (1e-2, "uneasy"), (1.01e-2, "wrong"), (2.0, "wrong"),
        (np.nan, "wrong"),
    ],
)
def test_verdict_thresholds(error, expected):
    assert verdict(error) == expected
    assert isinstance(verdict(error), str)


def test_verdicts_vectorize_and_carry_the_notes_wording():
    assert_array_equal(verdict([1e-9, 1e-5, 1e-3, 1.0]),
                       ["good", "ok_if_kinked", "uneasy", "wrong"])
    assert list(VERDICTS) == ["good", "ok_if_kinked", "uneasy", "wrong"]
    assert "kinks" in VERDICTS["ok_if_kinked"] and "wrong" in VERDICTS["wrong"]
    assert gradcheck.THRESHOLDS == (1e-7, 1e-4, 1e-2)


# --------------------------------------------------------------------------- the result


def test_result_shapes_and_numbers():
    surface = SURFACES["rosenbrock"]
    r = gradient_check(surface, None, [-0.5, 0.7])
    k = len(DEFAULT_HS)
    assert k == 45 and DEFAULT_HS[0] == 1e-1 and DEFAULT_HS[-1] == pytest.approx(1e-12)
    assert_array_equal(r.hs, DEFAULT_HS)
    assert r.centered.shape == r.one_sided.shape == (k, 2)
    assert r.centered_error.shape == r.one_sided_error.shape == (k,)
    assert r.centered_coordinate_errors.shape == (k, 2)
    assert_array_equal(r.analytic, surface.grad([-0.5, 0.7]))
    assert r.value == surface.value([-0.5, 0.7])
    h = r.hs[8]
    x = np.array([-0.5, 0.7])
    e0 = np.array([h, 0.0])
    by_hand = (surface.value(x + e0) - surface.value(x - e0)) / (2 * h)
    assert r.centered[8, 0] == by_hand
    assert r.one_sided[8, 0] == (surface.value(x + e0) - surface.value(x)) / h
    assert_array_equal(r.centered_error, relative_error(r.analytic, r.centered, axis=-1))
    assert_array_equal(r.centered_coordinate_errors, relative_error(r.analytic, r.centered))
    for a in (r.point, r.hs, r.analytic, r.centered, r.centered_error):
        assert not a.flags.writeable
    assert r.index(1e-5) == int(np.argmin(np.abs(np.log10(r.hs) + 5)))


def test_plain_functions_and_validation():
    def f(p):
        return np.sum(np.sin(p), axis=-1)

    r = gradient_check(f, lambda p: np.cos(p), [0.3, -1.0, 2.0], hs=[1e-3, 1e-5])
    assert r.centered.shape == (2, 3)  # any dimension
    assert np.all(r.centered_error < 1e-6)
    with pytest.raises(TypeError, match="grad_fn"):
        gradient_check(f, None, [0.0, 1.0])
    with pytest.raises(ValueError, match="one vector"):
        gradient_check(SURFACES["bowl"], None, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="positive"):
        gradient_check(SURFACES["bowl"], None, [0.0, 1.0], hs=[1e-3, 0.0])


def test_a_buggy_gradient_is_caught():
    """The check's purpose: a 1% error in the gradient is 'uneasy', a missing factor 'wrong',
    while the correct gradient is 'good' at a sensible h."""
    s = SURFACES["himmelblau"]
    p = [0.7, -1.3]
    i = gradient_check(s, None, p).index(1e-5)
    assert verdict(gradient_check(s, None, p).centered_error[i]) == "good"
    assert verdict(gradient_check(s, lambda q: 1.005 * s.grad(q), p).centered_error[i]) == "uneasy"
    assert verdict(gradient_check(s, lambda q: 0.5 * s.grad(q), p).centered_error[i]) == "wrong"


# ------------------------------------------------------------------------ the three regimes


@pytest.mark.parametrize("name", SMOOTH)
def test_centered_error_is_second_order_and_one_sided_first_order(name):
    hs = np.logspace(-2, -4, 9)
    for p in random_points(name, 3, seed=len(name)):
        r = gradient_check(SURFACES[name], None, p, hs=hs)
        if r.model.centered * 1e-8 < 1e3 * r.model.roundoff / 1e-4:
            continue  # f''' ~ 0 along the axes here: the centered error is all round-off
        assert slope(hs, r.centered_error) == pytest.approx(2.0, abs=0.1), p
        assert slope(hs, r.one_sided_error) == pytest.approx(1.0, abs=0.05), p


@pytest.mark.parametrize("name", SMOOTH)
def test_taylor_model_predicts_the_truncation_errors(name):
    hs = np.array([1e-3, 1e-4])
    for p in random_points(name, 3, seed=7):
        r = gradient_check(SURFACES[name], None, p, hs=hs)
        assert_allclose(r.one_sided_error, r.model.one_sided_line(hs), rtol=0.05)
        measured = r.centered_error[0]
        if measured > 1e-9:  # well above round-off
            assert measured == pytest.approx(r.model.centered_line(1e-3), rel=0.05)


def test_round_off_makes_the_error_grow_for_tiny_h():
    r = gradient_check(SURFACES["rosenbrock"], None, [-0.5, 0.7])
    tiny = r.hs <= 1e-9
    for errors in (r.centered_error, r.one_sided_error):
        best = np.nanmin(errors)
        assert errors[-1] > 100 * best  # h = 1e-12 is much worse than the best h
        assert -1.6 < slope(r.hs[tiny], errors[tiny]) < -0.5  # ~ eps / h
        # the model's round-off line is an upper estimate within about a decade or two
        ratio = errors[tiny] / r.model.roundoff_line(r.hs[tiny])
        assert np.all(ratio < 3) and np.median(ratio) > 1e-2
    h_c, e_c = r.best_centered
    h_o, e_o = r.best_one_sided
    assert 1e-7 <= h_c <= 1e-4 and e_c < 1e-9  # centered: h ~ eps^(1/3)
    assert 1e-10 <= h_o <= 1e-7 and e_o < 1e-7  # one-sided: h ~ sqrt(eps)
    assert e_c < e_o
    assert abs(np.log10(r.model.best_h_centered / h_c)) < 1.0
    assert abs(np.log10(r.model.best_h_one_sided / h_o)) < 1.0
    assert r.model.best_h_centered == pytest.approx(
        (r.model.roundoff / (2 * r.model.centered)) ** (1 / 3))


def test_the_centered_difference_is_exact_on_a_quadratic():
    """bowl has no third derivative: only round-off is left, however large h is; the
    one-sided difference is off by exactly h/2 per coordinate."""
    x = np.array([0.3, -0.8])
    r = gradient_check(SURFACES["bowl"], None, x)
    big = r.hs >= 1e-4
    assert np.all(r.centered_error[big] < 1e-11)
    assert r.model.centered == 0.0 and np.isinf(r.model.best_h_centered)
    assert_allclose(r.one_sided[big] - x, r.hs[big, None] / 2 * np.ones(2), rtol=1e-6,
                    atol=1e-14)


# ------------------------------------------------------------------------------------ kinks


def test_a_centered_check_fails_within_h_of_the_kink_and_passes_on_the_smooth_version():
    """The notes' example: 1e-6 from the kink, checked with h = 1e-5, x - h and x + h lie on
    both sides of the crease and the difference quotient averages two slopes."""
    p = crease_point(-1e-6)
    assert_allclose(p, [0.25 - 1e-6, 0.5])
    hs = [1e-5]
    kink = gradient_check(SURFACES["kink"], None, p, hs=hs)
    assert kink.centered_error[0] > 1e-2 and verdict(kink.centered_error[0]) == "wrong"
    # By hand: |u| with u = -1e-6 gives (|u + h| - |u - h|) / 2h = u / h = -0.1, not -1.
    assert_allclose(kink.centered[0, 0], -0.1, rtol=1e-6)
    assert_allclose(kink.analytic, [-1.0, 0.75])
    smooth = gradient_check(SURFACES["smooth_kink"], None, p, hs=hs)
    assert smooth.centered_error[0] < 1e-6 and verdict(smooth.centered_error[0]) == "good"
    assert smooth.centered_error[0] < 1e-9
    # The per-coordinate caveat: smooth_kink's x-partial is tiny there (tanh(2u) = -2e-6),
    # so round-off of ~3e-12 is a relative error of ~1.5e-6 (not "good") for that coordinate.
    assert abs(smooth.analytic[0]) < 3e-6
    assert abs(smooth.centered[0, 0] - smooth.analytic[0]) < 1e-11
    assert verdict(smooth.centered_coordinate_errors[0, 0]) == "ok_if_kinked"


def test_the_kink_check_flips_where_h_reaches_the_distance_to_the_crease():
    u = 1e-6
    p = crease_point(-u)
    r = gradient_check(SURFACES["kink"], None, p)
    crossing = crosses_crease(p, r.hs)
    assert_array_equal(crossing, r.hs > u * (1 + 1e-9))
    assert np.all(r.centered_error[r.hs >= 10 * u] > 1e-2)
    # On one side of the crease kink is piecewise quadratic: centered differences are exact
    # up to round-off.
    clear = (r.hs <= u / 2) & (r.hs >= 1e-9)
    assert clear.any() and np.all(r.centered_error[clear] < 1e-7)


def test_exactly_on_the_crease_the_centered_check_passes_and_the_one_sided_fails():
    """At u = 0 the centered difference of |u| is 0, the subgradient sign(0) = 0 that kink
    reports: the check passes *on* the kink. The one-sided difference sees slope 1."""
    r = gradient_check(SURFACES["kink"], None, crease_point(0.0, y=0.6), hs=[1e-2, 1e-4, 1e-6])
    assert_allclose(r.analytic, [0.0, 0.3])
    assert np.all(r.centered_error < 1e-9)
    assert np.all(r.one_sided_error > 0.5)
    assert_allclose(r.one_sided[:, 0], 1.0, rtol=1e-6)


def test_relu_example_from_the_notes():
    def relu(p):
        return np.maximum(p[..., 0], 0.0)

    def relu_grad(p):
        return (np.asarray(p) > 0).astype(float)

    r = gradient_check(relu, relu_grad, [-1e-6], hs=[1e-5, 1e-7])
    assert_allclose(r.centered[:, 0], [(1e-5 - 1e-6) / 2e-5, 0.0])
    assert_array_equal(verdict(r.centered_error), ["wrong", "good"])


def test_docstring_examples():
    result = doctest.testmod(gradcheck)
    assert result.failed == 0 and result.attempted >= 5


def test_epsilon():
    assert EPS == 2.0**-52


# ----------------------------------------------------------------------------------- figure


def test_figure_validates_and_draws_the_lesson():
    r = gradient_check(SURFACES["rosenbrock"], None, [-0.5, 0.7])
    fig = gradcheck_figure(r, font_size=18)
    full = fig.validated()  # plotly itself checks every property
    names = [t.name for t in full.data]
    assert names[:2] == ["centered (f(x+h) − f(x−h)) / 2h", "one-sided (f(x+h) − f(x)) / h"]
    assert names[2:5] == ["∝ h: one-sided truncation", "∝ h²: centered truncation",
                          "∝ ε/h: round-off"]
    assert len(full.data) == 7  # + two stars at the smallest errors
    spec = fig.spec
    assert_allclose(decode_typed_array(spec["data"][0]["x"]), r.hs, rtol=1e-6)
    assert_allclose(decode_typed_array(spec["data"][0]["y"]), r.centered_error, rtol=1e-6)
    assert_allclose(decode_typed_array(spec["data"][3]["y"]), r.model.centered_line(r.hs),
                    rtol=1e-6)
    assert full.layout.xaxis.type == "log" and full.layout.yaxis.type == "log"
    assert full.layout.font.size == 18
    # The notes' bands: shapes at 1e-7, 1e-4 and 1e-2 (data values: shapes are not log10).
    edges = sorted({s.y1 for s in full.layout.shapes})
    assert edges[:3] == [1e-7, 1e-4, 1e-2]
    texts = " ".join(a.text for a in full.layout.annotations)
    for word in ("good", "kinked", "uneasy", "wrong", "round-off"):
        assert word in texts
    star_h = full.data[5].x[0]
    assert star_h == r.best_centered[0]
    hover = spec["data"][0]["customdata"][r.index(1e-5)]
    assert hover[1] == verdict(r.centered_error[r.index(1e-5)])


def test_figure_without_model_and_with_exact_zeros():
    r = gradient_check(SURFACES["kink"], None, crease_point(0.0, y=0.6), hs=[1e-1, 1e-3])
    fig = gradcheck_figure(r, show_model=False)
    fig.validated()
    assert len(fig.spec["data"]) == 4
    y = decode_typed_array(fig.spec["data"][0]["y"])
    assert np.all(y >= np.float32(ERROR_FLOOR))  # zeros are drawn at the floor
    bowl = gradcheck_figure(gradient_check(SURFACES["bowl"], None, [0.3, -0.8]))
    names = [t["name"] for t in bowl.spec["data"] if "name" in t]
    assert "∝ h²: centered truncation" not in names  # nothing to draw on a quadratic
    bowl.validated()


def test_every_verdict_has_words_for_the_page():
    from analysis.gradcheck import VERDICT_LABELS

    assert set(VERDICT_LABELS) == set(VERDICTS)
    assert all("_" not in words for words in VERDICT_LABELS.values())
