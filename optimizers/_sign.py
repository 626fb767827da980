r"""Sign-based methods: Lion (``lion_pytorch.Lion``) and Rprop (``torch.optim.Rprop``).

Both move each coordinate by a step size times the *sign* of something, so in 2D every step of
Lion and every step of Rprop whose two step sizes agree is a diagonal.
"""

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
    checked,
    frozen,
    full_shape,
    is_array,
    owned,
    scaled_lr,
    valid_lr,
    zeros,
)


def _pair(name: str, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{name} must be a pair, got {value!r}")
    return as_hyper(f"{name}[0]", value[0]), as_hyper(f"{name}[1]", value[1])


# ------------------------------------------------------------------------------------ Lion


class LionState(NamedTuple):
    """State of `lion`: the step count and ``exp_avg`` :math:`m` (lion_pytorch's names)."""

    t: int
    exp_avg: Array


def lion(
    *,
    lr: Any = 1e-4,
    betas: tuple[Any, Any] = (0.9, 0.99),
    weight_decay: Any = 0.0,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""Lion: the sign of an interpolation of momentum and gradient (``lion_pytorch.Lion``).

    Parameters
    ----------
    lr : float or array, default 1e-4
        Learning rate :math:`\gamma`, the length of every coordinate's step (> 0).
    betas : (float or array, float or array), default (0.9, 0.99)
        :math:`\beta_1` (interpolation for the step) and :math:`\beta_2` (momentum decay),
        each in ``[0, 1]``.
    weight_decay : float or array, default 0
        Decoupled weight decay :math:`\lambda`.
    decoupled_weight_decay : bool, default False
        lion_pytorch's flag: divide :math:`\lambda` by the initial ``lr``, so the decay
        per step is :math:`\lambda \gamma_t / \gamma` (no longer proportional to ``lr``).

    Returns
    -------
    Optimizer
        ``init(params) -> LionState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    The update rule of lion_pytorch's ``update_fn``:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \theta_t \leftarrow \theta_{t-1} (1 - \gamma \lambda) \\
        & c_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        & \theta_t \leftarrow \theta_t - \gamma \, \mathrm{sign}(c_t) \\
        & m_t \leftarrow \beta_2 m_{t-1} + (1 - \beta_2) g_t
        \end{aligned}

    Every coordinate moves by exactly :math:`\gamma` (or 0 where :math:`c_t = 0`): in 2D
    every step is a diagonal of length :math:`\gamma \sqrt 2`, whatever the gradient's
    size, so Lion crosses a plateau as fast as a cliff and needs a smaller ``lr`` than Adam.

    **Relation to the CS231n notes.** The notes' momentum with only the *sign* of the
    velocity kept (signSGD with momentum); the notes' Adam, whose first step is also about
    ``lr`` per coordinate, becomes Lion if its denominator :math:`\sqrt{v}` is replaced by
    :math:`|m|`.

    Departures from the reference: its ``assert``\ s become ``ValueError``\ s
    (``Invalid learning rate``, ``Invalid beta parameter``); no ``use_triton``.

    References
    ----------
    .. [1] X. Chen, C. Liang, D. Huang, E. Real, K. Wang, Y. Liu, H. Pham, X. Dong, T. Luong,
       C.-J. Hsieh, Y. Lu, Q. V. Le, "Symbolic Discovery of Optimization Algorithms",
       NeurIPS 2023.

    Examples
    --------
    Every step moves each coordinate by ``lr``:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("lion", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> x, state = opt.update(np.array([3.0, -1e-3]), opt.init(x), x)
    >>> x
    array([ 0.9, -1.9])
    """
    lr = checked("lr", lr, lambda x: x > 0.0, "Invalid learning rate: {}")
    betas = _pair("betas", betas)
    b1, b2 = (
        checked(
            f"betas[{i}]",
            b,
            lambda x: (x >= 0.0) & (x <= 1.0),
            f"Invalid beta parameter at index {i}: {{}}",
        )
        for i, b in enumerate(betas)
    )
    weight_decay = as_hyper("weight_decay", weight_decay)
    decoupled = as_flag("decoupled_weight_decay", decoupled_weight_decay)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled,
        }
    )
    arrays = [h for h in (lr, b1, b2, weight_decay) if is_array(h)]
    # lion_pytorch divides the decay by the *initial* lr when decoupled.
    wd = weight_decay / lr if decoupled else weight_decay

    def init(params: Array) -> LionState:
        return LionState(0, zeros(params))

    def update(
        grads: Array,
        state: LionState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, LionState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        lr_t = scaled_lr(lr, lr_scale, nd)
        beta1, beta2 = align(b1, nd), align(b2, nd)
        m = state.exp_avg
        new = np.multiply(params, 1.0 - lr_t * align(wd, nd), out=np.empty(shape))
        c = np.sign(m * beta1 + grads * (1.0 - beta1))
        new -= c * lr_t
        m = owned(m * beta2 + grads * (1.0 - beta2), shape)
        return new, LionState(state.t + 1, m)

    return Optimizer("lion", init, update, hparams)


# ----------------------------------------------------------------------------------- Rprop


class RpropState(NamedTuple):
    """State of `rprop`: torch's ``prev`` (last gradient, zeroed after a sign change) and
    ``step_size`` (per coordinate, starting at ``lr``)."""

    t: int
    prev: Array
    step_size: Array


def rprop(
    *,
    lr: Any = 1e-2,
    etas: tuple[Any, Any] = (0.5, 1.2),
    step_sizes: tuple[Any, Any] = (1e-6, 50.0),
) -> Optimizer:
    r"""Rprop: resilient backpropagation, per-coordinate step sizes from gradient signs.

    Parameters
    ----------
    lr : float or array, default 1e-2
        The initial step size :math:`\eta_0` of every coordinate.
    etas : (float or array, float or array), default (0.5, 1.2)
        :math:`(\eta_-, \eta_+)`, the factors that shrink and grow a step size;
        ``0 < etaminus < 1 < etaplus``.
    step_sizes : (float or array, float or array), default (1e-6, 50)
        :math:`(\Gamma_{min}, \Gamma_{max})`, the bounds of a step size.

    Returns
    -------
    Optimizer
        ``init(params) -> RpropState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm box, per coordinate :math:`i`:

    .. math::
        \begin{aligned}
        & \textbf{init: } g_{prev} \leftarrow 0, \; \eta_0 \leftarrow \mathrm{lr} \\
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \textbf{if } g^i_{prev} g^i_t > 0: \;
              \eta^i_t \leftarrow \min(\eta^i_{t-1} \eta_+, \Gamma_{max}) \\
        & \textbf{else if } g^i_{prev} g^i_t < 0: \;
              \eta^i_t \leftarrow \max(\eta^i_{t-1} \eta_-, \Gamma_{min}), \;
              g^i_t \leftarrow 0 \\
        & \textbf{else: } \eta^i_t \leftarrow \eta^i_{t-1} \\
        & \theta_t \leftarrow \theta_{t-1} - \eta_t \, \mathrm{sign}(g_t) \\
        & g_{prev} \leftarrow g_t
        \end{aligned}

    (torch clamps to :math:`[\Gamma_{min}, \Gamma_{max}]` in every case, including the
    first step.) Only the signs of the gradient matter: a coordinate whose gradient keeps its
    sign speeds up by 20% per step, one that overshoots (the sign flips) halves its step and
    stands still for one step.

    **Schedules do nothing**, as in torch: ``lr`` only sets the initial step sizes, which
    then evolve by themselves, so ``lr_scale`` is accepted and ignored (a torch LR scheduler
    changes ``group["lr"]``, which Rprop never reads again).

    **Relation to the CS231n notes.** Not in the notes; a full-batch ancestor of RMSprop
    (Hinton's lecture introduced RMSprop as "a mini-batch version of Rprop").

    References
    ----------
    .. [1] M. Riedmiller, H. Braun, "A Direct Adaptive Method for Faster Backpropagation
       Learning: The RPROP Algorithm", IEEE ICNN 1993.

    Examples
    --------
    The step sizes grow by ``etaplus`` while the gradient keeps its sign:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("rprop", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     x, state = opt.update(x, state, x)
    >>> x.round(6), state.step_size.round(6)
    (array([ 0.636, -1.636]), array([0.144, 0.144]))
    """
    lr = valid_lr(lr)
    etaminus, etaplus = _pair("etas", etas)
    ok = (np.asarray(etaminus) > 0.0) & (np.asarray(etaminus) < 1.0) & (np.asarray(etaplus) > 1.0)
    if not np.all(ok):
        bad_minus = np.broadcast_to(etaminus, ok.shape)[~ok].flat[0] if ok.ndim else etaminus
        bad_plus = np.broadcast_to(etaplus, ok.shape)[~ok].flat[0] if ok.ndim else etaplus
        check(False, f"Invalid eta values: {bad_minus}, {bad_plus}")
    low, high = _pair("step_sizes", step_sizes)
    hparams = frozen({"lr": lr, "etas": (etaminus, etaplus), "step_sizes": (low, high)})
    arrays = [h for h in (lr, etaminus, etaplus, low, high) if is_array(h)]

    def init(params: Array) -> RpropState:
        params = np.asarray(params)
        nd = params.ndim
        shape = full_shape(params, params, nd, *arrays)
        step_size = np.array(np.broadcast_to(align(lr, nd), shape), dtype=np.float64)
        return RpropState(0, np.zeros(shape), step_size)

    def update(
        grads: Array,
        state: RpropState,
        params: Array,
        lr_scale: Any = 1.0,  # torch's Rprop reads lr only once
        hess: Array | None = None,
    ) -> tuple[Array, RpropState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, *arrays)
        sign = np.sign(grads * state.prev)
        shrink = np.where(sign < 0, align(etaminus, nd), 1.0)
        factor = np.where(sign > 0, align(etaplus, nd), shrink)
        step_size = np.clip(state.step_size * factor, align(low, nd), align(high, nd))
        g = np.where(sign < 0, 0.0, grads)  # after a sign change: no move, no memory
        new = owned(params - np.sign(g) * step_size, shape)
        prev = owned(g, shape)
        return new, RpropState(state.t + 1, prev, owned(step_size, shape))

    return Optimizer("rprop", init, update, hparams)
