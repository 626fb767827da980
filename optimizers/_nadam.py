r"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum (Dozat, 2016)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._adam import BETAS, _betas, _decay, _moments
from optimizers._core import (
    Array,
    Optimizer,
    align,
    as_flag,
    checked,
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

# ----------------------------------------------------------------------------------- NAdam


class NAdamState(NamedTuple):
    """State of `nadam`: torch's ``mu_product`` (:math:`\\prod_i \\mu_i`, 1 after init, a
    float or an array shaped like the batch hyperparameters), ``exp_avg``, ``exp_avg_sq``."""

    t: int
    mu_product: Any
    exp_avg: Array
    exp_avg_sq: Array


def nadam(
    *,
    lr: Any = 2e-3,
    betas: tuple[Any, Any] = BETAS,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    momentum_decay: Any = 4e-3,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule (Dozat).

    Parameters
    ----------
    lr : float or array, default 2e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        :math:`\beta_1, \beta_2`.
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda` (L2 unless ``decoupled_weight_decay``).
    momentum_decay : float or array, default 4e-3
        :math:`\psi` in the momentum schedule :math:`\mu_t`.
    decoupled_weight_decay : bool, default False
        Decay the parameters directly, as AdamW (torch's ``NAdam`` flag).

    Returns
    -------
    Optimizer
        ``init(params) -> NAdamState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}), \; \theta_t \leftarrow \theta_{t-1} \\
        & \textbf{if } \lambda \neq 0: \; \theta_t \leftarrow \theta_{t-1}
              - \gamma \lambda \theta_{t-1} \textbf{ if decoupled else }
              g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & \mu_t \leftarrow \beta_1 (1 - \tfrac12 \, 0.96^{t \psi}), \;
          \mu_{t+1} \leftarrow \beta_1 (1 - \tfrac12 \, 0.96^{(t+1) \psi}) \\
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \widehat{m_t} \leftarrow \mu_{t+1} m_t / (1 - \textstyle\prod_{i=1}^{t+1} \mu_i)
              + (1 - \mu_t) g_t / (1 - \textstyle\prod_{i=1}^{t} \mu_i) \\
        & \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        & \theta_t \leftarrow \theta_t - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}}
              + \epsilon)
        \end{aligned}

    The running product :math:`\prod_i \mu_i` is kept in the state as ``mu_product``, as in
    torch.

    **Relation to the CS231n notes.** The notes' Nesterov trick (step from the look-ahead
    point) applied to Adam's first moment: the step mixes the *next* momentum
    :math:`\mu_{t+1} m_t` with the current gradient :math:`(1 - \mu_t) g_t`, instead of
    Adam's :math:`m_t` alone.

    References
    ----------
    .. [1] T. Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("nadam", lr=0.1)
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(6), state.t
    (array([0.752729, 0.752729]), 3)
    """
    lr = valid_lr(lr)
    eps = valid_eps(eps)
    b1, b2 = _betas(betas)
    weight_decay = nonnegative("weight_decay", weight_decay)
    momentum_decay = checked(
        "momentum_decay", momentum_decay, lambda x: x >= 0.0, "Invalid momentum_decay value: {}"
    )
    decoupled = as_flag("decoupled_weight_decay", decoupled_weight_decay)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled,
        }
    )
    use_wd = nonzero(weight_decay)
    omb1, omb2 = 1.0 - b1, 1.0 - b2
    arrays = [h for h in (lr, b1, b2, eps, weight_decay, momentum_decay) if is_array(h)]

    def init(params: Array) -> NAdamState:
        return NAdamState(0, 1.0, zeros(params), zeros(params))

    def update(
        grads: Array,
        state: NAdamState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, NAdamState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        lr_t = scaled_lr(lr, lr_scale, nd)
        beta1, beta2, psi = align(b1, nd), align(b2, nd), align(momentum_decay, nd)
        bias_correction2 = 1 - beta2**t
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, weight_decay, lr_t, decoupled, nd, shape)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        mu_product = state.mu_product * mu
        m, v, tmp = _moments(
            g, state.exp_avg, state.exp_avg_sq, align(omb1, nd), beta2, align(omb2, nd), shape
        )
        np.divide(v, bias_correction2, out=tmp)  # denom = sqrt(v / bc2) + eps
        np.sqrt(tmp, out=tmp)
        tmp += align(eps, nd)
        mu_product_next = mu_product * mu_next
        new = np.divide(g, tmp, out=np.empty(shape))
        new *= -lr_t * (1.0 - mu) / (1.0 - mu_product)
        new += p
        np.divide(m, tmp, out=tmp)
        tmp *= (-lr_t * mu_next) / (1.0 - mu_product_next)
        new += tmp
        return new, NAdamState(t, mu_product, m, v)

    return Optimizer("nadam", init, update, hparams)
