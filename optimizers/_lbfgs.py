r"""L-BFGS: torch.optim.LBFGS, one iteration per update, with an optional line search.

The line searches need the loss (and, for the strong Wolfe search, its gradient) at trial
points, which ``update(grads, state, params, ...)`` is not given. They are hyperparameters of
the factory instead, ``value_fn`` and ``grad_fn`` (pure callables on ``(..., n)`` points),
playing the part of torch's ``closure``: the update stays a pure function and `run` needs no
change. Without a line search L-BFGS needs gradients only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from optimizers._core import (
    Array,
    Optimizer,
    align,
    frozen,
    is_array,
    nonnegative,
    scaled_lr,
    valid_lr,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

LINE_SEARCHES = ("strong_wolfe", "armijo")
"""The line searches ``line_search_fn`` may name (``None``, its default, is fixed steps)."""

MAX_LS = 25
"""Trial points per line search (torch's ``_strong_wolfe`` default ``max_ls``)."""

C1, C2 = 1e-4, 0.9
"""Sufficient-decrease (Armijo) and curvature constants of the line searches (torch's)."""

CURVATURE_EPS = 1e-10
"""A pair (s, y) is kept only if ``y . s > 1e-10`` (torch), which keeps the inverse-Hessian
approximation positive definite."""

_LS_TOLERANCE_CHANGE = 1e-9  # torch's _strong_wolfe default; LBFGS.step does not pass its own


class LBFGSPair(NamedTuple):
    """One step of the memory: ``s = theta_k - theta_{k-1}``, ``y = g_k - g_{k-1}``.

    Arrays are read-only and shared between successive states. Where ``stored`` is False (the
    run skipped this pair: ``y . s <= 1e-10``, or it was converged) ``s``, ``y`` and ``ro``
    are zero; ``stored`` is None when every run of the batch stored the pair.
    """

    s: Array  # (n, *batch): coordinate-major, so batch loops run over contiguous rows
    y: Array  # (n, *batch)
    ro: Array  # (*batch,) 1 / (y . s)
    stored: BoolArray | None  # (*batch,)


class LBFGSState(NamedTuple):
    """State of `lbfgs`, torch's ``state`` per run of the batch.

    ``t`` counts updates; ``n_iter`` (torch's ``state["n_iter"]``) counts the iterations a
    run actually made (a run whose gradient is below ``tolerance_grad`` is skipped), and
    ``func_evals`` its loss/gradient evaluations (one per update plus the line-search trials).
    ``step`` is torch's ``state["t"]``, the last step length. ``history`` holds the memory,
    oldest first; each run uses its ``history_size`` newest stored pairs.
    """

    t: int
    n_iter: IntArray  # (*batch,)
    func_evals: IntArray  # (*batch,)
    d: Array  # (*batch, n) last direction
    step: Array  # (*batch,) last step length
    H_diag: Array  # (*batch,) gamma = s.y / y.y, the initial inverse Hessian's scale
    prev_flat_grad: Array  # (*batch, n)
    history: tuple[LBFGSPair, ...]


def _cm(a: Array) -> Array:
    """Coordinate-major copy ``(n, *batch)`` of vectors ``(*batch, n)``.

    With the coordinate axis first, every operation of the two-loop recursion runs over
    contiguous rows of the batch; with it last, NumPy's inner loops would be of length n = 2,
    several times slower on a 200 x 200 batch.
    """
    return np.ascontiguousarray(np.moveaxis(a, -1, 0))


def _dot(a: Array, b: Array) -> Array:
    """Dot products of coordinate-major vectors ``(n, *batch)``: ``a_0 b_0 + a_1 b_1 + ...``."""
    return (a * b).sum(axis=0)


def _readonly(a: Array) -> Array:
    a.flags.writeable = False
    return a


def _per_run(h: Any, nd: int) -> Any:
    """A (scaled) hyperparameter aligned with ``nd``-d parameters ``(..., n)``, as a value per
    run: drop the coordinate axis (`run` materializes an array ``lr_scale`` at the points'
    shape, equal along it)."""
    if isinstance(h, np.ndarray) and h.ndim == nd and nd > 0:
        return h[..., 0]
    return h


def _window(history: tuple[LBFGSPair, ...], m: int) -> list[tuple[LBFGSPair, Any]]:
    """The pairs some run still remembers, oldest first, each with ``ro`` masked to the runs
    for which it is one of their ``m`` newest stored pairs (zero elsewhere)."""
    if all(pair.stored is None for pair in history[-m:]):  # the common case: no skips
        return [(pair, pair.ro) for pair in history[-m:]]
    kept = []
    count: Any = 0
    for pair in reversed(history):
        stored = True if pair.stored is None else pair.stored
        count = count + stored
        use = stored & (count <= m)
        if np.any(use):
            kept.append((pair, pair.ro if np.all(use == stored) else np.where(use, pair.ro, 0.0)))
        if np.all(count >= m):
            break
    kept.reverse()
    return kept


def _two_loop(g: Array, window: list[tuple[LBFGSPair, Any]], H_diag: Array) -> Array:
    """The L-BFGS direction :math:`-H_k g` by the two-loop recursion, in torch's order
    (coordinate-major vectors ``(n, *batch)``)."""
    q = -g
    als = []
    for pair, ro in reversed(window):  # newest to oldest
        al = _dot(pair.s, q) * ro
        q = q - al * pair.y
        als.append(al)
    r = q * H_diag
    for (pair, ro), al in zip(window, reversed(als), strict=True):  # oldest to newest
        be = _dot(pair.y, r) * ro
        r = r + pair.s * (al - be)
    return r


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through two points with slopes, clipped (torch's port)."""
    x1, f1, g1, x2, f2, g2 = map(np.float64, (x1, f1, g1, x2, f2, g2))
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj: Callable[[Any], tuple[float, float]], t: float, d_norm: float, f: float, gtd: float
) -> tuple[float, int]:
    """torch's ``_strong_wolfe`` for one run: bracket, then zoom by cubic interpolation.

    ``obj(t)`` returns the loss and the directional derivative at ``x + t d``. Returns the
    accepted step length (possibly 0: no decrease found) and the number of evaluations.
    """
    c1, c2, max_ls, tolerance_change = C1, C2, MAX_LS, _LS_TOLERANCE_CHANGE
    f_new, gtd_new = obj(t)
    ls_func_evals = 1
    t_prev, f_prev, gtd_prev = 0.0, f, gtd
    done = False
    ls_iter = 0
    bracket, bracket_f, bracket_gtd = [t], [f_new], [gtd_new]
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_gtd = [t_prev, t], [f_prev, f_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f = [t], [f_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_gtd = [t_prev, t], [f_prev, f_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, gtd_prev = tmp, f_new, gtd_new
        f_new, gtd_new = obj(t)
        ls_func_evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f = [0.0, t], [f, f_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, gtd_new = obj(t)
        ls_func_evals += 1
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_gtd[high_pos] = t, f_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_gtd[low_pos] = t, f_new, gtd_new
    return float(bracket[low_pos]), ls_func_evals


def _search_strong_wolfe(
    value_fn: Callable, grad_fn: Callable, x: Array, d: Array, t0: Array, gtd: Array,
    moving: BoolArray,
) -> tuple[Array, IntArray]:
    """Run `_strong_wolfe` for every moving run (one at a time: the search branches)."""
    f0 = np.broadcast_to(np.asarray(value_fn(x), dtype=np.float64), moving.shape)
    t = np.array(np.broadcast_to(t0, moving.shape), dtype=np.float64)
    evals = np.zeros(moving.shape, dtype=np.int64)
    for idx in map(tuple, np.argwhere(moving)):
        xi, di = x[idx], d[idx]

        def obj(step: Any, xi: Array = xi, di: Array = di) -> tuple[float, float]:
            point = xi + step * di
            g = np.asarray(grad_fn(point), dtype=np.float64)
            return np.float64(value_fn(point)), np.float64(g @ di)

        t[idx], evals[idx] = _strong_wolfe(
            obj, np.float64(t[idx]), np.float64(np.abs(di).max()), f0[idx], np.float64(gtd[idx])
        )
    return t, evals


def _search_armijo(
    value_fn: Callable, x: Array, d: Array, t0: Array, gtd: Array, moving: BoolArray
) -> tuple[Array, IntArray]:
    """Backtracking: halve ``t`` until ``f(x + t d) <= f(x) + c1 t g.d`` (at most 25 tries;
    ``t = 0``, no step, if none passes). Vectorized over the batch."""
    f0 = np.asarray(value_fn(x), dtype=np.float64)
    trial = np.array(np.broadcast_to(t0, moving.shape), dtype=np.float64)
    t = np.zeros(moving.shape)
    evals = np.zeros(moving.shape, dtype=np.int64)
    searching = moving.copy()
    for _ in range(MAX_LS):
        f_new = np.asarray(value_fn(x + trial[..., None] * d), dtype=np.float64)
        evals += searching
        ok = searching & (f_new <= f0 + C1 * trial * gtd)
        t = np.where(ok, trial, t)
        searching = searching & ~ok
        if not searching.any():
            break
        trial = np.where(searching, 0.5 * trial, trial)
    return t, evals


def lbfgs(
    *,
    lr: Any = 1.0,
    tolerance_grad: Any = 1e-7,
    tolerance_change: Any = 1e-9,
    history_size: int = 10,
    line_search_fn: str | None = None,
    value_fn: Callable[[Array], Array] | None = None,
    grad_fn: Callable[[Array], Array] | None = None,
) -> Optimizer:
    r"""L-BFGS, limited-memory BFGS (``torch.optim.LBFGS``; one iteration per update).

    Parameters
    ----------
    lr : float or array, default 1.0
        Step length :math:`\gamma` (the line search's first trial with a line search).
    tolerance_grad : float or array, default 1e-7
        A run whose gradient has :math:`\max_i |g_i| \le` ``tolerance_grad`` does not move.
    tolerance_change : float or array, default 1e-9
        No step when the direction is not a descent direction:
        :math:`g^\top d > -` ``tolerance_change``.
    history_size : int, default 10
        Memory :math:`m`: the number of most recent pairs :math:`(s, y)` kept (SciPy's
        L-BFGS-B default; torch's is 100, see Notes).
    line_search_fn : {None, "strong_wolfe", "armijo"}, default None
        None: fixed steps of length :math:`\gamma`. ``"strong_wolfe"``: torch's strong
        Wolfe search (cubic interpolation; needs ``value_fn`` and ``grad_fn``).
        ``"armijo"``: halve the step until the loss decreases enough (needs ``value_fn``).
    value_fn : callable, optional
        The loss, ``(..., n) -> (...)``, for the line search (torch's ``closure``).
    grad_fn : callable, optional
        Its gradient, ``(..., n) -> (..., n)``, for the strong Wolfe search.

    Returns
    -------
    Optimizer
        ``init(params) -> LBFGSState``; ``update(grads, state, params, lr_scale=1.0,
        hess=None)`` (``hess`` is ignored). Parameters have shape ``(..., n)``: the last axis
        is one run's vector, the leading axes index a batch of independent runs.

    Raises
    ------
    ValueError
        ``Invalid learning rate: -1.0``, ``Invalid history_size value: 0``,
        ``Invalid line_search_fn: 'wolfe'; ...``, or a line search without ``value_fn``
        (and ``grad_fn``). `TypeError` for non-callable functions or a non-integer
        ``history_size``.

    Notes
    -----
    One update is one iteration of torch's ``LBFGS.step`` with ``max_iter=1``:

    .. math::
        \begin{aligned}
        & g_k \leftarrow \nabla f(\theta_k); \quad
          \textbf{if } \max_i |g_{k,i}| \le \tau_g: \textbf{ stop (no step)} \\
        & \textbf{if } k = 0: \; d_k \leftarrow -g_k \\
        & \textbf{else: } y \leftarrow g_k - g_{k-1}, \; s \leftarrow t_{k-1} d_{k-1}; \;
          \textbf{if } y^\top s > 10^{-10}: \text{push } (s, y), \;
          \gamma_k \leftarrow \tfrac{y^\top s}{y^\top y} \\
        & \qquad q \leftarrow -g_k; \; \textbf{for } i = \text{newest} \ldots \text{oldest}:
          \; \alpha_i \leftarrow \rho_i s_i^\top q, \; q \leftarrow q - \alpha_i y_i \\
        & \qquad r \leftarrow \gamma_k q; \; \textbf{for } i = \text{oldest} \ldots
          \text{newest}: \; \beta \leftarrow \rho_i y_i^\top r, \;
          r \leftarrow r + (\alpha_i - \beta) s_i; \quad d_k \leftarrow r \\
        & t_k \leftarrow \min(1, 1 / \|g_0\|_1) \, \gamma \textbf{ if } k = 0
          \textbf{ else } \gamma; \quad
          \textbf{if } g_k^\top d_k > -\tau_c: \textbf{ stop (no step)} \\
        & \textbf{if line search: } t_k \leftarrow \text{search}(f(\theta_k + t d_k),
          \text{ from } t_k) \\
        & \theta_{k+1} \leftarrow \theta_k + t_k d_k
        \end{aligned}

    with :math:`\rho_i = 1 / (y_i^\top s_i)` and at most ``history_size`` pairs (the oldest
    is dropped). The two loops compute :math:`d_k = -H_k g_k`, where :math:`H_k` is the BFGS
    inverse-Hessian approximation built from :math:`\gamma_k I` by the stored pairs, without
    ever forming a matrix: :math:`O(m n)` time and memory instead of :math:`O(n^2)`.

    **Relation to the CS231n notes.** The notes' second-order section: the Newton update
    needs the inverse Hessian, far too big for a network, so quasi-Newton methods build an
    approximation from the gradients seen so far, and "the most popular is L-BFGS, which
    uses the information in the gradients over time to form the approximation implicitly
    (i.e. the full matrix is never computed)". Their caveat is the other lesson: L-BFGS
    must be computed over the full training set, and making it work on mini-batches is
    tricky. Try ``run(..., noise=0.1)``: each pair's :math:`y` then mostly measures noise.

    **Departures from torch.** One iteration per update (torch's ``max_iter=20`` inner
    iterations per ``step()`` are our steps; ``max_eval`` is not exposed and each strong
    Wolfe search may try up to 25 points, as ``LBFGS(max_iter=1, max_eval=26)``).
    ``value_fn`` and ``grad_fn`` replace torch's ``closure``. ``"armijo"`` is ours: plain
    backtracking (:math:`t \leftarrow t/2` until
    :math:`f(\theta + t d) \le f(\theta) + 10^{-4} t g^\top d`, vectorized over the batch).
    The strong Wolfe search branches per run and loops over the batch in Python: use it for
    races, not for 100 x 100 sweeps. The checks of ``tolerance_grad`` and the memory are
    per run of the batch. ``history_size`` defaults to 10 (SciPy's ``maxcor``, and Nocedal &
    Wright's advice of 3 to 20), not torch's 100: on a 2D surface older pairs describe
    curvature far behind the run, and each remembered pair costs time at every step.

    References
    ----------
    .. [1] D. C. Liu, J. Nocedal, "On the limited memory BFGS method for large scale
       optimization", Mathematical Programming 45, 1989.
    .. [2] J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer, 2006,
       Algorithms 7.4 and 7.5 (L-BFGS, two-loop recursion) and 3.5-3.6 (line search).
    .. [3] J. Nocedal, "Updating quasi-Newton matrices with limited storage", Mathematics
       of Computation 35, 1980.

    Examples
    --------
    Fixed steps (no line search) on :math:`f(x, y) = (x^2 + 10 y^2) / 2`: the first step is
    shortened to :math:`1 / \|g_0\|_1 = 1/11`, then the memory learns the curvature. After
    six steps the directional derivative :math:`g^\top d` is below ``tolerance_change`` and
    the run stops, as torch's does:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("lbfgs")
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> for _ in range(8):
    ...     x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(8), len(state.history), int(state.func_evals)
    (array([-9.15e-06, -3.40e-07]), 7, 8)
    """
    lr = valid_lr(lr)
    tolerance_grad = nonnegative("tolerance_grad", tolerance_grad)
    tolerance_change = nonnegative("tolerance_change", tolerance_change)
    if isinstance(history_size, bool | np.bool_) or not isinstance(history_size, int | np.integer):
        raise TypeError(f"history_size must be an integer, got {history_size!r}")
    if history_size < 1:
        raise ValueError(f"Invalid history_size value: {history_size}")
    history_size = int(history_size)
    if line_search_fn is not None and line_search_fn not in LINE_SEARCHES:
        raise ValueError(
            f"Invalid line_search_fn: {line_search_fn!r}; expected None, 'strong_wolfe' or "
            "'armijo'"
        )
    for key, fn in (("value_fn", value_fn), ("grad_fn", grad_fn)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{key} must be callable or None, got {fn!r}")
    if line_search_fn is not None and value_fn is None:
        raise ValueError(
            f"line_search_fn={line_search_fn!r} needs value_fn: the line search evaluates "
            "the loss at trial points"
        )
    if line_search_fn == "strong_wolfe" and grad_fn is None:
        raise ValueError(
            "line_search_fn='strong_wolfe' needs grad_fn: the strong Wolfe conditions test "
            "the slope at trial points"
        )
    hparams = frozen({
        "lr": lr,
        "tolerance_grad": tolerance_grad,
        "tolerance_change": tolerance_change,
        "history_size": history_size,
        "line_search_fn": line_search_fn,
        "value_fn": value_fn,
        "grad_fn": grad_fn,
    })
    arrays = [h for h in (lr, tolerance_grad, tolerance_change) if is_array(h)]

    def init(params: Array) -> LBFGSState:
        params = np.asarray(params)
        if params.ndim == 0:
            raise ValueError("lbfgs needs parameter vectors of shape (..., n), got a scalar")
        batch = params.shape[:-1]
        for h in arrays:
            if h.ndim > len(batch):
                raise ValueError(
                    f"A hyperparameter of shape {h.shape} has more axes than the batch axes "
                    f"of parameters of shape {params.shape} (the last axis is the vector)"
                )
            batch = np.broadcast_shapes(batch, h.shape + (1,) * (len(batch) - h.ndim))
        n = params.shape[-1]
        return LBFGSState(
            t=0,
            n_iter=np.zeros(batch, dtype=np.int64),
            func_evals=np.zeros(batch, dtype=np.int64),
            d=np.zeros(batch + (n,)),
            step=np.zeros(batch),
            H_diag=np.ones(batch),
            prev_flat_grad=np.zeros(batch + (n,)),
            history=(),
        )

    def update(
        grads: Array,
        state: LBFGSState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, LBFGSState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = np.broadcast_shapes(params.shape, grads.shape, state.d.shape)
        x, g = np.broadcast_to(params, shape), np.broadcast_to(grads, shape)
        lr_t = _per_run(scaled_lr(lr, lr_scale, nd), nd)
        tol_grad, tol_change = align(tolerance_grad, nd - 1), align(tolerance_change, nd - 1)

        active = ~(np.abs(g).max(axis=-1) <= tol_grad)  # NaN is active, as in torch
        if not active.any():  # every run has converged: torch returns at once
            return np.array(x), state._replace(t=state.t + 1, func_evals=state.func_evals + 1)
        n_iter = state.n_iter + active
        later = active & (n_iter > 1)
        history, H_diag = state.history, state.H_diag
        gc = _cm(g)
        if later.any():  # update the memory with the last step
            y = gc - _cm(state.prev_flat_grad)
            s = _cm(state.d) * state.step
            ys = _dot(y, s)
            push = later & (ys > CURVATURE_EPS)
            if push.any():
                ro = np.divide(1.0, ys, out=np.zeros(ys.shape), where=push)
                pair = LBFGSPair(
                    _readonly(np.where(push, s, 0.0)), _readonly(np.where(push, y, 0.0)),
                    _readonly(ro), None if push.all() else _readonly(np.array(push)),
                )
                history = (*history, pair)
                yy = _dot(y, y)
                H_diag = np.where(push, np.divide(ys, yy, out=np.ones(ys.shape), where=push),
                                  H_diag)
        window = _window(history, history_size)
        history = tuple(pair for pair, _ in window)
        direction = np.moveaxis(_two_loop(gc, window, H_diag), 0, -1)
        d = np.where((active & (n_iter == 1))[..., None], -g, direction)
        d = np.where(active[..., None], d, state.d)

        with np.errstate(divide="ignore"):
            first_t = np.minimum(1.0, 1.0 / np.abs(g).sum(axis=-1)) * lr_t
        t = np.where(n_iter == 1, first_t, lr_t)
        gtd = _dot(gc, _cm(d))
        moving = active & ~(gtd > -tol_change)
        evals = state.func_evals + 1
        if line_search_fn is not None and moving.any():
            if line_search_fn == "strong_wolfe":
                t_ls, ls_evals = _search_strong_wolfe(value_fn, grad_fn, x, d, t, gtd, moving)
            else:
                t_ls, ls_evals = _search_armijo(value_fn, x, d, t, gtd, moving)
            t = np.where(moving, t_ls, t)
            evals = evals + ls_evals
        new = np.where(moving[..., None], x + t[..., None] * d, x)
        return new, LBFGSState(
            t=state.t + 1,
            n_iter=n_iter,
            func_evals=evals,
            d=d,
            step=np.where(active, t, state.step),
            H_diag=H_diag,
            prev_flat_grad=np.where(active[..., None], g, state.prev_flat_grad),
            history=history,
        )

    return Optimizer("lbfgs", init, update, hparams)
