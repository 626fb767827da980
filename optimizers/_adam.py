r"""Adam and its relatives: Adam, AdamW, NAdam, RAdam and Adamax (torch.optim)."""

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
