r"""Adam and AdamW (torch.optim), and the pieces their relatives share (`_nadam`, `_radam`,
`_adamax`, as torch.optim keeps each in its own file)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._core import (
    Array,
    Hyper,
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

BETAS = (0.9, 0.999)


def _betas(betas: Any) -> tuple[Hyper, Hyper]:
    """Validate ``betas = (beta1, beta2)``; each may be a float or an array (a sweep)."""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return tuple(  # type: ignore[return-value]
        checked(
            f"betas[{i}]",
            b,
            lambda x: (x >= 0.0) & (x < 1.0),
            f"Invalid beta parameter at index {i}: {{}}",
        )
        for i, b in enumerate(betas)
    )


def _sqrt(x: Any) -> Any:
    """Square root of a float (as torch's ``x ** 0.5``) or of an array."""
    return x**0.5 if isinstance(x, float) else np.sqrt(x)


def _decay(
    params: Array,
    grads: Array,
    weight_decay: Any,
    lr: Any,
    decoupled: bool,
    nd: int,
    shape: tuple[int, ...],
) -> tuple[Array, Array]:
    """Apply weight decay: decoupled (AdamW: shrink the params) or L2 (add to the gradient)."""
    wd = align(weight_decay, nd)
    if decoupled:  # theta * (1 - lr * lambda)
        return np.multiply(params, 1 - lr * wd, out=np.empty(shape)), grads
    g = np.multiply(params, wd, out=np.empty(shape))  # g + lambda * theta
    g += grads
    return params, g


def _moments(
    g: Array,
    exp_avg: Array,
    exp_avg_sq: Array | None,
    omb1: Any,
    beta2: Any,
    omb2: Any,
    shape: tuple[int, ...],
) -> tuple[Array, Array, Array]:
    """First and second moments, as torch computes them; also returns a scratch array.

    ``m = m + (1 - beta1) * (g - m)`` (torch's ``lerp_``, i.e. ``beta1 * m + (1 - beta1) * g``)
    and ``v = beta2 * v + (1 - beta2) * g^2``. With ``exp_avg_sq=None`` only ``m`` is computed.
    """
    m = np.subtract(g, exp_avg, out=np.empty(shape))
    m *= omb1
    m += exp_avg
    if exp_avg_sq is None:
        return m, np.empty(shape), m
    tmp = np.multiply(g, g, out=np.empty(shape))
    tmp *= omb2
    v = np.multiply(exp_avg_sq, beta2, out=np.empty(shape))
    v += tmp
    return m, v, tmp


# ------------------------------------------------------------------------------------ Adam


class AdamState(NamedTuple):
    """State of `adam`/`adamw`: torch's ``exp_avg``, ``exp_avg_sq`` and ``max_exp_avg_sq``.

    ``max_exp_avg_sq`` stays zero unless ``amsgrad``.
    """

    t: int
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array


def adam(
    *,
    lr: Any = 1e-3,
    betas: tuple[Any, Any] = BETAS,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""Adam: momentum on the gradient, RMSprop on its scale, both bias-corrected.

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the first and second moment estimates.
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda`: L2 (added to the gradient) unless
        ``decoupled_weight_decay``.
    amsgrad : bool, default False
        Normalize by the running *maximum* of the second moment (AMSGrad).
    decoupled_weight_decay : bool, default False
        Decay the parameters directly, as AdamW (torch 2.x's ``Adam`` flag; ``adamw`` is
        ``adam`` with this set and ``weight_decay=1e-2``).

    Returns
    -------
    Optimizer
        ``init(params) -> AdamState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box:

    .. math::
        \begin{aligned}
        & \textbf{init: } m_0 \leftarrow 0, \; v_0 \leftarrow 0, \; v_0^{max} \leftarrow 0 \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        & \textbf{if amsgrad: } v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t), \;
              \widehat{v_t} \leftarrow v_t^{max} / (1 - \beta_2^t) \\
        & \textbf{else: } \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}}
              + \epsilon)
        \end{aligned}

    Torch evaluates the last line as
    :math:`\theta - \frac{\gamma}{1 - \beta_1^t} \, m_t / (\sqrt{v_t} / \sqrt{1 - \beta_2^t}
    + \epsilon)`, and so do we.

    **Relation to the CS231n notes.** This is the notes' Adam, ``m = beta1*m + (1-beta1)*dx;
    v = beta2*v + (1-beta2)*(dx**2); x += -lr * m / (np.sqrt(v) + eps)``, *with* the bias
    correction the notes mention (``mt = m / (1-beta1**t); vt = v / (1-beta2**t)``), so the
    first step moves each coordinate by about ``lr`` whatever the gradient's scale. With
    amsgrad the maximum is kept of the raw :math:`v_t` and bias-corrected afterwards, as in
    torch (Reddi et al. use no bias correction).

    References
    ----------
    .. [1] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    .. [2] S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond",
       ICLR 2018 (amsgrad).
    .. [3] I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019
       (``decoupled_weight_decay``).

    Examples
    --------
    The first step moves both coordinates of :math:`f(x, y) = (x^2 + 10 y^2) / 2` by
    almost exactly ``lr``:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adam", lr=0.1)
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(6)
    array([0.701586, 0.701586])
    """
    return _adam("adam", lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay)


def adamw(
    *,
    lr: Any = 1e-3,
    betas: tuple[Any, Any] = BETAS,
    eps: Any = 1e-8,
    weight_decay: Any = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``).

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the moment estimates.
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 1e-2
        Decoupled weight decay :math:`\lambda`.
    amsgrad : bool, default False
        Use the running maximum of the second moment (AMSGrad).

    Returns
    -------
    Optimizer
        ``init(params) -> AdamState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box; only the weight decay differs from `adam`:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1} \\
        & m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        & \textbf{if amsgrad: } v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t), \;
              \widehat{v_t} \leftarrow v_t^{max} / (1 - \beta_2^t) \\
        & \textbf{else: } \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        & \theta_t \leftarrow \theta_t - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}}
              + \epsilon)
        \end{aligned}

    The decay is not divided by :math:`\sqrt{\widehat{v_t}}`: every coordinate shrinks by the
    same factor :math:`1 - \gamma\lambda`, unlike L2 regularization through the gradient,
    which Adam's normalization weakens where gradients are large. The decay uses the
    *scheduled* learning rate, so ``lr_scale`` scales it too (as a torch scheduler does).
    The CS231n notes predate AdamW; the Adam part is the notes' bias-corrected Adam.

    References
    ----------
    .. [1] I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    .. [2] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.

    Examples
    --------
    At a stationary point only the decay acts: :math:`\theta (1 - \gamma \lambda)`.

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adamw", lr=0.1, weight_decay=0.5)
    >>> x = np.array([2.0, -2.0])
    >>> x, state = opt.update(np.zeros(2), opt.init(x), x)
    >>> x
    array([ 1.9, -1.9])
    """
    return _adam("adamw", lr, betas, eps, weight_decay, amsgrad, True)


def _adam(
    name: str,
    lr: Any,
    betas: Any,
    eps: Any,
    weight_decay: Any,
    amsgrad: Any,
    decoupled: Any,
) -> Optimizer:
    lr = valid_lr(lr)
    eps = valid_eps(eps)
    b1, b2 = _betas(betas)
    weight_decay = nonnegative("weight_decay", weight_decay)
    amsgrad = as_flag("amsgrad", amsgrad)
    decoupled = as_flag("decoupled_weight_decay", decoupled)
    hp = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": weight_decay}
    hp["amsgrad"] = amsgrad
    if name != "adamw":
        hp["decoupled_weight_decay"] = decoupled
    hparams = frozen(hp)
    use_wd = nonzero(weight_decay)
    omb1, omb2 = 1.0 - b1, 1.0 - b2
    arrays = [h for h in (lr, b1, b2, eps, weight_decay) if is_array(h)]

    def init(params: Array) -> AdamState:
        return AdamState(0, zeros(params), zeros(params), zeros(params))

    def update(
        grads: Array,
        state: AdamState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdamState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        lr_t = scaled_lr(lr, lr_scale, nd)
        p, g = params, grads
        if use_wd:
            p, g = _decay(p, g, weight_decay, lr_t, decoupled, nd, shape)
        beta1, beta2 = align(b1, nd), align(b2, nd)
        m, v, tmp = _moments(
            g, state.exp_avg, state.exp_avg_sq, align(omb1, nd), beta2, align(omb2, nd), shape
        )
        step_size = lr_t / (1 - beta1**t)
        bc2_sqrt = _sqrt(1 - beta2**t)
        v_max = state.max_exp_avg_sq
        if amsgrad:
            v_max = np.maximum(v_max, v)
        np.sqrt(v_max if amsgrad else v, out=tmp)  # denom = sqrt(v) / sqrt(bc2) + eps
        tmp /= bc2_sqrt
        tmp += align(eps, nd)
        np.divide(m, tmp, out=tmp)  # theta - step_size * m / denom
        tmp *= step_size
        np.subtract(p, tmp, out=tmp)
        return tmp, AdamState(t, m, v, v_max)

    return Optimizer(name, init, update, hparams)
