"""Step-through mode: replays equal the run loop, explanations equal one direct update, the
numbers in the equations are the state's, the LaTeX renders in KaTeX and the figure validates."""

from __future__ import annotations

import doctest
import pickle
import re

import numpy as np
import pytest

import optimizers
from analysis import stepthrough
from analysis.explain import EXPLAINERS
from analysis.explain import base as explain_base
from analysis.stepthrough import (
    ACTUAL_STEP,
    GRADIENT_STEP,
    explain,
    fmt,
    fmt_vec,
    replay,
)
from surfaces import SURFACES
from viz import stepthrough as viz_stepthrough
from viz.stepthrough import stepthrough_figure

# Every optimizer of the registry, plus the variants that change the equations.
CASES = [
    ("sgd", {"lr": 1e-3}),
    ("momentum", {"lr": 1e-3}),
    ("nesterov", {"lr": 1e-3}),
    ("adagrad", {"lr": 0.1}),
    ("rmsprop", {"lr": 0.01}),
    ("adadelta", {"lr": 1.0}),
    ("adam", {"lr": 0.05}),
    ("adamw", {"lr": 0.05}),
    ("nadam", {"lr": 0.05}),
    ("radam", {"lr": 2e-3}),
    ("adamax", {"lr": 0.05}),
    ("sgd", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01,
                 "initial_accumulator_value": 0.1}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("nadam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {"lr": 2e-3, "weight_decay": 0.1}),
    ("adamax", {"lr": 0.05, "weight_decay": 0.1}),
    # The 2020s optimizers, each with its own explainer, and the variants of their equations.
    ("rprop", {"lr": 0.01}),
    ("lion", {"lr": 0.01}),
    ("muon", {"lr": 0.02}),
    ("adafactor", {"lr": 0.01}),
    ("sgd_schedule_free", {"lr": 1e-3}),
    ("adamw_schedule_free", {"lr": 0.01}),
    ("prodigy", {}),
    ("ademamix", {"lr": 0.01}),
    ("adopt", {"lr": 0.01}),
    ("rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("lion", {"lr": 0.01, "weight_decay": 0.5}),
    ("lion", {"lr": 0.01, "weight_decay": 0.005, "decoupled_weight_decay": True}),
    ("muon", {"lr": 0.02, "nesterov": False, "weight_decay": 0.0}),
    ("muon", {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw"}),
    ("adafactor", {"lr": 0.05, "weight_decay": 0.1, "d": 1.5, "eps": (1e-3, 1e-2)}),
    ("sgd_schedule_free", {"lr": 1e-3, "weight_decay": 0.1, "warmup_steps": 5, "r": 1.0}),
    ("adamw_schedule_free", {"lr": 0.01, "weight_decay": 0.1, "warmup_steps": 5}),
    ("prodigy", {"weight_decay": 0.1, "decouple": False, "use_bias_correction": True}),
    ("prodigy", {"weight_decay": 0.1, "safeguard_warmup": True}),
    ("ademamix", {"lr": 0.01, "t_alpha_beta3": 20, "weight_decay": 0.1}),
    ("ademamix", {"lr": 0.01, "weight_decay": 0.1, "weight_decouple": True}),
    ("adopt", {"lr": 0.01, "clip_lambda": None, "weight_decay": 0.1}),
    ("adopt", {"lr": 0.01, "weight_decay": 0.1, "weight_decouple": True, "fixed_decay": True}),
]
IDS = [f"{name}-{'-'.join(hp)}" for name, hp in CASES]
STEPS = 40
ROSENBROCK = SURFACES["rosenbrock"]


def test_every_optimizer_is_covered():
    assert {name for name, _ in CASES} == set(optimizers.OPTIMIZERS)


def schedule():
    return optimizers.make_schedule("exponential", gamma=0.97)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def noisy(request):
    """A replay with gradient noise and a schedule, and the matching run."""
    name, hp = request.param
    kw = {"schedule": schedule(), "noise": 0.5, "seed": 7}
    r = replay(ROSENBROCK, name, hp, ROSENBROCK.start, STEPS, **kw)
    traj = optimizers.run(optimizers.make(name, **hp), ROSENBROCK.grad, ROSENBROCK.start,
                          STEPS, **kw)
    return name, hp, r, traj


# ------------------------------------------------------------------------------- replay


@pytest.mark.parametrize(("name", "hp"), CASES, ids=IDS)
def test_replay_points_equal_run_exactly(name, hp):
    r = replay(ROSENBROCK, name, hp, ROSENBROCK.start, STEPS)
    traj = optimizers.run(optimizers.make(name, **hp), ROSENBROCK.grad, ROSENBROCK.start, STEPS)
    assert r.diverged_at == int(traj.diverged_at) == -1
    np.testing.assert_array_equal(r.points, traj.points)
    np.testing.assert_array_equal(r.lrs, traj.lrs)
    np.testing.assert_array_equal(r.values, ROSENBROCK.value(traj.points))


def test_replay_with_noise_and_schedule_equals_run_exactly(noisy):
    _, _, r, traj = noisy
    assert r.n_steps == STEPS and r.diverged_at == -1
    np.testing.assert_array_equal(r.points, traj.points)
    np.testing.assert_array_equal(r.lrs, traj.lrs)
    assert np.all(r.noise != 0) and r.scheduled
    np.testing.assert_array_equal(r.grads, ROSENBROCK.grad(r.points[:-1]) + r.noise)


def test_newton_replay_gets_the_hessian_as_the_race_does():
    from analysis import race

    assert optimizers.NEEDS_HESSIAN
    for name in sorted(optimizers.NEEDS_HESSIAN):
        (entry,) = race(ROSENBROCK, [(name, {})], ROSENBROCK.start, 10, noise=0.1, seed=4)
        r = replay(ROSENBROCK, name, {}, ROSENBROCK.start, 10, noise=0.1, seed=4)
        np.testing.assert_array_equal(r.points, entry.points[: r.n_steps + 1])
        explain(r, r.n_steps)  # the generic explanation


def test_noise_depends_on_the_seed():
    a, b, c = (replay(ROSENBROCK, "sgd", {"lr": 1e-3}, (0.0, 0.0), 5, noise=1.0, seed=s)
               for s in (1, 1, 2))
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)


def test_replay_records_states_and_lrs():
    r = replay(ROSENBROCK, "adam", {"lr": 0.05}, ROSENBROCK.start, 10, schedule=schedule())
    assert len(r.states) == 11 and [s.t for s in r.states] == list(range(11))
    np.testing.assert_allclose(r.lr_scales, 0.97 ** np.arange(10), rtol=1e-15)
    np.testing.assert_array_equal(r.lrs, r.lr_scales * 0.05)
    assert not r.points.flags.writeable and not r.grads.flags.writeable
    assert r.hparams["betas"] == (0.9, 0.999)


def test_diverging_replay_stops_where_run_diverges():
    bowl = SURFACES["bowl"]
    r = replay(bowl, "sgd", {"lr": 2.5}, (1.0, -1.0), 60)  # |1 - lr| = 1.5 per step
    traj = optimizers.run(optimizers.make("sgd", lr=2.5), bowl.grad, (1.0, -1.0), 60)
    assert r.diverged and r.diverged_at == int(traj.diverged_at) == 35  # 1.5^35 > 1e6
    assert r.n_steps == r.diverged_at - 1 == len(r.grads) == len(r.states) - 1
    np.testing.assert_array_equal(r.points, traj.points[: r.diverged_at])
    np.testing.assert_array_equal(traj.points[-1], r.points[-1])  # run freezes there
    assert np.all(np.abs(r.points) <= 1e6)
    with pytest.raises(ValueError, match=r"1\.\.34"):
        explain(r, r.diverged_at)
    assert explain(r, r.n_steps).k == 34
    stepthrough_figure(bowl, bowl.grid(30), r, r.n_steps).validated()


def test_non_finite_step_stops_too():
    r = replay(SURFACES["bowl"], "sgd", {"lr": 1e308}, (1.0, 1.0), 5)
    assert r.diverged_at == 1 and r.n_steps == 0 and r.points.shape == (1, 2)
    stepthrough_figure(SURFACES["bowl"], SURFACES["bowl"].grid(20), r, 0).validated()
    with pytest.raises(ValueError):
        explain(r, 1)


def test_replay_is_picklable_for_st_cache_data():
    r = replay(ROSENBROCK, "nadam", {"lr": 0.05}, ROSENBROCK.start, 5, noise=0.1, seed=1)
    back = pickle.loads(pickle.dumps(r))
    np.testing.assert_array_equal(back.points, r.points)
    assert type(back.states[3]) is type(r.states[3])
    for a, b in zip(back.states[3], r.states[3], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"hparams": {"lr": np.array([0.1, 0.2])}}, ValueError),
        ({"start": [[0.0, 0.0]]}, ValueError),
        ({"steps": -1}, ValueError),
        ({"steps": 2.0}, TypeError),
        ({"noise": -1.0}, ValueError),
        ({"schedule": optimizers.make_schedule("exponential", gamma=np.array([0.9, 0.5]))},
         ValueError),
        ({"hparams": {"lr": -1.0}}, ValueError),
        ({"hparams": {"bogus": 1.0}}, TypeError),
    ],
)
def test_replay_rejects_bad_arguments(kwargs, error):
    args = {"surface": ROSENBROCK, "name": "sgd", "hparams": {"lr": 0.1},
            "start": (0.0, 0.0), "steps": 3, **kwargs}
    with pytest.raises(error):
        replay(**args)


# -------------------------------------------------------------------------- explanation


def check_steps(r, name, hp, ks):
    opt = optimizers.make(name, **hp)
    for k in ks:
        ex = explain(r, k)
        new, state = opt.update(r.grads[k - 1], r.states[k - 1], r.points[k - 1],
                                lr_scale=r.lr_scales[k - 1])
        np.testing.assert_array_equal(ex.point, r.points[k - 1])
        np.testing.assert_array_equal(ex.step, new - r.points[k - 1])
        np.testing.assert_array_equal(ex.vectors[ACTUAL_STEP], ex.step)
        assert state.t == k
        for field, value in state._asdict().items():
            np.testing.assert_array_equal(getattr(ex.state_after, field), value)
        # The displayed formulas compute the same step (not only torch's code does); a step
        # far shorter than x is only known to a few ulps of x (x_k - x_{k-1} cancels).
        atol = 1e-10 * np.max(np.abs(ex.step)) + 1e-15 * np.max(np.abs(ex.point))
        np.testing.assert_allclose(ex.formula_step, ex.step, rtol=0, atol=atol)
        assert ex.lr == r.lrs[k - 1]
        names = list(ex.vectors)
        assert names[0] == GRADIENT_STEP and names[-1] == ACTUAL_STEP
        assert ex.equations and all(isinstance(line, str) for line in ex.equations)
        assert any(line.startswith("x_k") for line in ex.equations)


def test_explained_step_equals_one_direct_update(noisy):
    name, hp, r, _ = noisy
    check_steps(r, name, hp, (1, 2, 3, 17, STEPS))


@pytest.mark.parametrize(("name", "hp"), CASES, ids=IDS)
def test_explained_step_without_noise(name, hp):
    r = replay(SURFACES["ravine"], name, hp, SURFACES["ravine"].start, 12)
    check_steps(r, name, hp, (1, 2, 12))


def test_radam_switches_to_the_adaptive_step():
    bowl = SURFACES["bowl"]
    r = replay(bowl, "radam", {"lr": 0.01}, (1.0, -2.0), 8)
    early, late = explain(r, 5), explain(r, 6)  # rho_t > 5 from step 6 on (beta2 = 0.999)
    assert any(r"\le 5" in line for line in early.equations)
    assert any(line.startswith("r_k") for line in late.equations)
    check_steps(r, "radam", {"lr": 0.01}, range(1, 9))


def test_explain_rejects_steps_out_of_range():
    r = replay(ROSENBROCK, "sgd", {"lr": 1e-3}, ROSENBROCK.start, 3)
    for k in (0, 4, -1, 1.0, True):
        with pytest.raises(ValueError):
            explain(r, k)


# ----------------------------------------------------------------- numbers in equations

NUMBER = r"-?(?:\d+(?:\.\d+)?(?:\{\\times\}10\^\{-?\d+\})?|10\^\{-?\d+\})|0"
TUPLE = re.compile(rf"\(({NUMBER}),\\ ({NUMBER})\)")


def parse_number(text: str) -> float:
    """Invert `fmt`: '1.235', '-2{\\times}10^{-5}', '10^{-8}'."""
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("-")
    if text.startswith("10^"):
        return sign * 10.0 ** int(text[4:-1])
    if "{\\times}" in text:
        mantissa, power = text.split("{\\times}")
        return sign * float(mantissa) * 10.0 ** int(power[4:-1])
    return sign * float(text)


def tuples(line: str) -> list[np.ndarray]:
    return [np.array([parse_number(a), parse_number(b)]) for a, b in TUPLE.findall(line)]


def line_starting(ex, prefix: str) -> str:
    (line,) = [line for line in ex.equations if line.startswith(prefix)]
    return line


def assert_shown(value, shown):
    np.testing.assert_allclose(shown, value, rtol=5.001e-4, atol=0)


@pytest.mark.parametrize("value", [0.0, 1.0, -1.0, 1.23456, -0.000123456, 98765.4, 1e-8,
                                   -2.5e-12, 3e20, 0.1, 0.99, 1 - 0.999])
def test_fmt_round_trips_to_four_significant_digits(value):
    assert_shown(value, parse_number(fmt(value)))
    assert len(fmt(value).replace("-", "")) <= 22


def test_fmt_special_values():
    assert fmt(float("nan")) == r"\mathrm{NaN}" and fmt(-np.inf) == r"-\infty"
    assert fmt(np.float64(2.0)) == "2" and fmt(0.1 + 0.2) == "0.3"
    assert fmt_vec(np.array([1.0, 1e-5])) == r"(1,\ 10^{-5})"


@pytest.mark.parametrize("k", [1, 2, 9])
def test_momentum_equations_show_the_state(k):
    r = replay(ROSENBROCK, "momentum", {"lr": 1e-3}, ROSENBROCK.start, 9)
    ex = explain(r, k)
    b, b_prev = r.states[k].momentum_buffer, r.states[k - 1].momentum_buffer
    g, x, lr = r.grads[k - 1], r.points[k - 1], 1e-3
    line = line_starting(ex, "b_k")
    assert line.endswith("= " + fmt_vec(b))  # the very same floats, formatted
    shown = tuples(line)
    if k == 1:  # torch: b_1 = g_1
        assert_shown(g, shown[0])
    else:
        assert r"0.9\cdot " + fmt_vec(b_prev) in line
        assert_shown(b_prev, shown[0])
        assert_shown(g, shown[1])
    assert_shown(b, shown[-1])
    np.testing.assert_allclose(0.9 * shown[0] + shown[1] if k > 1 else shown[0], shown[-1],
                               rtol=2e-3)
    x_line = line_starting(ex, r"x_k = x_{k-1} - \mathrm{lr}\, b_k")
    assert_shown(x, tuples(x_line)[0])
    assert_shown(b, tuples(x_line)[1])
    assert x_line.endswith(fmt_vec(r.points[k]))
    # The CS231n velocity form, with v = -lr * b: v_k = mu * v_{k-1} - lr * g_k.
    v_line = line_starting(ex, r"v_k = \mu\, v_{k-1}")
    v_prev = np.zeros(2) if k == 1 else -lr * b_prev
    assert_shown(v_prev, tuples(v_line)[0]) if k > 1 else None
    assert v_line.endswith(fmt_vec(-lr * b))
    np.testing.assert_allclose(0.9 * v_prev - lr * g, -lr * b, rtol=1e-12)
    np.testing.assert_array_equal(ex.numbers["v_k = −lr·b_k (CS231n velocity)"], -lr * b)
    assert any(line.startswith(r"\text{CS231n form") for line in ex.equations)
    # The arrows: momentum carried over plus the gradient step make the actual step.
    carried = ex.vectors["μ·v_prev (momentum carried over)"]
    np.testing.assert_allclose(carried + ex.vectors[GRADIENT_STEP], ex.step, rtol=1e-12,
                               atol=1e-18)


def test_nesterov_equations_both_forms():
    r = replay(ROSENBROCK, "nesterov", {"lr": 1e-3}, ROSENBROCK.start, 6, schedule=schedule())
    ex = explain(r, 4)
    b, lr = r.states[4].momentum_buffer, r.lrs[3]
    assert r"\mathrm{lr}_0\cdot m(k-1)" in ex.equations[0]
    line = line_starting(ex, r"x_k = x_{k-1} - \mathrm{lr}\,(g_k + \mu\, b_k)")
    assert fmt_vec(b) in line and line.endswith(fmt_vec(r.points[4]))
    notes = line_starting(ex, r"x_k = x_{k-1} - \mu\, v_{k-1} + (1+\mu)\, v_k")
    assert notes.endswith(fmt_vec(r.points[4])) and fmt_vec(-lr * b) in notes
    np.testing.assert_allclose(ex.vectors["v = −lr·b (velocity)"], -lr * b)
    np.testing.assert_allclose(ex.vectors[GRADIENT_STEP] + ex.vectors["μ·v (look-ahead)"],
                               ex.step, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 15])
def test_adam_equations_show_the_state(k):
    r = replay(ROSENBROCK, "adam", {"lr": 0.05}, ROSENBROCK.start, 15, noise=0.3, seed=2)
    ex = explain(r, k)
    before, after = r.states[k - 1], r.states[k]
    g = r.grads[k - 1]
    m_line, v_line = line_starting(ex, "m_k"), line_starting(ex, "v_k")
    assert m_line.endswith(fmt_vec(after.exp_avg)) and v_line.endswith(fmt_vec(after.exp_avg_sq))
    assert fmt_vec(before.exp_avg) in m_line and fmt_vec(g) in m_line
    assert fmt_vec(before.exp_avg_sq) in v_line and fmt_vec(g * g) in v_line
    m_prev, g_shown, m = tuples(m_line)
    assert_shown(before.exp_avg, m_prev) if k > 1 else None
    assert_shown(g, g_shown)
    assert_shown(after.exp_avg, m)
    assert_shown(after.exp_avg_sq, tuples(v_line)[-1])
    m_hat = after.exp_avg / (1 - 0.9**k)
    v_hat = after.exp_avg_sq / (1 - 0.999**k)
    assert line_starting(ex, r"\hat m_k").endswith(fmt_vec(m_hat))
    assert rf"0.9^{{{k}}}" in line_starting(ex, r"\hat m_k")
    assert line_starting(ex, r"\hat v_k").endswith(fmt_vec(v_hat))
    lr_eff = 0.05 / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(ex.numbers["lr_eff = lr/(√v̂_k+ε)"], lr_eff, rtol=1e-15)
    assert line_starting(ex, r"\mathrm{lr}_{\mathrm{eff}}").endswith(fmt_vec(lr_eff))
    np.testing.assert_allclose(ex.vectors["−lr·m̂ (first moment)"], -0.05 * m_hat, rtol=1e-15)
    assert line_starting(ex, "x_k").endswith(fmt_vec(r.points[k]))
    assert any(r"\xi_k" in line for line in ex.equations)  # the noise is shown


def test_adagrad_and_rmsprop_equations_show_the_state():
    r = replay(ROSENBROCK, "adagrad", {"lr": 0.1}, ROSENBROCK.start, 5)
    ex = explain(r, 3)
    s_line = line_starting(ex, "s_k")
    assert fmt_vec(r.states[2].sum) in s_line and fmt_vec(r.states[3].sum) in s_line
    r = replay(ROSENBROCK, "rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.9},
               ROSENBROCK.start, 5)
    ex = explain(r, 3)
    state = r.states[3]
    assert fmt_vec(state.square_avg) in line_starting(ex, "v_k")
    assert line_starting(ex, r"\bar g_k").endswith(fmt_vec(state.grad_avg))
    assert line_starting(ex, r"\tilde v_k").endswith(
        fmt_vec(state.square_avg - state.grad_avg**2))
    assert line_starting(ex, "b_k").endswith(fmt_vec(state.momentum_buffer))


def test_every_registered_optimizer_has_its_own_explainer():
    """A new optimizer fails here until it gets an explainer (no silent generic fallback)."""
    registered = set(optimizers.OPTIMIZERS) | set(optimizers.SECOND_ORDER)
    assert registered <= set(EXPLAINERS), sorted(registered - set(EXPLAINERS))


def test_an_optimizer_without_an_explainer_is_refused():
    r = replay(ROSENBROCK, "adam", {"lr": 0.05}, ROSENBROCK.start, 3)
    from dataclasses import replace as dc_replace

    with pytest.raises(ValueError, match="no explainer for optimizer 'mystery'"):
        explain(dc_replace(r, name="mystery"), 2)


# Newton's methods and L-BFGS: replayed and explained as the race runs them.
SECOND_CASES = [
    ("newton", {}),
    ("newton", {"lr": 0.5, "damping": 2.0}),
    ("saddle_free_newton", {}),
    ("saddle_free_newton", {"lr": 0.5, "damping": 0.1}),
    ("lbfgs", {}),
    ("lbfgs", {"lr": 0.5, "history_size": 3}),
    ("lbfgs", {"line_search_fn": "strong_wolfe"}),
    ("lbfgs", {"line_search_fn": "armijo"}),
]
SECOND_IDS = [f"{name}-{'-'.join(hp)}" for name, hp in SECOND_CASES]


def test_every_second_order_method_is_covered():
    assert {name for name, _ in SECOND_CASES} == set(optimizers.SECOND_ORDER)


@pytest.mark.parametrize(("name", "hp"), SECOND_CASES, ids=SECOND_IDS)
@pytest.mark.parametrize("surface", ["rosenbrock", "saddle", "kink"])
def test_second_order_steps_are_explained_by_their_own_rule(name, hp, surface):
    """Each explained step is one direct update with the recorded gradient (and Hessian), and
    the equations compute it; the replay is the race's run."""
    from analysis.race import race, runnable

    surf = SURFACES[surface]
    r = replay(surf, name, hp, surf.start, 12, noise=0.1, seed=2)
    (entry,) = race(surf, [(name, hp)], surf.start, 12, noise=0.1, seed=2)
    np.testing.assert_array_equal(r.points, entry.points[: r.n_steps + 1])
    assert (r.hessians is not None) == (name in optimizers.NEEDS_HESSIAN)
    opt, _ = runnable(surf, name, hp)
    for k in range(1, r.n_steps + 1):
        ex = explain(r, k)
        hess = None if r.hessians is None else r.hessians[k - 1]
        new, _ = opt.update(r.grads[k - 1], r.states[k - 1], r.points[k - 1], hess=hess)
        np.testing.assert_array_equal(ex.step, new - r.points[k - 1])
        # x_k - x_{k-1} is only known to a few ulps of x: a tiny step is compared at that scale
        atol = 1e-10 * np.max(np.abs(ex.step)) + 1e-15 * np.max(np.abs(ex.point))
        np.testing.assert_allclose(ex.formula_step, ex.step, rtol=0, atol=atol)
        assert any(line.startswith("x_k") for line in ex.equations)
        assert list(ex.vectors)[0] == GRADIENT_STEP


def test_newton_explanation_shows_the_hessian_and_the_direction():
    bowl = SURFACES["ravine"]
    r = replay(bowl, "newton", {}, (1.0, -2.0), 2)
    ex = explain(r, 1)
    assert ex.equations[1].startswith("H_k") and r"\begin{pmatrix}" in ex.equations[1]
    d = np.linalg.solve(r.hessians[0], r.grads[0])
    assert line_starting(ex, "d_k").endswith(fmt_vec(d))


def test_saddle_free_newton_divides_by_absolute_eigenvalues():
    saddle = SURFACES["saddle"]
    r = replay(saddle, "saddle_free_newton", {"damping": 0.0}, (0.5, 0.1), 1)
    ex = explain(r, 1)
    lam = np.linalg.eigvalsh(r.hessians[0])
    assert line_starting(ex, r"\lambda").endswith(fmt_vec(np.abs(lam)))


def test_doctests():
    assert doctest.testmod(stepthrough).failed == 0
    assert doctest.testmod(explain_base).failed == 0
    assert doctest.testmod(viz_stepthrough).failed == 0
