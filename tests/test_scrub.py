"""viz.scrub: the slider axes the race panel is sent, and viz.race's moving parts.

The contract: decoding an axis gives the moving parts ``viz.race.race_motion`` computes for
each stop (to the 16-bit quantization), and ``race_figure`` is built from those same parts.
The panel's JavaScript decoder is checked against the same payloads (test_race_panel).
"""

import json

import numpy as np
import pytest

import viz
from scene import Scene
from ui import cached
from viz import scrub
from viz.race import race_motion

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def spec_of(scene: Scene, font_size: int = 14) -> dict:
    return json.loads(cached.race_figure_json(scene, font_size))


def test_the_panel_gets_no_frames_nor_plotly_controls_but_the_recipe():
    scene = Scene()
    spec = spec_of(scene)
    assert "frames" not in spec
    assert "updatemenus" not in spec["layout"] and "sliders" not in spec["layout"]
    recipe = scrub.motion(spec)
    names = [spec["data"][i].get("name") for i in recipe["paths"]]
    assert names == ["SGD", "Momentum", "Nesterov", "RMSprop", "Adam"]
    assert all(spec["data"][i].get("xaxis") == "x2" for i in recipe["losses"])
    assert recipe["animated"] == [len(spec["data"]) - 3, len(spec["data"]) - 2,
                                  len(spec["data"]) - 1]
    assert recipe["length"] == scene.steps + 1 and recipe["trail"] == 10
    assert recipe["frame_ms"] > 0
    full = viz.race_figure(scene.get_surface(), scene.get_surface().grid(20),
                           cached.race_entries(scene)).spec
    assert recipe["frames"] == [int(f["name"]) for f in full["frames"]]
    assert all(f["traces"] == recipe["animated"] for f in full["frames"])


@pytest.mark.parametrize("scene", [
    Scene(lr=0.0032),  # Nesterov diverges: its name says so, its line stops
    Scene(surface="saddle_escape", optimizers=("adam", "newton", "sgd"), lr=0.01,
          overrides=(("adam", "lr", 0.05),)),  # lrs differ: shown in the legend
])
def test_the_figure_is_built_from_its_moving_parts(scene):
    spec = spec_of(scene)
    recipe = scrub.motion(spec)
    moving = race_motion(scene.get_surface(), cached.race_entries(scene))
    for j, (p, loss) in enumerate(zip(recipe["paths"], recipe["losses"], strict=True)):
        assert spec["data"][p]["name"] == spec["data"][loss]["name"] == moving.names[j]
        np.testing.assert_array_equal(viz.decode_typed_array(spec["data"][p]["x"]),
                                      np.float32(moving.paths[j][:, 0]))
        np.testing.assert_array_equal(viz.decode_typed_array(spec["data"][loss]["y"]),
                                      np.float32(moving.curves[j]))
    assert spec["layout"]["yaxis2"]["range"] == moving.loss_range
    assert spec["data"][recipe["animated"][2]]["y"] == moving.cursor


def test_quantization_round_trip():
    values = np.array([0.0, 0.25, 1.0, np.nan, -0.1, 1.1, 0.333333])
    q = scrub.quantize(values, 0.0, 1.0)
    assert q[3] == q[4] == q[5] == scrub.GAP
    back = scrub.dequantize(q, 0.0, 1.0)
    ok = ~np.isnan(back)
    np.testing.assert_allclose(back[ok], values[ok], atol=0.5 / scrub.LEVELS)
    assert np.isnan(back[[3, 4, 5]]).all()
    wrap = np.array([0, 65534, 3, 65535, 0], dtype=np.uint16)
    np.testing.assert_array_equal(scrub.undelta(scrub.delta(wrap)), wrap)


def test_an_axis_decodes_to_the_motion_of_each_stop():
    scene = Scene(surface="ravine", optimizers=("sgd", "momentum"), lr=0.05, steps=150)
    axis = json.loads(cached.panel_axes_json(scene))["momentum"]
    decoded = scrub.decode_axis(axis)
    for value, stop in zip(axis["values"], decoded, strict=True):
        from dataclasses import replace

        want = race_motion(scene.get_surface(),
                           cached.race_entries(replace(scene, momentum=value)))
        assert stop["names"] == want.names and stop["range"] == want.loss_range
        (j,) = axis["moving"]
        np.testing.assert_allclose(stop["paths"][0], want.paths[j], atol=1e-3)
        log_got, log_want = np.log10(stop["curves"][0]), np.log10(want.curves[j])
        np.testing.assert_allclose(log_got, log_want, atol=1e-3)


def test_payload_bytes_stay_small():
    """Each rerun sends the figure and the three axes: about 0.3 MB for the default race
    with a decay schedule (the issue's bound for a settle: 0.5 MB)."""
    scene = Scene(schedule="exponential", decay=0.99)
    spec = cached.race_figure_json(scene, 14)
    axes = cached.panel_axes_json(scene)
    assert len(spec) < 120_000
    assert len(spec) + len(axes) < 400_000


def test_float32_overflow_becomes_inf_quietly():
    with np.errstate(over="raise"):
        arr = viz.decode_typed_array(viz.typed_array([1e50, 1.0]))
    assert np.isinf(arr[0]) and arr[1] == 1.0
