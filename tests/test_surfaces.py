"""Specs for the surfaces package: exact derivatives, vectorization, critical points, registry.

Finite differences
------------------
Derivatives are checked against the fourth-order centered stencil
``(8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / (12 h)`` with ``h`` a power of two close to
``1e-4 * max(1, |x_i|)`` (so every stencil point is exact). The second-order stencil is not
enough at any single ``h``: Rastrigin's third derivative (~2.5e3) leaves an absolute truncation
error ~1e-7 near its many critical points, while the plateau needs ``h`` large enough to
resolve gradients of 1e-6 on values near 1.

The criterion is the CS231n relative error ``|a - n| / max(|a|, |n|, floor) < 1e-6`` with a floor
for components that are ~0: a difference quotient cannot resolve anything below its rounding
noise, about ``eps * |f| / h``, so ``floor = NOISE * eps * (1 + max |f(stencil)|) / h / RTOL``
(the ``1 +`` covers cancellation, e.g. Rastrigin's ``20 - 10 cos - 10 cos`` near 0). Where a
derivative is well above that noise, the check is a plain relative error of 1e-6.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surfaces import SURFACES, Surface, get_surface

RTOL = 1e-6
NOISE = 64.0
EPS = np.finfo(np.float64).eps
N_POINTS = 200
NAMES = list(SURFACES)

TEACHING_ORDER = (
    "bowl", "ravine", "saddle", "saddle_escape", "monkey_saddle", "rosenbrock", "beale",
    "himmelblau", "six_hump_camel", "rastrigin", "plateau", "kink", "smooth_kink",
)  # fmt: skip

# Non-differentiable surfaces: the crease u(p) = 0. Finite differences are only meaningful
# where the whole stencil (|step| <= 2h <= 1e-3) stays on one side, so points with
# |u| < KINK_MARGIN are skipped there and the crease is tested separately.
KINKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "kink": lambda p: p[..., 0] - 0.5 * p[..., 1],
}
KINK_MARGIN = 1e-2

# (number of minima, number of saddles, global minimum value) from the literature.
KNOWN = {
    "bowl": (1, 0, 0.0),
    "ravine": (1, 0, 0.0),
    "saddle": (0, 1, None),
    "saddle_escape": (2, 1, -0.25),
    "monkey_saddle": (0, 1, None),
    "rosenbrock": (1, 0, 0.0),
    "beale": (1, 2, 0.0),
    "himmelblau": (4, 4, 0.0),
    "six_hump_camel": (6, 7, -1.0316284534898774),
    "rastrigin": (25, 40, 0.0),
    "plateau": (1, 0, 0.0),
    "kink": (1, 0, 0.0),
    "smooth_kink": (1, 0, 0.0),
}


# ---------------------------------------------------------------------------------- helpers


def random_points(surface: Surface, n: int = N_POINTS, seed: int = 0) -> np.ndarray:
    """``n`` uniform points inside the bounds (seeded), plus the default start."""
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    pts = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    pts = np.vstack([pts, surface.start])
    if surface.name in KINKS:
        pts = pts[np.abs(KINKS[surface.name](pts)) > KINK_MARGIN]
    return pts


def steps_for(p: np.ndarray) -> np.ndarray:
    """Power-of-two steps ``h ~ 1e-4 * max(1, |p|)`` per coordinate, so ``p + k h`` is exact."""
    return 2.0 ** np.round(np.log2(1e-4 * np.maximum(1.0, np.abs(p))))


def fd_jacobian(fn: Callable[[np.ndarray], np.ndarray], p: np.ndarray):
    """Fourth-order centered differences of ``fn`` at points ``p`` of shape ``(n, 2)``.

    Returns ``(d, noise)``: ``d[..., i]`` approximates the derivative along axis ``i`` (the last
    axis of ``d`` is the differentiation axis) and ``noise`` the matching rounding noise.
    """
    h = steps_for(p)
    derivs, noises = [], []
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1.0
        hi = h[:, i]
        shape = (-1,) + (1,) * (np.ndim(fn(p[:1])) - 1)
        f = {k: fn(p + k * hi[:, None] * e) for k in (-2, -1, 1, 2)}
        d = (8.0 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12.0 * hi.reshape(shape))
        mag = np.max([np.abs(v) for v in f.values()], axis=0)
        if mag.ndim > 1:  # vector-valued fn: one scale per point
            mag = np.max(mag, axis=tuple(range(1, mag.ndim)), keepdims=True)
        derivs.append(d)
        noises.append(NOISE * EPS * (1.0 + mag) / hi.reshape(shape) * np.ones_like(d))
    return np.stack(derivs, axis=-1), np.stack(noises, axis=-1)


def relative_error(analytic: np.ndarray, numeric: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """CS231n relative error with a floor at the finite difference's own rounding noise."""
    scale = np.maximum.reduce([np.abs(analytic), np.abs(numeric), noise / RTOL])
    return np.abs(analytic - numeric) / scale


def circle(center: np.ndarray, radius: float, n: int = 64) -> np.ndarray:
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return center + radius * np.column_stack([np.cos(theta), np.sin(theta)])


# ----------------------------------------------------------------------- exact derivatives


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name: str) -> None:
    surface = SURFACES[name]
    p = random_points(surface)
    numeric, noise = fd_jacobian(surface.value, p)
    err = relative_error(surface.grad(p), numeric, noise)
    worst = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() < RTOL, f"{name}: rel err {err.max():.2e} at {p[worst[0]]}"


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_finite_differences_of_gradient(name: str) -> None:
    surface = SURFACES[name]
    p = random_points(surface, seed=1)
    numeric, noise = fd_jacobian(surface.grad, p)  # numeric[n, j, i] = d g_j / d x_i
    hess = surface.hessian(p)
    err = relative_error(hess, numeric, noise)
    worst = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() < RTOL, f"{name}: rel err {err.max():.2e} at {p[worst[0]]}"
    np.testing.assert_array_equal(hess, np.swapaxes(hess, -1, -2))  # exactly symmetric


def test_finite_difference_checker_catches_a_wrong_gradient() -> None:
    rosenbrock = SURFACES["rosenbrock"]
    p = random_points(rosenbrock)
    numeric, noise = fd_jacobian(rosenbrock.value, p)
    wrong = rosenbrock.grad(p) * (1.0 + 1e-5)
    assert relative_error(wrong, numeric, noise).max() > RTOL


def test_kink_follows_the_subgradient_convention_on_the_crease() -> None:
    kink = SURFACES["kink"]
    on_crease = np.array([[0.0, 0.0], [0.25, 0.5], [1.0, 2.0], [-0.75, -1.5]])  # x = y/2 exactly
    y = on_crease[:, 1]
    # d|u|/du = sign(0) = 0 (relu'(0) = 0), so only the smooth y^2/4 part remains.
    np.testing.assert_array_equal(kink.grad(on_crease), np.column_stack([0.0 * y, 0.5 * y]))
    expected_h = np.broadcast_to([[0.0, 0.0], [0.0, 0.5]], (4, 2, 2))
    np.testing.assert_array_equal(kink.hessian(on_crease), expected_h)  # a.e. Hessian
    # One-sided gradients just off the crease: (+-1, -+1/2 + y/2).
    off = on_crease + [1e-9, 0.0]
    np.testing.assert_allclose(kink.grad(off), np.column_stack([1.0 + 0 * y, -0.5 + 0.5 * y]))
    np.testing.assert_allclose(
        kink.grad(on_crease - [1e-9, 0.0]), np.column_stack([-1.0 + 0 * y, 0.5 + 0.5 * y])
    )


def test_smooth_kink_is_the_kink_with_rounded_crease() -> None:
    kink, smooth = SURFACES["kink"], SURFACES["smooth_kink"]
    assert (smooth.bounds, smooth.start) == (kink.bounds, kink.start)
    np.testing.assert_array_equal(smooth.minima, kink.minima)
    _, _, z_kink = kink.grid(101)
    _, _, z_smooth = smooth.grid(101)
    gap = z_kink - z_smooth  # |u| - s(u) lies in [0, 2 ln 2 / k] with k = 4
    assert gap.min() >= -1e-12 and gap.max() <= 2.0 * math.log(2.0) / 4.0 + 1e-12
    p = np.array([[1.5, 0.0], [-1.5, 0.5]])  # far from the crease the gradients agree
    np.testing.assert_allclose(smooth.grad(p), kink.grad(p), atol=1e-2)


# ----------------------------------------------------------------------------- vectorizing


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_pointwise_agreement(name: str) -> None:
    surface = SURFACES[name]
    rng = np.random.default_rng(2)
    (x0, x1), (y0, y1) = surface.bounds
    for shape in [(), (5,), (3, 4)]:
        p = np.stack([rng.uniform(x0, x1, shape), rng.uniform(y0, y1, shape)], axis=-1)
        value, grad, hess = surface.value(p), surface.grad(p), surface.hessian(p)
        assert np.shape(value) == shape
        assert grad.shape == (*shape, 2)
        assert hess.shape == (*shape, 2, 2)
        for idx in np.ndindex(*shape):
            single = p[idx]
            np.testing.assert_allclose(surface.value(single), value[idx], rtol=1e-14, atol=1e-14)
            np.testing.assert_allclose(surface.grad(single), grad[idx], rtol=1e-14, atol=1e-14)
            np.testing.assert_allclose(surface.hessian(single), hess[idx], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_accepts_lists_and_integers_and_never_mutates(name: str) -> None:
    surface = SURFACES[name]
    p = np.array([[1, 0], [0, 1]])
    before = p.copy()
    np.testing.assert_array_equal(surface.value(p), surface.value([[1.0, 0.0], [0.0, 1.0]]))
    surface.grad(p)
    surface.hessian(p)
    np.testing.assert_array_equal(p, before)
    assert surface.grad(p).flags.writeable and surface.hessian(p).flags.writeable


@pytest.mark.parametrize("fn", ["value", "grad", "hessian"])
def test_rejects_points_without_a_trailing_xy_axis(fn: str) -> None:
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        getattr(SURFACES["bowl"], fn)(np.zeros((4, 3)))


@pytest.mark.parametrize("name", NAMES)
def test_no_warnings_on_the_plot_grid(name: str) -> None:
    surface = SURFACES[name]
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        xs, ys, Z = surface.grid(120)
        pts = np.stack(np.meshgrid(xs, ys), axis=-1)
        assert np.isfinite(Z).all()
        assert np.isfinite(surface.grad(pts)).all()
        assert np.isfinite(surface.hessian(pts)).all()


coordinate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(points=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(2)), elements=coordinate))
def test_finite_and_silent_for_any_point_up_to_1e6(name: str, points: np.ndarray) -> None:
    """Contract: no warning, no exception, no NaN or inf for |x|, |y| <= 1e6 (underflow is fine)."""
    surface = SURFACES[name]
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        outputs = surface.value(points), surface.grad(points), surface.hessian(points)
    for out in outputs:
        assert np.isfinite(out).all()


# -------------------------------------------------------------------------- critical points


@pytest.mark.parametrize("name", NAMES)
def test_known_number_of_minima_and_saddles(name: str) -> None:
    n_min, n_saddle, best = KNOWN[name]
    surface = SURFACES[name]
    assert surface.minima.shape == (n_min, 2)
    assert surface.saddles.shape == (n_saddle, 2)
    if best is not None:
        assert surface.value(surface.minima).min() == pytest.approx(best, abs=1e-12)
    points = np.vstack([surface.minima, surface.saddles])
    assert len(np.unique(points.round(6), axis=0)) == len(points), "listed twice"


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_minima(name: str) -> None:
    surface = SURFACES[name]
    for m in surface.minima:
        assert np.linalg.norm(surface.grad(m)) < 1e-8, f"{name}: grad at {m}"
        eig = np.linalg.eigvalsh(surface.hessian(m))
        if name == "kink":
            # The |u| part has no (a.e.) Hessian, so it is only PSD; the V makes it a strict min.
            assert eig.min() >= 0.0
        else:
            assert eig.min() > 0.0, f"{name}: Hessian at {m} not positive definite: {eig}"
        for radius in (1e-3, 1e-2):
            assert surface.value(m) <= surface.value(circle(m, radius)).min()


@pytest.mark.parametrize("name", NAMES)
def test_saddles_are_saddles(name: str) -> None:
    surface = SURFACES[name]
    for s in surface.saddles:
        assert np.linalg.norm(surface.grad(s)) < 1e-8, f"{name}: grad at {s}"
        around = surface.value(circle(s, 1e-3)) - surface.value(s)
        assert around.min() < 0.0 < around.max(), f"{name}: {s} is not a saddle"
        hess = surface.hessian(s)
        if np.abs(hess).max() > 1e-8:  # non-degenerate: indefinite Hessian
            assert np.linalg.det(hess) < 0.0


def test_monkey_saddle_is_degenerate() -> None:
    monkey = SURFACES["monkey_saddle"]
    np.testing.assert_array_equal(monkey.hessian(np.zeros(2)), np.zeros((2, 2)))
    # cos(3 theta): three descending valleys and three ascending ridges around the origin.
    signs = np.sign(monkey.value(circle(np.zeros(2), 0.1, n=6)))
    np.testing.assert_array_equal(signs, [1, -1, 1, -1, 1, -1])


def test_himmelblau_local_maximum_is_not_listed() -> None:
    himmelblau = SURFACES["himmelblau"]
    local_max = np.array([-0.270845, -0.923039])
    assert np.linalg.eigvalsh(himmelblau.hessian(local_max)).max() < 0.0
    points = np.vstack([himmelblau.minima, himmelblau.saddles])
    assert np.linalg.norm(points - local_max, axis=1).min() > 0.5


def test_rastrigin_local_minima_are_off_the_integers() -> None:
    minima = SURFACES["rastrigin"].minima
    lattice = np.array([(i, j) for i in range(-2, 3) for j in range(-2, 3)], dtype=float)
    np.testing.assert_array_equal(np.abs(minima - lattice) < 0.03, True)
    off = np.abs(minima - lattice).max(axis=1)
    assert np.count_nonzero(off == 0.0) == 1  # only the global minimum sits on the lattice
    assert off.max() > 0.01


# -------------------------------------------------------------------------------- metadata


def test_library_modules_import_only_numpy_and_the_standard_library() -> None:
    """The built-in surfaces never need sympy (or anything else) at runtime."""
    folder = Path(__file__).resolve().parents[1] / "surfaces"
    allowed = {"numpy", "surfaces"} | set(sys.stdlib_module_names)
    for path in sorted(folder.glob("*.py")):  # not expression/: typed formulas need sympy
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {sorted(roots - allowed)}"


def test_registry_is_read_only_and_in_teaching_order() -> None:
    assert isinstance(SURFACES, MappingProxyType)
    assert tuple(SURFACES) == TEACHING_ORDER
    with pytest.raises(TypeError):
        SURFACES["bowl"] = SURFACES["ravine"]  # type: ignore[index]


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name: str) -> None:
    surface = SURFACES[name]
    assert surface.name == name and get_surface(name) is surface
    assert surface.title.strip() and surface.description.strip() and surface.formula.strip()
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    sx, sy = surface.start
    assert x0 <= sx <= x1 and y0 <= sy <= y1
    for p in np.vstack([surface.minima, surface.saddles]):
        assert x0 <= p[0] <= x1 and y0 <= p[1] <= y1, f"{name}: {p} outside bounds"
    assert isinstance(surface.log_levels, bool)


@pytest.mark.parametrize("name", NAMES)
def test_formula_is_balanced_latex(name: str) -> None:
    formula = SURFACES[name].formula
    assert formula.startswith("f(x, y) =")
    assert formula.count("{") == formula.count("}")
    assert len(re.findall(r"\\left\b", formula)) == len(re.findall(r"\\right\b", formula))


def test_log_levels_where_values_span_decades() -> None:
    assert SURFACES["rosenbrock"].log_levels and SURFACES["beale"].log_levels
    for name in ("bowl", "saddle", "monkey_saddle", "six_hump_camel", "plateau"):
        assert not SURFACES[name].log_levels


def test_get_surface_unknown_name_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="rosenbrock") as info:
        get_surface("banana")
    assert "banana" in str(info.value)


# ---------------------------------------------------------------------------------- stories


def test_ravine_is_rotated_and_ill_conditioned() -> None:
    eig, vec = np.linalg.eigh(SURFACES["ravine"].hessian(np.zeros(2)))
    np.testing.assert_allclose(eig, [1.0, 25.0])
    np.testing.assert_allclose(np.abs(vec[:, 0]), [math.cos(math.pi / 6), 0.5])  # 30 degrees


def test_saddle_starts_next_to_the_stable_manifold() -> None:
    for name in ("saddle", "saddle_escape"):
        sx, sy = SURFACES[name].start
        assert abs(sx) > 1.0 and 0.0 < abs(sy) <= 1e-2


def test_plateau_is_flat_around_the_start() -> None:
    plateau = SURFACES["plateau"]
    g_start = np.linalg.norm(plateau.grad(np.array(plateau.start)))
    assert 1e-5 < g_start < 1e-3  # tiny, but not below Adam's eps
    xs, ys, _ = plateau.grid(101)
    g = np.linalg.norm(plateau.grad(np.stack(np.meshgrid(xs, ys), axis=-1)), axis=-1)
    assert np.mean(g < 1e-3) > 0.5  # most of the window is plateau
    assert g.min() >= 0.0 and g[50, 50] < 1e-12 and g.max() > 0.5  # and one clear bowl


def test_plateau_gradient_keeps_relative_precision_on_the_plateau() -> None:
    """Finite differences of values ~1 cannot resolve |grad| ~ 1e-7 (the floor above), so check
    the plateau gradient against an independent closed form, ``sech^2 = 1 / cosh^2``."""
    plateau = SURFACES["plateau"]
    rng = np.random.default_rng(3)
    r = rng.uniform(5.0, 9.8, 100)
    theta = rng.uniform(0.0, 2.0 * np.pi, 100)
    p = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    s = np.sqrt(1.0 + r * r)
    expected = (1.0 / np.cosh(s - 1.0) ** 2 / s)[:, None] * p
    np.testing.assert_allclose(plateau.grad(p), expected, rtol=1e-12)
