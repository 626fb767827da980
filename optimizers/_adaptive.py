r"""Per-coordinate adaptive learning rates: Adagrad, RMSprop and Adadelta (torch.optim)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

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


def _l2(params: Array, grads: Array, weight_decay: Any, use: bool, nd: int, shape: Any) -> Array:
    """``grads + weight_decay * params`` (torch's L2 weight decay), or ``grads`` if unused."""
    if not use:
        return grads
    g = np.multiply(params, align(weight_decay, nd), out=np.empty(shape))
    g += grads
    return g


# --------------------------------------------------------------------------------- Adagrad


class AdagradState(NamedTuple):
    """State of `adagrad`: the step count and torch's ``sum`` of squared gradients."""

    t: int
    sum: Array


def adagrad(
    *,
    lr: Any = 1e-2,
    lr_decay: Any = 0.0,
    weight_decay: Any = 0.0,
    initial_accumulator_value: Any = 0.0,
    eps: Any = 1e-10,
) -> Optimizer:
    r"""Adagrad: per-coordinate steps shrinking with the summed squared gradients.

    Parameters
    ----------
    lr : float or array, default 1e-2
        Learning rate :math:`\gamma`.
    lr_decay : float or array, default 0
        Learning-rate decay :math:`\eta`: step :math:`t` uses
        :math:`\tilde\gamma = \gamma / (1 + (t - 1)\eta)`.
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    initial_accumulator_value : float or array, default 0
        Initial value :math:`\tau` of the accumulator.
    eps : float or array, default 1e-10
        Added to the square root, :math:`\epsilon`.

    Returns
    -------
    Optimizer
        ``init(params) -> AdagradState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box (``state_sum`` is the notes' ``cache``):

    .. math::
        \begin{aligned}
        & \textbf{init: } s_0 \leftarrow \tau \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \tilde\gamma \leftarrow \gamma / (1 + (t - 1) \eta) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & s_t \leftarrow s_{t-1} + g_t^2 \\
        & \theta_t \leftarrow \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon)
        \end{aligned}

    **Relation to the CS231n notes.** With :math:`\eta = \lambda = \tau = 0` this is
    exactly the notes' ``cache += dx**2; x += -lr * dx / (np.sqrt(cache) + eps)``
    (``eps`` outside the square root). A schedule's ``lr_scale`` multiplies
    :math:`\gamma` and therefore :math:`\tilde\gamma`, as a torch scheduler does.

    References
    ----------
    .. [1] J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for Online Learning
       and Stochastic Optimization", JMLR 12, 2011.

    Examples
    --------
    On :math:`f(x, y) = (x^2 + 10 y^2) / 2` the first step moves every coordinate by
    ``lr`` whatever its curvature (:math:`g / \sqrt{g^2} = \pm 1`):

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adagrad", lr=0.1)
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(6)
    array([0.780456, 0.780456])
    """
    lr = valid_lr(lr)
    lr_decay = nonnegative("lr_decay", lr_decay)
    weight_decay = nonnegative("weight_decay", weight_decay)
    initial_accumulator_value = nonnegative("initial_accumulator_value", initial_accumulator_value)
    eps = valid_eps(eps)
    hparams = frozen(
        {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
    )
    use_wd = nonzero(weight_decay)
    use_decay = nonzero(lr_decay)
    arrays = [h for h in (lr, lr_decay, weight_decay, eps) if is_array(h)]

    def init(params: Array) -> AdagradState:
        acc = zeros(params) + align(initial_accumulator_value, np.ndim(params))
        return AdagradState(t=0, sum=acc)

    def update(
        grads: Array,
        state: AdagradState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdagradState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, state.sum, *arrays)
        t = state.t + 1
        g = _l2(params, grads, weight_decay, use_wd, nd, shape)
        clr = scaled_lr(lr, lr_scale, nd)
        if use_decay:
            clr = clr / (1 + (t - 1) * align(lr_decay, nd))
        acc = np.multiply(g, g, out=np.empty(shape))  # s + g^2
        acc += state.sum
        tmp = np.sqrt(acc, out=np.empty(shape))  # g / (sqrt(s) + eps)
        tmp += align(eps, nd)
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        np.subtract(params, tmp, out=tmp)
        return tmp, AdagradState(t, acc)

    return Optimizer("adagrad", init, update, hparams)


# --------------------------------------------------------------------------------- RMSprop


class RMSpropState(NamedTuple):
    """State of `rmsprop`: torch's ``square_avg``, ``grad_avg`` and ``momentum_buffer``.

    ``grad_avg`` stays zero unless ``centered``; ``momentum_buffer`` unless ``momentum > 0``.
    """

    t: int
    square_avg: Array
    grad_avg: Array
    momentum_buffer: Array


def rmsprop(
    *,
    lr: Any = 1e-2,
    alpha: Any = 0.99,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    momentum: Any = 0.0,
    centered: bool = False,
) -> Optimizer:
    r"""RMSprop: divide by a running root-mean-square of recent gradients.

    Parameters
    ----------
    lr : float or array, default 1e-2
        Learning rate :math:`\gamma`.
    alpha : float or array, default 0.99
        Smoothing constant :math:`\alpha` (the notes' ``decay_rate``).
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    momentum : float or array, default 0
        Momentum factor :math:`\mu` applied to the normalized step.
    centered : bool, default False
        Normalize by an estimate of the gradient's *variance* (subtract the squared mean).

    Returns
    -------
    Optimizer
        ``init(params) -> RMSpropState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box:

    .. math::
        \begin{aligned}
        & \textbf{init: } v_0 \leftarrow 0, \; b_0 \leftarrow 0, \; g^{ave}_0 \leftarrow 0 \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        & \tilde v_t \leftarrow v_t \\
        & \textbf{if centered: } g^{ave}_t \leftarrow \alpha g^{ave}_{t-1}
              + (1 - \alpha) g_t, \;
              \tilde v_t \leftarrow \tilde v_t - (g^{ave}_t)^2 \\
        & \textbf{if } \mu > 0: \; b_t \leftarrow \mu b_{t-1}
              + g_t / (\sqrt{\tilde v_t} + \epsilon), \;
              \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
        & \textbf{else: } \theta_t \leftarrow \theta_{t-1}
              - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon)
        \end{aligned}

    **Relation to the CS231n notes.** With the defaults this is exactly the notes'
    ``cache = decay_rate * cache + (1 - decay_rate) * dx**2;
    x += -lr * dx / (np.sqrt(cache) + eps)`` with ``decay_rate = alpha``. Unlike Adam there
    is no bias correction, so the first steps are large: :math:`v_1 = (1 - \alpha) g_1^2`
    gives a first step of :math:`\gamma / \sqrt{1 - \alpha} = 10 \gamma` per coordinate
    for :math:`\alpha = 0.99`. Torch takes the square root before adding ``eps``
    (TensorFlow adds it inside).

    References
    ----------
    .. [1] G. Hinton, N. Srivastava, K. Swersky, "Neural Networks for Machine Learning",
       Coursera lecture 6e, 2012.
    .. [2] A. Graves, "Generating Sequences With Recurrent Neural Networks",
       arXiv:1308.0850, 2013 (the centered variant).

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("rmsprop", lr=0.01)
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(6)  # 1 - 0.01 / sqrt(0.01): ten times lr on every coordinate
    array([0.9, 0.9])
    """
    lr = valid_lr(lr)
    eps = valid_eps(eps)
    momentum = nonnegative("momentum", momentum)
    weight_decay = nonnegative("weight_decay", weight_decay)
    alpha = nonnegative("alpha", alpha)
    centered = as_flag("centered", centered)
    hparams = frozen(
        {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
    )
    use_wd = nonzero(weight_decay)
    use_momentum = nonzero(momentum)
    one_minus_alpha = 1.0 - alpha
    arrays = [h for h in (lr, alpha, eps, weight_decay, momentum) if is_array(h)]

    def init(params: Array) -> RMSpropState:
        return RMSpropState(0, zeros(params), zeros(params), zeros(params))

    def update(
        grads: Array,
        state: RMSpropState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, RMSpropState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        g = _l2(params, grads, weight_decay, use_wd, nd, shape)
        oma = align(one_minus_alpha, nd)
        square_avg = np.multiply(state.square_avg, align(alpha, nd), out=np.empty(shape))
        tmp = np.multiply(g, g, out=np.empty(shape))  # alpha * v + (1 - alpha) * g^2
        tmp *= oma
        square_avg += tmp
        grad_avg = state.grad_avg
        if centered:  # lerp, as torch: g_ave + (1 - alpha) * (g - g_ave)
            grad_avg = np.subtract(g, grad_avg, out=np.empty(shape))
            grad_avg *= oma
            grad_avg += state.grad_avg
            np.multiply(grad_avg, grad_avg, out=tmp)
            np.subtract(square_avg, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(square_avg, out=tmp)
        tmp += align(eps, nd)  # tmp = sqrt(v~) + eps
        np.divide(g, tmp, out=tmp)
        buf = state.momentum_buffer
        if use_momentum:  # b = mu * b + g / (sqrt(v~) + eps)
            buf = np.multiply(buf, align(momentum, nd), out=np.empty(shape))
            buf += tmp
            np.multiply(buf, scaled_lr(lr, lr_scale, nd), out=tmp)
        else:
            tmp *= scaled_lr(lr, lr_scale, nd)
        np.subtract(params, tmp, out=tmp)
        return tmp, RMSpropState(state.t + 1, square_avg, grad_avg, buf)

    return Optimizer("rmsprop", init, update, hparams)


# -------------------------------------------------------------------------------- Adadelta


class AdadeltaState(NamedTuple):
    """State of `adadelta`: torch's ``square_avg`` :math:`v` and ``acc_delta`` :math:`u`."""

    t: int
    square_avg: Array
    acc_delta: Array


def adadelta(
    *,
    lr: Any = 1.0,
    rho: Any = 0.9,
    eps: Any = 1e-6,
    weight_decay: Any = 0.0,
) -> Optimizer:
    r"""Adadelta: a step sized by the RMS of past *steps* over the RMS of gradients.

    Parameters
    ----------
    lr : float or array, default 1.0
        Coefficient :math:`\gamma` that scales the step (1.0 is the paper's method).
    rho : float or array, default 0.9
        Decay :math:`\rho` of both running averages.
    eps : float or array, default 1e-6
        Added *inside* both square roots, :math:`\epsilon`.
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda` (added to the gradient).

    Returns
    -------
    Optimizer
        ``init(params) -> AdadeltaState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box:

    .. math::
        \begin{aligned}
        & \textbf{init: } v_0 \leftarrow 0, \; u_0 \leftarrow 0 \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
        & \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t \\
        & u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t
        \end{aligned}

    **Relation to the CS231n notes.** The notes do not cover Adadelta. It is RMSprop (the
    notes' ``cache`` is :math:`v`) whose learning rate is replaced by a running RMS of the
    previous updates, :math:`\sqrt{u_{t-1} + \epsilon}`, so the step has the units of the
    parameters. Because :math:`u_0 = 0`, the first steps are tiny
    (:math:`\approx \sqrt{\epsilon / (1 - \rho)}` per coordinate) and grow slowly: on a 2D
    surface Adadelta with ``lr=1`` crawls.

    References
    ----------
    .. [1] M. D. Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adadelta")
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> (1.0 - x).round(6)  # about sqrt(eps / (1 - rho)) = 0.003162
    array([0.003162, 0.003162])
    """
    lr = valid_lr(lr)
    rho = checked("rho", rho, lambda x: (x >= 0.0) & (x <= 1.0), "Invalid rho value: {}")
    eps = valid_eps(eps)
    weight_decay = nonnegative("weight_decay", weight_decay)
    hparams = frozen({"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay})
    use_wd = nonzero(weight_decay)
    one_minus_rho = 1.0 - rho
    arrays = [h for h in (lr, rho, eps, weight_decay) if is_array(h)]

    def init(params: Array) -> AdadeltaState:
        return AdadeltaState(0, zeros(params), zeros(params))

    def update(
        grads: Array,
        state: AdadeltaState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdadeltaState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        g = _l2(params, grads, weight_decay, use_wd, nd, shape)
        r, omr, e = align(rho, nd), align(one_minus_rho, nd), align(eps, nd)
        square_avg = np.multiply(state.square_avg, r, out=np.empty(shape))
        tmp = np.multiply(g, g, out=np.empty(shape))  # rho * v + (1 - rho) * g^2
        tmp *= omr
        square_avg += tmp
        np.add(square_avg, e, out=tmp)  # std = sqrt(v + eps)
        np.sqrt(tmp, out=tmp)
        delta = np.add(state.acc_delta, e, out=np.empty(shape))  # sqrt(u + eps) / std * g
        np.sqrt(delta, out=delta)
        delta /= tmp
        delta *= g
        acc_delta = np.multiply(state.acc_delta, r, out=np.empty(shape))
        np.multiply(delta, delta, out=tmp)  # rho * u + (1 - rho) * delta^2
        tmp *= omr
        acc_delta += tmp
        np.multiply(delta, scaled_lr(lr, lr_scale, nd), out=tmp)
        np.subtract(params, tmp, out=tmp)
        return tmp, AdadeltaState(state.t + 1, square_avg, acc_delta)

    return Optimizer("adadelta", init, update, hparams)
