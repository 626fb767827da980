"""Spec for user-typed surfaces: `surfaces.expression` (parse, whitelist, limits, derivatives)."""

from __future__ import annotations

import builtins
import time
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces._surface import Surface
from surfaces.expression import (
    DEFAULT_BOUNDS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    ExpressionError,
    from_expression,
    normalize_expression,
)
from surfaces.expression.derivatives import rule

# A NumPy overflow/invalid warning or a SyntaxWarning from ast.parse would be a bug here.
pytestmark = [
    pytest.mark.filterwarnings("error::RuntimeWarning"),
    pytest.mark.filterwarnings("error::SyntaxWarning"),
]

TIME_LIMIT = 2.0  # seconds of CPU time per from_expression call


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def cs231n_rel_error(a, b):
    """Elementwise |a - b| / max(|a|, |b|), with 0 where both are (near) zero."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)


def central_grad(f, p, h=1e-5):
    """Centered differences of a field ``f`` along x and y, stacked on a new last axis."""
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    return np.stack([(f(p + ex) - f(p - ex)) / (2 * h), (f(p + ey) - f(p - ey)) / (2 * h)], -1)


def cpu_timed(fn, *args):
    """Run ``fn(*args)``; return (result or exception, CPU seconds).

    CPU time of this process, not wall time: the test machine may be shared.
    """
    start = time.process_time()
    try:
        out = fn(*args)
    except ExpressionError as exc:
        out = exc
    return out, time.process_time() - start


# ----------------------------------------------------------------------------------------------
# Accepted expressions match hand-written NumPy formulas.

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def rosen(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_grad(x, y):
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], -1)


def rosen_hess(x, y):
    return np.stack(
        [
            np.stack([2 - 400 * (y - x**2) + 800 * x**2, -400 * x], -1),
            np.stack([-400 * x, 200 * np.ones_like(x)], -1),
        ],
        -2,
    )


CASES = {
    ROSENBROCK: (rosen, rosen_grad, rosen_hess),
    "x**2 + 3*sin(y)**2": (
        lambda x, y: x**2 + 3 * np.sin(y) ** 2,
        lambda x, y: np.stack([2 * x, 6 * np.sin(y) * np.cos(y)], -1),
        lambda x, y: np.stack(
            [
                np.stack([2 + 0 * x, 0 * x], -1),
                np.stack([0 * x, 6 * np.cos(2 * y)], -1),
            ],
            -2,
        ),
    ),
    "relu(x) + 0.1*y^2": (
        lambda x, y: np.maximum(x, 0) + 0.1 * y**2,
        lambda x, y: np.stack([(x > 0).astype(float), 0.2 * y], -1),
        lambda x, y: np.stack(
            [np.stack([0 * x, 0 * x], -1), np.stack([0 * x, 0.2 + 0 * x], -1)], -2
        ),
    ),
    "abs(x) + y**2": (
        lambda x, y: np.abs(x) + y**2,
        lambda x, y: np.stack([np.sign(x), 2 * y], -1),
        lambda x, y: np.stack([np.stack([0 * x, 0 * x], -1), np.stack([0 * x, 2 + 0 * x], -1)], -2),
    ),
    "sigmoid(x*y) + softplus(x - y)": (
        lambda x, y: sigmoid(x * y) + np.log1p(np.exp(x - y)),
        lambda x, y: np.stack(
            [
                y * sigmoid(x * y) * (1 - sigmoid(x * y)) + sigmoid(x - y),
                x * sigmoid(x * y) * (1 - sigmoid(x * y)) - sigmoid(x - y),
            ],
            -1,
        ),
        None,
    ),
    "log(1 + x^2) + sqrt(2 + y^2) - tanh(x*y) + exp(-x^2/2)*cos(y) + tan(y/4)": (
        lambda x, y: (
            np.log(1 + x**2)
            + np.sqrt(2 + y**2)
            - np.tanh(x * y)
            + np.exp(-(x**2) / 2) * np.cos(y)
            + np.tan(y / 4)
        ),
        lambda x, y: np.stack(
            [
                2 * x / (1 + x**2) - y / np.cosh(x * y) ** 2 - x * np.exp(-(x**2) / 2) * np.cos(y),
                y / np.sqrt(2 + y**2)
                - x / np.cosh(x * y) ** 2
                - np.exp(-(x**2) / 2) * np.sin(y)
                + 1 / (4 * np.cos(y / 4) ** 2),
            ],
            -1,
        ),
        None,
    ),
    "pi*x - e*y + x*y/3": (
        lambda x, y: np.pi * x - np.e * y + x * y / 3,
        lambda x, y: np.stack([np.pi + y / 3, -np.e + x / 3], -1),
        lambda x, y: np.stack(
            [np.stack([0 * x, 1 / 3 + 0 * x], -1), np.stack([1 / 3 + 0 * x, 0 * x], -1)], -2
        ),
    ),
    "x^y + 2^x": (  # variable exponents
        lambda x, y: x**y + 2**x,
        lambda x, y: np.stack([y * x ** (y - 1) + np.log(2) * 2**x, np.log(x) * x**y], -1),
        None,
    ),
}


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(0)
    return rng.uniform([0.2, -2.0], [2.0, 2.0], size=(64, 2))  # x > 0 keeps x^y real


@pytest.mark.parametrize("text", list(CASES))
def test_matches_handwritten_formulas(text, points):
    value, grad, hess = CASES[text]
    surface = from_expression(text)
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(surface.value(points), value(x, y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(surface.grad(points), grad(x, y), rtol=1e-11, atol=1e-11)
    if hess is not None:
        np.testing.assert_allclose(surface.hessian(points), hess(x, y), rtol=1e-11, atol=1e-11)


def test_rosenbrock_text_is_the_analytic_rosenbrock():
    surface = from_expression(ROSENBROCK)
    X, Y = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-1, 3, 7))
    grid = np.stack([X, Y], -1)
    np.testing.assert_allclose(surface.value(grid), rosen(X, Y), rtol=1e-14)
    np.testing.assert_allclose(surface.grad(grid), rosen_grad(X, Y), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(surface.hessian(grid), rosen_hess(X, Y), rtol=1e-13)
    np.testing.assert_allclose(surface.minima, [[1.0, 1.0]], atol=1e-9)
    assert surface.log_levels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^2 + 1", lambda x, y: x**2 + 1),  # not Python's x ^ (2 + 1)
        ("0.1*y^2 + x", lambda x, y: 0.1 * y**2 + x),
        ("-x^2", lambda x, y: -(x**2)),
        ("2^x^2", lambda x, y: 2 ** (x**2)),  # right-associative, like **
        ("x^-1 + y", lambda x, y: 1 / x + y),
        ("x ^ 2 * y", lambda x, y: x**2 * y),
    ],
)
def test_caret_is_power_with_power_precedence(text, expected, points):
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(from_expression(text).value(points), expected(x, y), rtol=1e-14)


@pytest.mark.parametrize("text", ["3", "x", "y**2", "sin(pi/4)", "x - x"])
@pytest.mark.parametrize("shape", [(), (5,), (4, 3)])
def test_shapes_broadcast_even_for_constant_or_one_variable(text, shape):
    surface = from_expression(text)
    p = np.zeros(shape + (2,))
    value, grad, hess = surface.value(p), surface.grad(p), surface.hessian(p)
    assert value.shape == shape and grad.shape == shape + (2,) and hess.shape == shape + (2, 2)
    assert value.dtype == grad.dtype == hess.dtype == np.float64
    value[...] = 1.0  # a writable copy, not a broadcast view


def test_integer_and_list_points_are_accepted():
    surface = from_expression("x**-1 + y")
    np.testing.assert_allclose(surface.value([[1, 2], [2, 0]]), [3.0, 0.5])


# ----------------------------------------------------------------------------------------------
# Exact derivatives agree with finite differences (away from kinks).

FD_EXPRESSIONS = [
    ROSENBROCK,
    "x**2 + 3*sin(y)**2",
    "relu(x) + 0.1*y^2",
    "abs(x) + y**2",
    "abs(x*y - 1) + relu(y - x)",
    "sigmoid(3*x) * softplus(y - 1) + tanh(x*y)",
    "log(1 + x**2 + y**2) / sqrt(1 + exp(-x))",
    "x**y + y**x",
    "(x + 2)**(y/3 + 1) - cos(x*y)**3",
    "-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
    "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
]


@pytest.mark.parametrize("text", FD_EXPRESSIONS)
def test_derivatives_match_central_differences(text):
    surface = from_expression(text)
    rng = np.random.default_rng(1)
    p = rng.uniform([0.3, 0.3], [1.7, 1.7], size=(40, 2))  # x, y > 0: x**y real
    # stay away from the kinks of abs/relu used above
    p = p[(np.abs(p[:, 0] * p[:, 1] - 1) > 0.05) & (np.abs(p[:, 1] - p[:, 0]) > 0.05)]
    assert cs231n_rel_error(surface.grad(p), central_grad(surface.value, p)).max() < 1e-6
    fd_hess = central_grad(surface.grad, p)  # [..., i, j] = d grad_i / d x_j
    assert cs231n_rel_error(surface.hessian(p), fd_hess).max() < 1e-6
    np.testing.assert_allclose(surface.hessian(p), np.swapaxes(surface.hessian(p), -1, -2))


def test_ackley_is_zero_at_its_cone_tip_where_the_gradient_is_undefined():
    surface = from_expression(FD_EXPRESSIONS[9])
    np.testing.assert_allclose(surface.value(np.zeros(2)), 0.0, atol=1e-12)
    assert np.isnan(surface.grad(np.zeros(2))).all()  # sqrt'(0) * 0, as in the frameworks
    assert surface.minima.shape == (0, 2)


# ----------------------------------------------------------------------------------------------
# Kinks and overflow.


def test_abs_kink_uses_sign_zero_subgradient():
    surface = from_expression("abs(x) + y**2")
    g = surface.grad(np.array([0.0, 1.0]))
    assert g.tolist() == [0.0, 2.0]
    assert surface.hessian(np.array([0.0, 1.0])).tolist() == [[0.0, 0.0], [0.0, 2.0]]


def test_relu_kink_has_zero_derivative():
    surface = from_expression("relu(x)")
    assert surface.grad(np.array([0.0, 0.0])).tolist() == [0.0, 0.0]
    assert surface.grad(np.array([1e-300, 0.0])).tolist() == [1.0, 0.0]
    assert surface.hessian(np.array([0.0, 0.0])).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_kinks_inside_compositions():
    surface = from_expression("relu(x - 1)**2 + abs(sin(y))")
    assert surface.grad(np.array([1.0, 0.0])).tolist() == [0.0, 0.0]
    assert surface.grad(np.array([2.0, np.pi / 2])).tolist()[0] == 2.0


def test_overflow_is_inf_without_warnings_or_errors():
    surface = from_expression("exp(x*100)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert surface.value(np.array([100.0, 0.0])) == np.inf
        assert surface.grad(np.array([100.0, 0.0]))[0] == np.inf
        h = surface.hessian(np.array([[100.0, 0.0], [-1e6, 0.0]]))
    assert h[0, 0, 0] == np.inf and h[1, 0, 0] == 0.0
    assert np.geterr()["over"] == "warn"  # errstate was restored


def test_values_near_the_float_limit_do_not_warn():
    surface = from_expression("(exp(x*233) - exp(y*233))*40000")  # heights overflow to inf
    assert surface.log_levels
    assert surface.minima.shape == (0, 2)


def test_domain_errors_are_nan_not_exceptions():
    surface = from_expression("log(x) + sqrt(y) + 1/x")
    p = np.array([[-1.0, -1.0], [0.0, 1.0]])
    assert np.isnan(surface.value(p[0]))
    assert surface.grad(p[0])[0] == -2.0 and np.isnan(surface.grad(p[0])[1])
    assert not np.isfinite(surface.value(p[1]))


def test_stable_sigmoid_and_softplus_at_extremes():
    surface = from_expression("sigmoid(x) + softplus(y)")
    v = surface.value(np.array([[-800.0, 800.0], [800.0, -800.0]]))
    np.testing.assert_allclose(v, [800.0, 1.0])
    g = surface.grad(np.array([800.0, -800.0]))
    assert np.all(np.isfinite(g))


# ----------------------------------------------------------------------------------------------
# Rejections, each with its own message.

REJECTIONS = [
    ("__import__('os')", "names with underscores are not allowed ('__import__') at column 1"),
    ("x.__class__", "attribute access ('.__class__')"),
    ("().__class__.__bases__", "attribute access ('.__bases__')"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambda functions are not allowed"),
    ("[x for x in y]", "list comprehensions are not allowed"),
    ("'a'", "strings are not allowed"),
    ("foo(x)", "unknown function 'foo'"),
    ("foo + x", "unknown name 'foo'"),
    ("sin(x, y)", "sin() takes exactly one argument, got 2"),
    ("sin()", "sin() takes exactly one argument, got 0"),
    ("sin(x=1)", "keyword arguments are not allowed: sin(x=...)"),
    ("sin(*x)", "starred arguments are not allowed"),
    ("open('f')", "unknown function 'open'"),
    ("x if y else 1", "conditional expressions"),
    ("x < y", "comparisons"),
    ("x and y", "boolean operators"),
    ("not x", "operator 'not' is not allowed"),
    ("~x", "operator '~' is not allowed"),
    ("x // 2", "operator '//' is not allowed"),
    ("x % 2", "operator '%' is not allowed"),
    ("x @ y", "operator '@' is not allowed"),
    ("x | y", "operator '|' is not allowed"),
    ("(x := 2)", "assignment expressions"),
    ("f'{x}'", "f-strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("{x: y}", "dicts"),
    ("{x}", "sets"),
    ("x, y", "tuples"),
    ("x(2)", "'x' is not a function"),
    ("sin", "'sin' is a function"),
    ("1j", "complex numbers are not allowed"),
    ("True", "booleans are not allowed"),
    ("None", "'None' is not allowed"),
    ("...", "'...' is not allowed"),
    ("x \\ y", "unexpected character '\\'"),
    ("x + \x07", "unexpected control character U+0007"),
    ("9**9**9", "exponent 387420489 is too large"),
    ("x**1000", "exponent 1000 is too large"),
    ("x**-101", "exponent -101 is too large"),
    ("x**(50*3)", "exponent 150 is too large"),
    ("1e400", "number 1e400 is too large"),
    ("1e308*10", "number 1e308 is too large"),
    ("x + 1000001", "number 1000001 is too large"),
    ("1/0", "constant '1/0' is not a finite real number"),
    ("log(0) + x", "constant 'log(0)' is not a finite real number"),
    ("sqrt(-1) * x", "constant 'sqrt(-1)' is not a finite real number"),
    ("(-2)**x", "a variable exponent needs a positive constant base"),
    ("x/(x - x)", "'x/(x - x)' is undefined"),
    ("log(x*0)", "'log(x*0)' is undefined"),
    ("((x - x + 999999)**100)**100", "'(x - x + 999999)**100' overflows double precision"),
    ("(x*0 + 2)**(x*0 + 99999)", "'(x*0 + 2)**(x*0 + 99999)' overflows"),
    ("", "empty expression"),
    (" \t\n ", "empty expression: type a function of x and y"),
    ("x + * 2", "syntax error at column 5"),
    ("sin(x", "syntax error at column 4: '(' was never closed"),
    ("x +", "syntax error at column 4"),
    (" x^^2", "syntax error at column 4: invalid syntax"),
]


@pytest.mark.parametrize(("text", "message"), REJECTIONS)
def test_rejections_name_the_problem(text, message):
    with pytest.raises(ExpressionError) as info:
        from_expression(text)
    assert message in str(info.value)


def test_rejection_messages_are_distinct():
    messages = set()
    for text, _ in REJECTIONS:
        with pytest.raises(ExpressionError) as info:
            from_expression(text)
        messages.add(str(info.value))
    # only the two empty inputs and two "invalid syntax at column 4" cases share a message
    assert len(messages) == len(REJECTIONS) - 2


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("x + foo", 5),
        ("x^2 + foo", 7),  # columns refer to the typed text, before ^ becomes **
        ("  x +\n  foo", 9),
        ("𝑥 + bar", 5),  # ast's UTF-8 byte offsets become characters (𝑥 is 4 bytes)
        ("x.real", 3),
        ("x + * 2", 5),
        ("sin(x, y)", 1),
        ("x**1000", 4),
        ("x // 2", 3),
    ],
)
def test_error_columns_point_at_the_offending_token(text, column):
    with pytest.raises(ExpressionError) as info:
        from_expression(text)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)


def test_unknown_name_lists_what_is_allowed():
    with pytest.raises(ExpressionError, match="unknown name 'foo' at column 5; allowed: x, y, pi"):
        from_expression("x + foo")


@pytest.mark.parametrize("text", ["__import__('os')", "x + __builtins__", "_x + y", "sin_(x)"])
def test_names_with_underscores_are_refused_as_such(text):
    with pytest.raises(ExpressionError, match="names with underscores are not allowed"):
        from_expression(text)


def test_expression_error_is_a_value_error():
    assert issubclass(ExpressionError, ValueError)


def test_cancelled_subexpressions_stay_cheap_and_constant():
    # x - x is an exact 0 symbolically: later powers of it must not become exact bignums
    result, seconds = cpu_timed(from_expression, "(x - x + 999)**(x - x + 99) + y")
    assert seconds < TIME_LIMIT
    np.testing.assert_allclose(result.value(np.array([3.0, 1.0])), 999.0**99 + 1)
    assert result.grad(np.array([3.0, 1.0])).tolist() == [0.0, 1.0]


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        from_expression(3)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Size limits, each with its own message, all checked before anything expensive.


def test_length_limit():
    text = "x+" * (MAX_LENGTH // 2) + "x"
    with pytest.raises(ExpressionError, match=f"expression too long: {len(text)} characters"):
        from_expression(text)


def test_ten_thousand_parentheses_are_rejected_cheaply():
    text = "(" * 10_000 + "x" + ")" * 10_000
    result, seconds = cpu_timed(from_expression, text)
    assert isinstance(result, ExpressionError)
    assert f"more than {MAX_DEPTH} levels of brackets at column {MAX_DEPTH + 1}" in str(result)
    assert seconds < 0.1


def test_huge_text_is_rejected_cheaply():
    result, seconds = cpu_timed(from_expression, "x+" * 5_000_000 + "x")
    assert "expression too long" in str(result)
    assert seconds < 0.5


def test_node_limit():
    text = "+".join(["x*y"] * 70)  # 279 nodes in 279 characters
    with pytest.raises(ExpressionError, match=f"expression too large: 279 .* \\(limit {MAX_NODES}"):
        from_expression(text)


def test_depth_limit_without_brackets():
    with pytest.raises(ExpressionError, match="nested too deeply at column 41: depth 41"):
        from_expression("-" * 40 + "x")


def test_long_sums_are_not_deep():
    text = "+".join(f"{k}*x**{k % 5}" for k in range(30))  # a 30-term chain: depth 4
    from_expression(text)


def test_limits_are_generous_enough_for_textbook_surfaces():
    goldstein_price = (
        "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
        "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))"
    )
    surface = from_expression(goldstein_price, bounds=((-2, 2), (-2, 2)))
    np.testing.assert_allclose(surface.value(np.array([0.0, -1.0])), 3.0)
    np.testing.assert_allclose(surface.minima, [[0.0, -1.0]], atol=1e-8)


WORST_CASES = {
    "power tower": "x**" * (MAX_DEPTH - 1) + "x",
    "xy power tower": "**".join(["x", "y"] * (MAX_DEPTH // 2))[:-3],
    "sigmoid/softplus chain": "sigmoid(softplus(" * 15 + "x*y" + "))" * 15,
    "sum of towers": "+".join(
        ["x**" * 12 + "y", "y**" * 12 + "x", "sin(x)**" * 10 + "y", "exp(y)**" * 10 + "x"]
    ),
    "continued fraction": "1/(x+" * 15 + "y" + ")" * 15,
    "nested variable powers": "(x*y)**(" * 15 + "x" + ")" * 15,
    "every function": "+".join(
        f"{f}({g}(x*y)**y)" for f, g in zip(FUNCTIONS, FUNCTIONS[::-1], strict=True)
    ),
    "200-node mix": (
        "(log(log((y+pi)*(tan(1.5)/(pi*x))))*((((2-y)**exp(pi+x))**sqrt(x**2*(x-pi)))"
        "**(tanh(y/sqrt(pi))**cos(pi*2*(pi*x))))*(((tanh(y)/(x*1.5))**(sqrt(y)*2**x))"
        "**(cos(1.5)**pi**y*(y+x)**x**x)/((x/x*sqrt(1.5)+(y-x-(2-y)))**tanh(x+y-1.5/x))))"
        "+sigmoid(softplus(x**y**x)*relu(y**x**y))**abs(x*y)"
    ),
}


@pytest.mark.parametrize("text", list(WORST_CASES.values()), ids=list(WORST_CASES))
def test_worst_case_symbolic_time(text):
    rule.cache_clear()  # cold: derivative rules recomputed, SymPy's cache emptied
    sympy.core.cache.clear_cache()
    result, seconds = cpu_timed(from_expression, text)
    assert isinstance(result, Surface), result
    assert seconds < TIME_LIMIT


# ----------------------------------------------------------------------------------------------
# Surface metadata.


def test_surface_fields():
    surface = from_expression("x^2 + y^2", name="bowl")
    assert surface.name == "bowl"
    assert surface.title == "Custom: x^2 + y^2"
    assert surface.formula == "x^{2} + y^{2}"
    assert surface.bounds == DEFAULT_BOUNDS
    assert surface.start == pytest.approx((-2.1, 2.1))
    assert surface.saddles.shape == (0, 2)
    np.testing.assert_allclose(surface.minima, [[0.0, 0.0]], atol=1e-12)
    assert not surface.log_levels
    assert surface.description == "A surface you typed: f(x, y) = x^2 + y^2."


def test_formula_is_latex_of_what_was_typed():
    assert from_expression(ROSENBROCK).formula == (
        r"\left(1 - x\right)^{2} + 100 \left(y - x^{2}\right)^{2}"
    )
    assert from_expression("abs(x) + relu(y) + sigmoid(x)").formula == (
        r"\left|x\right| + \operatorname{relu}\left(y\right) + \sigma\left(x\right)"
    )


def test_custom_bounds_and_start():
    surface = from_expression("x**2 + y**2", bounds=((0, 10), (-1, 1)))
    assert surface.bounds == ((0.0, 10.0), (-1.0, 1.0))
    assert surface.start == pytest.approx((1.5, 0.7))
    assert surface.minima.shape == (0, 2)  # the minimum sits on the edge of this window


@pytest.mark.parametrize(
    "bounds",
    [
        ((1, 0), (0, 1)),
        ((0, 1), (0, 0)),
        ((0, np.inf), (0, 1)),
        ((0, 1),),
        "abc",
        ((0, np.nan), (0, 1)),
    ],
)
def test_invalid_bounds(bounds):
    with pytest.raises(ExpressionError, match="invalid bounds"):
        from_expression("x", bounds=bounds)


@pytest.mark.parametrize(
    ("text", "minima"),
    [
        ("(x - 1)**2 + (y + 0.5)**2 + 1", [[1.0, -0.5]]),
        ("relu(x) + y**2", []),  # flat valley: the grid minimum is on the edge
        ("x + y", []),
        ("3", []),
        ("abs(x) + abs(y)", [[0.0, 0.0]]),  # a kink that the grid hits exactly
    ],
)
def test_minima_estimate(text, minima):
    surface = from_expression(text)
    np.testing.assert_allclose(surface.minima, np.reshape(minima, (-1, 2)), atol=1e-9)


# ----------------------------------------------------------------------------------------------
# normalize_expression.


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("x^2 + 3*sin( y )^2", "x**2+3*sin(y)**2"),
        ("((x))", "x"),
        (ROSENBROCK, "(1-x)**2+100*(y-x**2)**2"),
        ("relu(x) + 0.1*y^2", "relu(x)+0.1*y**2"),
        ("0x10 * x", "16*x"),
        ("1_000*x - -y", "1000*x--y"),
        ("(-x)**2 - -x**2", "(-x)**2--x**2"),
    ],
)
def test_normalize_expression(text, normal):
    assert normalize_expression(text) == normal
    assert normalize_expression(normal) == normal


def test_normalize_rejects_like_from_expression():
    with pytest.raises(ExpressionError, match="unknown name"):
        normalize_expression("x + os")


# ----------------------------------------------------------------------------------------------
# Safety: user text is never evaluated.


def test_eval_is_never_called(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    from_expression(ROSENBROCK).value(np.zeros(2))
    with pytest.raises(ExpressionError):
        from_expression("__import__('os').system('echo pwned')")


# ----------------------------------------------------------------------------------------------
# Fuzzing: any text gives a Surface or an ExpressionError, quickly.

TOKENS = [
    *FUNCTIONS, "x", "y", "pi", "e", "(", ")", "+", "-", "*", "/", "**", "^", ",", ".", " ",
    "0", "1", "2.5", "1e3", "1e308", "9", "100", "j", "[", "]", "'", "=", "<", "if", "lambda",
    ":", "__class__", "_", "\n", "#", "%", "@", "~", "not", "and", "x-x", "999999",
]  # fmt: skip


def check_accepts_or_rejects(text: str) -> None:
    result, seconds = cpu_timed(from_expression, text)
    assert seconds < TIME_LIMIT, (text, seconds)
    if isinstance(result, Surface):
        p = np.array([[0.5, -0.5], [0.0, 0.0], [1e3, -1e3]])
        assert result.value(p).shape == (3,)
        assert result.grad(p).shape == (3, 2)
        assert result.hessian(p).shape == (3, 2, 2)
        assert isinstance(normalize_expression(text), str)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text):
    check_accepts_or_rejects(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_fuzz_token_soup(text):
    check_accepts_or_rejects(text)


def expressions(max_leaves: int = 12) -> st.SearchStrategy[str]:
    """Well-formed expressions of the grammar (some still rejected, e.g. by the limits)."""
    leaves = st.sampled_from(["x", "y", "pi", "e", "2", "0.5", "3", "1e-3", "999999", "x-x", "y*0"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner)
        return st.one_of(
            binary.map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
            st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda s: f"-({s})"),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_fuzz_grammar(text):
    check_accepts_or_rejects(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_leaves=8))
def test_normalized_text_gives_the_same_function(text):
    try:
        original = from_expression(text)
    except ExpressionError:
        return
    again = from_expression(normalize_expression(text))
    p = np.random.default_rng(2).uniform(-2, 2, size=(16, 2))
    for field in ("value", "grad", "hessian"):
        np.testing.assert_array_equal(getattr(original, field)(p), getattr(again, field)(p))
