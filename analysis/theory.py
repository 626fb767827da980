r"""Linear-convergence theory of gradient descent and heavy-ball momentum on quadratics.

On a quadratic :math:`f(p) = \tfrac12 (p - p^*)^\top A (p - p^*)` every optimizer in the
``sgd`` family is a *linear* iteration, so its fate is decided by eigenvalues alone: the
condition number, the best fixed step, the best momentum, the stability limit and the
linear rate can all be written down before a single step is taken (G. Goh, "Why Momentum
Really Works", Distill 2017). This module computes them in **torch's parametrization** of
``torch.optim.SGD`` so they can be drawn on a sweep map of the same optimizer.

Torch's form is the classical heavy ball
-----------------------------------------
Torch keeps a buffer of gradients, :math:`b_{k+1} = \mu b_k + g_k`,
:math:`x_{k+1} = x_k - \gamma b_{k+1}` (with :math:`b_1 = g_0`, the first gradient). Since
:math:`x_k - x_{k-1} = -\gamma b_k`,

.. math::
    x_{k+1} - x_k = -\gamma(\mu b_k + g_k) = \mu (x_k - x_{k-1}) - \gamma g_k ,

which is Polyak's heavy ball :math:`x_{k+1} = x_k - \alpha \nabla f(x_k) + \beta (x_k -
x_{k-1})` with :math:`\alpha = \gamma` (``lr``) and :math:`\beta = \mu` (``momentum``), started
from :math:`x_{-1} = x_0` (then both first steps are :math:`-\gamma g_0`). So Goh's formulas
hold verbatim with ``lr`` for :math:`\alpha` and ``momentum`` for :math:`\beta`.

Per eigenvalue :math:`\lambda` of :math:`A` the error :math:`e_k` along that eigenvector obeys
:math:`e_{k+1} = (1 + \mu - \gamma\lambda) e_k - \mu e_{k-1}`: the iteration matrix

.. math::
    R_\lambda = \begin{pmatrix} 1 + \mu - \gamma\lambda & -\mu \\ 1 & 0 \end{pmatrix},
    \qquad z^2 - (1 + \mu - \gamma\lambda) z + \mu = 0 .

Its spectral radius is the linear rate of that mode; the run converges iff every mode has
radius < 1, i.e. (for :math:`0 \le \mu < 1`) :math:`0 < \gamma\lambda < 2(1 + \mu)`, the
**stability limit** :math:`\gamma < 2(1 + \mu)/L`. The slowest mode becomes critically
damped (double real root) at :math:`\mu = (1 - \sqrt{\gamma m})^2`; the optimum balances the
two extreme modes, :math:`\gamma^* = 4/(\sqrt L + \sqrt m)^2`,
:math:`\mu^* = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`, rate :math:`\sqrt{\mu^*}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from surfaces import Surface

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class QuadraticTheory:
    """Everything the theory says about ``sgd``/heavy ball on one convex quadratic surface.

    Attributes
    ----------
    surface : str
        The surface's name.
    eigenvalues : (2,) array
        Eigenvalues of the (constant) Hessian, ascending: ``(m, L)``.
    minimizer : (2,) array
        The minimum :math:`p^*`.
    kappa : float
        Condition number ``L / m``.
    gd_lr : float
        Optimal fixed step of plain gradient descent, ``2 / (m + L)``.
    gd_rate : float
        Its linear rate ``(kappa - 1) / (kappa + 1)``.
    gd_limit : float
        Plain gradient descent diverges for ``lr > 2 / L``.
    hb_lr, hb_momentum : float
        Optimal heavy ball (torch ``lr``, ``momentum``):
        ``4 / (sqrt(L) + sqrt(m))**2`` and ``((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2``.
    hb_rate : float
        Its linear rate ``sqrt(hb_momentum) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)``.
    """

    surface: str
    eigenvalues: Array
    minimizer: Array
    kappa: float
    gd_lr: float
    gd_rate: float
    gd_limit: float
    hb_lr: float
    hb_momentum: float
    hb_rate: float

    @property
    def m(self) -> float:
        """Smallest eigenvalue (strong convexity)."""
        return float(self.eigenvalues[0])

    @property
    def L(self) -> float:  # noqa: N802 - the Lipschitz constant is called L everywhere
        """Largest eigenvalue (smoothness)."""
        return float(self.eigenvalues[-1])

    def stability_limit(self, momentum: npt.ArrayLike) -> Array:
        """Largest stable ``lr`` for each ``momentum``: ``2 (1 + momentum) / L``."""
        return stability_limit(momentum, self.L)

    def critical_momentum(self, lr: npt.ArrayLike) -> Array:
        """Momentum at which the slowest mode is critically damped, per ``lr``."""
        return critical_momentum(lr, self.m)

    def predicted_rate(self, lr: npt.ArrayLike, momentum: npt.ArrayLike = 0.0) -> Array:
        """Predicted linear rate of ``sgd(lr, momentum)`` on this surface (broadcasts)."""
        return predicted_rate(lr, momentum, self.eigenvalues)

    def rates(self, lr: float, momentum: float, points: npt.ArrayLike) -> tuple[float, float]:
        """``(predicted, measured)`` linear rate of a run of ``sgd(lr, momentum)``.

        ``points`` is the run's path ``(steps + 1, 2)`` (e.g. ``RaceEntry.points``); the
        measured rate is `measured_rate` of its distances to the minimizer. Meaningful for
        ``sgd``/``momentum`` with a constant learning rate (no Nesterov, dampening or
        weight decay); a diverged run measures a rate above 1 until it stops.
        """
        predicted = float(self.predicted_rate(lr, momentum))
        return predicted, measured_rate(distances(points, self.minimizer))


def hessian_if_constant(surface: Surface, *, rtol: float = 1e-9) -> Array | None:
    """The surface's Hessian if it is the same at a few probe points, else ``None``.

    The probes are the centre, four points near the corners of ``surface.bounds`` and two
    irrational-looking interior points; a cubic or quartic term shows up at one of them.
    """
    (x0, x1), (y0, y1) = surface.bounds
    fx = np.array([0.5, 0.1, 0.9, 0.1, 0.9, 0.3141, 0.7182])
    fy = np.array([0.5, 0.1, 0.1, 0.9, 0.9, 0.6931, 0.2718])
    probes = np.stack([x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)], axis=-1)
    with np.errstate(all="ignore"):
        H = np.asarray(surface.hessian(probes), dtype=np.float64)
    if not np.all(np.isfinite(H)):
        return None
    scale = max(float(np.abs(H[0]).max()), 1e-300)
    if np.abs(H - H[0]).max() > rtol * scale:
        return None
    return H[0]


def quadratic_theory(surface: Surface) -> QuadraticTheory | None:
    """Theory for a convex quadratic surface (constant, positive definite Hessian).

    Returns ``None`` for any other surface (non-constant Hessian, or a saddle / flat
    direction), where no linear-rate theory applies.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> th = quadratic_theory(get_surface("ravine"))
    >>> th.eigenvalues.round(12), round(th.kappa, 9), round(th.hb_momentum, 9)
    (array([ 1., 25.]), 25.0, 0.444444444)
    >>> quadratic_theory(get_surface("rosenbrock")) is None
    True
    """
    H = hessian_if_constant(surface)
    if H is None:
        return None
    eig = np.linalg.eigvalsh(0.5 * (H + H.T))
    if eig[0] <= 0:
        return None
    m, L = float(eig[0]), float(eig[-1])
    kappa = L / m
    if len(surface.minima):
        minimizer = np.asarray(surface.minima[0], dtype=np.float64)
    else:  # p* solves H p* = -grad(0) for a quadratic
        minimizer = -np.linalg.solve(H, surface.grad(np.zeros(2)))
    minimizer = minimizer.copy()
    eig = eig.copy()
    eig.setflags(write=False)
    minimizer.setflags(write=False)
    sk = math.sqrt(kappa)
    return QuadraticTheory(
        surface=surface.name,
        eigenvalues=eig,
        minimizer=minimizer,
        kappa=kappa,
        gd_lr=2.0 / (m + L),
        gd_rate=(kappa - 1.0) / (kappa + 1.0),
        gd_limit=2.0 / L,
        hb_lr=4.0 / (math.sqrt(L) + math.sqrt(m)) ** 2,
        hb_momentum=((sk - 1.0) / (sk + 1.0)) ** 2,
        hb_rate=(sk - 1.0) / (sk + 1.0),
    )


def stability_limit(momentum: npt.ArrayLike, L: float) -> Array:
    r"""Heavy-ball stability limit in torch's parametrization: ``lr < 2 (1 + momentum) / L``.

    Valid for ``0 <= momentum < 1``; at ``momentum >= 1`` no ``lr`` is stable (NaN is
    returned there).

    Examples
    --------
    >>> stability_limit([0.0, 0.5], 25.0)
    array([0.08, 0.12])
    """
    mu = np.asarray(momentum, dtype=np.float64)
    return np.where(mu < 1.0, 2.0 * (1.0 + mu) / L, np.nan)


def critical_momentum(lr: npt.ArrayLike, lam: float) -> Array:
    r"""Momentum :math:`(1 - \sqrt{\gamma\lambda})^2` that critically damps the mode ``lam``.

    Below it the mode decays monotonically (overdamped), above it it oscillates. Defined for
    ``lr * lam <= 1`` (NaN beyond, where even ``momentum = 0`` overshoots).

    Examples
    --------
    >>> critical_momentum([0.04, 0.25, 2.0], 1.0)
    array([0.64, 0.25,  nan])
    """
    x = np.asarray(lr, dtype=np.float64) * lam
    with np.errstate(invalid="ignore"):
        return np.where(x <= 1.0, (1.0 - np.sqrt(np.maximum(x, 0.0))) ** 2, np.nan)


def mode_radius(lr: npt.ArrayLike, momentum: npt.ArrayLike, lam: npt.ArrayLike) -> Array:
    r"""Spectral radius of the 2x2 heavy-ball iteration matrix of one eigenvalue ``lam``.

    The largest :math:`|z|` with :math:`z^2 - (1 + \mu - \gamma\lambda) z + \mu = 0`
    (broadcasts over ``lr``, ``momentum`` and ``lam``).

    Examples
    --------
    >>> float(mode_radius(0.5, 0.0, 1.0)), round(float(mode_radius(0.1, 0.81, 1.0)), 12)
    (0.5, 0.9)
    """
    lr, mu, lam = np.broadcast_arrays(
        np.asarray(lr, np.float64), np.asarray(momentum, np.float64), np.asarray(lam, np.float64)
    )
    a = 1.0 + mu - lr * lam
    root = np.sqrt((a * a - 4.0 * mu).astype(np.complex128))
    return np.maximum(np.abs(a + root), np.abs(a - root)) / 2.0


def predicted_rate(
    lr: npt.ArrayLike, momentum: npt.ArrayLike, eigenvalues: npt.ArrayLike
) -> Array:
    r"""Linear rate of ``sgd(lr, momentum)`` on a quadratic: the largest mode radius.

    ``lr`` and ``momentum`` broadcast against each other; the result has their shape.
    ``>= 1`` means no convergence (``> 1``: divergence). Plain gradient descent is
    ``momentum = 0`` (rate ``max |1 - lr * lambda|``).

    Examples
    --------
    >>> float(predicted_rate(2 / 26, 0.0, [1.0, 25.0]))  # GD optimum on the ravine: 24/26
    0.9230769230769231
    >>> round(float(predicted_rate(1 / 9, 4 / 9, [1.0, 25.0])), 12)  # heavy-ball optimum
    0.666666666667
    """
    lr = np.asarray(lr, dtype=np.float64)
    mu = np.asarray(momentum, dtype=np.float64)
    lams = np.asarray(eigenvalues, dtype=np.float64).reshape(-1)
    radii = mode_radius(lr[..., None], mu[..., None], lams)
    return radii.max(axis=-1)


def distances(points: npt.ArrayLike, minimizer: npt.ArrayLike) -> Array:
    """Euclidean distance of each point ``(..., 2)`` to ``minimizer``."""
    diff = np.asarray(points, dtype=np.float64) - np.asarray(minimizer, dtype=np.float64)
    return np.sqrt((diff * diff).sum(axis=-1))


def measured_rate(
    errors: npt.ArrayLike, *, window: int | None = None, squared: bool = False,
    floor: float = 1e-150,
) -> float:
    r"""Linear rate fitted from a run: the geometric-mean ratio of ``errors`` over a tail window.

    The rate is :math:`\exp` of the least-squares slope of :math:`\log e_k` against :math:`k`
    over the last ``window`` usable steps (by default the last half). For a pure geometric
    sequence this is exactly the ratio :math:`e_{k+1}/e_k`. An underdamped (momentum) run
    oscillates, :math:`e_k \approx r^k |\cos(k\theta + \varphi)|`, and may pass arbitrarily
    close to zero; so the fit uses the upper envelope :math:`\max(e_k, \dots, e_{k+w-1})`
    (``w`` about an eighth of the usable steps, at most 25), which decays like :math:`r^k`
    and leaves a monotone sequence unchanged.

    Parameters
    ----------
    errors : (n,) array_like
        Distances :math:`\|x_k - x^*\|` (or loss gaps :math:`f - f^*` with ``squared=True``,
        which decay like the *square* of the rate; the square root of the fit is returned).
    window : int, optional
        Number of trailing steps to fit; default half of the usable steps.
    squared : bool
        Whether ``errors`` are loss gaps rather than distances.
    floor : float
        The run stops counting after its last error above ``floor`` (converged to machine
        precision, or to exactly zero); non-finite errors end it too.

    Returns
    -------
    float
        The fitted rate (NaN with fewer than 3 usable steps).

    Examples
    --------
    >>> round(measured_rate(0.9 ** np.arange(200)), 12)
    0.9
    >>> round(measured_rate(0.25 ** np.arange(100), squared=True), 12)
    0.5
    """
    e = np.asarray(errors, dtype=np.float64).reshape(-1)
    finite = np.isfinite(e)
    end = len(e) if finite.all() else int(np.argmin(finite))
    above = np.flatnonzero(e[:end] > floor)
    usable = int(above[-1]) + 1 if above.size else 0
    if usable < 3:
        return float("nan")
    e = np.maximum(e[:usable], floor)
    w = max(1, min(25, usable // 8))
    envelope = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([e, np.full(w - 1, e[-1])]), w).max(axis=-1)
    n = max(3, min(usable, window if window is not None else usable // 2))
    # the envelope's last w - 1 values see past the end: fit the window before them
    stop = max(n, usable - (w - 1))
    k = np.arange(stop - n, stop, dtype=np.float64)
    slope = np.polyfit(k, np.log(envelope[stop - n: stop]), 1)[0]
    rate = float(np.exp(slope))
    return float(np.sqrt(rate)) if squared else rate


def applies_to_sweep(
    surface: Surface, optimizer: str, hparams: Mapping[str, Any], x_name: str, y_name: str,
    schedule: str | None = None,
) -> QuadraticTheory | None:
    """The theory if it describes this sweep map, else ``None``.

    It does for ``sgd``/``momentum`` (torch's heavy ball) on a convex quadratic, swept over
    ``lr`` (x) and ``momentum`` (y), with a constant learning rate and no Nesterov,
    dampening or weight decay. (A `analysis.sweep.SweepResult` carries all these fields.)
    """
    plain = (
        optimizer in {"sgd", "momentum"}
        and not hparams.get("nesterov", False)
        and not np.any(hparams.get("dampening", 0.0))
        and not np.any(hparams.get("weight_decay", 0.0))
    )
    if not (plain and x_name == "lr" and y_name == "momentum" and schedule is None):
        return None
    return quadratic_theory(surface)


def theory_curves(
    theory: QuadraticTheory, lr_range: tuple[float, float], momentum_range: tuple[float, float],
    *, samples: int = 200,
) -> dict[str, tuple[Array, Array]]:
    """Curves to draw on an ``lr`` (x) by ``momentum`` (y) sweep map, clipped to its box.

    Returns a mapping ``label -> (lr values, momentum values)``:

    - ``"stability limit lr = 2(1+μ)/L"``: above/right of it, every run diverges;
    - ``"critical momentum μ = (1-√(lr·m))²"``: above it, the slow mode oscillates;
    - ``"optimal heavy ball"``: the single point ``(hb_lr, hb_momentum)``;
    - ``"optimal GD step 2/(m+L)"``: the single point ``(gd_lr, 0)``.

    Points outside the box are NaN (Plotly leaves a gap).
    """
    (x0, x1), (y0, y1) = lr_range, momentum_range
    mu = np.linspace(y0, y1, samples)
    lim = theory.stability_limit(mu)
    lim = np.where((lim >= x0) & (lim <= x1), lim, np.nan)
    lrs = np.geomspace(x0, x1, samples) if x0 > 0 else np.linspace(x0, x1, samples)
    crit = theory.critical_momentum(lrs)
    crit = np.where((crit >= y0) & (crit <= y1), crit, np.nan)
    curves = {
        "stability limit lr = 2(1+μ)/L": (lim, mu),
        "critical momentum μ = (1-√(lr·m))²": (lrs, crit),
    }
    for label, (px, py) in {
        "optimal heavy ball": (theory.hb_lr, theory.hb_momentum),
        "optimal GD step 2/(m+L)": (theory.gd_lr, 0.0),
    }.items():
        if x0 <= px <= x1 and y0 <= py <= y1:
            curves[label] = (np.array([px]), np.array([py]))
    return curves
