r"""Adafactor (``torch.optim.Adafactor``) on each point seen as a vector (not factored)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers._core import (
    Array,
    Optimizer,
    align,
    checked,
    expand,
    frozen,
    full_shape,
    is_array,
    lerp,
    owned,
    scaled_lr,
    vector_norm,
    zeros,
)

FLOAT64_EPS = float(np.finfo(np.float64).eps)


class AdafactorState(NamedTuple):
    """State of `adafactor`: torch's ``variance`` :math:`v` (a vector is not factored)."""

    t: int
    variance: Array


def adafactor(
    *,
    lr: Any = 1e-2,
    beta2_decay: Any = -0.8,
    eps: tuple[Any, Any] = (None, 1e-3),
    d: Any = 1.0,
    weight_decay: Any = 0.0,
) -> Optimizer:
    r"""Adafactor: steps relative to the size of the parameters (``torch.optim.Adafactor``).

    Each point (the last axis of the parameters) is one vector parameter of :math:`n`
    coordinates. Torch factors the second moment of a *matrix* into row and column
    statistics; a vector is not factored, so this is torch's vector branch.

    Parameters
    ----------
    lr : float or array, default 1e-2
        Upper bound :math:`\gamma` of the relative step size :math:`\rho_t`.
    beta2_decay : float or array, default -0.8
        :math:`c` in :math:`1 - \beta_{2,t} = t^{c}` (<= 0).
    eps : (float or None, float), default (None, 1e-3)
        :math:`\epsilon_1` (floor of the second moment, squared; None: float64's machine
        epsilon) and :math:`\epsilon_2` (floor of the parameters' RMS).
    d : float or array, default 1.0
        Clipping threshold :math:`d` of the update's RMS (>= 1).
    weight_decay : float or array, default 0
        Decoupled weight decay :math:`\lambda`.

    Returns
    -------
    Optimizer
        ``init(params) -> AdafactorState``; ``update(grads, state, params, lr_scale, hess)``.

    Notes
    -----
    Torch's algorithm for a vector :math:`\theta \in \mathbb{R}^n`:

    .. math::
        \begin{aligned}
        & g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        & \widehat{\beta}_{2,t} \leftarrow 1 - t^{c}, \;
              \rho_t \leftarrow \min(\gamma, 1 / \sqrt t) \\
        & \alpha_t \leftarrow \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1})) \, \rho_t \\
        & \theta_t \leftarrow \theta_{t-1} (1 - \gamma\lambda) \\
        & v_t \leftarrow \widehat{\beta}_{2,t} v_{t-1} + (1 - \widehat{\beta}_{2,t}) g_t^2 \\
        & U_t \leftarrow g_t / \sqrt{\max(v_t, \epsilon_1^2)} \\
        & \theta_t \leftarrow \theta_t - \alpha_t \, U_t / \max(1, \mathrm{RMS}(U_t) / d)
        \end{aligned}

    with :math:`\mathrm{RMS}(x) = \|x\| / \sqrt n`. No first moment (no momentum); the first
    step has :math:`v_1 = g_1^2`, so :math:`U_1 = \mathrm{sign}(g_1)`. The step is
    *relative*: it scales with the RMS of the point, so a point near the origin moves
    slowly (at least :math:`\epsilon_2 \rho_t`) and a point far away fast.

    **Relation to the CS231n notes.** The notes' RMSprop without ``eps`` inside, with a
    decay rate that grows towards 1 (:math:`1 - t^{-0.8}`) and a step measured relative to
    the parameters' size instead of an absolute ``lr``.

    References
    ----------
    .. [1] N. Shazeer, M. Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory
       Cost", ICML 2018.

    Examples
    --------
    The first step moves each coordinate by ``lr`` times the point's RMS:

    >>> import numpy as np
    >>> from optimizers import make
    >>> opt = make("adafactor", lr=0.1)
    >>> x = np.array([3.0, -4.0])
    >>> x, state = opt.update(np.array([1.0, -2.0]), opt.init(x), x)
    >>> x.round(6)
    array([ 2.646447, -3.646447])
    """
    lr = checked("lr", lr, lambda x: x >= 0.0, "Learning rate should be >= 0 but is: {}")
    beta2_decay = checked(
        "beta2_decay", beta2_decay, lambda x: x <= 0.0, "beta2_decay should be <= 0 but is: {}"
    )
    if not isinstance(eps, tuple | list) or len(eps) != 2:
        raise TypeError(f"eps must be a pair (eps1, eps2), got {eps!r}")
    eps1 = None
    if eps[0] is not None:
        eps1 = checked("eps[0]", eps[0], lambda x: x >= 0.0, "epsilon1 should be >= 0 but is: {}")
    eps2 = checked("eps[1]", eps[1], lambda x: x >= 0.0, "epsilon2 should be >= 0 but is: {}")
    d = checked("d", d, lambda x: x >= 1.0, "Clipping threshold d should be >= 1 but is: {}")
    weight_decay = checked(
        "weight_decay", weight_decay, lambda x: x >= 0.0, "weight_decay should be >= 0 but is: {}"
    )
    hparams = frozen(
        {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": (eps1, eps2),
            "d": d,
            "weight_decay": weight_decay,
        }
    )
    floor = FLOAT64_EPS if eps1 is None else eps1
    arrays = [h for h in (lr, beta2_decay, eps1, eps2, d, weight_decay) if is_array(h)]

    def init(params: Array) -> AdafactorState:
        return AdafactorState(0, zeros(params))

    def update(
        grads: Array,
        state: AdafactorState,
        params: Array,
        lr_scale: Any = 1.0,
        hess: Array | None = None,
    ) -> tuple[Array, AdafactorState]:
        params, grads = np.asarray(params), np.asarray(grads)
        nd = params.ndim
        shape = full_shape(params, grads, nd, lr_scale, *arrays)
        t = state.t + 1
        n = params.shape[-1] if nd else 1
        lr_t = scaled_lr(lr, lr_scale, nd)
        rho = np.minimum(lr_t, 1 / t**0.5)
        rms = vector_norm(params, nd) / n**0.5  # per vector, before the decay
        alpha = np.maximum(align(eps2, nd), expand(rms, nd)) * rho
        p = params * (1.0 - lr_t * align(weight_decay, nd))
        v = lerp(state.variance, grads * grads, t ** align(beta2_decay, nd))
        f = align(floor, nd)
        u = grads / np.sqrt(np.maximum(v, f * f))
        clip = expand(vector_norm(u, nd), nd) / (n**0.5 * align(d, nd))
        new = p - (alpha / np.maximum(1.0, clip)) * u
        return owned(new, shape), AdafactorState(t, owned(v, shape))

    return Optimizer("adafactor", init, update, hparams)
