"""viz.scrub and ui.cached.lr_scrub_json: what the race chart is sent to show nearby lrs at once.

The contract: patching one lr's figure with another lr's moving parts gives exactly the other
lr's figure (what the server would send for it), and only figures of the same structure are
offered. The browser side (the component draws them, rebuilds the frames) is in test_e2e.
"""

import json
from dataclasses import replace

import numpy as np
import pytest

import viz
from scene import Scene
from ui import cached
from viz import scrub

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def spec_of(scene: Scene, font_size: int = 14) -> dict:
    return json.loads(cached.race_figure_json(scene, font_size))


def test_the_component_gets_no_frames_but_their_recipe():
    scene = Scene()
    spec = spec_of(scene)
    assert "frames" not in spec
    recipe = scrub.motion(spec)
    names = [spec["data"][i].get("name") for i in recipe["paths"]]
    assert names == ["SGD", "Momentum", "Nesterov", "RMSprop", "Adam"]
    assert all(spec["data"][i].get("xaxis") == "x2" for i in recipe["losses"])
    assert recipe["animated"] == [len(spec["data"]) - 3, len(spec["data"]) - 2,
                                  len(spec["data"]) - 1]
    assert recipe["length"] == scene.steps + 1 and recipe["trail"] == 10
    # The same steps as the frames race_figure makes (the browser test compares the numbers).
    full = viz.race_figure(scene.get_surface(), scene.get_surface().grid(20),
                           cached.race_entries(scene)).spec
    assert recipe["frames"] == [int(f["name"]) for f in full["frames"]]
    assert all(f["traces"] == recipe["animated"] for f in full["frames"])


@pytest.mark.parametrize("scene, other_lr", [
    (Scene(), 0.0013),
    (Scene(), 0.0032),  # Nesterov diverges: names and lines change
    (Scene(surface="ravine", optimizers=("sgd", "momentum", "nesterov"), lr=0.05), 0.063),
    (Scene(surface="saddle_escape", optimizers=("adam", "newton", "sgd"), lr=0.01,
           overrides=(("adam", "lr", 0.05),)), 0.013),  # lrs shown in the legend
])
def test_moving_parts_turn_one_lrs_figure_into_anothers(scene, other_lr):
    here, there = spec_of(scene), spec_of(replace(scene, lr=other_lr))
    assert scrub.structure(here) == scrub.structure(there)
    assert here != there
    patched = scrub.apply_moving_parts(here, scrub.moving_parts(there))
    assert json.dumps(patched, sort_keys=True) == json.dumps(there, sort_keys=True)


def test_structure_differs_where_an_lr_move_cannot_reach():
    base = spec_of(Scene())
    for other in (Scene(steps=200), Scene(optimizers=("sgd", "adam")), Scene(surface="bowl"),
                  Scene(momentum=0.5)):
        changed = spec_of(other)
        if other.momentum != Scene().momentum:
            # Same structure (momentum changes lines only): offered only for the lr slider.
            assert scrub.structure(changed) == scrub.structure(base)
        else:
            assert scrub.structure(changed) != scrub.structure(base)
    # A larger font (presentation mode) changes line widths: another structure.
    assert scrub.structure(spec_of(Scene(), 20)) != scrub.structure(base)


def test_moving_parts_cover_the_loss_axis_range_and_the_legend():
    calm, wild = spec_of(Scene(lr=0.001)), spec_of(Scene(lr=0.0032))
    parts = scrub.moving_parts(wild)
    assert parts["layout"]["yaxis2.range"] == wild["layout"]["yaxis2"]["range"]
    assert parts["layout"]["yaxis2.range"] != calm["layout"]["yaxis2"]["range"]
    names = {p["name"] for p in parts["data"].values() if p.get("name")}
    assert any("diverged" in n for n in names)


def test_scrub_payload_holds_the_stops_around_the_lr():
    scene = Scene()  # lr 0.001
    payload = json.loads(cached.lr_scrub_json(scene, 14))
    assert payload["current"] == "0.001"
    stops = list(cached.LR_OPTIONS)
    at = stops.index(0.001)
    want = [cached.slider_label(v) for v in stops[at - cached.SCRUB_REACH:
                                                  at + cached.SCRUB_REACH + 1] if v != 0.001]
    assert list(payload["variants"]) == want  # the current stop's figure is sent anyway
    base = spec_of(scene)
    for label, variant in payload["variants"].items():
        lr = float(label)
        expected = spec_of(replace(scene, lr=lr))
        patched = scrub.apply_moving_parts(base, variant["parts"])
        assert json.dumps(patched, sort_keys=True) == json.dumps(expected, sort_keys=True)
        assert variant["attribution"] == cached.attribution_text(replace(scene, lr=lr))


def test_scrub_payload_at_the_ends_and_off_the_grid():
    first = json.loads(cached.lr_scrub_json(Scene(surface="bowl", lr=1e-4), 14))
    assert first["current"] == "0.0001" and list(first["variants"])[0] == "0.00013"
    assert len(first["variants"]) == cached.SCRUB_REACH
    # An lr from a link, between two stops: the slider offers it too, so it is a stop here.
    odd = json.loads(cached.lr_scrub_json(Scene(lr=0.00107), 14))
    assert odd["current"] == "0.00107" and "0.00107" not in odd["variants"]
    assert "0.001" in odd["variants"] and "0.0013" in odd["variants"]


def test_no_scrub_where_the_slider_does_not_drive_cheap_races():
    assert cached.lr_scrub_json(Scene(noise=0.1), 14) is None
    assert cached.lr_scrub_json(Scene(optimizers=("newton",)), 14) is None
    assert cached.lr_scrub_json(
        Scene(optimizers=("sgd",), overrides=(("sgd", "lr", 0.01),)), 14) is None


def test_payload_bytes_stay_small():
    """Per lr move the chart is sent its figure and the stops around it: about 0.25 MB for
    the default race (the frames, ~0.12 MB, are no longer sent)."""
    spec = cached.race_figure_json(Scene(), 14)
    payload = cached.lr_scrub_json(Scene(), 14)
    assert len(spec) < 120_000
    assert len(payload) < 30_000 * 2 * cached.SCRUB_REACH


def test_float32_overflow_becomes_inf_quietly():
    with np.errstate(over="raise"):
        arr = viz.decode_typed_array(viz.typed_array([1e50, 1.0]))
    assert np.isinf(arr[0]) and arr[1] == 1.0
