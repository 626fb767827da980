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


def _series_codes(surface, entry) -> np.ndarray:
    """One stop's block the plain way: the drawn path (off the box a gap) and the loss
    curve, each quantized over its own bounds and delta coded, concatenated."""
    box = scrub.path_box(surface)
    path = viz.race.drawn_path(entry)
    inside = ((path >= [box[0], box[2]]) & (path <= [box[1], box[3]])).all(axis=1)
    xy = np.where(inside[:, None], path, np.nan)
    curve, log = viz.loss_curve(surface, entry)
    with np.errstate(divide="ignore"):
        t = np.log10(curve) if log else curve
    finite = t[np.isfinite(t)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    return np.concatenate([scrub.delta(scrub.quantize(xy[:, 0], box[0], box[1])),
                           scrub.delta(scrub.quantize(xy[:, 1], box[2], box[3])),
                           scrub.delta(scrub.quantize(t, lo, hi))])


def test_a_column_is_encoded_stop_by_stop_in_one_pass():
    """encode_column over all stops at once gives, per stop, what quantizing and delta
    coding that stop's series alone gives (diverged and off-the-map runs included)."""
    scene = Scene(optimizers=("sgd",), steps=120)
    surface = scene.get_surface()
    runs = list(cached.column_races(scene, "lr", "sgd", (0.0005, 0.001, 0.002, 0.004, 0.03)))
    runs.insert(2, None)  # a stop that could not be raced
    assert any(e.diverged for e in runs if e is not None)
    code = scrub.encode_column(surface, runs)
    assert code.lengths[2] is None and code.offsets[2] == code.offsets[3]
    for i, entry in enumerate(runs):
        if entry is None:
            continue
        want = _series_codes(surface, entry)
        np.testing.assert_array_equal(code.data[code.offsets[i]:code.offsets[i + 1]], want)
        assert code.lengths[i] == [len(viz.race.drawn_path(entry)), len(entry.values)]
        assert code.stats[i] == viz.curve_stats(viz.loss_curve(surface, entry)[0])


def test_curve_stats_of_rows_are_those_of_each_curve():
    curves = np.array([[3.0, 1.0, np.nan, 2.0], [np.nan] * 4, [np.inf, 5.0, -1.0, 0.5]])
    rows = viz.race.curve_stats_rows(curves)
    for row, curve in zip(rows, curves, strict=True):
        got, want = np.array(row), np.array(viz.curve_stats(curve))
        np.testing.assert_array_equal(got, want)
    assert rows[0] == (1.0, 3.0, 3.0) and rows[2] == (-1.0, 5.0, np.inf)


def test_the_loss_scale_from_stats_is_the_one_from_the_curves():
    surface = Scene().get_surface()
    entries = cached.race_entries(Scene(lr=0.0032))  # Nesterov diverges: NaN in its curve
    curves = [viz.loss_curve(surface, e)[0] for e in entries]
    finite = np.concatenate([c[np.isfinite(c)] for c in curves])
    lo, hi = finite.min(), finite.max()
    scale = viz.race.loss_scale(surface, [viz.curve_stats(c) for c in curves], True)
    assert scale.loss_range == viz.race.loss_range(lo, viz.race.loss_top(curves, hi, True), True)
    assert scale.cursor == [lo, hi]
    assert viz.race.loss_scale(surface, [viz.curve_stats(np.array([np.nan]))], True).cursor \
        == [0.0, 1.0]


def test_legend_names_from_legends_are_those_from_the_runs():
    for scene in (Scene(lr=0.0032), Scene(optimizers=("adam", "sgd"),
                                          overrides=(("adam", "lr", 0.05),))):
        entries = cached.race_entries(scene)
        assert viz.legend_names([viz.legend_of(e) for e in entries]) == \
            viz.legend_names(entries) == race_motion(scene.get_surface(), entries).names
    assert "lr" in viz.legend_names(cached.race_entries(
        Scene(optimizers=("adam", "sgd"), overrides=(("adam", "lr", 0.05),))))[0]
