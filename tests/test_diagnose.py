"""Why a run diverged: the lr, momentum, or a surface with no bottom."""

from urllib.parse import parse_qs

import pytest

from analysis.diagnose import LEARNING_RATE, MOMENTUM, UNBOUNDED, divergence_cause
from analysis.race import race
from pages.race import divergence_causes, divergence_note
from scene.urlstate import scene_from_query


def _diverged(query):
    scene, warnings = scene_from_query(parse_qs(query))
    assert warnings == []
    entries = race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(),
                   scene.steps, schedule=scene.schedule_fn())
    return scene, entries, {e.name: divergence_cause(scene.get_surface(), e,
                                                     scene.start_point(), scene.schedule_fn())
                            for e in entries if e.diverged}


@pytest.mark.parametrize(("query", "expected"), [
    ("s=saddle&lr=0.02", {"momentum": UNBOUNDED, "nesterov": UNBOUNDED}),
    ("s=monkey_saddle", {"momentum": UNBOUNDED, "nesterov": UNBOUNDED}),
    ("mom=0.999", {"momentum": MOMENTUM, "nesterov": MOMENTUM}),
    ("s=beale&mom=0.99", {"momentum": MOMENTUM, "nesterov": MOMENTUM}),
    ("s=ravine&opt=sgd,momentum,adam&lr=0.09&n=150", {"sgd": LEARNING_RATE}),
    ("lr=0.01&mom=0.999", {"sgd": LEARNING_RATE, "momentum": LEARNING_RATE,
                           "nesterov": LEARNING_RATE}),
    # Schedule-Free's momentum is an interpolation in (0, 1): no momentum-free rerun.
    ("s=ravine&opt=sgd_schedule_free&lr=100&n=20", {"sgd_schedule_free": LEARNING_RATE}),
])
def test_divergence_cause(query, expected):
    assert _diverged(query)[2] == expected


def test_note_names_the_real_reason():
    scene, entries, _ = _diverged("s=saddle&lr=0.02")
    note = divergence_note(entries, divergence_causes(scene, entries))
    assert "falls without bound" in note and "too large" not in note
    scene, entries, _ = _diverged("mom=0.999")
    note = divergence_note(entries, divergence_causes(scene, entries))
    assert "μ = 0.999 is too high" in note and "learning rate" not in note


def test_custom_formula_default_scene_opens_without_divergence():
    _, entries, causes = _diverged("s=custom")
    assert causes == {}, causes
