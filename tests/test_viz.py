"""viz builders, checked on their specs (validated once by plotly itself) without Streamlit."""

import base64
import io
import json
import pickle
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

import viz
from analysis import race
from scene import Scene
from surfaces import SURFACES, get_surface
from viz.race import MAX_FRAMES, TRAIL, frame_steps, map_loss_span, race_motion
from viz.spec import SpecFigure, decode_typed_array, typed_array


def default_race(surface_name="rosenbrock", steps=300, lr=None, names=None):
    scene = replace(Scene().with_surface(surface_name), steps=steps)
    if lr is not None:
        scene = replace(scene, lr=lr)
    if names is not None:
        scene = replace(scene, optimizers=names)
    surface = scene.get_surface()
    entries = race(surface, scene.optimizer_specs(), scene.start_point(), scene.steps)
    return surface, entries


def xy(trace):
    return decode_typed_array(trace["x"]), decode_typed_array(trace["y"])


def test_typed_array_round_trip():
    a = np.array([[1.5, np.nan], [-2.0, 3.25]])
    spec = typed_array(a)
    assert spec["dtype"] == "f4" and spec["shape"] == "2,2"
    np.testing.assert_array_equal(decode_typed_array(spec), a.astype(np.float32))


def test_spec_figure_is_a_figure_and_validates():
    fig = SpecFigure({"data": [{"type": "scatter", "x": typed_array([0, 1])}], "layout": {}})
    assert isinstance(fig, go.Figure)
    assert fig.to_dict() is fig.spec
    assert fig.validated().data[0].type == "scatter"
    assert pickle.loads(pickle.dumps(fig)).spec == fig.spec  # st.cache_data pickles it


@pytest.fixture(scope="module")
def rosenbrock_race():
    surface, entries = default_race("rosenbrock", steps=300)
    fig = viz.race_figure(surface, surface.grid(120), entries)
    return surface, entries, fig


def test_race_figure_is_valid_plotly(rosenbrock_race):
    _, entries, fig = rosenbrock_race
    full = fig.validated()  # raises on any unknown property
    assert len(full.frames) == len(frame_steps(300))


def animated_traces(spec):
    return list(range(len(spec["data"]) - 3, len(spec["data"])))


def test_frames_carry_only_animated_traces(rosenbrock_race):
    _, entries, fig = rosenbrock_race
    spec = fig.spec
    n = len(entries)
    assert spec["data"][0]["name"] == "contours"
    for frame in spec["frames"]:
        assert frame["traces"] == animated_traces(spec)
        assert all(spec["data"][i]["type"] == "scatter" for i in frame["traces"])
        assert len(frame["data"]) == 3  # comets, loss heads, loss cursor
        assert set(frame["data"][0]) == {"x", "y"}
        assert decode_typed_array(frame["data"][0]["x"]).shape == (n * TRAIL,)


def test_loss_panel_moves_with_the_map(rosenbrock_race):
    surface, entries, fig = rosenbrock_race
    frame = fig.spec["frames"][100]
    k = int(frame["name"])
    heads, cursor = frame["data"][1], frame["data"][2]
    np.testing.assert_array_equal(decode_typed_array(heads["x"]), k)
    expected = [viz.loss_curve(surface, e)[0][k] for e in entries]
    np.testing.assert_allclose(decode_typed_array(heads["y"]), expected, rtol=1e-6)
    assert cursor["x"] == [k, k]


def test_frame_k_ends_at_step_k(rosenbrock_race):
    _, entries, fig = rosenbrock_race
    for frame in fig.spec["frames"][::37]:
        k = int(frame["name"])
        x, y = xy(frame["data"][0])
        for i, entry in enumerate(entries):
            head = (i + 1) * TRAIL - 1
            np.testing.assert_allclose([x[head], y[head]], entry.points[k], rtol=1e-6, atol=1e-6)


def test_axes_follow_bounds_with_equal_scale(rosenbrock_race):
    surface, _, fig = rosenbrock_race
    layout = fig.spec["layout"]
    assert layout["xaxis"]["range"] == list(surface.bounds[0])
    assert layout["yaxis"]["range"] == list(surface.bounds[1])
    assert layout["yaxis"]["scaleanchor"] == "x"


def test_map_background_is_one_image_and_one_line_trace(rosenbrock_race):
    surface, _, fig = rosenbrock_race
    images = fig.spec["layout"]["images"]
    assert len(images) == 1 and images[0]["source"].startswith("data:image/png;base64,")
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(
        images[0]["source"].split(",", 1)[1]))))
    assert picture.shape == (100, 100, 3) or picture.shape[2] == 3
    assert [images[0]["x"], images[0]["x"] + images[0]["sizex"]] == list(surface.bounds[0])
    # darker (lower loss) at the minimum (1, 1) than in the top-left corner
    (x0, x1), (y0, y1) = surface.bounds
    row = int((y1 - 1.0) / (y1 - y0) * (picture.shape[0] - 1))
    col = int((1.0 - x0) / (x1 - x0) * (picture.shape[1] - 1))
    assert picture[row, col].sum() < picture[0, 0].sum()
    lines = fig.spec["data"][0]
    x = decode_typed_array(lines["x"])
    assert np.isnan(x).sum() > 10  # many level curves in one NaN-separated trace


def test_log_levels_on_rosenbrock_linear_on_saddle():
    xs, ys, Z = get_surface("rosenbrock").grid(60)
    scale = viz.LevelScale.for_values(get_surface("rosenbrock"), Z)
    assert scale.log
    levels = scale(Z)
    assert np.nanmax(levels) - np.nanmin(levels) > 5  # decades, not thousands of units
    saddle = get_surface("saddle")
    assert not viz.LevelScale.for_values(saddle, saddle.grid(20)[2]).log


def test_first_load_figure_data_under_half_megabyte(rosenbrock_race):
    *_, fig = rosenbrock_race
    size = len(json.dumps(fig.spec))
    assert size < 500_000, size


def test_frames_are_capped_and_include_ends():
    shown = frame_steps(1000)
    assert len(shown) <= MAX_FRAMES + 1 and shown[0] == 0 and shown[-1] == 1000
    assert set(np.diff(shown)[:-1]) == {-(-1000 // MAX_FRAMES)}
    assert list(frame_steps(5)) == [0, 1, 2, 3, 4, 5]
    assert len(frame_steps(MAX_FRAMES)) == MAX_FRAMES + 1
    assert frame_steps(1001)[-1] == 1001


def test_diverged_path_stops_and_legend_says_so():
    surface, entries = default_race("bowl", steps=100, lr=10.0, names=("sgd", "adam"))
    sgd = entries[0]
    assert sgd.diverged
    fig = viz.race_figure(surface, surface.grid(60), entries)
    path = next(
        t for t in fig.spec["data"] if t.get("legendgroup") == "sgd" and t.get("showlegend", True)
    )
    assert f"diverged at step {sgd.diverged_at}" in path["name"]
    x, _ = xy(path)
    assert len(x) == sgd.diverged_at
    assert np.all(np.isfinite(x))
    fig.validated()
    y, log = viz.loss_curve(surface, sgd)
    assert log
    assert np.all(np.isnan(y[sgd.diverged_at :])) and np.all(np.isfinite(y[: sgd.diverged_at]))


def test_loss_axis_log_only_with_known_minimum():
    surface, entries = default_race("bowl", steps=50)
    spec = viz.race_figure(surface, surface.grid(30), entries).spec
    assert spec["layout"]["yaxis2"]["type"] == "log"
    y, _ = viz.loss_curve(surface, entries[0])
    assert np.all(y[np.isfinite(y)] > 0)
    surface, entries = default_race("saddle", steps=50)
    spec = viz.race_figure(surface, surface.grid(30), entries).spec
    assert spec["layout"]["yaxis2"]["type"] == "linear"


def test_attribution_and_a_loss_axis_that_fits_the_curves():
    surface, entries = default_race("bowl", steps=20)
    spec = viz.race_figure(surface, surface.grid(30), entries, attribution="Descent test").spec
    assert spec["layout"]["annotations"][0]["text"] == "Descent test"
    # Explicit (the chart is updated in place, without autorange) and covering every curve.
    lo, hi = spec["layout"]["yaxis2"]["range"]
    curves = [decode_typed_array(t["y"]) for t in spec["data"] if t.get("yaxis") == "y2"]
    logs = np.log10(np.concatenate([c[np.isfinite(c)] for c in curves]))
    assert lo < logs.min() and logs.max() < hi


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface_builds_valid_figures(name):
    surface, entries = default_race(name, steps=40)
    grid = surface.grid(40)
    viz.race_figure(surface, grid, entries).validated()
    fig3d = viz.surface3d_figure(get_surface(name), grid, entries).validated()
    assert fig3d.data[0].type == "surface" and len(fig3d.data) == 1 + len(entries)


def test_a_precomputed_background_gives_the_same_figure(rosenbrock_race):
    surface, entries, _ = rosenbrock_race
    grid = surface.grid(40)
    direct = viz.race_figure(surface, grid, entries).spec
    given = viz.race_figure(surface, grid, entries,
                            background=viz.map_background(surface, grid)).spec
    assert json.dumps(direct, sort_keys=True) == json.dumps(given, sort_keys=True)


def test_spec_json_is_the_spec():
    spec = {"data": [{"type": "scatter", "x": typed_array([0.5, 1.0]), "y": [np.float64(2.0)]}],
            "layout": {"height": np.int64(300)}}
    assert json.loads(SpecFigure(spec).to_json()) == {
        "data": [{"type": "scatter", "x": typed_array([0.5, 1.0]), "y": [2.0]}],
        "layout": {"height": 300}}


def test_a_run_that_blows_up_leaves_the_loss_panel_through_its_top():
    """The log loss axis reaches HEADROOM_DECADES above the highest start, not up to the
    1e30s a diverging run passes through before it is cut."""
    from viz.race import HEADROOM_DECADES

    surface, entries = default_race("bowl", steps=40, lr=5.0)  # SGD and momentum blow up
    assert any(e.diverged for e in entries)
    spec = viz.race_figure(surface, surface.grid(30), entries).spec
    lo, hi = spec["layout"]["yaxis2"]["range"]
    starts = [viz.loss_curve(surface, e)[0][0] for e in entries]
    peaks = [np.nanmax(viz.loss_curve(surface, e)[0]) for e in entries]
    assert max(peaks) > max(starts) * 10.0 ** (HEADROOM_DECADES + 2)
    assert hi <= np.ceil(np.log10(max(starts)) + HEADROOM_DECADES) + 0.15
    assert lo < np.log10(min(np.nanmin(viz.loss_curve(surface, e)[0]) for e in entries))


@pytest.mark.parametrize("name", ["saddle", "monkey_saddle"])
def test_a_run_escaping_to_minus_infinity_leaves_the_loss_axis_through_its_bottom(name):
    """Unbounded below: the linear loss axis stays within the losses on the map, so the
    runs that stay are not flattened by one that fell to -1e11."""
    surface, entries = default_race(name, steps=400, lr=0.3, names=("sgd", "adam"))
    fell = [e for e in entries if np.nanmin(e.values) < -1e3]
    assert fell, "the lr 0.3 run should escape far down the saddle"
    motion = race_motion(surface, entries)
    floor, ceiling = map_loss_span(surface)
    lo, hi = motion.loss_range
    assert not motion.log
    assert floor - 0.1 * (ceiling - floor) <= lo < floor
    assert hi - lo < 2 * (ceiling - floor)


def test_copies_of_an_optimizer_are_told_apart_from_it_and_each_other():
    from scene.scene import ALL_OPTIMIZERS, copy_names
    from viz import theme

    for name in ALL_OPTIMIZERS:
        racers = (name, *copy_names(name))
        assert [theme.label(n) for n in racers[1:]] == [
            f"{theme.label(name)} #{k}" for k in range(2, len(racers) + 1)]
        styles = {(theme.color(n), theme.dash(n)) for n in racers}
        assert len(styles) == len(racers), name
        assert all(theme.symbol(n) == theme.symbol(name) + "-open" for n in racers[1:])
