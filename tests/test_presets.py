"""Lecture presets: each loads, is its own URL, and still tells the story its caption tells."""

from urllib.parse import parse_qs

import pytest

from analysis import race, summarize
from analysis.presets import PRESETS
from analysis.urlstate import scene_from_query, scene_to_query


def outcome(preset_name):
    scene = PRESETS[preset_name].scene()
    surface = scene.get_surface()
    entries = race(surface, scene.optimizer_specs(), scene.start_point(), scene.steps,
                   schedule=scene.schedule_fn(), noise=scene.noise, seed=scene.seed)
    return {r.name: r for r in summarize(surface, entries)}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_is_a_valid_url(name):
    preset = PRESETS[name]
    scene, warnings = scene_from_query(parse_qs(preset.query))
    assert warnings == []
    assert scene_from_query(scene_to_query(scene)) == (scene, [])
    assert preset.caption and preset.title


def test_momentum_beats_sgd_in_the_ravine():
    r = outcome("momentum_ravine")
    assert r["sgd"].steps_to_tolerance == -1  # still crawling along the floor
    assert 0 < r["nesterov"].steps_to_tolerance < r["momentum"].steps_to_tolerance


def test_too_large_lr_diverges_sgd_but_not_momentum():
    r = outcome("lr_too_large")
    assert r["sgd"].diverged_at > 0
    assert r["momentum"].diverged_at == -1 and r["adam"].diverged_at == -1


def test_saddle_sgd_is_slowest_to_escape():
    r = outcome("saddle")
    assert all(r["sgd"].steps_to_tolerance > r[n].steps_to_tolerance
               for n in ("momentum", "rmsprop", "adam"))


def test_smooth_valley_settles_where_the_kink_rattles():
    kink, smooth = outcome("kink"), outcome("smooth_kink")
    assert kink["sgd"].steps_to_tolerance == -1
    assert smooth["sgd"].steps_to_tolerance > 0


def test_newton_is_attracted_to_the_saddle_saddle_free_newton_is_not():
    scene = PRESETS["newton_saddle"].scene()
    surface = scene.get_surface()
    entries = {e.name: e for e in race(surface, scene.optimizer_specs(), scene.start_point(),
                                       scene.steps)}
    saddle = surface.saddles[0]
    assert abs(entries["newton"].points[-1] - saddle).max() < 1e-6
    final = entries["saddle_free_newton"].points[-1]
    assert min(abs(surface.minima - final).max(axis=1)) < 1e-6
