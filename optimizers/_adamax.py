r"""Adamax (torch.optim.Adamax): Adam with the infinity norm (Kingma & Ba, 2015)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._adam import BETAS, _betas, _decay, _moments
from optimizers._core import (
    Array,
    Optimizer,
    align,
    frozen,
    full_shape,
    is_array,
    nonnegative,
    nonzero,
    scaled_lr,
    valid_eps,
    valid_lr,
    zeros,
)

# ---------------------------------------------------------------------------------- Adamax


class AdamaxState(NamedTuple):
    """State of `adamax`: torch's ``exp_avg`` and ``exp_inf`` (the infinity norm :math:`u`)."""

    t: int
    exp_avg: Array
    exp_inf: Array


def adamax(
    *,
    lr: Any = 2e-3,
    betas: tuple[Any, Any] = BETAS,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
) -> Optimizer:
    r"""Adamax: Adam with the infinity norm in place of the second moment.

    Parameters
    ----------
    lr : float or array, default 2e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        :math:`\beta_1` (first moment) and :math:`\beta_2` (decay of the infinity norm).
    eps : float or array, default 1e-8
        Added to :math:`|g_t|`, :math:`\epsilon`.
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda` (added to the gradient).

    Returns
    -------
    Optimizer
        ``init(params) -> AdamaxState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box:

    .. math::
        \begin{aligned}
        & \textbf{init: } m_0 \leftarrow 0, \; u_0 \leftarrow 0 \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        & \theta_t \leftarrow \theta_{t-1} - \frac{\gamma \, m_t}{(1 - \beta_1^t) \, u_t}
        \end{aligned}

    **Relation to the CS231n notes.** The notes' Adam with ``np.sqrt(v)`` replaced by an
    exponentially decaying maximum of :math:`|g|` (the :math:`L^p` norm as
    :math:`p \to \infty`), which needs no bias correction.

    References
    ----------
    .. [1] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
       section 7.1.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adamax", lr=0.1)
    >>> x = np.array([1.0, 1.0])
    >>> x, state = opt.update(np.array([1.0, 10.0]) * x, opt.init(x), x)
    >>> x.round(6)
    array([0.9, 0.9])
    """
    lr = valid_lr(lr)
    eps = valid_eps(eps)
    b1, b2 = _betas(betas)
    weight_decay = nonnegative("weight_decay", weight_decay)
    hparams = frozen({"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": weight_decay})
    use_wd = nonzero(weight_decay)
    omb1 = 1.0 - b1
    arrays = [h for h in (lr, b1, b2, eps, weight_decay) if is_array(h)]

    def init(params: Array) -> AdamaxState:
        return AdamaxState(0, zeros(params), zeros(params))

    def update(
        grads: Array,
        state: AdamaxState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdamaxState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, weight_decay, 0.0, False, nd, shape)
        beta1 = align(b1, nd)
        m, tmp, _ = _moments(g, state.exp_avg, None, align(omb1, nd), None, None, shape)
        np.abs(g, out=tmp)  # u = max(beta2 * u, |g| + eps)
        tmp += align(eps, nd)
        u = np.multiply(state.exp_inf, align(b2, nd), out=np.empty(shape))
        np.maximum(u, tmp, out=u)
        clr = scaled_lr(lr, lr_scale, nd) / (1 - beta1**t)
        np.divide(m, u, out=tmp)  # theta - clr * m / u
        tmp *= clr
        np.subtract(p, tmp, out=tmp)
        return tmp, AdamaxState(t, m, u)

    return Optimizer("adamax", init, update, hparams)
