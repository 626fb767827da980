r"""Newton's method and the saddle-free Newton method (second-order: they need the Hessian).

Both are made for the 2D surfaces, where the Hessian is an exact ``(..., 2, 2)`` array from
``hess_fn`` (``run(..., hess_fn=surface.hessian)``); they work for any ``(..., n)`` parameters
with ``(..., n, n)`` Hessians. Neither has a torch.optim counterpart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optimizers._core import (
    Array,
    Optimizer,
    align,
    frozen,
    nonnegative,
    nonzero,
    scaled_lr,
    valid_lr,
)


class NewtonState(NamedTuple):
    """State of `newton` and `saddle_free_newton`: only the step count (they are memoryless)."""

    t: int


def _needs_hessian(name: str, hess: Any) -> Array:
    if hess is None:
        raise ValueError(f"{name} needs the Hessian: pass hess_fn to run")
    return np.asarray(hess, dtype=np.float64)


def _with_damping(hess: Array, damping: Any, nd: int) -> Array:
    """``H + damping * I`` (a new array), ``damping`` aligned with the batch axes."""
    eye = np.eye(hess.shape[-1])
    if isinstance(damping, float):
        return hess + damping * eye
    return hess + align(damping, nd - 1)[..., None, None] * eye


def _solve_or_gradient(a: Array, g: Array) -> Array:
    """``d`` with ``a d = g``, per run; where ``a`` is singular, ``d = g`` (a gradient step).

    "Singular" is LAPACK's: an exactly zero pivot of the LU factorization, where
    `numpy.linalg.solve` would raise. A nearly singular matrix still gives its (huge) step.
    """
    shape = np.broadcast_shapes(a.shape[:-1], g.shape)
    a = np.broadcast_to(a, shape + shape[-1:])
    g = np.broadcast_to(g, shape)
    try:
        return np.linalg.solve(a, g[..., None])[..., 0]
    except np.linalg.LinAlgError:  # at least one singular system: solve the others only
        singular = np.linalg.slogdet(a)[0] == 0
        safe = np.where(singular[..., None, None], np.eye(a.shape[-1]), a)
        d = np.linalg.solve(safe, g[..., None])[..., 0]
        return np.where(singular[..., None], g, d)


def _second_order(
    name: str, lr: Any, damping: Any, direction: Callable[[Array, Array, int], Array]
) -> Optimizer:
    """Newton's methods share the step ``x <- x - lr * d``; they differ in the direction
    ``d = direction(hess, grads, params.ndim)``."""
    hparams = frozen({"lr": lr, "damping": damping})

    def init(params: Array) -> NewtonState:
        return NewtonState(t=0)

    def update(
        grads: Array,
        state: NewtonState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, NewtonState]:
        hess = _needs_hessian(name, hess)
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        step = scaled_lr(lr, lr_scale, nd) * direction(hess, grads, nd)
        return params - step, NewtonState(state.t + 1)

    return Optimizer(name, init, update, hparams)


def newton(*, lr: Any = 1.0, damping: Any = 0.0) -> Optimizer:
    r"""Newton's method, optionally damped (Levenberg): solve :math:`(H + \delta I) d = g`.

    Parameters
    ----------
    lr : float or array, default 1.0
        Step size :math:`\gamma` along the Newton direction; ``1`` is the pure Newton step.
    damping : float or array, default 0.0
        Levenberg damping :math:`\delta \ge 0`, added to the Hessian's diagonal.

    Returns
    -------
    Optimizer
        ``init(params) -> NewtonState``; ``update(grads, state, params, lr_scale=1.0,
        hess=None)``. ``hess`` (shape ``(..., n, n)`` for parameters ``(..., n)``) is required:
        pass ``hess_fn`` to `run`.

    Raises
    ------
    ValueError
        ``Invalid learning rate: -1.0``, ``Invalid damping value: -1.0``; and from ``update``,
        ``newton needs the Hessian: pass hess_fn to run`` when ``hess`` is None.

    Notes
    -----
    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla f(\theta_{t-1}), \quad H_t \leftarrow \nabla^2 f(\theta_{t-1}) \\
        & d_t \leftarrow (H_t + \delta I)^{-1} g_t
              \quad (\textbf{if } H_t + \delta I \textbf{ is singular: } d_t \leftarrow g_t) \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma d_t
        \end{aligned}

    The step minimizes the local quadratic model
    :math:`f(\theta) + g^\top s + \tfrac12 s^\top H s`, so on a quadratic bowl it lands on the
    minimum in **one** step from anywhere, however badly conditioned the bowl is.

    **Relation to the CS231n notes.** This is the notes' second-order update
    ``x = x - [H f(x)]^{-1} grad f(x)``: the inverse Hessian takes big steps where the
    curvature is small and small steps where it is large, and the pure step (``lr=1``) needs no
    learning rate at all. The notes also say why deep learning does not use it: a network with
    a million parameters has a 1,000,000 x 1,000,000 Hessian (3,725 GB) to store and invert.
    On a 2D surface it is a 2 x 2 matrix, which is why it can be shown here.

    **Attracted to saddles.** Newton's method looks for a point where the gradient vanishes,
    not for a minimum. Along an eigenvector of :math:`H` with eigenvalue :math:`\lambda < 0`
    it divides the gradient by a negative number and so walks *uphill*, toward the stationary
    point: on :math:`x^2 - y^2` it jumps from anywhere straight onto the saddle in one step.
    This implementation takes that step anyway (it is what Newton's method does); see
    `saddle_free_newton` for the fix. When :math:`H + \delta I` is exactly singular (the kink
    surface's Hessian has a zero row) there is no Newton step; we then take a plain gradient
    step of size :math:`\gamma` (:math:`d_t = g_t`), run by run.

    **Damping.** :math:`\delta = 0` is Newton; as :math:`\delta \to \infty`,
    :math:`d \approx g / \delta`, a gradient step with learning rate :math:`\gamma / \delta`.
    In between, :math:`(H + \delta I) d = g` is the Levenberg(-Marquardt) step, and the
    trust-region view explains it: the minimizer of the quadratic model inside a ball
    :math:`\|s\| \le r` solves :math:`(H + \delta I) s = -g` for some :math:`\delta \ge 0` with
    :math:`H + \delta I` positive semidefinite (Nocedal & Wright, Theorem 4.1), so a larger
    :math:`\delta` is a smaller trust radius. Here :math:`\delta` is fixed by hand rather than
    adapted, and if :math:`\delta` is smaller than :math:`-\lambda_{\min}(H)` the damped
    matrix is still indefinite and the step still heads for the saddle.

    ``lr`` and ``damping`` may be arrays that index a batch of runs along the leading axes of
    the parameters; ``lr_scale`` (a schedule) multiplies ``lr``.

    References
    ----------
    .. [1] J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer, 2006,
       chapters 3.3 (Newton's method) and 4 (trust regions, Theorem 4.1).
    .. [2] K. Levenberg, "A method for the solution of certain non-linear problems in least
       squares", Quarterly of Applied Mathematics 2(2), 1944.
    .. [3] Y. N. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio,
       "Identifying and attacking the saddle point problem in high-dimensional non-convex
       optimization", NeurIPS 2014.

    Examples
    --------
    One step reaches the minimum of :math:`f(x, y) = (x^2 + 10 y^2) / 2`:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("newton")
    >>> x = np.array([1.0, 1.0])
    >>> hess = np.diag([1.0, 10.0])
    >>> x, state = opt.update(hess @ x, opt.init(x), x, hess=hess)
    >>> x, state.t
    (array([0., 0.]), 1)
    """
    lr, damping = valid_lr(lr), nonnegative("damping", damping)
    damped = nonzero(damping)

    def direction(hess: Array, grads: Array, nd: int) -> Array:
        return _solve_or_gradient(_with_damping(hess, damping, nd) if damped else hess, grads)

    return _second_order("newton", lr, damping, direction)


def saddle_free_newton(*, lr: Any = 1.0, damping: Any = 1e-3) -> Optimizer:
    r"""Saddle-free Newton (Dauphin et al., 2014): Newton with :math:`|H|` instead of :math:`H`.

    Parameters
    ----------
    lr : float or array, default 1.0
        Step size :math:`\gamma` along the saddle-free Newton direction.
    damping : float or array, default 1e-3
        :math:`\delta \ge 0`, added to every :math:`|\lambda_i|`: it caps the step along
        directions of (almost) zero curvature at :math:`\gamma |g_i| / \delta`.

    Returns
    -------
    Optimizer
        ``init(params) -> NewtonState``; ``update(grads, state, params, lr_scale=1.0,
        hess=None)``. ``hess`` is required: pass ``hess_fn`` to `run`.

    Raises
    ------
    ValueError
        ``Invalid learning rate: -1.0``, ``Invalid damping value: -1.0``; and from ``update``,
        ``saddle_free_newton needs the Hessian: pass hess_fn to run`` when ``hess`` is None.

    Notes
    -----
    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla f(\theta_{t-1}), \quad
          V \Lambda V^\top \leftarrow \nabla^2 f(\theta_{t-1})
          \quad \text{(eigendecomposition)} \\
        & |H_t|_\delta \leftarrow V \, (|\Lambda| + \delta I) \, V^\top \\
        & d_t \leftarrow |H_t|_\delta^{-1} g_t
              = \textstyle\sum_i v_i \, \frac{v_i^\top g_t}{|\lambda_i| + \delta}
              \quad (\textbf{if some } |\lambda_i| + \delta = 0: \; d_t \leftarrow g_t) \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma d_t
        \end{aligned}

    Newton's method (`newton`) rescales the gradient along each eigenvector :math:`v_i` of
    the Hessian by :math:`1 / \lambda_i`. Where :math:`\lambda_i < 0` that *flips* the
    direction, so Newton climbs toward saddle points. Replacing :math:`\lambda_i` by
    :math:`|\lambda_i|` keeps Newton's good scaling (long steps along flat directions, short
    ones along steep ones) but always moves downhill, and moves *away* from a saddle along
    its negative-curvature directions, fastest where the surface curves down least.
    Dauphin et al. derive it from a generalized trust region: minimize the first-order model
    subject to the second-order term being bounded *in absolute value*. They argue that in
    high dimensions most critical points with high loss are saddles, so this matters.

    **Relation to the CS231n notes.** The notes' Newton update ``x = x - [H f(x)]^{-1} grad
    f(x)`` with the Hessian's eigenvalues replaced by their absolute values. The notes' point
    stands: the exact eigendecomposition costs :math:`O(n^3)`, fine for a 2 x 2 Hessian but
    not for a network; Dauphin et al. work in a low-dimensional Krylov subspace instead.

    The Hessian is assumed symmetric (``numpy.linalg.eigh`` reads its lower triangle). With
    ``damping=0`` a zero eigenvalue leaves no step; we then take a plain gradient step of
    size :math:`\gamma`, run by run, as `newton` does. ``lr`` and ``damping`` may be arrays
    indexing a batch of runs along the leading axes of the parameters.

    References
    ----------
    .. [1] Y. N. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio,
       "Identifying and attacking the saddle point problem in high-dimensional non-convex
       optimization", NeurIPS 2014.
    .. [2] J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer, 2006,
       chapter 3.4 (Newton's method with Hessian modification).

    Examples
    --------
    On the saddle :math:`f(x, y) = x^2 - y^2` (Hessian ``diag(2, -2)``) one step goes to the
    bottom along x, as Newton's would, but *doubles* y where Newton would zero it:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("saddle_free_newton", damping=0.0)
    >>> x = np.array([0.5, 0.1])
    >>> x, _ = opt.update(np.array([2.0, -2.0]) * x, opt.init(x), x,
    ...                   hess=np.diag([2.0, -2.0]))
    >>> x
    array([0. , 0.2])
    """
    lr, damping = valid_lr(lr), nonnegative("damping", damping)

    def direction(hess: Array, grads: Array, nd: int) -> Array:
        lam, vecs = np.linalg.eigh(hess)
        scale = np.abs(lam) + (damping if isinstance(damping, float) else
                               align(damping, nd - 1)[..., None])
        singular = np.any(scale == 0, axis=-1)
        along = np.einsum("...ji,...j->...i", vecs, grads)  # V^T g
        along = along / np.where(scale == 0, 1.0, scale)
        d = np.einsum("...ij,...j->...i", vecs, along)  # V (|L| + delta)^-1 V^T g
        return np.where(singular[..., None], grads, d) if singular.any() else d

    return _second_order("saddle_free_newton", lr, damping, direction)
