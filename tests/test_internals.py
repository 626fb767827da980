"""Inside the optimizers: the lr per step, Prodigy's d and Schedule-Free's x, y, z.

The sequences equal direct computations (the race's own path, the update rules written
out), every caption's number is read back from the arrays its figure draws, and the page
opens with the figures twice (the second time from the caches) without an exception.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
from analysis.internals import (
    IGNORES_SCHEDULE,
    falls_by,
    internals,
    lr_curves,
    prodigy_trace,
    schedule_free_sequences,
    settled_step,
    used_lrs,
)
from analysis.race import base_name
from scene.scene import DECAY_SETTINGS, Scene
from tests.conftest import ROOT
from viz import internals as figures
from viz import theme
from viz.spec import decode_typed_array

RACED = ("sgd", "prodigy", "sgd_schedule_free", "adamw_schedule_free")
BASE = Scene(surface="ravine", optimizers=RACED, lr=0.05, steps=150,
             schedule="exponential", decay=0.99)

# (id, scene): every schedule kind, noise, and runs that leave the map.
CASES = [
    *[(kind, replace(BASE, schedule=kind, decay=DECAY_SETTINGS[kind][2], step_size=40))
      for kind in DECAY_SETTINGS],
    ("constant", replace(BASE, schedule="constant")),
    ("noise", replace(BASE, noise=2.0, seed=7)),
    ("rosenbrock", replace(BASE, surface="rosenbrock", lr=0.001, steps=300)),
    # lr 10 on the ravine: SGD and Schedule-Free SGD leave the map within a few steps
    ("diverging", replace(BASE, lr=10.0)),
    # the saddle falls without bound: Prodigy at lr 1e6 leaves the map at step 3
    ("prodigy_diverging", replace(BASE, surface="saddle", overrides=(("prodigy", "lr", 1e6),))),
    ("rprop", replace(BASE, optimizers=("rprop", *RACED))),
    # d may grow at most 5% a step (settable since main's 1183186): slower, still never falls
    ("growth_rate", replace(BASE, overrides=(("prodigy", "growth_rate", 1.05),))),
    # copies: Prodigy #2 and Schedule-Free SGD #2 without the schedule, Prodigy #3 with d_coef 2
    ("copies", replace(BASE, optimizers=(*RACED, "prodigy~2", "sgd_schedule_free~2",
                                         "prodigy~3"),
                       overrides=(("prodigy~2", "decay", False), ("prodigy~3", "d_coef", 2.0),
                                  ("sgd_schedule_free~2", "decay", False)))),
]


def _race(scene: Scene):
    return scene.race()


def _inside(scene: Scene):
    return internals(scene.get_surface(), scene.optimizer_specs(), scene.start_point(),
                     scene.steps, schedule=scene.schedule_fn(), noise=scene.noise,
                     seed=scene.seed, unscheduled=scene.unscheduled())


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request):
    scene = request.param[1]
    return scene, {e.name: e for e in _race(scene)}, _inside(scene)


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"(?<![\w^])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


# --- the sequences equal direct computations ---------------------------------------------


def test_the_cases_diverge_where_they_should(case):
    scene, entries, _ = case
    if scene.lr == 10.0:
        assert entries["sgd"].diverged and entries["sgd_schedule_free"].diverged
    if scene.surface == "saddle":
        assert entries["prodigy"].diverged


def test_schedule_free_y_is_the_race_path(case):
    scene, entries, inside = case
    assert [s.name for s in inside.schedule_free] == [
        n for n in scene.optimizers if base_name(n) in ("sgd_schedule_free",
                                                        "adamw_schedule_free")]
    for seq in inside.schedule_free:
        entry = entries[seq.name]
        n = entry.diverged_at if entry.diverged else len(entry.points)
        assert seq.diverged_at == entry.diverged_at
        np.testing.assert_array_equal(seq.y, entry.points[:n])
        assert len(seq.x) == len(seq.z) == n
        np.testing.assert_array_equal(seq.fy, entry.values[:n])


def test_schedule_free_sgd_z_and_x_written_out(case):
    """z_t = z_{t-1} - lr_t (grad f(y_{t-1}) + noise); with no warmup and an lr that never
    grows, every average weight is lr_max^2 = lr^2, so x_t is the plain mean of z_1..z_t."""
    scene, entries, inside = case
    seq = inside.schedule_free[0]
    assert seq.name == "sgd_schedule_free"
    if scene.noise:  # the gradient's noise is the race's: only the mean of z can be checked
        zs = seq.z[1:]
    else:
        lrs = entries[seq.name].lrs
        grads = scene.get_surface().grad(seq.y[:-1])
        z = seq.y[0] - np.cumsum(lrs[: len(grads), None] * grads, axis=0)
        np.testing.assert_allclose(seq.z[1:], z, rtol=1e-9, atol=1e-9)
        zs = seq.z[1:]
    mean = np.cumsum(zs, axis=0) / np.arange(1, len(zs) + 1)[:, None]
    np.testing.assert_allclose(seq.x[1:], mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(seq.x[0], seq.z[0])


def test_prodigy_d_equals_its_update_loop_and_never_falls(case):
    scene, entries, inside = case
    assert [t.name for t in inside.prodigy] == [n for n in scene.optimizers
                                                if base_name(n) == "prodigy"]
    for trace in inside.prodigy:
        # d is a running maximum (growth_rate >= 1 only caps how fast it grows)
        assert trace.d[0] == 1e-6 and np.all(np.diff(trace.d) >= 0)
        entry = entries[trace.name]
        assert trace.diverged_at == entry.diverged_at
        np.testing.assert_array_equal(trace.lrs, entry.lrs)  # its own schedule, or none
        np.testing.assert_array_equal(trace.step_size,
                                      trace.d[: len(used_lrs(entry))] * used_lrs(entry))
        if scene.noise:
            continue
        opt = optimizers.make("prodigy", **scene.hparams(trace.name))
        x = np.asarray(scene.start_point(), dtype=np.float64)
        state, ds = opt.init(x), []
        mult = optimizers.multipliers(scene.schedule_fn(trace.name), scene.steps)
        for t in range(len(trace.d)):
            ds.append(float(state.d))
            if t < scene.steps:
                x, state = opt.update(scene.get_surface().grad(x), state, x, lr_scale=mult[t])
        np.testing.assert_array_equal(trace.d, ds)


def test_prodigy_alone_and_with_noise_matches_internals(case):
    scene, _, inside = case
    args = (scene.get_surface(), ("prodigy", scene.hparams("prodigy")), scene.start_point(),
            scene.steps, scene.schedule_fn(), scene.noise, scene.seed)
    np.testing.assert_array_equal(prodigy_trace(*args).d, inside.prodigy[0].d)
    free = schedule_free_sequences(*args[:1], ("sgd_schedule_free",
                                               scene.hparams("sgd_schedule_free")), *args[2:])
    np.testing.assert_array_equal(free.x, inside.schedule_free[0].x)


def test_lr_curves_are_the_entries_lrs_grouped(case):
    scene, entries, _ = case
    curves = lr_curves(list(entries.values()))
    names = [n for c in curves for n in c.names]
    assert sorted(names) == sorted(n for n in entries if base_name(n) not in IGNORES_SCHEDULE)
    for c in curves:
        for name in c.names:
            np.testing.assert_array_equal(c.lrs, used_lrs(entries[name]))
        assert c.scheduled == any(entries[n].scheduled for n in c.names)
    for a in curves:  # distinct curves differ
        assert sum(np.array_equal(a.lrs, b.lrs) for b in curves) == 1
    if not any(e.diverged for e in entries.values()) and len(entries) == len(RACED):
        # Prodigy keeps its own lr (1): everyone else shares the slider's
        assert [c.names for c in curves] == [("sgd", "sgd_schedule_free",
                                              "adamw_schedule_free"), ("prodigy",)]


# --- figures draw the arrays; captions state their numbers ------------------------------


def _trace(fig, name):
    return next(t for t in fig.spec["data"] if t["name"] == name)


def test_lr_figure_draws_every_curve_and_d_lr(case):
    scene, entries, inside = case
    curves = lr_curves(list(entries.values()))
    fig = figures.lr_figure(curves, inside.prodigy)
    fig.validated()
    for c in curves:
        t = _trace(fig, figures.curve_name(c))
        np.testing.assert_allclose(decode_typed_array(t["y"]), c.lrs, rtol=1e-6)
        np.testing.assert_array_equal(decode_typed_array(t["x"]), np.arange(1, len(c.lrs) + 1))
    for trace in inside.prodigy:
        d_lr = decode_typed_array(_trace(fig, f"{theme.label(trace.name)} d·lr")["y"])
        np.testing.assert_allclose(d_lr, trace.step_size, rtol=1e-6)
    values = np.concatenate([c.lrs for c in curves] + [t.step_size for t in inside.prodigy])
    values = values[values > 0]
    log = fig.spec["layout"]["yaxis"].get("type") == "log"
    assert log == (values.max() > 10 * values.min())


def test_lr_caption_numbers_are_the_curves(case):
    scene, entries, _ = case
    if scene.schedule == "constant":
        return
    kind, params = scene.schedule_spec()
    lrs = entries["sgd"].lrs if not entries["sgd"].diverged else entries["adamw_schedule_free"].lrs
    ignored = [n for n in entries if n in IGNORES_SCHEDULE]
    text = figures.lr_caption(kind, params, lrs, ignored)
    assert text.startswith({"step": "Step decay", "exponential": "Exponential decay",
                            "inverse_time": "1/t decay", "cosine": "Cosine decay"}[kind])
    fall = re.search(r"lr falls 10x by step (\d+)", text)
    if fall:
        k = int(fall.group(1))
        assert lrs[k - 1] <= lrs[0] / 10 < lrs[k - 2]
    else:
        ratio, step = _numbers(text.split("lr falls to ")[1])[:2]
        assert lrs[0] / lrs.min() < 10 and step == len(lrs)
        assert ratio == pytest.approx(lrs[-1] / lrs[0], rel=5e-3)
    assert ("Rprop ignores schedules" in text) == bool(ignored)
    if kind == "exponential":
        assert f"γ = {scene.decay:g}" in text


def test_prodigy_figure_and_caption(case):
    _, _, inside = case
    fig = figures.prodigy_figure(inside.prodigy)
    fig.validated()
    assert fig.spec["layout"]["yaxis"]["type"] == "log"
    text = figures.prodigy_caption(inside.prodigy)
    stories = text.split("; ")
    assert len(stories) == len(inside.prodigy)
    for trace, story in zip(inside.prodigy, stories, strict=True):
        name = theme.label(trace.name)
        np.testing.assert_allclose(decode_typed_array(_trace(fig, f"{name} d")["y"]), trace.d,
                                   rtol=1e-6)
        marker = _trace(fig, f"{name} settled")
        assert marker["x"] == [trace.settled_at] and marker["y"] == [trace.d[trace.settled_at]]
        grew = re.match(re.escape(name) + r"'s d grew from (\S+) to (\S+) by step (\d+)", story)
        assert grew, story
        d0, dk, k = float(grew.group(1)), float(grew.group(2)), int(grew.group(3))
        assert d0 == trace.d[0] == 1e-6 and k == trace.settled_at
        assert dk == pytest.approx(trace.d[k], rel=0.05)
        assert trace.d[k] >= 0.9 * trace.d[-1] > trace.d[k - 1]
        assert ("diverged at step" in story) == (trace.diverged_at >= 0)


def test_sequences_figure_and_caption(case):
    scene, _, inside = case
    from viz.race import map_background

    surface = scene.get_surface()
    background = map_background(surface, surface.grid(40))
    for seq in inside.schedule_free:
        fig = figures.sequences_figure(surface, seq, background)
        fig.validated()
        drawn = {t["name"][0]: t for t in fig.spec["data"] if t["name"][:2] in ("x:", "y:", "z:")}
        assert drawn["x"]["line"]["width"] > drawn["y"]["line"]["width"]
        assert drawn["z"]["line"]["dash"] == "dash" and drawn["y"]["opacity"] < 1
        for key in "xyz":
            path = getattr(seq, key)
            finite = path[np.isfinite(path).all(axis=1)]
            np.testing.assert_allclose(decode_typed_array(drawn[key]["x"]),
                                       finite[:, 0], rtol=1e-6, atol=1e-6)
        text = figures.sequences_caption(seq)
        fx, fz, fy = _numbers(text.split(":", 1)[1])[:3]
        for said, values in ((fx, seq.fx), (fz, seq.fz), (fy, seq.fy)):
            assert said == pytest.approx(values[-1], rel=5e-3)
        assert ("diverged at step" in text) == (seq.diverged_at >= 0)


# --- small pieces ------------------------------------------------------------------------


def test_settled_step_and_falls_by():
    assert settled_step([1e-6, 1e-6]) == 0
    assert settled_step([1e-6, 0.5, 0.95, 1.0]) == 2
    assert falls_by([1.0, 1.0]) is None and falls_by([]) is None
    assert falls_by([2.0, 0.3, 0.2]) == 3


def test_lr_caption_when_the_lr_does_not_move():
    text = figures.lr_caption("step", {"step_size": 100, "gamma": 0.5}, np.full(50, 0.1))
    assert text == "Step decay, lr·γ^⌊t/100⌋ with γ = 0.5: lr stays at 1x of its start."
    # every racer without the schedule (its constant-lr copies only): the caption says so
    text = figures.lr_caption("exponential", {"gamma": 0.9}, None)
    assert text.endswith(": no racer here follows it (each keeps a constant lr).")
    scene = replace(BASE, optimizers=("sgd~2",), overrides=(("sgd~2", "decay", False),))
    (curve,) = lr_curves(scene.race())
    assert not curve.scheduled and np.all(curve.lrs == scene.lr)


def test_prodigy_caption_when_d_never_grows():
    # from the minimum: no gradient, so nothing for d to measure
    scene = replace(BASE, start=(0.0, 0.0))
    traces = _inside(scene).prodigy
    assert traces[0].settled_at == 0 and np.all(traces[0].d == 1e-6)
    assert figures.prodigy_caption(traces) == \
        "Prodigy's d stayed at its start, 1e-06: each step is d·lr."


def test_schedule_free_adamw_at_beta1_zero_races_and_says_x_is_not_finite():
    """x = (y - (1 - beta) z) / beta is undefined at beta = 0: the race goes on (it never
    reads x) and the caption says so instead of a number."""
    scene = replace(BASE, overrides=(("adamw_schedule_free", "betas", (0.0, 0.999)),))
    entries = {e.name: e for e in _race(scene)}
    seq = _inside(scene).schedule_free[1]
    np.testing.assert_array_equal(seq.y, entries["adamw_schedule_free"].points)
    assert not np.isfinite(seq.x[-1]).all()
    assert "x, the average, is not finite here" in figures.sequences_caption(seq)
    figures.sequences_figure(scene.get_surface(), seq, ([], [])).validated()


# --- the page ----------------------------------------------------------------------------

LINKS = [
    "s=ravine&opt=prodigy,sgd_schedule_free&sch=exponential",
    "s=ravine&opt=sgd,prodigy,adamw_schedule_free,rprop&lr=10&noise=1&sch=cosine",
    "s=ravine&opt=prodigy,adamw_schedule_free&sch=step&hp=adamw_schedule_free.betas=0:0.999",
    "s=ravine&opt=prodigy,prodigy~2,sgd_schedule_free~2&sch=step&hp=prodigy~2.decay=0",
]


def _open(link: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in parse_qsl(link):
        at.query_params[key] = value
    return at.run()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("link", LINKS)
def test_page_shows_the_figures_twice(link):
    for visit in ("first", "second (from caches)"):
        at = _open(link)
        assert not at.exception, f"{link} ({visit}): {at.exception[0].value}"
        captions = [c.value for c in at.caption]
        kind = re.search(r"sch=(\w+)", link).group(1)
        assert any(c.startswith(f"{kind.capitalize()} decay, ") for c in captions), captions
        assert any(c.startswith("Prodigy's d grew from 1e-06 to ") for c in captions)
        assert any(": x, the average, ends at f = " in c or ": x, the average, is not finite"
                   in c for c in captions)
        assert len(at.get("plotly_chart")) == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_page_draws_only_the_figures_that_apply():
    at = _open("s=ravine&opt=sgd,adam")  # no schedule, no Prodigy, no Schedule-Free
    assert not at.exception and not at.get("plotly_chart")
    at = _open("s=ravine&opt=sgd,adam&sch=inverse_time")  # the lr per step only
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert any(c.value.startswith("1/t decay, lr/(1 + k·t) with k = ") for c in at.caption)
