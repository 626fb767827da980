r"""Schedule-Free SGD and AdamW (``schedulefree.SGDScheduleFree``, ``AdamWScheduleFree``).

Schedule-Free keeps three sequences: :math:`z` (the base SGD/Adam iterate), :math:`x` (a
weighted running average of the :math:`z`, the point to *evaluate*) and
:math:`y = (1 - \beta) z + \beta x` (between them, where the gradient is taken). The
parameters the optimizer moves are :math:`y` (the reference's train mode); the state holds
:math:`z` and :math:`x` (what the reference's ``eval()`` would set the parameters to).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._adam import _betas
from optimizers._core import (
    Array,
    Optimizer,
    align,
    as_hyper,
    checked,
    frozen,
    full_shape,
    is_array,
    lerp,
    nonnegative,
    nonzero,
    owned,
    scaled_lr,
    valid_eps,
    valid_lr,
)


class ScheduleFreeState(NamedTuple):
    """State of the Schedule-Free optimizers.

    ``z`` and ``x`` are the base and averaged sequences (``x`` is what the reference's
    ``eval()`` gives; the parameters themselves are ``y``). ``weight_sum`` and ``lr_max``
    are the reference's group values (one per run: floats, or arrays shaped like the
    batch hyperparameters). ``exp_avg_sq`` is AdamW's second moment (zeros for SGD).
    """

    t: int
    z: Array
    x: Array
    weight_sum: Any
    lr_max: Any
    exp_avg_sq: Array


def _init(params: Array) -> ScheduleFreeState:
    p = np.array(params, dtype=np.float64)
    return ScheduleFreeState(0, p, p.copy(), 0.0, -1.0, np.zeros_like(p))


def _averaging(
    k: int, lr_t: Any, warmup_steps: Any, r: Any, power: Any, state: ScheduleFreeState
) -> tuple[Any, Any, Any, Any]:
    """The reference's warmup, ``lr_max``, weight and ``ckp1 = weight / weight_sum``."""
    if is_array(warmup_steps):
        with np.errstate(divide="ignore", invalid="ignore"):
            sched = np.where(k < warmup_steps, (k + 1) / warmup_steps, 1.0)
    else:
        sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
    lr = lr_t * sched
    lr_max = np.maximum(lr, state.lr_max)
    weight = ((k + 1) ** r) * (lr_max**power)
    weight_sum = state.weight_sum + weight
    if np.ndim(weight_sum) == 0:
        lr_max, weight_sum = float(lr_max), float(weight_sum)
        ckp1 = weight / weight_sum if weight_sum != 0 else 0.0  # the reference's except
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ckp1 = np.where(weight_sum == 0, 0.0, weight / weight_sum)
    return lr, lr_max, weight_sum, ckp1


def _step(
    y: Array, z: Array, g: Array, lr: Any, beta: Any, ckp1: Any
) -> tuple[Array, Array, Array]:
    """``y <- lerp(y, z, ckp1) + lr (beta (1 - ckp1) - 1) g``, ``z <- z - lr g``; and ``x``,
    as the reference's ``eval()`` computes it: ``lerp(y, z, 1 - 1/beta)``."""
    new_y = lerp(y, z, ckp1) + g * (lr * (beta * (1 - ckp1) - 1))
    new_z = z - g * lr
    with np.errstate(divide="ignore", invalid="ignore"):
        # np.divide: at beta = 0 (AdamW's betas[0] may be 0) x is undefined, inf/NaN, where
        # Python's 1 / 0.0 would raise and stop the race itself, which never reads x.
        x = lerp(new_y, new_z, 1 - np.divide(1.0, beta))
    return new_y, new_z, x


def sgd_schedule_free(
    *,
    lr: Any = 1.0,
    momentum: Any = 0.9,
    weight_decay: Any = 0.0,
    warmup_steps: Any = 0,
    r: Any = 0.0,
    weight_lr_power: Any = 2.0,
) -> Optimizer:
    r"""Schedule-Free SGD (``schedulefree.SGDScheduleFree``): no learning-rate schedule needed.

    Parameters
    ----------
    lr : float or array, default 1.0
        Learning rate :math:`\gamma`.
    momentum : float or array, default 0.9
        Interpolation :math:`\beta` between :math:`z` and :math:`x`, in ``(0, 1)``.
    weight_decay : float or array, default 0
        L2 penalty :math:`\lambda`, added to the gradient.
    warmup_steps : int or array, default 0
        Linear warmup of the learning rate over this many steps.
    r : float or array, default 0
        Polynomial weighting :math:`(t)^r` of the average.
    weight_lr_power : float or array, default 2
        The average's weights are :math:`\gamma_{max}^{p}` (the largest lr so far, to this
        power).

    Returns
    -------
    Optimizer
        ``init(params) -> ScheduleFreeState``; ``update(grads, state, params, lr_scale,
        hess)``. The parameters are :math:`y`; ``state.x`` and ``state.z`` the other two.

    Notes
    -----
    The reference's step, :math:`y` being the parameters:

    .. math::
        \begin{aligned}
        & \gamma_t \leftarrow \gamma \min(1, t / T_{warmup}), \;
              \gamma_{max} \leftarrow \max(\gamma_{max}, \gamma_t) \\
        & w_t \leftarrow t^r \gamma_{max}^p, \;
              c_t \leftarrow w_t / \textstyle\sum_{i \le t} w_i \\
        & g_t \leftarrow \nabla f(y_{t-1}) + \lambda y_{t-1} \\
        & y_t \leftarrow (1 - c_t) y_{t-1} + c_t z_{t-1}
              + \gamma_t (\beta (1 - c_t) - 1) g_t \\
        & z_t \leftarrow z_{t-1} - \gamma_t g_t \\
        & x_t \leftarrow (y_t - (1 - \beta) z_t) / \beta
        \end{aligned}

    which is the paper's :math:`z_t = z_{t-1} - \gamma_t g_t`,
    :math:`x_t = (1 - c_t) x_{t-1} + c_t z_t`, :math:`y_t = (1 - \beta) z_t + \beta x_t`
    written without :math:`x`. With no warmup, :math:`c_t = 1/t`: :math:`x` is the plain
    average of the :math:`z` (Polyak-Ruppert averaging), and the interpolation
    :math:`\beta` acts as momentum. The gradient is taken at :math:`y`; the point to use at
    the end (evaluation) is :math:`x`.

    **Relation to the CS231n notes.** The notes anneal the learning rate (step, exponential,
    1/t decay); Schedule-Free keeps ``lr`` constant and averages the iterates instead, and
    the notes' advice to evaluate an average of the parameters ("model ensembles: running
    average of parameters") becomes the method itself.

    References
    ----------
    .. [1] A. Defazio, X. A. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, "The Road
       Less Scheduled", NeurIPS 2024.

    Examples
    --------
    The first step is a plain SGD step (:math:`c_1 = 1`, so :math:`y_1 = z_1`):

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("sgd_schedule_free", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> y, state = opt.update(np.array([1.0, -2.0]), opt.init(x), x)
    >>> y, state.z, state.x
    (array([ 0.9, -1.8]), array([ 0.9, -1.8]), array([ 0.9, -1.8]))
    """
    lr, weight_decay = valid_lr(lr), nonnegative("weight_decay", weight_decay)
    momentum = checked(
        "momentum",
        momentum,
        lambda x: (x > 0) & (x < 1),
        "Momentum must be between 0 and 1 exclusive: {}",
    )
    warmup_steps = as_hyper("warmup_steps", warmup_steps)
    r = as_hyper("r", r)
    power = as_hyper("weight_lr_power", weight_lr_power)
    hparams = frozen(
        {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": power,
        }
    )
    use_wd = nonzero(weight_decay)
    arrays = [h for h in (lr, momentum, weight_decay, warmup_steps, r, power) if is_array(h)]

    def update(
        grads: Array,
        state: ScheduleFreeState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, ScheduleFreeState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        k = state.t
        lr_k, lr_max, weight_sum, ckp1 = _averaging(
            k,
            scaled_lr(lr, lr_scale, nd),
            align(warmup_steps, nd),
            align(r, nd),
            align(power, nd),
            state,
        )
        g = grads + align(weight_decay, nd) * params if use_wd else grads
        y, z, x = _step(params, state.z, g, lr_k, align(momentum, nd), ckp1)
        new_state = ScheduleFreeState(
            k + 1, owned(z, shape), owned(x, shape), weight_sum, lr_max, state.exp_avg_sq
        )
        return owned(y, shape), new_state

    return Optimizer("sgd_schedule_free", _init, update, hparams)


def adamw_schedule_free(
    *,
    lr: Any = 0.0025,
    betas: tuple[Any, Any] = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    warmup_steps: Any = 0,
    r: Any = 0.0,
    weight_lr_power: Any = 2.0,
) -> Optimizer:
    r"""Schedule-Free AdamW (``schedulefree.AdamWScheduleFree``).

    Parameters
    ----------
    lr : float or array, default 0.0025
        Learning rate :math:`\gamma`.
    betas : (float or array, float or array), default (0.9, 0.999)
        :math:`\beta_1` (the interpolation between :math:`z` and :math:`x`, as
        `sgd_schedule_free`'s ``momentum``) and :math:`\beta_2` (second moment).
    eps : float or array, default 1e-8
        Added to the square root, :math:`\epsilon`.
    weight_decay : float or array, default 0
        Weight decay :math:`\lambda`, added to the *normalized* gradient.
    warmup_steps, r, weight_lr_power
        As in `sgd_schedule_free`.

    Returns
    -------
    Optimizer
        ``init(params) -> ScheduleFreeState``; ``update(grads, state, params, lr_scale,
        hess)``. The parameters are :math:`y`; ``state.x`` and ``state.z`` the other two.

    Notes
    -----
    As `sgd_schedule_free`, with the gradient normalized Adam's way (no first moment: the
    averaging is the momentum):

    .. math::
        \begin{aligned}
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \hat g_t \leftarrow g_t / (\sqrt{v_t / (1 - \beta_2^t)} + \epsilon)
              + \lambda y_{t-1} \\
        & y_t \leftarrow (1 - c_t) y_{t-1} + c_t z_{t-1}
              + \gamma_t (\beta_1 (1 - c_t) - 1) \hat g_t \\
        & z_t \leftarrow z_{t-1} - \gamma_t \hat g_t, \;
              x_t \leftarrow (y_t - (1 - \beta_1) z_t) / \beta_1
        \end{aligned}

    The reference validates nothing; we reject a negative ``lr``, ``eps`` or
    ``weight_decay`` and betas outside ``[0, 1)`` with torch's Adam messages. With
    :math:`\beta_1 = 0`, :math:`x` is undefined (the reference's ``eval()`` divides by 0).

    **Relation to the CS231n notes.** The notes' Adam without its first moment, the
    notes' learning-rate annealing replaced by averaging the iterates.

    References
    ----------
    .. [1] A. Defazio, X. A. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, "The Road
       Less Scheduled", NeurIPS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adamw_schedule_free", lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> y, state = opt.update(np.array([1.0, -2.0]), opt.init(x), x)
    >>> y.round(6)
    array([ 0.9, -1.9])
    """
    lr, weight_decay = valid_lr(lr), nonnegative("weight_decay", weight_decay)
    eps = valid_eps(eps)
    b1, b2 = _betas(betas)
    warmup_steps = as_hyper("warmup_steps", warmup_steps)
    r = as_hyper("r", r)
    power = as_hyper("weight_lr_power", weight_lr_power)
    hparams = frozen(
        {
            "lr": lr,
            "betas": (b1, b2),
            "eps": eps,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": power,
        }
    )
    use_wd = nonzero(weight_decay)
    arrays = [h for h in (lr, b1, b2, eps, weight_decay, warmup_steps, r, power) if is_array(h)]

    def update(
        grads: Array,
        state: ScheduleFreeState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, ScheduleFreeState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        k = state.t
        beta2 = align(b2, nd)
        bias_correction2 = 1 - beta2 ** (k + 1)
        lr_k, lr_max, weight_sum, ckp1 = _averaging(
            k,
            scaled_lr(lr, lr_scale, nd),
            align(warmup_steps, nd),
            align(r, nd),
            align(power, nd),
            state,
        )
        v = state.exp_avg_sq * beta2 + (1 - beta2) * grads * grads
        g = grads / (np.sqrt(v / bias_correction2) + align(eps, nd))
        if use_wd:
            g = g + align(weight_decay, nd) * params
        y, z, x = _step(params, state.z, g, lr_k, align(b1, nd), ckp1)
        new_state = ScheduleFreeState(
            k + 1, owned(z, shape), owned(x, shape), weight_sum, lr_max, owned(v, shape)
        )
        return owned(y, shape), new_state

    return Optimizer("adamw_schedule_free", _init, update, hparams)
