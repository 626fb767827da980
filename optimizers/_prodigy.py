r"""Prodigy (``prodigyopt.Prodigy``): Adam whose learning rate estimates the distance to the
solution, on each point seen as one parameter vector."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._core import (
    Array,
    Optimizer,
    align,
    as_flag,
    as_hyper,
    checked,
    expand,
    frozen,
    full_shape,
    is_array,
    owned,
    scaled_lr,
    vector_sum,
)


def _per_point(x: Any, shape: tuple[int, ...], nd: int) -> Any:
    """One value per point: ``x`` (constant along the last axis) broadcast to ``shape``, the
    last axis dropped; a float for a single 0-d parameter."""
    x = np.broadcast_to(x, shape)
    if nd:
        x = x[..., 0]
    return float(x) if x.ndim == 0 else np.array(x)


def _select(condition: Any, then: Any, otherwise: Any) -> Any:
    """``np.where(condition, then, otherwise)``, skipped in the usual case (all true)."""
    return then if np.all(condition) else np.where(condition, then, otherwise)


class ProdigyState(NamedTuple):
    """State of `prodigy`. Per point (shaped like the batch): the reference's group values
    ``k`` (steps actually taken), ``d`` (the distance estimate, the learning rate's scale),
    ``d_max``, ``d_numerator`` and ``d_hat``. Per coordinate: ``p0`` (the start),
    ``s``, ``exp_avg`` and ``exp_avg_sq``."""

    t: int
    k: Any
    d: Any
    d_max: Any
    d_numerator: Any
    d_hat: Any
    p0: Array
    s: Array
    exp_avg: Array
    exp_avg_sq: Array


def prodigy(
    *,
    lr: Any = 1.0,
    betas: tuple[Any, Any] = (0.9, 0.999),
    beta3: Any = None,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    decouple: bool = True,
    use_bias_correction: bool = False,
    safeguard_warmup: bool = False,
    d0: Any = 1e-6,
    d_coef: Any = 1.0,
    growth_rate: Any = float("inf"),
) -> Optimizer:
    r"""Prodigy: Adam with a learning rate :math:`d` that finds itself (``prodigyopt.Prodigy``).

    Each point (the last axis of the parameters) is the whole parameter vector of one run:
    :math:`d` is one number per point.

    Parameters
    ----------
    lr : float or array, default 1.0
        Multiplier :math:`\gamma` of the estimated learning rate (> 0; leave it at 1).
    betas : (float or array, float or array), default (0.9, 0.999)
        Adam's :math:`\beta_1, \beta_2`.
    beta3 : float or array or None, default None
        Decay :math:`\beta_3` of the :math:`d` statistics; None: :math:`\sqrt{\beta_2}`.
    eps : float or array, default 1e-8
        :math:`\epsilon` (> 0), scaled by :math:`d` in the denominator.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda`.
    decouple : bool, default True
        AdamW-style decoupled decay (else L2, added to the gradient).
    use_bias_correction : bool, default False
        Adam's bias correction of the step.
    safeguard_warmup : bool, default False
        Leave the learning rate out of :math:`s` (for warmup schedules).
    d0 : float or array, default 1e-6
        Initial estimate :math:`d_0` (> 0).
    d_coef : float or array, default 1.0
        Multiplier of the estimate :math:`\hat d` (the knob to tune).
    growth_rate : float or array, default inf
        Largest factor by which :math:`d` may grow per step.

    Returns
    -------
    Optimizer
        ``init(params) -> ProdigyState``; ``update(grads, state, params, lr_scale, hess)``.
        ``state.d`` is the current estimate.

    Notes
    -----
    The reference's step, with :math:`\gamma_t` the scheduled ``lr``, :math:`\rho_t` Adam's
    bias correction :math:`\sqrt{1 - \beta_2^{k+1}} / (1 - \beta_1^{k+1})` (or 1) and
    sums over the coordinates of a point:

    .. math::
        \begin{aligned}
        & \eta_t \leftarrow d_{t-1} \gamma_t \rho_t \\
        & r_t \leftarrow \beta_3 r_{t-1} + \tfrac{d_{t-1}}{d_0} \eta_t
              \langle g_t, \theta_0 - \theta_{t-1} \rangle \\
        & m_t \leftarrow \beta_1 m_{t-1} + d_{t-1} (1 - \beta_1) g_t, \;
          v_t \leftarrow \beta_2 v_{t-1} + d_{t-1}^2 (1 - \beta_2) g_t^2 \\
        & s_t \leftarrow \beta_3 s_{t-1} + \tfrac{d_{t-1}}{d_0} \eta_t g_t
              \quad (d_{t-1} \text{ for } \eta_t \text{ with safeguard\_warmup}) \\
        & \hat d_t \leftarrow d_{coef} \, r_t / \|s_t\|_1, \;
          d_t \leftarrow \min(\max(d_{t-1}, \hat d_t, \ldots), d_{t-1} \cdot
              \mathrm{growth\_rate}) \\
        & \theta_t \leftarrow \theta_{t-1} (1 - \lambda \eta_t)
              - \eta_t \, m_t / (\sqrt{v_t} + d_t \epsilon)
        \end{aligned}

    (:math:`d` never decreases: it is the running maximum of the estimates
    :math:`\hat d`, and only the first step may jump straight to :math:`\hat d`.)
    :math:`\hat d` is a lower bound on the distance :math:`\|\theta_0 - \theta^*\|`: the
    step grows from :math:`d_0 = 10^{-6}` to the scale of the problem on its own, which is
    why the default ``lr`` is 1. If :math:`s_t = 0` (a zero gradient at the first step) or
    :math:`\gamma_t = 0`, the reference returns before moving: so do we.

    Departures from the reference: no ``fsdp_in_use`` or ``slice_p``; each point has its
    own :math:`d` (the reference has one per optimizer).

    **Relation to the CS231n notes.** The notes' Adam, with the learning rate, the
    hyperparameter the notes tell you to tune first, estimated on the fly.

    References
    ----------
    .. [1] K. Mishchenko, A. Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free
       Learner", ICML 2024.
    .. [2] A. Defazio, K. Mishchenko, "Learning-Rate-Free Learning by D-Adaptation",
       ICML 2023.

    Examples
    --------
    :math:`d` grows from :math:`10^{-6}` towards the distance to the minimum:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("prodigy")
    >>> x = np.array([3.0, -4.0])
    >>> state = opt.init(x)
    >>> for _ in range(60):
    ...     x, state = opt.update(x, state, x)
    >>> bool(state.d > 0.1), bool(np.linalg.norm(x) < 5.0)
    (True, True)
    """
    d0 = checked("d0", d0, lambda x: x > 0.0, "Invalid d0 value: {}")
    lr = checked("lr", lr, lambda x: x > 0.0, "Invalid learning rate: {}")
    eps = checked("eps", eps, lambda x: x > 0.0, "Invalid epsilon value: {}")
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    b1, b2 = (
        checked(
            f"betas[{i}]",
            b,
            lambda x: (x >= 0.0) & (x < 1.0),
            f"Invalid beta parameter at index {i}: {{}}",
        )
        for i, b in enumerate(betas)
    )
    beta3 = None if beta3 is None else as_hyper("beta3", beta3)
    weight_decay = as_hyper("weight_decay", weight_decay)
    decouple = as_flag("decouple", decouple)
    bias_correction = as_flag("use_bias_correction", use_bias_correction)
    safeguard = as_flag("safeguard_warmup", safeguard_warmup)
    d_coef = as_hyper("d_coef", d_coef)
    growth_rate = as_hyper("growth_rate", growth_rate)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "beta3": beta3,
            "eps": eps,
            "weight_decay": weight_decay,
            "decouple": decouple,
            "use_bias_correction": bias_correction,
            "safeguard_warmup": safeguard,
            "d0": d0,
            "d_coef": d_coef,
            "growth_rate": growth_rate,
        }
    )
    b3 = np.sqrt(b2) if beta3 is None else beta3
    b3 = float(b3) if np.ndim(b3) == 0 else b3
    hypers = (lr, b1, b2, b3, eps, weight_decay, d0, d_coef, growth_rate)
    arrays = [h for h in hypers if is_array(h)]
    use_wd = bool(np.any(weight_decay != 0))

    def init(params: Array) -> ProdigyState:
        params = np.asarray(params, dtype=np.float64)
        nd = params.ndim
        d = _per_point(align(d0, nd), full_shape(params, params, nd, *arrays), nd)
        zero = d * 0.0
        p0 = params.copy()
        return ProdigyState(0, zero, d, d, zero, d, p0, *(np.zeros_like(p0),) * 3)

    def update(
        grads: Array,
        state: ProdigyState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, ProdigyState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        # Per-point values (k, d, ...) are expanded against the coordinates and computed
        # alongside them (every coordinate of a point holds the same number).
        k, d, d_max = (expand(x, nd) for x in (state.k, state.d, state.d_max))
        beta1, beta2, beta3 = align(b1, nd), align(b2, nd), align(b3, nd)
        lr_t = scaled_lr(lr, lr_scale, nd)
        rho = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1)) if bias_correction else 1.0
        dlr = d * lr_t * rho
        g = grads
        if use_wd and not decouple:
            g = g + align(weight_decay, nd) * params
        active = lr_t > 0.0  # the reference skips every update at lr 0
        ratio = d / align(d0, nd)
        dot = expand(vector_sum(g * (state.p0 - params), nd), nd)
        delta = _select(active, ratio * dlr * dot, 0.0)
        m = _select(active, state.exp_avg * beta1 + g * (d * (1 - beta1)), state.exp_avg)
        v = _select(
            active, state.exp_avg_sq * beta2 + (g * g) * (d * d * (1 - beta2)), state.exp_avg_sq
        )
        s = _select(active, state.s * beta3 + g * (ratio * (d if safeguard else dlr)), state.s)
        d_denom = expand(vector_sum(np.abs(s), nd), nd)
        moved = active & (d_denom != 0)  # the reference returns early otherwise
        numerator = expand(state.d_numerator, nd) * beta3 + delta
        with np.errstate(divide="ignore", invalid="ignore"):
            d_hat = align(d_coef, nd) * numerator / d_denom
        new_d = np.where(d == align(d0, nd), np.maximum(d, d_hat), d)
        new_d_max = np.maximum(d_max, d_hat)
        new_d = np.minimum(new_d_max, new_d * align(growth_rate, nd))
        denom = np.sqrt(v) + new_d * align(eps, nd)
        p = params
        if use_wd and decouple:
            p = p + p * (-align(weight_decay, nd) * dlr)
        new = _select(moved, p + (m / denom) * (-dlr), params)

        def keep(after: Any, before: Any) -> Any:
            return _per_point(_select(moved, after, expand(before, nd)), shape, nd)

        new_state = ProdigyState(
            state.t + 1,
            keep(k + 1, state.k),
            keep(new_d, state.d),
            keep(new_d_max, state.d_max),
            keep(numerator, state.d_numerator),
            keep(d_hat, state.d_hat),
            state.p0,
            owned(s, shape),
            owned(m, shape),
            owned(v, shape),
        )
        return owned(new, shape), new_state

    return Optimizer("prodigy", init, update, hparams)
