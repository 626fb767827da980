"""Cross-check against torch.optim (+ torch LR schedulers) in float64, trajectory by trajectory.

Skipped when torch is not installed (``pip install torch==2.13.0``, a local CPU wheel).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizers import make, make_schedule, run

torch = pytest.importorskip("torch")

STEPS = 30
STARTS = np.array([[-1.2, 1.0], [0.5, -0.8], [1.5, 1.7]])
TORCH_CLASS = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "NAdam",
    "radam": "RAdam",
    "adamax": "Adamax",
}

# Several settings per optimizer, every flag covered.
CASES = [
    ("sgd", {"lr": 2e-3}),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("sgd", {"lr": 1e-3, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("momentum", {"lr": 5e-4}),
    ("nesterov", {"lr": 5e-4}),
    ("adagrad", {"lr": 0.1}),
    (
        "adagrad",
        {"lr": 0.2, "lr_decay": 0.05, "initial_accumulator_value": 0.3, "weight_decay": 0.1},
    ),
    ("rmsprop", {"lr": 1e-2}),
    ("rmsprop", {"lr": 3e-3, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 3e-3, "momentum": 0.9, "eps": 1e-4}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 2e-2, "betas": (0.8, 0.9), "amsgrad": True, "weight_decay": 0.1}),
    ("adam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", {"lr": 1e-2}),
    ("adamw", {"lr": 2e-2, "betas": (0.5, 0.99), "weight_decay": 0.3, "amsgrad": True}),
    ("nadam", {"lr": 1e-2}),
    ("nadam", {"lr": 1e-2, "betas": (0.8, 0.95), "momentum_decay": 0.05, "weight_decay": 0.1}),
    ("nadam", {"lr": 1e-2, "weight_decay": 0.2, "decoupled_weight_decay": True}),
    # RAdam's first steps are un-normalized SGD (lr * |gradient|): small lr on Rosenbrock.
    ("radam", {"lr": 1e-4}),
    ("radam", {"lr": 1e-4, "betas": (0.9, 0.9), "weight_decay": 0.1}),
    (
        "radam",
        {"lr": 1e-4, "betas": (0.7, 0.6), "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    ("adamax", {"lr": 1e-2}),
    ("adamax", {"lr": 2e-2, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
]

SCHEDULES = [
    ("constant", {}),
    ("step", {"step_size": 7, "gamma": 0.5}),
    ("exponential", {"gamma": 0.95}),
    ("inverse_time", {"decay": 0.1}),
    ("cosine", {"T_max": STEPS, "eta_min": 0.1}),
]


def _quadratic(p, lib):
    x, y = p[..., 0], p[..., 1]
    return lib.stack([x + 0.5 * y, 0.5 * x + 10.0 * y], -1)


def _rosenbrock(p, lib):
    x, y = p[..., 0], p[..., 1]
    return lib.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)], -1)


def _wavy(p, lib):  # f = sin(x) cos(y) + (x^2 + y^2) / 10: saddles and several minima
    x, y = p[..., 0], p[..., 1]
    return lib.stack([lib.cos(x) * lib.cos(y) + 0.2 * x, -lib.sin(x) * lib.sin(y) + 0.2 * y], -1)


FUNCTIONS = {"quadratic": _quadratic, "rosenbrock": _rosenbrock, "wavy": _wavy}
# Every schedule on Rosenbrock; the other functions with a constant and a cosine schedule.
COMBOS = [(s, "rosenbrock") for s in SCHEDULES] + [
    (s, f) for s in (SCHEDULES[0], SCHEDULES[-1]) for f in ("quadratic", "wavy")
]


@pytest.fixture(autouse=True)
def _float64():
    """torch keeps step and NAdam's mu_product in the default dtype: use float64 like us."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def torch_scheduler(opt, name, kw, lr):
    sched = torch.optim.lr_scheduler
    if name == "constant":
        return None
    if name == "step":
        return sched.StepLR(opt, step_size=kw["step_size"], gamma=kw["gamma"])
    if name == "exponential":
        return sched.ExponentialLR(opt, gamma=kw["gamma"])
    if name == "inverse_time":
        decay = kw["decay"]
        return sched.LambdaLR(opt, lambda t: 1.0 / (1.0 + decay * t))
    if name == "cosine":  # our eta_min is a fraction of lr, torch's is absolute
        return sched.CosineAnnealingLR(opt, T_max=kw["T_max"], eta_min=kw["eta_min"] * lr)
    raise AssertionError(name)


def torch_trajectory(name, hp, fn, start, steps, schedule=("constant", {})):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    cls = getattr(torch.optim, TORCH_CLASS[name])
    opt = cls([p], **hp)
    lr = opt.param_groups[0]["lr"]
    sched = torch_scheduler(opt, *schedule, lr)
    out = [p.detach().clone().numpy()]
    for _ in range(steps):
        p.grad = fn(p.detach(), torch)
        opt.step()
        if sched is not None:
            sched.step()
        out.append(p.detach().clone().numpy())
    return np.array(out)


def _torch_hparams(name, hp):
    """torch's keyword arguments for one of our settings: all our validated hparams."""
    return dict(make(name, **hp).hparams)


@pytest.mark.parametrize(("schedule", "function"), COMBOS, ids=[f"{s[0]}-{f}" for s, f in COMBOS])
@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(case, schedule, function):
    name, hp = case
    fn = FUNCTIONS[function]
    expected = torch_trajectory(name, _torch_hparams(name, hp), fn, STARTS, STEPS, schedule)
    traj = run(
        make(name, **hp),
        lambda p: fn(p, np),
        STARTS,
        STEPS,
        schedule=make_schedule(schedule[0], **schedule[1]),
    )
    assert np.all(traj.diverged_at == -1)
    assert_allclose(traj.points, expected, rtol=1e-10, atol=1e-12)


def test_every_optimizer_is_cross_checked():
    assert {name for name, _ in CASES} == set(TORCH_CLASS)


def test_defaults_match_torch():
    """Our defaults are torch's constructor defaults, name for name."""
    import inspect

    from optimizers import OPTIMIZERS, defaults

    for name in OPTIMIZERS:
        if name in ("momentum", "nesterov"):
            continue
        sig = inspect.signature(getattr(torch.optim, TORCH_CLASS[name]).__init__).parameters
        for key, value in defaults(name).items():
            assert key in sig, (name, key)
            assert sig[key].default == value, (name, key)


def test_a_lr_sweep_matches_torch_run_by_run():
    lrs = np.array([1e-3, 1e-2, 5e-2])
    traj = run(
        make("adam", lr=lrs, betas=(0.9, np.array([0.9, 0.99, 0.999]))),
        lambda p: _rosenbrock(p, np),
        [-1.2, 1.0],
        STEPS,
        schedule=make_schedule("exponential", gamma=0.97),
    )
    for i, (lr, b2) in enumerate(zip(lrs, (0.9, 0.99, 0.999), strict=True)):
        expected = torch_trajectory(
            "adam",
            {"lr": lr, "betas": (0.9, b2)},
            _rosenbrock,
            np.array([[-1.2, 1.0]]),
            STEPS,
            ("exponential", {"gamma": 0.97}),
        )
        assert_allclose(traj.points[:, i], expected[:, 0], rtol=1e-10, atol=1e-12)


def test_a_schedule_decay_sweep_matches_torch():
    gammas = np.array([0.5, 0.9, 0.99])
    traj = run(
        make("nesterov", lr=1e-3),
        lambda p: _rosenbrock(p, np),
        [-1.2, 1.0],
        STEPS,
        schedule=make_schedule("exponential", gamma=gammas),
    )
    assert traj.points.shape == (STEPS + 1, 3, 2)
    for i, gamma in enumerate(gammas):
        expected = torch_trajectory(
            "nesterov",
            {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
            _rosenbrock,
            np.array([[-1.2, 1.0]]),
            STEPS,
            ("exponential", {"gamma": float(gamma)}),
        )
        assert_allclose(traj.points[:, i], expected[:, 0], rtol=1e-10, atol=1e-12)


def test_cosine_schedule_matches_torch_lr_up_to_t_max():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=17, eta_min=0.3 * 0.2)
    ours = make_schedule("cosine", T_max=17, eta_min=0.2)
    for t in range(18):
        assert opt.param_groups[0]["lr"] == pytest.approx(0.3 * ours(t), rel=1e-12, abs=1e-15)
        opt.step()
        sched.step()
    # Beyond T_max torch climbs back up the cosine; we hold at eta_min (documented).
    for _ in range(10):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] > 0.3 * 0.2 + 0.01
    assert ours(27) == pytest.approx(0.2)


def test_step_and_exponential_schedules_match_torch_lrs():
    for name, kw, cls, tkw in [
        ("step", {"step_size": 3, "gamma": 0.3}, "StepLR", {"step_size": 3, "gamma": 0.3}),
        ("exponential", {"gamma": 0.9}, "ExponentialLR", {"gamma": 0.9}),
    ]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        sched = getattr(torch.optim.lr_scheduler, cls)(opt, **tkw)
        ours = make_schedule(name, **kw)
        for t in range(20):
            assert opt.param_groups[0]["lr"] == pytest.approx(0.5 * ours(t), rel=1e-13)
            opt.step()
            sched.step()
    assert math.isfinite(make_schedule("exponential", gamma=0.9)(10))
