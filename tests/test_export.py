"""Slide exports (viz.export): GIF, MP4, PNG and SVG, checked by decoding what they produce.

Races are built by hand on a bowl defined here, so these tests depend on no surface or
optimizer module; one smoke test also runs a real race when those packages are importable.
"""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageColor, ImageSequence

from analysis.race import RaceEntry
from surfaces import Surface
from viz import export, theme
from viz.export import frames, static
from viz.race import frame_steps

SMALL = {"width": 360, "height": 270}


def bowl(bounds=((-2.0, 2.0), (-2.0, 2.0))) -> Surface:
    return Surface(
        name="test_bowl",
        title="Test bowl",
        formula="x^2/2 + y^2/2",
        value=lambda p: 0.5 * (p[..., 0] ** 2 + p[..., 1] ** 2),
        grad=lambda p: np.asarray(p, dtype=float),
        hessian=lambda p: np.broadcast_to(np.eye(2), (*np.shape(p)[:-1], 2, 2)),
        bounds=bounds,
        minima=[(0.0, 0.0)],
        saddles=[(1.5, -1.5)],
    )


def make_entry(name: str, points, diverged_at: int = -1) -> RaceEntry:
    points = np.asarray(points, dtype=float)
    with np.errstate(all="ignore"):
        values = 0.5 * (points**2).sum(axis=-1)
    if diverged_at >= 0:
        values[diverged_at:] = np.nan
    return RaceEntry(
        name=name,
        hparams={},
        points=points,
        values=values,
        lrs=np.full(len(points), 0.1),
        diverged_at=diverged_at,
    )


def spiral(name: str, start, end, steps: int, turns: float = 0.5) -> RaceEntry:
    """A path from ``start`` curling into ``end``: distinct, smooth, inside the map."""
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    start, end = np.asarray(start, float), np.asarray(end, float)
    angle = turns * 2 * np.pi * t[:, 0]
    offset = (start - end) * (1 - t)
    rot = np.stack(
        [
            offset[:, 0] * np.cos(angle) - offset[:, 1] * np.sin(angle),
            offset[:, 0] * np.sin(angle) + offset[:, 1] * np.cos(angle),
        ],
        axis=-1,
    )
    return make_entry(name, end + rot)


def diverging(name: str, start, steps: int) -> RaceEntry:
    """SGD with too large a learning rate on the bowl: x <- -2x until |x| > 1e6."""
    points = np.empty((steps + 1, 2))
    points[0] = start
    diverged_at = -1
    for k in range(1, steps + 1):
        nxt = points[k - 1] * -2.0
        if diverged_at < 0 and np.abs(nxt).max() > 1e6:
            diverged_at = k
        points[k] = points[k - 1] if diverged_at >= 0 else nxt
    return make_entry(name, points, diverged_at)


STEPS = 60
ENDS = {"sgd": (1.2, 1.2), "momentum": (-1.2, 0.9), "adam": (0.7, -1.0)}


@pytest.fixture(scope="module")
def race():
    surface = bowl()
    entries = [spiral(name, (-1.5, 1.5), end, STEPS) for name, end in ENDS.items()]
    return surface, entries


@pytest.fixture(scope="module")
def gif(race):
    surface, entries = race
    fractions = []
    data = export.race_gif(
        surface,
        entries,
        max_frames=40,
        attribution="Descent · test",
        progress=fractions.append,
        **SMALL,
    )
    return data, fractions


def rgb_frames(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as im:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(im)]


def test_gif_is_a_looping_animation_of_the_frame_steps(gif):
    data, _ = gif
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF" and im.is_animated
        assert im.n_frames == len(frame_steps(STEPS, 40)) > 20
        assert im.size == (SMALL["width"], SMALL["height"])
        assert im.info["loop"] == 0
        durations = []
        for frame in ImageSequence.Iterator(im):
            durations.append(frame.info["duration"])
    assert durations[0] == 30  # 30 fps, in whole centiseconds
    assert durations[-1] == 30 + export.HOLD_LAST_MS


def test_gif_first_and_last_frames_differ(gif):
    frames = rgb_frames(gif[0])
    assert (frames[0] != frames[-1]).any()


def test_gif_head_has_the_optimizer_colour(race, gif):
    surface, entries = race
    layout = export.gif_layout(surface, entries, attribution="Descent · test", **SMALL)
    last = rgb_frames(gif[0])[-1]
    for entry in entries:
        x, y = np.round(layout.to_pixels(entry.points[-1])).astype(int)
        want = np.array(ImageColor.getrgb(theme.color(entry.name)))
        assert np.abs(last[y, x].astype(int) - want).max() <= 8, entry.name


def test_layout_matches_what_matplotlib_drew():
    """The transform the paths use puts the minimum on the white fill of matplotlib's star."""
    surface = bowl()
    layout = export.gif_layout(surface, [])
    background = rgb_frames(export.race_gif(surface, []))[0]
    x, y = np.round(layout.to_pixels(surface.minima[0])).astype(int)
    assert (background[y, x] >= 245).all()
    rows, cols = np.nonzero((background[y - 8 : y + 9, x - 8 : x + 9] >= 245).all(axis=-1))
    assert abs(cols.mean() - 8) < 1 and abs(rows.mean() - 8) < 1.5
    left, top, right, bottom = layout.box
    assert 0 < left < x < right < 800 and 0 < top < y < bottom < 600


def test_gif_decodes_to_exactly_the_rendered_frames(race):
    """The hand-written delta frames (transparent where unchanged) rebuild every frame."""
    surface, entries = race
    data = export.race_gif(surface, entries, max_frames=12, **SMALL)
    animation = frames.animation(
        surface, entries, max_frames=12, trail=12, attribution="", **SMALL
    )
    rendered = list(animation.frames)
    assert all((np.asarray(frame) != export.TRANSPARENT).all() for frame in rendered)
    decoded = rgb_frames(data)
    assert len(decoded) == len(rendered) == animation.count
    for frame, got in zip(rendered, decoded, strict=True):
        np.testing.assert_array_equal(got, np.asarray(frame.convert("RGB")))


def test_progress_rises_to_one(gif):
    _, fractions = gif
    assert len(fractions) >= 3
    assert all(0 < a < b for a, b in zip(fractions, fractions[1:], strict=False))
    assert fractions[-1] == 1.0


def test_gif_is_deterministic(race, gif):
    surface, entries = race
    again = export.race_gif(surface, entries, max_frames=40, attribution="Descent · test", **SMALL)
    assert again == gif[0]


def test_exploding_path_is_clipped_without_crashing():
    surface = bowl()
    blowup = diverging("sgd", (0.05, 0.03), STEPS)
    assert 0 < blowup.diverged_at < 30 and np.abs(blowup.points).max() > 1e5
    calm = spiral("adam", (-1.5, 1.5), (0.5, 0.5), STEPS)
    frames = rgb_frames(export.race_gif(surface, [blowup, calm], max_frames=STEPS, **SMALL))
    assert len(frames) == STEPS + 1
    assert (frames[2] != frames[5]).any()
    # its last finite point is far off the map: drawn up to the map's edge, no head
    black = (frames[-1] == 0).all(axis=-1)
    assert black.sum() > 20


def test_path_stops_at_its_last_finite_point():
    surface = bowl()
    path = spiral("momentum", (-1.5, 1.5), (0.8, -0.4), STEPS).points.copy()
    stop = 25
    path[stop:] = path[stop - 1]  # RaceEntry's convention after a NaN step
    entry = make_entry("momentum", path, diverged_at=stop)
    frames = rgb_frames(export.race_gif(surface, [entry], max_frames=STEPS, **SMALL))
    layout = export.gif_layout(surface, [entry], **SMALL)
    left, top, right, bottom = layout.box
    plot = (slice(top, bottom), slice(left, right))
    assert (frames[stop - 5][plot] != frames[stop - 1][plot]).any()
    for k in (stop, stop + 10, STEPS):
        np.testing.assert_array_equal(frames[k][plot], frames[stop - 1][plot])
    x, y = np.round(layout.to_pixels(path[stop - 1])).astype(int)
    want = np.array(ImageColor.getrgb(theme.color("momentum")))
    assert np.abs(frames[-1][y, x].astype(int) - want).max() <= 8


def distance_to_polyline(q: np.ndarray, points: np.ndarray) -> float:
    a, b = points[:-1], points[1:]
    d = b - a
    length2 = (d**2).sum(axis=-1)
    t = np.clip(((q - a) * d).sum(axis=-1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * d - q, axis=-1)))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7)), min_size=2, max_size=8))
def test_clipped_runs_stay_in_the_box_and_on_the_path(points):
    points = np.asarray(points)
    lo, hi = np.array([-100.0, -50.0]), np.array([300.0, 250.0])
    for run in frames.clip_runs(points, tuple(lo), tuple(hi)):
        assert len(run) >= 2
        assert (run >= lo - 1e-3).all() and (run <= hi + 1e-3).all()
        for q in run:
            assert distance_to_polyline(q, points) < 1e-3


def test_unclipped_path_is_returned_whole():
    inside = np.array([[0.0, 0.0], [50.0, 60.0], [200.0, 10.0]])
    (run,) = frames.clip_runs(inside, (-100.0, -50.0), (300.0, 250.0))
    np.testing.assert_array_equal(run, inside)


def test_clipping_keeps_a_segment_direction():
    (run,) = frames.clip_runs(np.array([[0.0, 0.0], [1e6, 1e5]]), (-10, -10), (110, 110))
    np.testing.assert_allclose(run, [[0.0, 0.0], [110.0, 11.0]])
    assert frames.clip_runs(np.array([[-1e6, -5.0], [-1e5, 500.0]]), (0, 0), (10, 10)) == []


def test_png_has_the_requested_size():
    surface = bowl()
    entries = [spiral("sgd", (-1.5, 1.5), (0.2, 0.1), 30), diverging("momentum", (0.1, 0.1), 40)]
    data = export.race_png(surface, entries, width=900, height=700, attribution="Descent · x")
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG" and im.size == (900, 700)


def test_svg_is_xml_with_the_attribution_and_deterministic():
    surface = bowl(bounds=((-4.0, 4.0), (-1.0, 1.0)))  # wide: the legend goes above the map
    entries = [spiral("nadam", (-3.0, 0.5), (0.2, 0.1), 30)]
    text = export.attribution_line("Test bowl", "lr=0.1 · descent.app")
    data = export.race_svg(surface, entries, width=800, height=600, attribution=text)
    assert b"<svg" in data and text.encode("utf-8") in data
    assert ET.fromstring(data).tag.endswith("svg")
    assert export.race_svg(surface, entries, width=800, height=600, attribution=text) == data


def test_attribution_line():
    assert export.attribution_line("Rosenbrock", "lr=0.001") == "Descent · Rosenbrock · lr=0.001"
    assert export.attribution_line("Bowl", "") == "Descent · Bowl"


def test_no_entries_and_bad_arguments():
    with Image.open(io.BytesIO(export.race_gif(bowl(), [], **SMALL))) as im:
        assert im.size == (SMALL["width"], SMALL["height"])
    with pytest.raises(ValueError, match="Invalid export size"):
        export.race_gif(bowl(), [], width=10, height=10)
    with pytest.raises(ValueError, match="Invalid fps"):
        export.race_gif(bowl(), [], fps=0)


def test_mp4_has_every_frame_and_the_hold(race, tmp_path):
    import imageio_ffmpeg

    surface, entries = race
    data = export.race_mp4(surface, entries, max_frames=20, fps=20, width=361, height=271)
    assert data[4:8] == b"ftyp"
    path = tmp_path / "race.mp4"
    path.write_bytes(data)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == len(frame_steps(STEPS, 20)) + 30  # 1.5 s held at 20 fps


def test_real_race_smoke():
    import surfaces
    from analysis.race import race

    surface = surfaces.get_surface("rosenbrock")
    entries = race(surface, [("sgd", {"lr": 1e-3}), ("adam", {"lr": 1e-2})], surface.start, 80)
    data = export.race_gif(surface, entries, max_frames=20, **SMALL)
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames == len(frame_steps(80, 20))


# ---------------------------------------------------------------------- slide shapes


def test_drawn_path_stops_at_divergence_and_at_a_non_finite_point():
    """One rule for the page's chart and every export (viz.race.drawn_path)."""
    from viz.race import drawn_path

    path = spiral("sgd", (-1.5, 1.5), (0.2, 0.1), 30).points.copy()
    assert len(drawn_path(make_entry("sgd", path))) == 31
    assert len(drawn_path(make_entry("sgd", path, diverged_at=12))) == 12
    path[20] = np.nan  # a hand-made entry that never says it diverged
    drawn = drawn_path(make_entry("sgd", path))
    assert len(drawn) == 20 and np.isfinite(drawn).all()


# Ends whose losses lie decades apart, so the loss chart's heads do not overlap.
WIDE_ENDS = {"sgd": (1.5, 1.5), "momentum": (0.3, -0.3), "adam": (0.03, 0.03)}


@pytest.fixture(scope="module")
def wide_race():
    entries = [spiral(name, (-1.5, 1.5), end, STEPS) for name, end in WIDE_ENDS.items()]
    return bowl(), entries


@pytest.fixture(scope="module")
def wide(wide_race):
    surface, entries = wide_race
    slide = export.SLIDES["16:9"]
    text = export.attribution_line("Test bowl", "lr=0.1")
    png = export.race_png(surface, entries, attribution=text, **slide.picture_kwargs())
    gif = export.race_gif(surface, entries, attribution=text, max_frames=30,
                          **slide.animation_kwargs())
    background = static.render_background(surface, entries, attribution=text,
                                           **slide.animation_kwargs())
    return png, gif, background


def test_slide_shapes_have_their_sizes():
    assert export.SLIDES["16:9"].picture == export.SLIDES["16:9"].animation == (1920, 1080)
    assert export.SLIDES["16:9"].loss_panel
    assert export.SLIDES["4:3"].picture == (1600, 1200) and not export.SLIDES["4:3"].loss_panel


def test_wide_png_and_gif_are_1920_by_1080(wide):
    png, gif, _ = wide
    for data in (png, gif):
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (1920, 1080)


def test_wide_svg_keeps_the_proportions(race):
    surface, entries = race
    data = export.race_svg(surface, entries, **export.SLIDES["16:9"].picture_kwargs())
    root = ET.fromstring(data)
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    assert width / height == pytest.approx(16 / 9, rel=1e-3)


def test_wide_slide_draws_each_loss_curve_to_its_end(wide_race, wide):
    """The loss panel is there: each curve's last point carries the optimizer's colour in the
    PNG (final marker) and in the GIF's last frame (head); the panel sits right of the map."""
    _, entries = wide_race
    png, gif, background = wide
    assert background.loss is not None
    assert background.loss.box[0] > background.map.box[2]  # beside the map
    with Image.open(io.BytesIO(png)) as im:
        picture = np.asarray(im.convert("RGB"))
    last = rgb_frames(gif)[-1]
    for entry, curve in zip(entries, background.loss.curves, strict=True):
        x, y = np.round(curve[-1]).astype(int)
        left, top, right, bottom = background.loss.box
        assert left <= x <= right and top <= y <= bottom, entry.name
        want = np.array(ImageColor.getrgb(theme.color(entry.name)))
        for image in (picture, last):
            patch = image[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).astype(int)
            assert (np.abs(patch - want).max(axis=-1) <= 8).any(), entry.name


def test_gif_loss_curve_grows_with_the_frames(wide_race, wide):
    _, entries = wide_race
    _, gif, background = wide
    frames = rgb_frames(gif)
    left, top, right, bottom = background.loss.box
    first, middle = (f[top:bottom, left:right] for f in (frames[0], frames[len(frames) // 2]))
    want = np.array(ImageColor.getrgb(theme.color(entries[0].name)))
    count = [int((np.abs(f.astype(int) - want).max(axis=-1) <= 8).sum()) for f in (first, middle)]
    assert count[1] > count[0] + 50


def test_attribution_sits_in_the_bottom_strip(race):
    surface, entries = race
    kwargs = export.SLIDES["16:9"].picture_kwargs()
    strips = []
    for text in ("", "Descent · Test bowl · lr=0.1"):
        with Image.open(io.BytesIO(export.race_png(surface, entries, attribution=text,
                                                   **kwargs))) as im:  # fmt: skip
            strips.append(np.asarray(im.convert("L"))[-40:, :900])
    assert (strips[0] > 250).all()  # nothing there without one
    assert (strips[1] < 128).sum() > 500  # dark text with one


def test_gif_carries_the_attribution_as_its_comment(wide):
    _, gif, _ = wide
    with Image.open(io.BytesIO(gif)) as im:
        assert im.info["comment"].decode("utf-8") == "Descent · Test bowl · lr=0.1"


def test_bad_text_scale_is_refused():
    with pytest.raises(ValueError, match="Invalid text_scale"):
        export.race_png(bowl(), [], text_scale=0)


def test_the_page_offers_every_slide_shape_with_its_size():
    from ui.exports import SHAPES

    assert list(SHAPES) == list(export.SLIDES)
    for key, slide in export.SLIDES.items():
        assert "{}×{}".format(*slide.picture) in SHAPES[key]


def test_a_long_legend_fits_without_squeezing_the_map():
    """Fourteen optimizers: the legend gets smaller type, stays in the picture, and the map
    keeps its width."""
    from dataclasses import replace

    names = list(theme.OPTIMIZER_COLORS)[:14]
    entries = [
        replace(spiral(n, (-1.5, 1.5), (0.1 * i - 0.7, 0.05 * i - 0.3), 30),
                hparams={"lr": 0.00125 * (i + 1)}, diverged_at=29 if i % 2 else -1)
        for i, n in enumerate(names)
    ]  # long labels: "Momentum · lr 0.0025 (diverged at step 29)"  # fmt: skip
    drawn = static.race_picture(bowl(), entries, attribution="x", static=True,
                                **export.SLIDES["16:9"].picture_kwargs())  # fmt: skip
    drawn.canvas.draw()
    legend = next(a for a in drawn.fig.axes if a not in (drawn.map, drawn.loss)).get_legend()
    box = legend.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= 1920 and box.y0 >= 0 and box.y1 <= 1080
    assert drawn.map.get_window_extent().width > 0.35 * 1920


def test_a_copys_head_is_an_open_marker_in_the_animation_as_in_its_legend():
    """SGD #2's legend shows an open circle (viz.export.static._style): its head in a GIF
    frame is one too, a ring of its colour around white; SGD's is a filled disc."""
    from PIL import ImageDraw

    from viz.export.frames import _head_shape, _Track

    for name, centre_is_white in (("sgd", False), ("sgd~2", True)):
        image = Image.new("P", (40, 40), 0)
        track = _Track(pixels=np.array([[20.0, 20.0]]), color=7, head=_head_shape(name, 16),
                       size=16, outside=np.zeros(2, dtype=np.int64),
                       hollow=theme.symbol(name).endswith("-open"))
        track.draw_head(ImageDraw.Draw(image), 0, white=1, outline=1)
        pixels = np.asarray(image)
        assert (pixels[20, 20] == 1) == centre_is_white, name
        assert (pixels[20, 12:15] == 7).any(), name  # its colour on the rim
