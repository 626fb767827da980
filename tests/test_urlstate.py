"""The scene in the URL: round trips, defaults, and a warning for every bad parameter."""

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimizers
from scene.scene import DECAY_SETTINGS, SCHEDULE_LABELS, VIEWS, Scene
from scene.urlstate import scene_from_query, scene_to_query
from surfaces import SURFACES


def round_trip(scene: Scene) -> tuple[Scene, list[str]]:
    """Through a real query string, as a browser would send it."""
    text = urlencode(scene_to_query(scene))
    return scene_from_query(parse_qs(text))


def test_empty_query_is_the_default_scene():
    scene, warnings = scene_from_query({})
    assert warnings == []
    assert scene == Scene().with_surface("rosenbrock")


def test_default_scene_writes_a_short_link():
    assert scene_to_query(Scene().with_surface("bowl")) == {"s": "bowl"}


def test_every_field_round_trips():
    scene = Scene(
        surface="ravine", optimizers=("adam", "sgd"), lr=0.0123, momentum=0.95,
        schedule="step", decay=0.3, step_size=40, steps=250, start=(1.5, -2.25),
        noise=0.7, seed=42, view="3d",
        overrides=(("adam", "amsgrad", True), ("adam", "betas", (0.8, 0.99)),
                   ("adam", "lr", 0.05), ("rmsprop", "alpha", 0.9)),
    )
    assert round_trip(scene) == (scene, [])


def test_negative_and_non_probability_hyperparameters_round_trip():
    scene = Scene(
        optimizers=("adafactor", "muon", "rprop", "prodigy"),
        overrides=(("adafactor", "beta2_decay", -0.5),
                   ("muon", "ns_coefficients", (3.0, -4.5, 2.0)),
                   ("prodigy", "d_coef", 2.0), ("rprop", "etas", (0.4, 1.5)),
                   ("rprop", "step_sizes", (1e-4, 20.0))),
    )
    assert round_trip(scene) == (scene, [])


@pytest.mark.parametrize("query, name", [
    ({"lr": "abc"}, "'lr'"),
    ({"lr": "1e9"}, "'lr'"),
    ({"lr": "nan"}, "'lr'"),
    ({"mom": "-1"}, "'mom'"),
    ({"n": "1e3"}, "'n'"),
    ({"n": "999999"}, "'n'"),
    ({"s": "nowhere"}, "'s'"),
    ({"opt": "sgd,lamb"}, "'opt'"),
    ({"hp": "adafactor.eps=0.1:0.2"}, "'hp'"),  # (None, 1e-3): not settable on the page
    ({"hp": "adopt.clip_lambda=1"}, "'hp'"),
    ({"hp": "adafactor.beta2_decay=0.5"}, "'hp'"),  # the optimizer's own ValueError
    ({"hp": "sgd.momentum=-0.5"}, "'hp'"),
    ({"opt": "sgd,sgd"}, "'opt'"),
    ({"opt": "sgd,sgd~2,sgd~2"}, "'opt'"),
    ({"opt": "sgd~1"}, "'opt'"),  # copies are numbered from 2
    ({"opt": "sgd~5"}, "'opt'"),  # at most three copies
    ({"opt": "sgd~x"}, "'opt'"),
    ({"hp": "sgd~2.decay=maybe"}, "'hp'"),
    ({"hp": "sgd.lr_factor=0"}, "'hp'"),
    ({"hp": "sgd~9.lr=0.1"}, "'hp'"),
    ({"sch": "warp"}, "'sch'"),
    ({"start": "1;2"}, "'start'"),
    ({"start": "99,99"}, "'start'"),
    ({"hp": "adam.betas=0.9"}, "'hp'"),
    ({"hp": "sgd.nesterov=1"}, "'hp'"),
    ({"hp": "os.system=1"}, "'hp'"),
    ({"view": "vr"}, "'view'"),
    ({"sch": "exponential", "dec": "0.5"}, "'dec'"),
    ({"zzz": "1"}, "'zzz'"),
    ({"lr": "x" * 5000}, "'lr'"),
])
def test_bad_parameters_fall_back_with_a_warning_naming_them(query, name):
    scene, warnings = scene_from_query(query)
    assert len(warnings) == 1 and name in warnings[0], warnings
    scene.optimizer_specs()  # still a usable scene
    scene.schedule_fn()


def test_good_parameters_survive_next_to_bad_ones():
    scene, warnings = scene_from_query({"s": "bowl", "lr": "0.05", "mom": "oops"})
    assert scene.surface == "bowl" and scene.lr == 0.05
    assert scene.momentum == Scene().momentum
    assert len(warnings) == 1


finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def scenes(draw) -> Scene:
    surface = draw(st.sampled_from(list(SURFACES)))
    (x0, x1), (y0, y1) = SURFACES[surface].bounds
    names = draw(st.lists(st.sampled_from(list(optimizers.OPTIMIZERS)), unique=True,
                          max_size=5))
    schedule = draw(st.sampled_from(list(SCHEDULE_LABELS)))
    lo, hi = DECAY_SETTINGS[schedule][1] if schedule in DECAY_SETTINGS else (0.0, 1.0)
    start = draw(st.none() | st.tuples(st.floats(x0, x1), st.floats(y0, y1)))
    if names and draw(st.booleans()):  # a copy of the first, e.g. "sgd~2"
        names.append(f"{names[0]}~{draw(st.integers(2, 4))}")
    overrides = []
    for name in names:
        if draw(st.booleans()):
            overrides.append((name, "lr", draw(st.floats(1e-6, 100.0))))
        if draw(st.booleans()):
            overrides.append((name, "lr_factor", draw(st.floats(1e-4, 1e4))))
        if draw(st.booleans()):
            overrides.append((name, "decay", False))
    return replace(
        Scene().with_surface(surface), optimizers=tuple(names),
        lr=draw(st.floats(1e-6, 100.0)), momentum=draw(st.floats(0.0, 0.999)),
        schedule=schedule, decay=draw(st.floats(lo, hi)), step_size=draw(st.integers(1, 2000)),
        steps=draw(st.integers(10, 2000)), start=start, noise=draw(st.floats(0.0, 100.0)),
        seed=draw(st.integers(0, 2**31 - 1)), view=draw(st.sampled_from(list(VIEWS))),
        overrides=tuple(sorted(overrides)),
    )


@settings(max_examples=150, deadline=None)
@given(scenes())
def test_scene_url_scene_is_identity(scene):
    assert round_trip(scene) == (scene, [])


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["s", "opt", "lr", "mom", "sch", "dec", "ss", "n",
                                        "start", "noise", "seed", "hp", "view", "f", "b",
                                        "x"]),
                       st.text(max_size=40)))
def test_hostile_values_never_raise(query):
    scene, warnings = scene_from_query(query)
    assert isinstance(scene, Scene)
    assert all(isinstance(w, str) and "URL parameter" in w for w in warnings)
    again, more = round_trip(scene)
    assert again == scene and more == []


def test_custom_surface_round_trips_and_bad_formulas_fall_back():
    scene, warnings = scene_from_query({"s": "custom", "f": "x^2 + relu(y)", "b": "-1,1,-2,2"})
    assert warnings == [] and scene.get_surface().bounds == ((-1, 1), (-2, 2))
    assert round_trip(scene) == (scene, [])
    scene, warnings = scene_from_query({"s": "custom", "f": "x.__class__"})
    assert scene.surface == "rosenbrock" and "'f'" in warnings[0]
    _, warnings = scene_from_query({"s": "custom", "b": "3,1,0,1"})
    assert "'b'" in warnings[0]


def test_hyperparameters_whose_default_is_none_or_inf_are_set_as_numbers():
    scene, warnings = scene_from_query(
        {"opt": "prodigy", "hp": "prodigy.beta3=0.9;prodigy.growth_rate=1.02"})
    assert warnings == []
    assert scene.hparams("prodigy") == {"beta3": 0.9, "growth_rate": 1.02}
    assert round_trip(scene) == (scene, [])
    default = scene_from_query({"opt": "prodigy"})[0]
    # a growth rate of 1.02 per step holds d back: the race is not the default one
    assert not np.allclose(scene.race()[0].points, default.race()[0].points)
    for bad in ("prodigy.beta3=1.5", "prodigy.growth_rate=0.5", "prodigy.growth_rate=inf"):
        assert "'hp'" in scene_from_query({"opt": "prodigy", "hp": bad})[1][0], bad


@pytest.mark.parametrize("kind", list(DECAY_SETTINGS))
def test_a_schedule_without_its_rate_takes_a_rate_of_its_range_without_a_warning(kind):
    """``?sch=exponential`` is a link a lecturer types: no warning about a ``dec`` it lacks
    (the rate is the Scene's default where that lies in the schedule's range, else the
    schedule's own default); a ``dec`` out of range is still named."""
    _, (lo, hi), default = DECAY_SETTINGS[kind]
    scene, warnings = scene_from_query({"sch": kind})
    assert warnings == []
    assert scene.schedule == kind and lo <= scene.decay <= hi
    assert scene.decay in (Scene().decay, default)
    scene, warnings = scene_from_query({"sch": kind, "dec": str(hi + 1)})
    assert lo <= scene.decay <= hi and len(warnings) == 1 and "'dec'" in warnings[0]
