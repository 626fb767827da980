r"""Two 2024 Adam variants from ``pytorch_optimizer``: AdEMAMix and ADOPT."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optimizers._core import (
    Array,
    Optimizer,
    align,
    as_flag,
    as_hyper,
    check,
    frozen,
    full_shape,
    is_array,
    lerp,
    nonzero,
    owned,
    scaled_lr,
    zeros,
)


def _lr(value: Any) -> Any:
    """pytorch_optimizer's check (its ``NegativeLRError`` message, raised as a ValueError)."""
    lr = as_hyper("lr", value)
    bad = np.asarray(lr)[np.asarray(lr) < 0.0]
    check(bad.size == 0, f"learning rate must be positive. ({bad.flat[0] if bad.size else lr} > 0)")
    return lr


def _non_negative(name: str, value: Any) -> Any:
    if value is None:
        return None
    h = as_hyper(name, value)
    check(np.all(np.asarray(h) >= 0.0), f"{name} must be non-negative")
    return h


def _betas(betas: Any, n: int) -> tuple[Any, ...]:
    """pytorch_optimizer's ``validate_betas``: beta1 and beta2 in [0, 1), beta3 in [0, 1]."""
    if not isinstance(betas, tuple | list) or len(betas) != n:
        raise TypeError(f"betas must be a tuple of {n} numbers, got {betas!r}")
    out = tuple(as_hyper(f"betas[{i}]", b) for i, b in enumerate(betas))
    for i, b in enumerate(out):
        x = np.asarray(b)
        if i < 2:
            check(np.all((x >= 0.0) & (x < 1.0)), f"beta{i + 1} must be in the range [0.0, 1.0)")
        else:
            check(np.all((x >= 0.0) & (x <= 1.0)), f"beta{i + 1} must be in the range [0.0, 1.0]")
    return out


def _decay(
    params: Array, grads: Array, lr_t: Any, wd: Any, decouple: bool, fixed: bool, nd: int
) -> tuple[Array, Array]:
    """pytorch_optimizer's ``apply_weight_decay``: decoupled (shrink the parameters by
    ``1 - wd * lr``, or ``1 - wd`` if ``fixed_decay``) or L2 (add ``wd * params`` to the
    gradient)."""
    wd = align(wd, nd)
    if decouple:
        return params * (1.0 - wd * (1.0 if fixed else lr_t)), grads
    return params, grads + params * wd


# -------------------------------------------------------------------------------- AdEMAMix


class AdEMAMixState(NamedTuple):
    """State of `ademamix`: ``exp_avg`` (fast EMA), ``exp_avg_sq`` and ``exp_avg_slow``."""

    t: int
    exp_avg: Array
    exp_avg_sq: Array
    exp_avg_slow: Array


def ademamix(
    *,
    lr: Any = 1e-3,
    betas: tuple[Any, Any, Any] = (0.9, 0.999, 0.9999),
    weight_decay: Any = 0.0,
    weight_decouple: bool = False,
    fixed_decay: bool = False,
    alpha: Any = 5.0,
    t_alpha_beta3: Any = None,
    eps: Any = 1e-8,
) -> Optimizer:
    r"""AdEMAMix: Adam plus a second, very slow momentum (``pytorch_optimizer.AdEMAMix``).

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, ...), default (0.9, 0.999, 0.9999)
        :math:`\beta_1` (fast EMA), :math:`\beta_2` (second moment), :math:`\beta_3`
        (slow EMA: a memory of about :math:`1/(1-\beta_3) = 10^4` steps).
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda`.
    weight_decouple : bool, default False
        Decoupled decay (AdamW's) instead of L2.
    fixed_decay : bool, default False
        Decoupled decay not scaled by ``lr``.
    alpha : float or array, default 5.0
        Weight :math:`\alpha` of the slow EMA.
    t_alpha_beta3 : float or array or None, default None
        Warm-up length :math:`T` of :math:`\alpha` and :math:`\beta_3`; None: no warm-up.
    eps : float or array, default 1e-8
        Added to the denominator.

    Returns
    -------
    Optimizer
        ``init(params) -> AdEMAMixState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    .. math::
        \begin{aligned}
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \;
          v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & m^{slow}_t \leftarrow \beta_{3,t} m^{slow}_{t-1} + (1 - \beta_{3,t}) g_t \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma \,
              \frac{m_t / (1 - \beta_1^t) + \alpha_t m^{slow}_t}
                   {\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}
        \end{aligned}

    with :math:`\alpha_t = \min(t\alpha/T, \alpha)` and :math:`\beta_{3,t} =
    \min(\exp(\frac{\ln\beta_1 \ln\beta_3}{(1 - t/T)\ln\beta_3 + (t/T)\ln\beta_1}),
    \beta_3)` during the warm-up (constants without it). The slow EMA is not
    bias-corrected: it starts near 0 and grows over thousands of steps, then keeps pushing
    in the direction of old gradients (the paper's point: old gradients stay relevant), which
    overshoots on a 2D surface.

    **Relation to the CS231n notes.** The notes' Adam with a second momentum term of very
    long memory added to the first.

    References
    ----------
    .. [1] M. Pagliardini, P. Ablin, D. Grangier, "The AdEMAMix Optimizer: Better, Faster,
       Older", ICLR 2025.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("ademamix", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> x, state = opt.update(np.array([1.0, -2.0]), opt.init(x), x)
    >>> x.round(6)
    array([ 0.89995, -1.89995])
    """
    lr = _lr(lr)
    b1, b2, b3 = _betas(betas, 3)
    alpha = _non_negative("alpha", alpha)
    t_alpha_beta3 = _non_negative("t_alpha_beta3", t_alpha_beta3)
    weight_decay = _non_negative("weight_decay", weight_decay)
    eps = _non_negative("eps", eps)
    decouple = as_flag("weight_decouple", weight_decouple)
    fixed = as_flag("fixed_decay", fixed_decay)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2, b3),
            "weight_decay": weight_decay,
            "weight_decouple": decouple,
            "fixed_decay": fixed,
            "alpha": alpha,
            "t_alpha_beta3": t_alpha_beta3,
            "eps": eps,
        }
    )
    use_wd = nonzero(weight_decay)
    hypers = (lr, b1, b2, b3, weight_decay, alpha, t_alpha_beta3, eps)
    arrays = [h for h in hypers if is_array(h)]

    def init(params: Array) -> AdEMAMixState:
        return AdEMAMixState(0, zeros(params), zeros(params), zeros(params))

    def update(
        grads: Array,
        state: AdEMAMixState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdEMAMixState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        beta1, beta2, beta3 = align(b1, nd), align(b2, nd), align(b3, nd)
        bias_correction1 = 1.0 - beta1**t
        bias_correction2_sq = np.sqrt(1.0 - beta2**t)
        a = align(alpha, nd)
        if t_alpha_beta3 is None:
            alpha_t, beta3_t = a, beta3
        else:
            big_t = align(t_alpha_beta3, nd)
            alpha_t = np.minimum(t * a / big_t, a)
            with np.errstate(divide="ignore", invalid="ignore"):
                log1, log3 = np.log(beta1), np.log(beta3)
                frac = t / big_t
                mixed = log1 * log3 / ((1.0 - frac) * log3 + frac * log1)
                beta3_t = np.minimum(np.exp(mixed), beta3)
        lr_t = scaled_lr(lr, lr_scale, nd)
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, lr_t, weight_decay, decouple, fixed, nd)
        m = lerp(state.exp_avg, g, 1.0 - beta1)
        v = state.exp_avg_sq * beta2 + (1.0 - beta2) * g * g
        slow = lerp(state.exp_avg_slow, g, 1.0 - beta3_t)
        denom = np.sqrt(v) / bias_correction2_sq + align(eps, nd)
        step = m / bias_correction1 + slow * alpha_t
        new = p + (step / denom) * (-lr_t)
        state = AdEMAMixState(t, owned(m, shape), owned(v, shape), owned(slow, shape))
        return owned(new, shape), state

    return Optimizer("ademamix", init, update, hparams)


# ----------------------------------------------------------------------------------- ADOPT


class ADOPTState(NamedTuple):
    """State of `adopt`: ``exp_avg`` (EMA of normalized gradients) and ``exp_avg_sq``."""

    t: int
    exp_avg: Array
    exp_avg_sq: Array


def quarter_power(step: int) -> float:
    """ADOPT's default ``clip_lambda``: the clip bound ``step ** 0.25`` at step ``step``."""
    return math.pow(step, 0.25)


def adopt(
    *,
    lr: Any = 1e-3,
    betas: tuple[Any, Any] = (0.9, 0.9999),
    clip_lambda: Callable[[int], float] | None = quarter_power,
    weight_decay: Any = 0.0,
    weight_decouple: bool = False,
    fixed_decay: bool = False,
    eps: Any = 1e-6,
) -> Optimizer:
    r"""ADOPT: Adam normalized by the *previous* second moment (``pytorch_optimizer.ADOPT``).

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.9999)
        :math:`\beta_1, \beta_2`.
    clip_lambda : callable or None, default ``step ** 0.25``
        Bound :math:`c(t)` of the normalized gradient at step :math:`t`; None: no clipping.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda`.
    weight_decouple : bool, default False
        Decoupled decay (AdamW's) instead of L2.
    fixed_decay : bool, default False
        Decoupled decay not scaled by ``lr``.
    eps : float or array, default 1e-6
        Floor of :math:`\sqrt{v}`.

    Returns
    -------
    Optimizer
        ``init(params) -> ADOPTState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    .. math::
        \begin{aligned}
        & \textbf{if } t = 1: \; v_1 \leftarrow g_1^2 \textbf{ (no step)} \\
        & \textbf{else: } \\
        & \quad n_t \leftarrow \mathrm{clip}(g_t / \max(\sqrt{v_{t-1}}, \epsilon),
              -c(t), c(t)) \\
        & \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) n_t, \;
              \theta_t \leftarrow \theta_{t-1} - \gamma m_t \\
        & \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2
        \end{aligned}

    The gradient is normalized by a second moment that does not contain it yet (and
    before the momentum, not after), which makes the method converge for any
    :math:`\beta_2` where Adam can diverge. The first step only measures :math:`v`: the
    point does not move.

    **Relation to the CS231n notes.** The notes' Adam with two lines swapped: normalize the
    gradient first (by the old :math:`v`), then average, then update :math:`v`.

    References
    ----------
    .. [1] S. Taniguchi, K. Harada, G. Minegishi, Y. Oshima, S. C. Jeong, G. Nagahara,
       T. Iiyama, M. Suzuki, Y. Iwasawa, Y. Matsuo, "ADOPT: Modified Adam Can Converge with
       Any beta_2 with the Optimal Rate", NeurIPS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adopt", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> for _ in range(2):
    ...     x, state = opt.update(np.array([1.0, -2.0]), state, x)
    >>> x.round(6)
    array([ 0.99, -1.99])
    """
    lr = _lr(lr)
    b1, b2 = _betas(betas, 2)
    if clip_lambda is not None and not callable(clip_lambda):
        raise TypeError(f"clip_lambda must be callable or None, got {clip_lambda!r}")
    weight_decay = _non_negative("weight_decay", weight_decay)
    eps = _non_negative("eps", eps)
    decouple = as_flag("weight_decouple", weight_decouple)
    fixed = as_flag("fixed_decay", fixed_decay)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "clip_lambda": clip_lambda,
            "weight_decay": weight_decay,
            "weight_decouple": decouple,
            "fixed_decay": fixed,
            "eps": eps,
        }
    )
    use_wd = nonzero(weight_decay)
    arrays = [h for h in (lr, b1, b2, weight_decay, eps) if is_array(h)]

    def init(params: Array) -> ADOPTState:
        return ADOPTState(0, zeros(params), zeros(params))

    def update(
        grads: Array,
        state: ADOPTState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, ADOPTState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        lr_t = scaled_lr(lr, lr_scale, nd)
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, lr_t, weight_decay, decouple, fixed, nd)
        if t == 1:  # only measure the second moment
            v = state.exp_avg_sq + g * g
            return owned(p + 0.0, shape), ADOPTState(t, np.zeros(shape), owned(v, shape))
        n = g / np.maximum(np.sqrt(state.exp_avg_sq), align(eps, nd))
        if clip_lambda is not None:
            bound = clip_lambda(t)
            n = np.clip(n, -bound, bound)
        beta1, beta2 = align(b1, nd), align(b2, nd)
        m = lerp(state.exp_avg, n, 1.0 - beta1)
        new = p + m * (-lr_t)
        v = state.exp_avg_sq * beta2 + (1.0 - beta2) * g * g
        return owned(new, shape), ADOPTState(t, owned(m, shape), owned(v, shape))

    return Optimizer("adopt", init, update, hparams)
