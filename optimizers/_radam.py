r"""RAdam (torch.optim.RAdam): Adam with a rectified variance (Liu et al., 2020)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._adam import BETAS, _betas, _decay, _moments, _sqrt
from optimizers._core import (
    Array,
    Optimizer,
    align,
    as_flag,
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

# ----------------------------------------------------------------------------------- RAdam


class RAdamState(NamedTuple):
    """State of `radam`: torch's ``exp_avg`` and ``exp_avg_sq``."""

    t: int
    exp_avg: Array
    exp_avg_sq: Array


def radam(
    *,
    lr: Any = 1e-3,
    betas: tuple[Any, Any] = BETAS,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""RAdam: Adam that starts as SGD with momentum until the variance estimate is reliable.

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        :math:`\beta_1, \beta_2`.
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda` (L2 unless ``decoupled_weight_decay``).
    decoupled_weight_decay : bool, default False
        Decay the parameters directly, as AdamW (torch's ``RAdam`` flag).

    Returns
    -------
    Optimizer
        ``init(params) -> RAdamState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box, with :math:`\rho_\infty = 2 / (1 - \beta_2) - 1`:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}), \; \theta_t \leftarrow \theta_{t-1} \\
        & \textbf{if } \lambda \neq 0: \; \theta_t \leftarrow \theta_t
              - \gamma \lambda \theta_t \textbf{ if decoupled else }
              g_t \leftarrow g_t + \lambda \theta_t \\
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        & \rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        & \textbf{if } \rho_t > 5: \\
        & \quad l_t \leftarrow \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon), \;
              r_t \leftarrow \sqrt{\frac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}
              {(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}} \\
        & \quad \theta_t \leftarrow \theta_t - \gamma \widehat{m_t} r_t l_t \\
        & \textbf{else: } \theta_t \leftarrow \theta_t - \gamma \widehat{m_t}
        \end{aligned}

    :math:`\rho_1 = 1` always, so the first steps (the first 5 with the default
    :math:`\beta_2 = 0.999`; never if :math:`\rho_\infty \le 5`, i.e.
    :math:`\beta_2 \le 2/3`) are *un-normalized* SGD with bias-corrected momentum:
    their size is ``lr * |gradient|``, not ``lr``. With an array :math:`\beta_2` the switch is
    per run.

    **Relation to the CS231n notes.** The notes' Adam (bias-corrected), with the adaptive
    denominator switched off while the variance of :math:`v_t` is too large, and then phased
    in by the rectification :math:`r_t \to 1`.

    References
    ----------
    .. [1] L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han, "On the Variance of the
       Adaptive Learning Rate and Beyond", ICLR 2020.

    Examples
    --------
    The first step is momentum SGD, :math:`\theta - \gamma g_1`:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("radam", lr=0.01)
    >>> x = np.array([1.0, 1.0])
    >>> x, state = opt.update(np.array([1.0, 10.0]) * x, opt.init(x), x)
    >>> x
    array([0.99, 0.9 ])
    """
    lr = valid_lr(lr)
    eps = valid_eps(eps)
    b1, b2 = _betas(betas)
    weight_decay = nonnegative("weight_decay", weight_decay)
    decoupled = as_flag("decoupled_weight_decay", decoupled_weight_decay)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled,
        }
    )
    use_wd = nonzero(weight_decay)
    omb1, omb2 = 1.0 - b1, 1.0 - b2
    rho_inf = 2 / (1 - b2) - 1
    arrays = [h for h in (lr, b1, b2, eps, weight_decay) if is_array(h)]

    def init(params: Array) -> RAdamState:
        return RAdamState(0, zeros(params), zeros(params))

    def update(
        grads: Array,
        state: RAdamState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, RAdamState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        lr_t = scaled_lr(lr, lr_scale, nd)
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, weight_decay, lr_t, decoupled, nd, shape)
        beta1, beta2, r_inf = align(b1, nd), align(b2, nd), align(rho_inf, nd)
        m, v, tmp = _moments(
            g, state.exp_avg, state.exp_avg_sq, align(omb1, nd), beta2, align(omb2, nd), shape
        )
        bias_correction2 = 1 - beta2**t
        rho_t = r_inf - 2 * t * (beta2**t) / bias_correction2
        step = np.divide(m, 1 - beta1**t, out=np.empty(shape))  # m_hat * lr
        step *= lr_t
        if is_array(rho_t) or rho_t > 5.0:
            with np.errstate(invalid="ignore", divide="ignore"):  # unused where rho_t <= 5
                rect = _sqrt(
                    (rho_t - 4) * (rho_t - 2) * r_inf / ((r_inf - 4) * (r_inf - 2) * rho_t)
                )
            np.sqrt(v, out=tmp)  # adaptive lr l_t = sqrt(bc2) / (sqrt(v) + eps)
            tmp += align(eps, nd)
            np.divide(_sqrt(bias_correction2), tmp, out=tmp)
            if is_array(rho_t):
                tmp *= rect
                step *= np.where(rho_t > 5.0, tmp, 1.0)
            else:
                step *= tmp
                step *= rect
        np.subtract(p, step, out=step)
        return step, RAdamState(t, m, v)

    return Optimizer("radam", init, update, hparams)
