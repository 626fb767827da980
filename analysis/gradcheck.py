r"""Gradient checking, after the CS231n notes: compare an analytic gradient with finite
differences, for every step size ``h`` at once.

The notes' recipe, and what this module computes:

* Use the **centered** difference :math:`\frac{f(x + h) - f(x - h)}{2h}`, not the one-sided
  :math:`\frac{f(x + h) - f(x)}{h}`. It costs two evaluations per coordinate instead of one
  but is far more accurate: by Taylor's theorem the one-sided error is
  :math:`\tfrac{h}{2} f''(x) + O(h^2)` and the centered error
  :math:`\tfrac{h^2}{6} f'''(x) + O(h^4)`, so halving :math:`h` halves the first and
  quarters the second (the **truncation** regime).
* Compare with the **relative error** :math:`\frac{|a - n|}{\max(|a|, |n|)}` (the max makes
  it symmetric and avoids 0/0 when one of them is zero, common with ReLUs). Verdicts
  (`verdict`): above 1e-2 the gradient is probably wrong; 1e-2 to 1e-4 should make you
  uncomfortable; below 1e-4 is usually okay for objectives with kinks, but too high for a
  smooth one; 1e-7 and less, be happy.
* Smaller :math:`h` is not always better: each evaluation of :math:`f` is rounded to about
  :math:`\varepsilon |f|` (:math:`\varepsilon \approx 2.2 \times 10^{-16}`), and dividing
  the difference by :math:`h` amplifies that into a **round-off** error that grows like
  :math:`\varepsilon / h`. The total error is smallest in between, near
  :math:`h \sim \sqrt{\varepsilon}` (one-sided) and :math:`h \sim \varepsilon^{1/3}`
  (centered); see `ErrorModel`.
* **Kinks** (ReLU, |x|, hinge losses) break the check: if :math:`x - h` and :math:`x + h`
  lie on different sides of a kink, the difference quotient averages two slopes. The notes'
  example is a ReLU at :math:`x = -10^{-6}` checked with :math:`h = 10^{-5}`. The ``kink``
  surface has a crease along :math:`x = y/2`; `crease_point` gives points near it.

Everything is vectorized over the step sizes: ``value_fn`` is called on arrays of points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from surfaces import Surface

Array = npt.NDArray[np.float64]

EPS = float(np.finfo(np.float64).eps)
"""Machine epsilon of float64 (2.2e-16): the relative rounding error of one operation."""

DEFAULT_HS: Array = np.logspace(-1, -12, 45)
DEFAULT_HS.setflags(write=False)
"""The step sizes tried by default: 45 values from 1e-1 down to 1e-12 (4 per decade)."""

GOOD, KINKED_OK, UNEASY = 1e-7, 1e-4, 1e-2
"""The notes' thresholds on the relative error."""

THRESHOLDS = (GOOD, KINKED_OK, UNEASY)

VERDICTS = MappingProxyType({
    "good": "relative error <= 1e-7: you should be happy",
    "ok_if_kinked": (
        "1e-7 to 1e-4: usually OK for an objective with kinks (ReLU, hinge), "
        "but too high for a smooth one (tanh, softmax)"
    ),
    "uneasy": "1e-4 to 1e-2: this should make you uncomfortable",
    "wrong": "relative error > 1e-2: the gradient is probably wrong",
})
"""The verdict names, in order from best to worst, with the notes' wording."""

VERDICT_LABELS = MappingProxyType({
    "good": "good",
    "ok_if_kinked": "OK only for a kinked objective",
    "uneasy": "uncomfortable",
    "wrong": "the gradient is probably wrong",
})
"""Short words for each verdict, as a page says them next to a number."""

_FLOOR = float(np.finfo(np.float64).tiny)
_DELTA = 1e-3  # step of the finite differences of the gradient in `ErrorModel`


def relative_error(analytic: npt.ArrayLike, numeric: npt.ArrayLike, axis: int | None = None
                   ) -> Array:
    r"""The notes' relative error :math:`|a - n| / \max(|a|, |n|)`.

    Parameters
    ----------
    analytic, numeric : array_like
        Broadcastable arrays of gradients (or of single partial derivatives).
    axis : int, optional
        None: elementwise. An axis: of the vectors along it, with Euclidean norms,
        :math:`\|a - n\| / \max(\|a\|, \|n\|)`.

    Returns
    -------
    ndarray
        In ``[0, 2]``; 0 where both are zero (the denominator is floored at the smallest
        normal float), 1 where exactly one is zero, NaN where either is NaN.

    Notes
    -----
    A relative error is only meaningful when the numbers are not tiny: a gradient component
    of 1e-9 checked against a numeric 1e-12 scores 1.0 ("wrong") though both are
    essentially zero. That is why the notes say to print the raw numbers too, and why
    `gradient_check` reports the error of the whole gradient vector (``axis=-1``) as its
    headline, with the per-coordinate errors alongside.

    Examples
    --------
    >>> relative_error([1.0, 0.0, 0.0], [1.001, 0.0, 1e-9]).round(6).tolist()
    [0.000999, 0.0, 1.0]
    >>> float(relative_error([3.0, 4.0], [3.0, 4.005], axis=-1).round(6))
    0.000999
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if axis is None:
        diff, size = np.abs(a - n), np.maximum(np.abs(a), np.abs(n))
    else:
        diff = np.linalg.norm(a - n, axis=axis)
        size = np.maximum(np.linalg.norm(a, axis=axis), np.linalg.norm(n, axis=axis))
    return diff / np.maximum(size, _FLOOR)


def verdict(error: Any) -> Any:
    """The notes' verdict on a relative error: a key of `VERDICTS`.

    ``"good"`` (<= 1e-7), ``"ok_if_kinked"`` (<= 1e-4), ``"uneasy"`` (<= 1e-2), else
    ``"wrong"`` (NaN too). A scalar gives a ``str``, an array an array of ``str``.

    Examples
    --------
    >>> verdict(3e-9), verdict(5e-5), verdict(1e-3), verdict(0.5)
    ('good', 'ok_if_kinked', 'uneasy', 'wrong')
    """
    e = np.asarray(error, dtype=np.float64)
    out = np.select([e <= GOOD, e <= KINKED_OK, e <= UNEASY], list(VERDICTS)[:3], "wrong")
    return str(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ErrorModel:
    r"""The expected relative error of the difference quotients, from Taylor's theorem.

    ``one_sided * h`` and ``centered * h**2`` are the leading truncation errors (relative,
    for the gradient vector), ``roundoff / h`` the round-off error:

    .. math::
        e_{\text{one-sided}}(h) \approx \frac{h}{2} \frac{\|(f_{ii})_i\|}{\|\nabla f\|}
            + \frac{R}{h}, \qquad
        e_{\text{centered}}(h) \approx \frac{h^2}{6} \frac{\|(f_{iii})_i\|}{\|\nabla f\|}
            + \frac{R}{h}, \qquad
        R = \varepsilon \Big(\frac{|f(x)|}{\|\nabla f\|} + \|x\|\Big)

    (:math:`R` counts the rounding of :math:`f` and of :math:`x \pm h`; it is an order of
    magnitude, not a bound). The derivatives :math:`f_{ii}` and :math:`f_{iii}` along the
    coordinate axes are taken as finite differences of the exact gradient with step
    ``1e-3``. The model assumes :math:`f` is smooth near the point: close to a kink it means
    nothing, which is the notes' point about kinks.
    """

    one_sided: float
    centered: float
    roundoff: float

    def one_sided_line(self, hs: npt.ArrayLike) -> Array:
        """Truncation error of the one-sided difference, ``one_sided * h`` (slope 1)."""
        return self.one_sided * np.asarray(hs, dtype=np.float64)

    def centered_line(self, hs: npt.ArrayLike) -> Array:
        """Truncation error of the centered difference, ``centered * h**2`` (slope 2)."""
        return self.centered * np.asarray(hs, dtype=np.float64) ** 2

    def roundoff_line(self, hs: npt.ArrayLike) -> Array:
        """Round-off error ``roundoff / h`` (slope -1)."""
        return self.roundoff / np.asarray(hs, dtype=np.float64)

    @property
    def best_h_one_sided(self) -> float:
        """The ``h`` minimizing ``one_sided * h + roundoff / h``: ``sqrt(R / C1)``."""
        with np.errstate(divide="ignore"):
            return float(np.sqrt(self.roundoff / np.float64(self.one_sided)))

    @property
    def best_h_centered(self) -> float:
        """The ``h`` minimizing ``centered * h**2 + roundoff / h``: ``(R / (2 C2))**(1/3)``."""
        with np.errstate(divide="ignore"):
            return float(np.cbrt(self.roundoff / (2.0 * np.float64(self.centered))))


@dataclass(frozen=True, eq=False)
class GradCheckResult:
    """Finite differences against the analytic gradient at one point, for every ``h``.

    Attributes
    ----------
    point : ndarray, shape (n,)
    hs : ndarray, shape (k,)
        The step sizes.
    value : float
        :math:`f` at ``point``.
    analytic : ndarray, shape (n,)
        The analytic gradient (``grad_fn(point)``).
    centered, one_sided : ndarray, shape (k, n)
        The numeric gradients for every ``h``: :math:`(f(x + h e_i) - f(x - h e_i)) / 2h`
        and :math:`(f(x + h e_i) - f(x)) / h`.
    centered_error, one_sided_error : ndarray, shape (k,)
        Relative error of the whole gradient vector, per ``h`` (the headline numbers).
    centered_coordinate_errors, one_sided_coordinate_errors : ndarray, shape (k, n)
        Relative error of each partial derivative, per ``h`` (misleading where a partial
        derivative is tiny; see `relative_error`).
    model : ErrorModel
        The errors Taylor's theorem predicts (truncation and round-off).
    """

    point: Array
    hs: Array
    value: float
    analytic: Array
    centered: Array
    one_sided: Array
    centered_error: Array
    one_sided_error: Array
    centered_coordinate_errors: Array
    one_sided_coordinate_errors: Array
    model: ErrorModel

    def index(self, h: float) -> int:
        """The index of the step size in ``hs`` closest to ``h`` (in log scale)."""
        return int(np.argmin(np.abs(np.log(self.hs) - np.log(h))))

    @property
    def best_centered(self) -> tuple[float, float]:
        """``(h, error)`` where the centered error is smallest."""
        i = int(np.nanargmin(self.centered_error))
        return float(self.hs[i]), float(self.centered_error[i])

    @property
    def best_one_sided(self) -> tuple[float, float]:
        """``(h, error)`` where the one-sided error is smallest."""
        i = int(np.nanargmin(self.one_sided_error))
        return float(self.hs[i]), float(self.one_sided_error[i])


def _frozen(a: Any) -> Array:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def _error_model(grad_fn: Callable[[Array], Array], x: Array, value: float, g: Array
                 ) -> ErrorModel:
    """Taylor's constants from finite differences of the exact gradient (see `ErrorModel`)."""
    n = x.size
    step = _DELTA * np.eye(n)
    gp = np.asarray(grad_fn(x + step), dtype=np.float64)  # row i: gradient at x + delta e_i
    gm = np.asarray(grad_fn(x - step), dtype=np.float64)
    idx = np.arange(n)
    f2 = (gp[idx, idx] - gm[idx, idx]) / (2 * _DELTA)  # f_ii
    f3 = (gp[idx, idx] - 2 * g + gm[idx, idx]) / _DELTA**2  # f_iii
    norm = max(float(np.linalg.norm(g)), _FLOOR)
    return ErrorModel(
        one_sided=float(np.linalg.norm(f2)) / (2 * norm),
        centered=float(np.linalg.norm(f3)) / (6 * norm),
        roundoff=EPS * (abs(value) / norm + float(np.linalg.norm(x))),
    )


def gradient_check(
    surface_or_value_fn: Surface | Callable[[Array], Array],
    grad_fn: Callable[[Array], Array] | None,
    point: npt.ArrayLike,
    hs: npt.ArrayLike = DEFAULT_HS,
) -> GradCheckResult:
    """Check ``grad_fn`` at ``point`` against centered and one-sided differences, every ``h``.

    Parameters
    ----------
    surface_or_value_fn : Surface or callable
        A `surfaces.Surface` (its ``value`` and, unless ``grad_fn`` is given, its ``grad``
        are used), or a vectorized loss ``(..., n) -> (...)``.
    grad_fn : callable or None
        The analytic gradient ``(..., n) -> (..., n)`` under test; None to use the
        surface's own.
    point : array_like, shape (n,)
        Where to check.
    hs : array_like, default ``DEFAULT_HS`` (1e-1 ... 1e-12)
        Step sizes, positive.

    Returns
    -------
    GradCheckResult

    Examples
    --------
    On Rosenbrock the centered error falls like :math:`h^2` and the one-sided like
    :math:`h`, until round-off takes over:

    >>> from surfaces import get_surface
    >>> r = gradient_check(get_surface("rosenbrock"), None, [-0.5, 0.7], hs=[1e-2, 1e-3])
    >>> (r.centered_error[0] / r.centered_error[1]).round(1)
    np.float64(100.0)
    >>> (r.one_sided_error[0] / r.one_sided_error[1]).round()
    np.float64(10.0)
    >>> verdict(r.centered_error[1]), verdict(r.one_sided_error[1])
    ('ok_if_kinked', 'uneasy')
    """
    if isinstance(surface_or_value_fn, Surface):
        value_fn = surface_or_value_fn.value
        grad_fn = surface_or_value_fn.grad if grad_fn is None else grad_fn
    else:
        value_fn = surface_or_value_fn
        if grad_fn is None:
            raise TypeError("grad_fn is required when a value function (not a Surface) is given")
    x = np.asarray(point, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"point must be one vector of shape (n,), got shape {x.shape}")
    hs = np.asarray(hs, dtype=np.float64).reshape(-1)
    if not np.all(hs > 0):
        raise ValueError("step sizes hs must be positive")
    n = x.size
    offsets = hs[:, None, None] * np.eye(n)  # (k, n, n): row i moves coordinate i
    f0 = float(value_fn(x))
    fp = np.asarray(value_fn(x + offsets), dtype=np.float64)  # (k, n)
    fm = np.asarray(value_fn(x - offsets), dtype=np.float64)
    centered = (fp - fm) / (2 * hs[:, None])
    one_sided = (fp - f0) / hs[:, None]
    g = np.asarray(grad_fn(x), dtype=np.float64)
    return GradCheckResult(
        point=_frozen(x),
        hs=_frozen(hs),
        value=f0,
        analytic=_frozen(g),
        centered=_frozen(centered),
        one_sided=_frozen(one_sided),
        centered_error=_frozen(relative_error(g, centered, axis=-1)),
        one_sided_error=_frozen(relative_error(g, one_sided, axis=-1)),
        centered_coordinate_errors=_frozen(relative_error(g, centered)),
        one_sided_coordinate_errors=_frozen(relative_error(g, one_sided)),
        model=_error_model(grad_fn, x, f0, g),
    )


def crease_point(offset: float = -1e-6, y: float = 0.5) -> Array:
    """A point at signed distance ``offset`` along x from the crease ``x = y/2`` of the
    ``kink`` surface (and the valley floor of ``smooth_kink``): ``(y/2 + offset, y)``.

    The default is the notes' ReLU example, :math:`u = x - y/2 = -10^{-6}`: the centered
    difference straddles the crease whenever ``h > |offset|`` (see `crosses_crease`).
    """
    return np.array([0.5 * y + offset, y])


def crosses_crease(point: npt.ArrayLike, hs: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether the centered difference at ``point`` with step ``h`` straddles the crease
    ``u = x - y/2 = 0`` of the ``kink`` surface, for each ``h`` in ``hs``.

    A step ``h`` in x moves ``u`` by ``h``, a step in y by ``h/2``, so the x-difference
    crosses when ``|u| < h`` (and the y-difference when ``|u| < h/2``). At ``u = 0`` exactly
    the centered difference of ``|u|`` is ``0``, the subgradient ``sign(0)`` the surface
    reports, so the check passes *on* the crease and fails *next to* it.

    Examples
    --------
    >>> crosses_crease(crease_point(-1e-6), [1e-5, 1e-7])
    array([ True, False])
    """
    x, y = np.asarray(point, dtype=np.float64)
    u = abs(x - 0.5 * y)
    return u < np.asarray(hs, dtype=np.float64)
