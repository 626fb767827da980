"""ui.cached: the races along the race panel's sliders are the races at those settings."""

import json
from dataclasses import replace

import numpy as np
import pytest

from analysis.race import race, race_batched, race_over_lrs
from scene import Scene, stops
from ui import cached
from viz import scrub

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def direct(scene: Scene):
    return race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(), scene.steps,
                schedule=scene.schedule_fn(), noise=scene.noise, seed=scene.seed,
                unscheduled=scene.unscheduled())


def test_the_shown_race_is_the_race():
    for scene in (Scene(), Scene(lr=0.00123), Scene(noise=0.1, seed=3), SCENES[-1]):
        got, want = cached.race_entries(scene), direct(scene)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.points, b.points)
            assert a.diverged_at == b.diverged_at


def axis_of(scene: Scene, axis: str) -> dict | None:
    return json.loads(cached.panel_axes_json(scene))[axis]


SCENES = [
    Scene(),  # Rosenbrock, the default five
    Scene(surface="ravine", optimizers=("sgd", "momentum", "nesterov"), lr=0.05, steps=150,
          schedule="exponential", decay=0.99),
    Scene(surface="saddle_escape", optimizers=("adam", "newton", "sgd"), lr=0.01, steps=80,
          overrides=(("adam", "lr", 0.05),), schedule="inverse_time", decay=0.01),
    Scene(surface="bowl", optimizers=("momentum", "rmsprop"), lr=0.1, momentum=0.93,
          steps=60, schedule="step", decay=0.5, step_size=20),
    # copies: an auto-tuned factor, a constant-lr baseline beside its decayed original
    Scene(surface="ravine", optimizers=("sgd", "sgd~2", "momentum~2", "adam"), lr=0.02,
          steps=80, schedule="exponential", decay=0.97,
          overrides=(("adam", "lr_factor", 5.0), ("sgd~2", "decay", False),
                     ("sgd~2", "lr_factor", 2.0))),
]


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("axis", cached.AXES)
def test_every_stop_held_is_the_race_at_that_setting(scene, axis):
    """What the panel draws for a stop is analysis.race at that stop (to the 16-bit
    quantization: a few millionths of the map), for the optimizers the slider moves."""
    payload = axis_of(scene, axis)
    if not cached.axis_moves(scene, axis):
        assert payload is None
        return
    values = cached.axis_stops(scene, axis)
    assert payload["values"] == list(values)
    assert getattr(scene, axis) in values
    decoded = scrub.decode_axis(payload)
    (x0, x1), (y0, y1) = scene.get_surface().bounds
    tol = 3 * max(x1 - x0, y1 - y0) / scrub.LEVELS
    moving = [scene.optimizers[j] for j in payload["moving"]]
    assert moving == cached.axis_moves(scene, axis)
    held = 0
    for value, stop in zip(values, decoded, strict=True):
        if stop is None:
            continue
        held += 1
        at = replace(scene, **{axis: value})
        want = {e.name: e for e in direct(at)}
        for name, path, curve in zip(moving, stop["paths"], stop["curves"], strict=True):
            e = want[name]
            drawn = e.points if not e.diverged else e.points[:e.diverged_at]
            assert len(path) == len(drawn)
            bx0, bx1, by0, by1 = payload["box"]
            inside = (drawn[:, 0] >= bx0) & (drawn[:, 0] <= bx1) & (drawn[:, 1] >= by0) \
                & (drawn[:, 1] <= by1)
            np.testing.assert_allclose(path[inside], drawn[inside], atol=tol, rtol=0)
            assert np.isnan(path[~inside]).all()  # off the box: a gap, far out of view
            assert stop["attribution"] == cached.attribution_text(at)
            assert np.isnan(curve).sum() == np.isnan(e.values).sum()
    assert held == len(values)  # Nesterov at mu = 0 too: raced alone, as plain SGD


def test_no_axes_with_noisy_gradients():
    assert json.loads(cached.panel_axes_json(Scene(noise=0.1))) == \
        {"lr": None, "momentum": None, "decay": None}


def test_no_lr_axis_when_nobody_follows_the_lr_slider():
    assert axis_of(Scene(optimizers=("newton",)), "lr") is None
    assert axis_of(Scene(optimizers=("sgd",), overrides=(("sgd", "lr", 0.01),)), "lr") is None


def test_the_races_along_a_slider_are_keyed_without_its_value():
    a, b = Scene(lr=0.001), Scene(lr=0.0013)
    assert cached.along(a, "lr") == cached.along(b, "lr")
    assert cached.along(a, "lr").lr is None
    assert cached.along(a, "momentum") != cached.along(b, "momentum")


def test_an_off_grid_value_is_a_stop_of_its_own():
    scene = Scene(lr=0.00107, momentum=0.91)
    assert 0.00107 in cached.axis_stops(scene, "lr")
    assert 0.91 in cached.axis_stops(scene, "momentum")
    assert set(stops.LR_STOPS) < set(cached.axis_stops(scene, "lr"))


def test_batched_races_over_momentum_and_decay_are_single_races():
    scene = Scene(surface="ravine", optimizers=("momentum",), lr=0.05, steps=50,
                  schedule="exponential", decay=0.9)
    moms, decays = np.array([0.5, 0.9, 0.99]), np.array([0.9, 0.99, 1.0])
    for field, values in (("momentum", moms), ("decay", decays)):
        hp = {**scene.hparams("momentum"), **({field: values} if field == "momentum" else {})}
        schedule = replace(scene, decay=values if field == "decay" else scene.decay)
        got = race_batched(scene.get_surface(), [("momentum", hp)], len(values),
                           scene.start_point(), scene.steps, schedule=schedule.schedule_fn())
        for v, (entry,) in zip(values.tolist(), got, strict=True):
            (want,) = direct(replace(scene, **{field: v}))
            np.testing.assert_array_equal(entry.points, want.points)
            assert dict(entry.hparams) == dict(want.hparams)


def test_race_over_lrs_refuses_second_order_methods():
    scene = Scene(optimizers=("newton",))
    with pytest.raises(ValueError, match="own step size"):
        race_over_lrs(scene.get_surface(), scene.optimizer_specs(), [0.1], (0.0, 0.0), 5)
    assert race_over_lrs(scene.get_surface(), [], [], (0.0, 0.0), 5) == []


def test_cache_keys_tell_scenes_apart_by_every_field():
    a = Scene()
    assert cached.key_of(a, 14) == cached.key_of(Scene(), 14)
    for b in (Scene(lr=0.0010000000000000002), Scene(start=(0.0, 0.0)), Scene(seed=1),
              Scene(overrides=(("adam", "eps", 1e-6),)), Scene(formula="x"),
              Scene(bounds=(-3.0, 3.0, -3.0, 3.5))):
        assert cached.key_of(b, 14) != cached.key_of(a, 14)
    assert cached.key_of(a, 14) != cached.key_of(a, 15)


def test_a_run_is_keyed_by_what_it_depends_on():
    a, b = Scene(momentum=0.9), Scene(momentum=0.5)
    assert cached.run_key(a, "sgd") == cached.run_key(b, "sgd")
    assert cached.run_key(a, "momentum") != cached.run_key(b, "momentum")
    assert cached.run_key(a, "momentum", "momentum") == cached.run_key(b, "momentum", "momentum")
    assert cached.run_key(a, "sgd") != cached.run_key(replace(a, lr=0.002), "sgd")
    assert cached.run_key(a, "sgd", "lr") == cached.run_key(replace(a, lr=0.002), "sgd", "lr")


def test_a_momentum_move_races_only_the_optimizers_momentum_drives(monkeypatch):
    scene = Scene(start=(-1.23, 2.34))  # a start no other test races from
    cached.race_entries(scene)
    raced = []
    real = cached.race
    monkeypatch.setattr(cached, "race", lambda s, specs, *a, **k: (
        raced.extend(n for n, _ in specs), real(s, specs, *a, **k))[1])
    moved = replace(scene, momentum=0.5)
    got = cached.race_entries(moved)
    assert sorted(raced) == ["momentum", "nesterov"]
    for a, b in zip(got, direct(moved), strict=True):
        np.testing.assert_array_equal(a.points, b.points)
        np.testing.assert_array_equal(a.values, b.values)
