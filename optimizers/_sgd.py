r"""Stochastic gradient descent, optionally with (Nesterov) momentum: torch.optim.SGD."""

from __future__ import annotations

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
    nonnegative,
    nonzero,
    scaled_lr,
    valid_lr,
    zeros,
)


class SGDState(NamedTuple):
    """State of `sgd`: the step count and torch's ``momentum_buffer`` :math:`b_t`."""

    t: int
    momentum_buffer: Array


def sgd(
    *,
    lr: Any = 1e-3,
    momentum: Any = 0.0,
    dampening: Any = 0.0,
    weight_decay: Any = 0.0,
    nesterov: bool = False,
) -> Optimizer:
    r"""Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    Parameters
    ----------
    lr : float or array, default 1e-3
        Learning rate :math:`\gamma`.
    momentum : float or array, default 0
        Momentum factor :math:`\mu`.
    dampening : float or array, default 0
        Dampening :math:`\tau` for momentum (not validated, as in torch).
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    nesterov : bool, default False
        Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.

    Returns
    -------
    Optimizer
        ``init(params) -> SGDState``; ``update(grads, state, params, lr_scale=1.0, hess=None)``.

    Raises
    ------
    ValueError
        With torch's messages, e.g. ``Invalid learning rate: -1.0`` or
        ``Nesterov momentum requires a momentum and zero dampening``.

    Notes
    -----
    The update rule, in the order of torch's algorithm box:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        & \textbf{if } \mu \neq 0: \\
        & \quad b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t \textbf{ if } t > 1
              \textbf{ else } g_t \\
        & \quad g_t \leftarrow g_t + \mu b_t \textbf{ if nesterov else } b_t \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma g_t
        \end{aligned}

    The momentum buffer starts at the first gradient, :math:`b_1 = g_1` (not at zero).

    **Relation to the CS231n notes.** Plain SGD is the notes' ``x += -lr * dx``. The notes'
    momentum (Polyak's heavy ball) keeps a *velocity* ``v = mu * v - lr * dx; x += v``,
    while torch keeps a buffer of *gradients*, ``b = mu * b + g; x -= lr * b``. Under a
    constant learning rate (and no dampening) the two are identical, :math:`v_t = -\gamma b_t`
    at every step: torch starts at :math:`b_1 = g_1`, the notes at :math:`v_0 = 0`, and both
    give :math:`v_1 = -\gamma g_1`. Under a schedule they differ: torch's buffer holds
    gradients, so a new ``lr`` rescales the whole accumulated velocity at once, while the
    notes' velocity keeps the old learning rates inside it. We implement torch's form, so
    trajectories match ``torch.optim.SGD`` driven by a torch LR scheduler.

    Nesterov momentum: the notes evaluate the gradient at the look-ahead point
    ``x_ahead = x + mu * v`` and rewrite it in terms of ``x_ahead`` as
    ``v_prev = v; v = mu * v - lr * dx; x += -mu * v_prev + (1 + mu) * v``. Torch's
    ``g = g + mu * b; x -= lr * g`` (Sutskever et al., 2013, in the form of Bengio et al.) is
    the same update under a constant learning rate: with the new ``v``,
    ``-mu * v_prev + (1 + mu) * v = -lr * dx + mu * v``, which is ``-lr * (g + mu * b)``
    because ``v = -lr * b``.

    Array hyperparameters index a batch of runs along the leading axes of ``params``; a run
    whose ``momentum`` is 0 takes torch's no-momentum branch even inside a batch.

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
       USSR Computational Mathematics and Mathematical Physics 4(5), 1964.
    .. [2] I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of initialization
       and momentum in deep learning", ICML 2013.
    .. [3] Y. Nesterov, "A method for unconstrained convex minimization problem with the rate
       of convergence O(1/k^2)", Doklady AN USSR 269, 1983.

    Examples
    --------
    Three steps with momentum on :math:`f(x, y) = (x^2 + 10 y^2) / 2`:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("sgd", lr=0.1, momentum=0.9)
    >>> x = np.array([1.0, 1.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(np.array([1.0, 10.0]) * x, state, x)
    >>> x.round(6), state.t
    (array([ 0.486, -0.81 ]), 3)
    """
    return _sgd("sgd", lr, momentum, dampening, weight_decay, nesterov)


def momentum(
    *,
    lr: Any = 1e-3,
    momentum: Any = 0.9,
    dampening: Any = 0.0,
    weight_decay: Any = 0.0,
    nesterov: bool = False,
) -> Optimizer:
    """`sgd` with ``momentum=0.9`` by default (Polyak's heavy ball; see `sgd`).

    Examples
    --------
    >>> from optimizers import make
    >>> make("momentum").hparams["momentum"]
    0.9
    """
    return _sgd("momentum", lr, momentum, dampening, weight_decay, nesterov)


def nesterov(
    *,
    lr: Any = 1e-3,
    momentum: Any = 0.9,
    dampening: Any = 0.0,
    weight_decay: Any = 0.0,
    nesterov: bool = True,
) -> Optimizer:
    """`sgd` with ``momentum=0.9, nesterov=True`` by default (Nesterov momentum; see `sgd`).

    Examples
    --------
    >>> from optimizers import make
    >>> make("nesterov").hparams["nesterov"]
    True
    """
    return _sgd("nesterov", lr, momentum, dampening, weight_decay, nesterov)


def _sgd(
    name: str, lr: Any, momentum: Any, dampening: Any, weight_decay: Any, nesterov: Any
) -> Optimizer:
    lr = valid_lr(lr)
    momentum = nonnegative("momentum", momentum)
    dampening = as_hyper("dampening", dampening)
    weight_decay = nonnegative("weight_decay", weight_decay)
    nesterov = as_flag("nesterov", nesterov)
    if nesterov:
        check(
            (np.asarray(momentum) > 0) & (np.asarray(dampening) == 0),
            "Nesterov momentum requires a momentum and zero dampening",
        )
    hparams = frozen(
        {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
    )
    use_wd = nonzero(weight_decay)
    use_momentum = nonzero(momentum)
    damped = nonzero(dampening)
    keep = 1.0 - dampening
    # In a batch, runs with momentum == 0 take torch's plain-SGD branch (matters if dampened).
    mask_zero = use_momentum and damped and is_array(momentum) and not np.all(momentum != 0)
    arrays = [h for h in (lr, momentum, dampening, weight_decay) if is_array(h)]

    def init(params: Array) -> SGDState:
        return SGDState(t=0, momentum_buffer=zeros(params))

    def update(
        grads: Array,
        state: SGDState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, SGDState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        g = grads
        if use_wd:  # g + lambda * theta
            g = np.multiply(params, align(weight_decay, nd), out=np.empty(shape))
            g += grads
        buf = state.momentum_buffer
        direction = g
        if use_momentum:
            mu = align(momentum, nd)
            if state.t == 0:  # b_1 = g_1 (a copy: never alias the caller's array)
                buf = np.array(np.broadcast_to(g, shape), dtype=np.float64)
            else:  # mu * b + (1 - tau) * g
                buf = np.multiply(buf, mu, out=np.empty(shape))
                buf += align(keep, nd) * g if damped else g
            direction = buf
            if nesterov:  # g + mu * b
                direction = np.multiply(buf, mu, out=np.empty(shape))
                direction += g
            if mask_zero:
                direction = np.where(mu != 0, direction, g)
        new = np.multiply(direction, scaled_lr(lr, lr_scale, nd), out=np.empty(shape))
        np.subtract(params, new, out=new)
        return new, SGDState(state.t + 1, buf)

    return Optimizer(name, init, update, hparams)
