"""Specification of `optimizers`, driven by the one optimizer table (tests/optimizer_table.py):
first steps derived by hand from torch's algorithm boxes, convergence on bowl, ravine and
Rosenbrock, defaults and validation, registry, shapes, purity and batches of runs (array
hyperparameters)."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import optimizers
from optimizers import (
    NEEDS_HESSIAN,
    OPTIMIZERS,
    PER_POINT,
    SECOND_ORDER,
    Optimizer,
    defaults,
    make,
    run,
)
from surfaces import SURFACES
from tests.hand_derivations import (
    CURV,
    START,
    first_steps,
)
from tests.optimizer_table import TABLE, make_kwargs

NAMES = list(OPTIMIZERS)
REGISTERED = [*OPTIMIZERS, *SECOND_ORDER]

# ------------------------------------------------------------------------------ the table


def test_every_registered_optimizer_has_a_complete_row():
    """Adding an optimizer is one row of the table; a registered optimizer without one (or
    with an empty column) fails here."""
    assert list(TABLE) == REGISTERED
    for name, row in TABLE.items():
        assert row.first_steps, f"{name}: no hand-derived first steps"
        assert set(row.converges) >= {"bowl", "ravine", "rosenbrock"}, name
        assert row.sweepable and "lr" in row.sweepable, name
        assert row.invalid, f"{name}: no validation messages"
        assert row.busy, name
        if name in OPTIMIZERS:
            assert row.reference is not None, f"{name}: no reference (torch.optim) class"


HANDS = [(name, hand) for name, row in TABLE.items() for hand in row.first_steps]


@pytest.mark.parametrize(
    ("name", "hand"), HANDS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(HANDS)]
)
def test_first_steps_match_the_hand_derivation(name, hand):
    got = first_steps(make(name, **hand.hparams), n=hand.n)
    assert got.shape == (hand.n, 2)
    assert_allclose(got, hand.expected(), rtol=hand.rtol, atol=hand.atol)


CONVERGENCE = [
    (name, surface, converge)
    for name, row in TABLE.items()
    for surface, converge in row.converges.items()
]


@pytest.mark.parametrize(
    ("name", "surface", "converge"), CONVERGENCE, ids=[f"{n}-{s}" for n, s, _ in CONVERGENCE]
)
def test_reaches_the_minimum_within_its_steps(name, surface, converge):
    s = SURFACES[surface]
    traj = run(
        make(name, **make_kwargs(name, converge.hparams, surface)),
        s.grad,
        s.start,
        converge.steps,
        hess_fn=s.hessian if name in NEEDS_HESSIAN else None,
    )
    assert traj.diverged_at == -1
    distance = np.linalg.norm(s.minima - traj.final, axis=-1).min()
    assert distance < converge.tol, (name, surface, distance)
    assert np.linalg.norm(s.minima - np.asarray(s.start), axis=-1).min() > 10 * converge.tol


@pytest.mark.parametrize("name", REGISTERED)
def test_defaults_are_the_tables(name):
    expected = dict(TABLE[name].defaults)
    assert defaults(name) == expected, name
    assert list(defaults(name)) == list(expected), name  # torch's order
    opt = make(name)
    assert opt.name == name
    assert dict(opt.hparams) == expected, name


# ------------------------------------------------------------------------ registry and make


def test_registry_names():
    assert list(OPTIMIZERS) == [
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
        "adamw",
        "nadam",
        "radam",
        "adamax",
        "rprop",
        "lion",
        "muon",
        "adafactor",
        "sgd_schedule_free",
        "adamw_schedule_free",
        "prodigy",
        "ademamix",
        "adopt",
    ]


def test_registry_and_hparams_are_read_only():
    assert isinstance(OPTIMIZERS, MappingProxyType)
    with pytest.raises(TypeError):
        OPTIMIZERS["mine"] = OPTIMIZERS["sgd"]  # type: ignore[index]
    opt = make("sgd", lr=np.array([0.1, 0.2]))
    with pytest.raises(TypeError):
        opt.hparams["lr"] = 1.0  # type: ignore[index]
    with pytest.raises(ValueError):
        opt.hparams["lr"][0] = 5.0  # read-only array
    d = defaults("adam")
    d["lr"] = 123.0
    assert defaults("adam")["lr"] == 1e-3


def test_make_copies_array_hyperparameters():
    lr = np.array([0.1, 0.2])
    opt = make("sgd", lr=lr)
    lr[0] = 99.0
    assert opt.hparams["lr"][0] == 0.1


def test_aliases_accept_and_override_sgd_hyperparameters():
    opt = make("momentum", lr=0.1, momentum=0.5, nesterov=True)
    assert (opt.hparams["momentum"], opt.hparams["nesterov"]) == (0.5, True)
    assert make("nesterov", nesterov=False).hparams["nesterov"] is False
    assert_array_equal(
        first_steps(make("nesterov", lr=0.1, momentum=0.5)),
        first_steps(make("sgd", lr=0.1, momentum=0.5, nesterov=True)),
    )


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(KeyError) as err:
        make("adamm")
    assert isinstance(err.value, ValueError)
    message = str(err.value)
    assert "'adamm'" in message and all(name in message for name in NAMES)
    with pytest.raises(ValueError, match="sgd"):
        defaults("nope")


def test_unknown_hyperparameter_lists_valid_ones():
    with pytest.raises(TypeError) as err:
        make("adam", lr=0.1, beta1=0.9)
    message = str(err.value)
    assert "'beta1'" in message
    for key in defaults("adam"):
        assert key in message
    with pytest.raises(TypeError, match="maximize"):
        make("sgd", maximize=True)  # torch flags we do not support


# ------------------------------------------------------------------------------ validation

VALIDATION = [
    (name, hp, error, message)
    for name, row in TABLE.items()
    for hp, error, message in row.invalid
]


@pytest.mark.parametrize(("name", "hp", "error", "message"), VALIDATION)
def test_validation_messages_are_torchs(name, hp, error, message):
    with pytest.raises(error) as err:
        make(name, **hp)
    assert str(err.value) == message


def test_validation_is_elementwise_for_arrays():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.2$"):
        make("sgd", lr=np.array([0.1, -0.2, -0.3]))
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        make("adam", betas=(0.9, np.array([[0.9], [1.0]])))
    with pytest.raises(ValueError, match="Nesterov"):
        make("sgd", nesterov=True, momentum=np.array([0.9, 0.0]))
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        make("adam", lr=float("nan"))


def test_boundary_values_are_accepted_like_torch():
    make("sgd", lr=0.0, momentum=0.0, dampening=-1.0)  # torch does not check dampening
    make("adam", betas=(0.0, 0.0), eps=0.0)
    make("adadelta", rho=1.0)
    make("rmsprop", alpha=0.0)


@pytest.mark.parametrize(
    ("hp", "error"),
    [
        ({"lr": "fast"}, TypeError),
        ({"lr": True}, TypeError),
        ({"nesterov": 1, "momentum": 0.9}, TypeError),
        ({"momentum": None}, TypeError),
        ({"lr": "0.1"}, TypeError),
        ({"lr": [0.1, [0.2]]}, TypeError),
    ],
)
def test_wrong_types(hp, error):
    with pytest.raises(error):
        make("sgd", **hp)


def test_betas_must_be_a_pair():
    with pytest.raises(TypeError, match="betas"):
        make("adam", betas=0.9)
    with pytest.raises(TypeError, match="betas"):
        make("adam", betas=(0.9, 0.99, 0.999))


# ---------------------------------------------------------------------- contract: purity, shapes


@pytest.mark.parametrize("name", NAMES)
def test_init_state_is_a_namedtuple_with_step_count(name):
    opt = make(name)
    x = np.array(START)
    state = opt.init(x)
    assert state.t == 0 and hasattr(state, "_fields") and state._fields[0] == "t"
    for _ in range(3):
        x, state = opt.update(x, state, x)
    assert state.t == 3


BUSY = [(name, hp) for name, row in TABLE.items() for hp in row.busy]


@pytest.mark.parametrize(("name", "hp"), BUSY, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BUSY)])
def test_update_never_mutates_its_inputs(name, hp):
    rosenbrock = SURFACES["rosenbrock"]
    opt = make(name, **make_kwargs(name, hp, "rosenbrock"))
    x = np.array([[-1.2, 1.0], [0.5, 1.5]])
    state = opt.init(x)
    for _ in range(4):  # read-only inputs: any in-place write would raise
        grads, hess = rosenbrock.grad(x), rosenbrock.hessian(x)
        frozen = [x, grads, hess, *(a for a in state if isinstance(a, np.ndarray))]
        copies = [a.copy() for a in frozen]
        for a in frozen:
            a.flags.writeable = False
        new_x, new_state = opt.update(grads, state, x, hess=hess)
        for a, c in zip(frozen, copies, strict=True):
            assert_array_equal(a, c)
        assert new_x is not x
        assert not any(np.shares_memory(new_x, a) for a in frozen)
        # The new state must not alias the caller's gradient (they may reuse the buffer).
        assert not any(np.shares_memory(grads, a) for a in new_state if isinstance(a, np.ndarray))
        assert new_state.t == state.t + 1
        x, state = new_x, new_state


@pytest.mark.parametrize("name", NAMES)
def test_any_parameter_shape(name):
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=(3, 4, 5))
    curv = rng.uniform(0.5, 2.0, size=(3, 4, 5))
    opt = make(name, lr=0.05)

    def steps(x, c):
        state = opt.init(x)
        for _ in range(4):
            x, state = opt.update(c * x, state, x)
        return x

    shaped = steps(x0, curv)
    assert shaped.shape == (3, 4, 5)
    if name in PER_POINT:  # the last axis is one parameter vector: 12 independent runs
        rows = [steps(x0[i, j], curv[i, j]) for i in range(3) for j in range(4)]
        assert_allclose(shaped.reshape(12, 5), rows, rtol=1e-15)
        assert steps(np.float64(x0[0, 0, 0]), np.float64(curv[0, 0, 0])).shape == ()
        return
    assert_array_equal(shaped.reshape(-1), steps(x0.reshape(-1), curv.reshape(-1)))
    singles = [steps(x0.reshape(-1)[i : i + 1], curv.reshape(-1)[i : i + 1]) for i in range(60)]
    assert_allclose(shaped.reshape(-1), np.concatenate(singles), rtol=1e-15)
    scalar = steps(np.float64(x0[0, 0, 0]), np.float64(curv[0, 0, 0]))  # 0-d works too
    assert_allclose(scalar, shaped[0, 0, 0], rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_hess_is_accepted_and_ignored(name):
    opt = make(name)
    x = np.array(START)
    a, _ = opt.update(x, opt.init(x), x)
    b, _ = opt.update(x, opt.init(x), x, hess=np.eye(2) * 7.0)
    assert_array_equal(a, b)


# ------------------------------------------------------------------ batches of runs (arrays)

def _hparams(values: dict) -> dict:
    """Turn beta1/beta2 entries into torch's betas tuple."""
    hp = {k: v for k, v in values.items() if k not in ("beta1", "beta2")}
    if "beta1" in values:
        hp["betas"] = (values.get("beta1", 0.9), values.get("beta2", 0.999))
    return hp


def _run(opt: Optimizer, x: np.ndarray, n: int = 6) -> np.ndarray:
    """n steps on f = sum(CURV x^2 / 2 - cos x), with its Hessian and a decaying lr."""
    state = opt.init(x)
    for t in range(n):
        hess = np.zeros(x.shape + (2,))
        hess[..., 0, 0], hess[..., 1, 1] = CURV[0] + np.cos(x[..., 0]), CURV[1] + np.cos(x[..., 1])
        x, state = opt.update(np.array(CURV) * x + np.sin(x), state, x, lr_scale=0.9**t,
                              hess=hess)
    return x


@st.composite
def batch_case(draw):
    name = draw(st.sampled_from(REGISTERED))
    sweepable = TABLE[name].sweepable
    keys = draw(st.lists(st.sampled_from(sorted(sweepable)), min_size=1, unique=True))
    runs = 3
    columns = {k: [draw(sweepable[k]) for _ in range(runs)] for k in keys}
    return name, columns, runs


@settings(max_examples=40, deadline=None)
@given(batch_case())
def test_a_batch_of_runs_equals_the_individual_runs(case):
    name, columns, runs = case
    start = np.array([[1.0, -2.0], [0.3, 0.7], [-1.5, 0.2]])
    flags = TABLE[name].flags
    batch_opt = make(name, **flags, **_hparams({k: np.array(v) for k, v in columns.items()}))
    batched = _run(batch_opt, start)
    for i in range(runs):
        single = make(name, **flags, **_hparams({k: v[i] for k, v in columns.items()}))
        assert_allclose(batched[i], _run(single, start[i]), rtol=1e-12, atol=1e-300)


def test_array_hyperparameters_align_with_leading_axes():
    """lr (4, 1) and momentum (1, 5) on params (4, 5, 2): a 4 x 5 grid of settings."""
    lrs = np.array([0.01, 0.05, 0.1, 0.2])
    moms = np.array([0.0, 0.3, 0.6, 0.9, 0.95])
    opt = make("sgd", lr=lrs[:, None], momentum=moms[None, :])
    grid = _run(opt, np.broadcast_to(np.array(START), (4, 5, 2)).copy())
    for i, lr in enumerate(lrs):
        for j, mu in enumerate(moms):
            single = _run(make("sgd", lr=lr, momentum=mu), np.array(START))
            assert_allclose(grid[i, j], single, rtol=1e-13)


def test_row_hyperparameters_for_flat_parameter_vectors():
    """params (64, P) with lr of shape (64,): row r uses lr[r] (not trailing broadcasting)."""
    rng = np.random.default_rng(0)
    P = 7
    x0 = rng.normal(size=(64, P))
    lr = np.geomspace(1e-3, 1e-1, 64)
    opt = make("adam", lr=lr)
    x, state = x0, opt.init(x0)
    for _ in range(3):
        x, state = opt.update(2 * x, state, x)
    for r in (0, 31, 63):
        single = make("adam", lr=lr[r])
        y, s = x0[r], single.init(x0[r])
        for _ in range(3):
            y, s = single.update(2 * y, s, y)
        assert_allclose(x[r], y, rtol=1e-13)


def test_beta2_sweep_with_array_element_in_betas():
    b2 = np.array([0.5, 0.9, 0.999])
    for name in ("adam", "nadam", "radam", "adamax"):
        batched = _run(make(name, lr=0.05, betas=(0.9, b2)), np.tile(START, (3, 1)), n=8)
        for i in range(3):
            single = _run(make(name, lr=0.05, betas=(0.9, float(b2[i]))), np.array(START), n=8)
            assert_allclose(batched[i], single, rtol=1e-12, err_msg=name)


def test_hyperparameters_may_grow_the_batch():
    """Parameters (1, 2) with lr (3,): the update broadcasts to (3, 2)."""
    opt = make("rmsprop", lr=np.array([0.1, 0.2, 0.3]), momentum=0.5)
    x = np.array([[1.0, -2.0]])
    new, state = opt.update(x, opt.init(x), x)
    assert new.shape == (3, 2)
    new2, _ = opt.update(new, state, new)
    assert new2.shape == (3, 2)


def test_zero_momentum_runs_in_a_dampened_batch_take_torchs_plain_branch():
    opt = make("sgd", lr=0.1, momentum=np.array([0.0, 0.9]), dampening=0.5)
    batched = _run(opt, np.tile(START, (2, 1)))
    plain = _run(make("sgd", lr=0.1, dampening=0.5), np.array(START))
    heavy = _run(make("sgd", lr=0.1, momentum=0.9, dampening=0.5), np.array(START))
    assert_allclose(batched, [plain, heavy], rtol=1e-14)


def test_too_many_hyperparameter_axes_is_an_error():
    opt = make("sgd", lr=np.full((2, 3), 0.1))
    with pytest.raises(ValueError, match="leading"):
        opt.update(np.ones(2), opt.init(np.ones(2)), np.ones(2))


# ---------------------------------------------------------------------------- house rules


def test_docstring_examples():
    modules = [
        "optimizers",
        "optimizers._core",
        "optimizers._sgd",
        "optimizers._adaptive",
        "optimizers._adam",
        "optimizers._nadam",
        "optimizers._radam",
        "optimizers._adamax",
        "optimizers._registry",
        "optimizers._sign",
        "optimizers._muon",
        "optimizers._adafactor",
        "optimizers._schedule_free",
        "optimizers._prodigy",
        "optimizers._adam_variants",
    ]
    for module in modules:
        result = doctest.testmod(importlib.import_module(module))
        assert result.failed == 0, module
        assert result.attempted > 0 or module == "optimizers._core"


@pytest.mark.parametrize("name", NAMES)
def test_docstrings_have_math_references_and_examples(name):
    doc = OPTIMIZERS[name].__doc__ or ""
    if name in ("momentum", "nesterov"):
        assert "sgd" in doc and ">>>" in doc
        doc = OPTIMIZERS["sgd"].__doc__ or ""
    for section in ("Parameters", "Notes", ".. math::", "References", "Examples", "CS231n"):
        assert section in doc, (name, section)


def test_imports_only_numpy_and_the_standard_library():
    code = (
        "import sys, optimizers; "
        "bad = [m for m in ('torch', 'streamlit', 'plotly', 'surfaces', 'scipy') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.strip() == "[]"


def test_public_api():
    for name in ("make", "Optimizer", "OPTIMIZERS", "defaults", "run", "iterate", "Trajectory"):
        assert hasattr(optimizers, name)
    assert optimizers.schedules.make_schedule is optimizers.make_schedule
