"""Step-through equations fit a half-width column: long ones wrap at their = signs."""

from ui.lessons import wrapped


def test_long_equation_wraps_at_top_level_equals():
    eq = r"x_k = x_{k-1} - \mathrm{lr}\, g_k = (1,\ 2) - 0.1\cdot (3,\ 4) = (0.7,\ 1.6)"
    out = wrapped(eq)
    assert out.startswith(r"\begin{aligned}x_k &= x_{k-1}") and out.endswith(r"\end{aligned}")
    assert out.count("&=") == 3


def test_equals_inside_braces_and_plus_equals_do_not_wrap():
    assert wrapped(r"\text{CS231n: } x \mathrel{+}= -\mathrm{lr}\cdot dx").count("&") == 0
    assert wrapped(r"a = b_{c = d}") == r"a = b_{c = d}"
