"""End-to-end: ``streamlit run app.py`` driven in Debian's headless Chromium through Playwright.

One server and one browser context for the module (pages share the HTTP cache, so only the first
page pays for the 4.7 MB Plotly bundle); one page open at a time. Each test leaves a screenshot
in ``artifacts/e2e/<test>.png`` (gitignored), the server log is kept in
``artifacts/e2e/server.log``. Without Chromium or Playwright the tests skip with the reason;
``REQUIRE_E2E=1`` (set by ``.ci/run``) turns that skip into a failure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.browser import (
    PLOT_SIGNATURE_JS,
    chromium,
    chromium_missing_reason,
    error_elements,
    plot_signature,
    skip_or_fail,
    wait_for_charts,
    wait_idle,
)
from harness.server import Server, streamlit_server
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

ARTIFACTS = ROOT / "artifacts" / "e2e"
CHANGE_TIMEOUT_MS = 60_000
CHART = ".js-plotly-plot"
# The race panel (ui/race_panel): one Plotly graph and its sliders, in the page itself.
GD = "document.querySelector('.rp-chart')"
SLIDER = {"lr": "#rp-lr", "momentum": "#rp-momentum", "decay": "#rp-decay"}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    skip_or_fail(chromium_missing_reason())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server("app.py", log_path=ARTIFACTS / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def context(server: Server) -> Iterator[Any]:
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        ctx.set_default_timeout(CHANGE_TIMEOUT_MS)
        yield ctx
        ctx.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab (a new Streamlit session); screenshot saved when the test ends."""
    tab = context.new_page()
    yield tab
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        tab.close()


def open_app(page: Any, server: Server, query: str = "") -> None:
    page.goto(f"{server.url}/{'?' + query if query else ''}")
    wait_for_charts(page)
    assert error_elements(page) == []


# -- helpers -------------------------------------------------------------------------------


def query_of(page: Any) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def wait_changed(page: Any, js: str, before: Any, timeout_ms: int = CHANGE_TIMEOUT_MS) -> None:
    """Wait until ``js`` (a function expression) returns something other than ``before``,
    then until the script run has finished."""
    page.wait_for_function(f"(old) => JSON.stringify(({js})()) !== JSON.stringify(old)",
                           arg=before, polling="raf", timeout=timeout_ms)
    wait_idle(page)


SIGNATURE_JS = PLOT_SIGNATURE_JS

# Where the "now" markers (the animation's current positions) are, per Plotly's own data.
NOW_JS = f"""() => {{ const gd = {GD};
  return gd._fullData.filter(t => t.name === 'now')
    .map(t => Array.from(t.x || []).concat(Array.from(t.y || []))); }}"""
STEP_TEXT_JS = "() => document.querySelector('.rp-step-label').textContent"
ATTRIBUTION_JS = "() => document.querySelector('.rp-attribution').textContent"
# The optimizers' paths as Plotly holds them (name, x, y), in trace order.
PATHS_JS = f"""() => {{ const gd = {GD}, m = gd.layout.meta.motion;
  return m.paths.map(i => [gd._fullData[i].legendgroup, Array.from(gd._fullData[i].x, Number),
                           Array.from(gd._fullData[i].y, Number)]); }}"""


def data_to_page(page: Any, x: float, y: float) -> tuple[float, float]:
    """Page pixels of data point (x, y) on the map's axes."""
    return page.evaluate(f"""([x, y]) => {{ const gd = {GD};
        const box = gd.getBoundingClientRect(), L = gd._fullLayout;
        return [box.left + L.xaxis._offset + L.xaxis.d2p(x),
                box.top + L.yaxis._offset + L.yaxis.d2p(y)]; }}""", [x, y])


def scene_of(page: Any) -> Any:
    """The scene the page's URL describes."""
    from scene.urlstate import scene_from_query

    return scene_from_query(query_of(page))[0]


def assert_paths_are_the_race(page: Any) -> None:
    """The paths drawn are analysis.race's for the page's settings (float32)."""
    import numpy as np


    scene = scene_of(page)
    want = {e.name: e for e in scene.race()}

    def check() -> None:
        drawn = page.evaluate(PATHS_JS)
        assert [name for name, _, _ in drawn] == list(scene.optimizers)
        for name, xs, ys in drawn:
            e = want[name]
            path = e.points if not e.diverged else e.points[:e.diverged_at]
            np.testing.assert_allclose(np.array([xs, ys]).T, np.float32(path), rtol=1e-6,
                                       atol=1e-6)

    # The rerun's figure may still be on its way to Plotly when the script is idle: wait
    # for it (at most 3 s), then the last comparison's error is the test's.
    for _ in range(30):
        try:
            return check()
        except AssertionError:
            page.wait_for_timeout(100)
    check()


# -- tests ---------------------------------------------------------------------------------


def test_page_loads_with_a_chart_and_no_error(page, server):
    open_app(page, server)
    assert page.locator(f".rp-chart{CHART}").count() == 1  # one figure: map + loss panel
    assert page.locator("iframe").count() == 0, "the panel is in the page, not an iframe"
    assert page.locator(f"{CHART} .imagelayer image").count() > 0, "no contour map drawn"
    assert page.locator(f"{CHART} .scatterlayer path.js-line").count() >= 5, "no paths drawn"
    assert page.evaluate(ATTRIBUTION_JS).startswith("Descent · Rosenbrock")
    assert page.locator('[data-testid="stAlert"]').count() == 0, "unexpected alert"
    for axis in ("lr", "momentum"):
        slider = page.locator(SLIDER[axis])
        assert slider.is_visible() and slider.get_attribute("aria-label")


DRAG_QUERY = "s=ravine&opt=sgd,momentum,adam&lr=0.02&n=120&sch=exponential&dec=0.99"


def drag_and_release(page: Any, axis: str) -> None:
    """Drag slider ``axis`` over a few stops; assert the chart redraws at least three times
    before the mouse is released, and nothing reaches the server meanwhile; release."""
    slider = page.locator(SLIDER[axis])
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    at = float(slider.input_value()) / float(slider.get_attribute("max"))
    x0 = box["x"] + 8 + at * (box["width"] - 16)
    page.evaluate(f"""() => {{ window.__drawn = new Set();
      new MutationObserver(() => window.__drawn.add(({PLOT_SIGNATURE_JS})()))
        .observe({GD}, {{subtree: true, attributes: true, attributeFilter: ['d']}}); }}""")
    query = page.url
    page.mouse.move(x0, y)
    page.mouse.down()
    direction = -1 if at > 0.5 else 1
    for i in range(1, 9):
        page.mouse.move(x0 + direction * i * box["width"] / 30, y)
        page.wait_for_timeout(40)
    page.wait_for_function("() => window.__drawn.size >= 3", timeout=10_000)
    assert page.url == query, "nothing reached the server during the drag"
    page.mouse.up()
    page.wait_for_function("(old) => window.location.href !== old", arg=query)
    wait_idle(page)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("axis", ["lr", "momentum", "decay"])
def test_dragging_a_slider_redraws_the_race_before_the_release(page, server, axis):
    """While the mouse is down Streamlit hears nothing: every change of the chart during the
    drag is drawn from the races the panel holds. On release the rerun brings the exact
    figure: the paths drawn are analysis.race's for the released settings."""
    open_app(page, server, DRAG_QUERY)
    drag_and_release(page, axis)
    assert error_elements(page) == []
    assert_paths_are_the_race(page)
    assert page.locator(".rp-chart").count() == 1


def test_after_a_release_another_slider_still_redraws_while_dragged(page, server):
    """A release sends only the released slider's races; the next slider grabbed asks for
    its own, and its drag is drawn from them before its release."""
    open_app(page, server, DRAG_QUERY)
    for axis in ("momentum", "lr", "decay", "momentum"):
        drag_and_release(page, axis)
        assert error_elements(page) == []
    assert_paths_are_the_race(page)


# What the animated traces (comets, loss heads, loss cursor) look like in the chart's SVG:
# per trace its markers' transforms, or its line's path.
MARKS_JS = f"""() => {{ const gd = {GD}, m = gd.layout.meta.motion;
  return m.animated.map(i => {{ const g = gd.querySelector('.trace' + gd._fullData[i].uid);
    const line = g.querySelector('path.js-line');
    return line ? [line.getAttribute('d')]
                : Array.from(g.querySelectorAll('path.point'), p => p.getAttribute('transform'));
  }}); }}"""


def numbers(texts: list[str]) -> list[float]:
    return [float(v) for t in texts for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", t)]


def test_a_stop_is_drawn_at_once_where_plotly_draws_it(page, server):
    """A stop of a held slider is drawn into the chart's SVG at once (no Plotly.animate); when
    the slider rests, Plotly's own data catches up, and Plotly then draws the comets, the loss
    heads and the cursor where that first drawing put them."""
    open_app(page, server, DRAG_QUERY)
    page.wait_for_timeout(500)  # the sliders' races decoded
    page.evaluate(f"() => {{ window.__animated = 0;"
                  f"  {GD}.on('plotly_animated', () => {{ window.__animated += 1; }}); }}")
    before = page.evaluate(MARKS_JS)
    # Held (pointer down) and moved two stops down, as a drag does; read in the same task.
    sketched = page.evaluate(f"""() => {{ const s = document.querySelector('{SLIDER["lr"]}');
        s.dispatchEvent(new PointerEvent('pointerdown'));
        s.value = String(Number(s.value) - 2);
        s.dispatchEvent(new Event('input'));
        return ({MARKS_JS})(); }}""")
    assert sketched != before
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__animated") == 0, "Plotly drew the stop, not the sketch"
    page.wait_for_function("() => window.__animated > 0", timeout=10_000)  # the slider rests
    page.wait_for_timeout(100)
    drawn = page.evaluate(MARKS_JS)
    assert [len(t) for t in drawn] == [len(t) for t in sketched]
    assert numbers(sum(drawn, [])) == pytest.approx(numbers(sum(sketched, [])), abs=0.011)
    query = page.url
    page.evaluate(f"""() => {{ const s = document.querySelector('{SLIDER["lr"]}');
        s.dispatchEvent(new PointerEvent('pointerup'));
        s.dispatchEvent(new Event('change')); }}""")
    page.wait_for_function("(old) => window.location.href !== old", arg=query)
    wait_idle(page)
    assert_paths_are_the_race(page)


def test_a_key_press_moves_a_slider_one_stop(page, server):
    open_app(page, server, DRAG_QUERY)
    slider = page.locator(SLIDER["momentum"])
    before = page.evaluate(SIGNATURE_JS)
    slider.focus()
    assert page.evaluate("() => document.activeElement.id") == "rp-momentum"
    slider.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('mom=0.92')")
    wait_idle(page)
    assert page.evaluate(SIGNATURE_JS) != before
    assert page.locator(".rp-momentum-group output").inner_text() == "0.92"
    slider.press("End")
    page.wait_for_function("() => window.location.search.includes('mom=0.999')")
    wait_idle(page)
    assert_paths_are_the_race(page)


def test_play_unfolds_the_race(page, server):
    """During playback each path is drawn up to the current step only; at the end, whole."""
    open_app(page, server, "s=bowl&opt=sgd,adam&n=100")
    full = [len(xs) for _, xs, _ in page.evaluate(PATHS_JS)]
    now_before = page.evaluate(NOW_JS)
    page.locator(".rp-play-btn").click()
    wait_changed(page, NOW_JS, now_before, timeout_ms=10_000)
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() !== 'step 100'")
    partial = [len(xs) for _, xs, _ in page.evaluate(PATHS_JS)]
    assert all(p < f for p, f in zip(partial, full, strict=True)), (partial, full)
    assert re.fullmatch(r"step \d+", page.evaluate(STEP_TEXT_JS))
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() === 'step 100'", timeout=20_000)
    page.wait_for_timeout(200)
    assert [len(xs) for _, xs, _ in page.evaluate(PATHS_JS)] == full
    assert page.locator(".rp-play-btn").inner_text() == "▶ Play"


def test_the_frames_are_the_numbers_python_makes(page, server):
    """Stepping to a frame draws the comets and loss heads viz.race_figure's frame has."""
    import numpy as np

    import viz
    from ui import cached

    open_app(page, server, "s=ravine&opt=sgd,momentum,nesterov&lr=0.063&n=150")
    scene = scene_of(page)
    entries = cached.race_entries(scene)
    assert any(e.diverged for e in entries)  # Nesterov: a path held at its last point
    want = viz.race_figure(scene.get_surface(), scene.get_surface().grid(20), entries).spec
    page.locator('[data-testid="stMainBlockContainer"] h5').first.click()  # focus the page
    for _ in range(7):
        page.keyboard.press("ArrowLeft")
    k = 150 - 7  # one frame per step here
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() === 'step {k}'")
    page.wait_for_timeout(300)  # Plotly draws the last frame asked for on the next frames
    frame = next(f for f in want["frames"] if f["name"] == str(k))
    got = page.evaluate(f"""() => {{ const gd = {GD}, m = gd.layout.meta.motion;
        const arr = (v) => Array.from(v || [], Number);
        return m.animated.map(i => [arr(gd._fullData[i].x), arr(gd._fullData[i].y)]); }}""")
    f4 = lambda v: np.asarray(viz.decode_typed_array(v), dtype=np.float32)  # noqa: E731
    (cx, cy), (hx, hy), (lx, _) = got
    comet, heads, cursor = frame["data"]
    np.testing.assert_array_equal(np.float32(cx), f4(comet["x"]))
    np.testing.assert_array_equal(np.float32(cy), f4(comet["y"]))
    assert hx == heads["x"] and lx == cursor["x"]
    np.testing.assert_array_equal(np.float32(hy), f4(heads["y"]))


def test_shared_url_restores_its_scene(page, server):
    open_app(page, server, "s=bowl&opt=sgd,adam&lr=0.05")
    assert page.get_by_role("combobox", name="Surface").input_value() == "Bowl"
    chosen = page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert "SGD" in chosen and "Adam" in chosen and "Momentum" not in chosen
    assert page.locator(".rp-lr-group output").inner_text() == "0.05"
    names = page.evaluate(f"() => {GD}._fullData.map(t => t.name)")
    assert any("SGD" in n for n in names) and any("Adam" in n for n in names)
    assert not any("RMSprop" in n for n in names)
    query = query_of(page)
    assert {k: query.get(k) for k in ("s", "opt", "lr")} == {"s": "bowl", "opt": "sgd,adam",
                                                             "lr": "0.05"}


def test_a_bad_url_parameter_is_named_in_a_warning(page, server):
    open_app(page, server, "s=bowl&lr=abc")
    alerts = page.locator('[data-testid="stAlert"]', has_text="URL parameter 'lr'")
    assert alerts.count() == 1
    assert page.get_by_role("combobox", name="Surface").input_value() == "Bowl"


def test_clicking_the_map_sets_the_start(page, server):
    import numpy as np

    from surfaces import SURFACES

    open_app(page, server, "s=bowl")
    page.locator(".st-key-pick_start label").first.click()
    page.locator(".rp-chart[style*='crosshair']").wait_for()
    wait_idle(page)
    (x0, x1), (y0, y1) = SURFACES["bowl"].bounds
    # A point away from the paths (they run from the default start to the minimum).
    target = (float(np.interp(0.9, [0, 1], [x0, x1])), float(np.interp(0.1, [0, 1], [y0, y1])))
    before = page.get_by_label("start x").input_value()
    px, py = data_to_page(page, *target)
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    page.wait_for_function("(old) => document.querySelector('.st-key-start_x input').value "
                           "!== old", arg=before)
    wait_idle(page)
    got = (float(page.get_by_label("start x").input_value()),
           float(page.get_by_label("start y").input_value()))
    assert got == pytest.approx(target, abs=0.03)  # one pixel is ~0.01 here
    assert error_elements(page) == []


def test_what_the_sidebar_shows_follows_the_race_panel_and_the_view(page, server):
    """A release reruns only the race view (a fragment), not the sidebar; what the sidebar
    shows follows all the same: the decay kind's own setting, and the sliders of a view
    without the panel, and back."""
    open_app(page, server, "s=bowl")
    assert page.get_by_label("decay every N steps").count() == 0
    page.locator(".rp-kind").select_option("step")
    page.get_by_label("decay every N steps").wait_for()
    wait_idle(page)
    assert "sch=step" in page.evaluate("() => window.location.search")
    sidebar_momentum = page.locator("[data-testid='stSidebar']").get_by_text(
        "Momentum μ (Momentum, Nesterov)")
    page.get_by_text("3D surface", exact=True).click()
    sidebar_momentum.wait_for()
    wait_idle(page)
    page.get_by_text("Race", exact=True).click()
    page.locator(SLIDER["lr"]).wait_for()
    wait_idle(page)
    assert sidebar_momentum.count() == 0, "the momentum slider is the panel's again"
    assert error_elements(page) == []


def test_dragging_the_start_ring_moves_the_start(page, server):
    from surfaces import SURFACES

    open_app(page, server, "s=bowl&opt=sgd")
    handle = page.locator(".rp-start")
    box = handle.bounding_box()
    start = SURFACES["bowl"].start
    assert (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) == \
        pytest.approx(data_to_page(page, *start), abs=1.5), "the ring sits on the start"
    target = (0.5, -1.0)
    px, py = data_to_page(page, *target)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move((px + box["x"]) / 2, (py + box["y"]) / 2)
    page.mouse.move(px, py)
    page.mouse.up()
    page.wait_for_function("() => window.location.search.includes('start=')")
    wait_idle(page)
    got = (float(page.get_by_label("start x").input_value()),
           float(page.get_by_label("start y").input_value()))
    assert got == pytest.approx(target, abs=0.03)
    page.wait_for_timeout(300)
    box = handle.bounding_box()  # and the ring moved with the race
    assert (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) == \
        pytest.approx(data_to_page(page, *got), abs=1.5)
    handle.focus()  # the keyboard moves it too, a fiftieth of the map per press
    handle.press("ArrowRight")
    page.wait_for_function("(old) => document.querySelector('.st-key-start_x input').value "
                           "!== old", arg=page.get_by_label("start x").input_value())
    wait_idle(page)
    (x0, x1), _ = SURFACES["bowl"].bounds
    assert float(page.get_by_label("start x").input_value()) == \
        pytest.approx(got[0] + (x1 - x0) / 50, abs=0.002)
    assert error_elements(page) == []


def test_keyboard_plays_and_steps_from_the_page(page, server):
    """Space and the arrow keys work with the focus on the page (not in an input)."""
    open_app(page, server, "s=bowl&opt=sgd&n=60")
    page.locator('[data-testid="stMainBlockContainer"] h5').first.click()  # focus the page
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() !== 'step 60'", timeout=10_000)
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() === 'step 55'", timeout=10_000)
    now_before = page.evaluate(NOW_JS)
    page.keyboard.press("Space")  # plays from step 55 to the end
    wait_changed(page, NOW_JS, now_before, timeout_ms=10_000)
    page.wait_for_function(f"() => ({STEP_TEXT_JS})() === 'step 60'", timeout=20_000)


def test_a_lecture_preset_loads_its_scene(page, server):
    from scene.presets import PRESETS
    from surfaces import SURFACES

    preset = PRESETS["momentum_ravine"]
    scene = preset.scene()
    open_app(page, server)  # Rosenbrock by default
    top = page.locator(".rp-chart").bounding_box()["y"]
    page.locator(".st-key-preset_menu button").first.click()
    before = plot_signature(page)
    page.get_by_text(preset.title, exact=True).click()
    wait_changed(page, SIGNATURE_JS, before)
    surface = page.get_by_role("combobox", name="Surface").input_value()
    assert surface == SURFACES[scene.surface].title
    page.locator(".rp-caption", has_text=preset.title).wait_for()
    assert query_of(page).get("s") == scene.surface
    assert page.locator(".rp-chart").bounding_box()["y"] == top, "the caption moved the chart"
    assert error_elements(page) == []


def test_gif_export_downloads_a_gif(page, server):
    open_app(page, server, "s=bowl&opt=sgd,adam&n=60")
    page.locator('[data-testid="stExpander"] summary', has_text="Export for slides").click()
    page.locator(".st-key-render_menu button").first.click()
    page.get_by_text("Render GIF", exact=True).click()
    download_button = page.locator('[data-testid="stDownloadButton"]', has_text="Download GIF")
    download_button.wait_for(timeout=120_000)
    with page.expect_download() as info:
        download_button.locator("button").click()
    data = Path(info.value.path()).read_bytes()
    (ARTIFACTS / "export.gif").write_bytes(data)
    assert data[:6] == b"GIF89a"
    assert len(data) > 1000
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    assert (width, height) == (1920, 1080)  # the 16:9 slide is the panel's default shape


def test_presentation_mode_keeps_the_sliders_and_fills_the_screen(page, server):
    open_app(page, server, "s=bowl&opt=sgd&n=30")
    width = f"() => {GD}._fullLayout.width"
    before = page.evaluate(width)
    page.locator(".st-key-present label").first.click()
    page.locator(".st-key-exit_present").wait_for()
    # The sidebar is gone; the chart follows the wider column; the sliders stay.
    page.wait_for_function(f"() => ({width})() > {before} + 200", timeout=20_000)
    assert page.locator(SLIDER["lr"]).is_visible()
    assert page.locator(".rp-presenting").count() == 1
    play = page.locator(".rp-play-btn").bounding_box()
    assert play["y"] + play["height"] <= page.viewport_size["height"], "Play is off-screen"
    page.locator(".st-key-exit_present button").click()  # and back: the sidebar returns
    page.locator(".st-key-present").wait_for()
    page.wait_for_function(f"() => ({width})() < {before} + 50", timeout=20_000)
    assert page.locator(".rp-presenting").count() == 0
    assert error_elements(page) == []


def test_the_chart_follows_its_column_when_the_sidebar_comes_and_goes(page, server):
    # The window keeps its size: only the column changes (Plotly's own `responsive` follows
    # the window). After each toggle the chart must be drawn as wide as its box.
    open_app(page, server, "s=bowl&opt=sgd&n=30")
    widths = f"() => [{GD}._fullLayout.width, {GD}.clientWidth]"
    fits = f"() => {{ const [drawn, box] = ({widths})(); return Math.abs(drawn - box) <= 4; }}"
    box = page.evaluate(widths)[1]
    page.locator('[data-testid="stSidebar"]').hover()  # its collapse button shows on hover
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.wait_for_function(f"() => ({widths})()[1] > {box} + 100")
    page.wait_for_function(fits, timeout=10_000)
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_function(f"() => Math.abs(({widths})()[1] - {box}) <= 2")  # slid in
    page.wait_for_function(fits, timeout=10_000)


def test_the_charts_png_button_downloads_the_chart_with_its_attribution(page, server):
    open_app(page, server, "s=bowl&opt=sgd&n=30")
    page.locator(".rp-chart").hover()
    with page.expect_download() as info:
        page.locator('.rp-chart .modebar-btn[data-title="Download the chart as a PNG"]').click()
    data = Path(info.value.path()).read_bytes()
    (ARTIFACTS / "chart.png").write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert info.value.suggested_filename == "descent-bowl.png"
    width = int.from_bytes(data[16:20], "big")
    assert width >= 3 * 500, "3x the on-screen size"


def test_protocol_client_matches_the_browser(page, server):
    """benchmarks/load.py's client (harness.wsclient) sends what the browser sends: a slider's
    release is the panel's whole state as JSON; and the panel the server sends back for the
    same change is byte-for-byte the one the browser got."""
    import json

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from harness.wsclient import StreamlitSession

    sent: list[bytes] = []
    received: list[bytes] = []

    def on_ws(ws: Any) -> None:
        ws.on("framesent", lambda p: sent.append(p if isinstance(p, bytes) else p.encode()))
        ws.on("framereceived", lambda p: received.append(p if isinstance(p, bytes) else b""))

    page.on("websocket", on_ws)
    open_app(page, server, "s=bowl")
    n_received = len(received)
    slider = page.locator(SLIDER["lr"])
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('lr=')")
    wait_idle(page)
    change = BackMsg.FromString(sent[-1]).rerun_script
    states = [w for w in change.widget_states.widgets if w.WhichOneof("value") == "json_value"]
    assert len(states) == 1
    browser_lr = json.loads(states[0].json_value)["settings"]["lr"]
    assert change.fragment_id, "the race view's release should rerun only its fragment"
    browser_panels = [m.delta.new_element.bidi_component.json
                      for m in map(ForwardMsg.FromString, received[n_received:])
                      if m.WhichOneof("type") == "delta"
                      and m.delta.new_element.WhichOneof("type") == "bidi_component"]
    assert browser_panels, "the browser received no panel for the change"
    # After the release the panel holds the lr slider's races only: grabbing momentum asks
    # for its own (the want trigger), and they come.
    n_sent = len(sent)
    page.locator(SLIDER["momentum"]).focus()

    def grabs() -> list[Any]:
        return [w for m in sent[n_sent:] for w in BackMsg.FromString(m).rerun_script
                .widget_states.widgets if w.WhichOneof("value") == "json_trigger_value"]

    for _ in range(50):  # the grab's message, at most 5 s
        if grabs():
            break
        page.wait_for_timeout(100)
    wait_idle(page)
    grabs = grabs()
    assert [json.loads(g.json_trigger_value) for g in grabs] == [
        [{"event": "want", "value": {"axis": "momentum"}}]]
    grab_fragment = [BackMsg.FromString(m).rerun_script.fragment_id for m in sent[n_sent:]
                     if BackMsg.FromString(m).rerun_script.widget_states.widgets][-1]

    async def protocol() -> tuple[float, list[str], str, list[bool]]:
        async with StreamlitSession.connect(server.url, query_string="s=bowl") as s:
            first = await s.rerun()
            assert first.ok, first
            run = await s.step_panel("lr", +1)
            assert run.ok and run.fragment, run  # as the browser's: the fragment alone
            out = (s.panel_data()["values"]["lr"], list(s.charts), s.query_string)
            held = [s.panel_holds("lr"), s.panel_holds("momentum")]
            grab = await s.want_panel("momentum")
            assert grab.ok and grab.fragment, grab
            panel_fragments = {s.fragments[w] for w, e in s.widgets.items()
                               if getattr(e, "component_name", "") == "descent_race_panel"}
            assert panel_fragments == {change.fragment_id} == {grab_fragment}
            return (*out, held + [s.panel_holds("momentum")])

    # Playwright's sync API runs an event loop in this thread: use another one.
    with ThreadPoolExecutor(1) as pool:
        lr, charts, query, held = pool.submit(asyncio.run, protocol()).result(timeout=120)
    assert lr == browser_lr
    assert [json.loads(c) for c in charts] == [json.loads(p) for p in browser_panels]
    assert f"lr={lr:g}" in query
    assert held == [True, False, True]


def test_server_log_has_no_traceback(server):
    """Last: everything the tests above did left no traceback in the server's log."""
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    assert "Uncaught app exception" not in log
