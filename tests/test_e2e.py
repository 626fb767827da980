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
LR_LABEL = "Learning rate (log scale)"
CHANGE_TIMEOUT_MS = 60_000
CHART = ".js-plotly-plot"
# The race chart is a component (ui/race_chart): one Plotly graph in a same-origin iframe.
RACE_FRAME = 'iframe[title="ui.race_chart.race_chart"]'
GD = f"""document.querySelector('{RACE_FRAME}').contentDocument.querySelector('{CHART}')"""


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


def lr_slider(page: Any) -> Any:
    return page.locator(f'[data-testid="stSlider"]:has-text("{LR_LABEL}") '
                        'input[type="range"]').first


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

SLIDER_TEXT_JS = f"""() => Array.from({GD}.querySelectorAll('.slider-group .slider-label'))
  .map(e => e.textContent)"""

# How the race chart applied its last change ("in place" or "full") and how many it did.
RENDERS_JS = f"""() => {{ const w = document.querySelector('{RACE_FRAME}').contentWindow;
  return [w.__descentRenders, w.__descentLast && w.__descentLast.how]; }}"""


# How each render of the race chart went, oldest first: "full", "in place", "same" (nothing
# to redraw) or "scrub" (an lr drawn from what the chart holds, before the rerun).
HISTORY_JS = f"""() => document.querySelector('{RACE_FRAME}').contentWindow.__descentHistory"""


def data_to_page(page: Any, x: float, y: float) -> tuple[float, float]:
    """Page pixels of data point (x, y) on the map's axes (the chart is in an iframe)."""
    return page.evaluate(f"""([x, y]) => {{
        const frame = document.querySelector('{RACE_FRAME}').getBoundingClientRect();
        const gd = {GD};
        const box = gd.getBoundingClientRect(), L = gd._fullLayout;
        return [frame.left + box.left + L.xaxis._offset + L.xaxis.d2p(x),
                frame.top + box.top + L.yaxis._offset + L.yaxis.d2p(y)]; }}""", [x, y])


# -- tests ---------------------------------------------------------------------------------


def test_page_loads_with_a_chart_and_no_error(page, server):
    open_app(page, server)
    chart = page.frame_locator(RACE_FRAME)
    assert chart.locator(CHART).count() == 1  # one figure: map + loss panel
    # The contour map: a contour trace, or a pre-rendered background image of it.
    background = f"{CHART} .contourlayer path, {CHART} .imagelayer image, {CHART} g.contour"
    assert chart.locator(background).count() > 0, "no contour map drawn"
    assert chart.locator(f"{CHART} .scatterlayer path.js-line").count() >= 5, "no paths drawn"
    assert chart.locator("#attribution").inner_text().startswith("Descent · Rosenbrock")
    assert page.locator('[data-testid="stAlert"]').count() == 0, "unexpected alert"


def move_lr_and_wait(page: Any, key: str = "ArrowRight") -> list[str]:
    """Move the lr slider one stop; wait for the chart to draw it, then for the rerun's
    figure to reach the chart. Returns how those renders went."""
    seen = len(page.evaluate(HISTORY_JS))
    slider = lr_slider(page)
    slider.focus()
    slider.press(key)
    page.wait_for_function(f"() => ({HISTORY_JS})().length >= {seen + 2}")
    wait_idle(page)
    return page.evaluate(HISTORY_JS)[seen:]


def test_lr_slider_changes_the_chart(page, server):
    open_app(page, server)
    before = plot_signature(page)
    renders = move_lr_and_wait(page)
    assert plot_signature(page) != before
    assert error_elements(page) == []
    assert "lr" in query_of(page), "the new lr is in the shareable URL"
    # The chart drew the new lr from what it had been sent, before the rerun; the rerun's
    # figure was then the one on screen: nothing redrawn.
    assert renders == ["scrub", "same"]
    attribution = page.frame_locator(RACE_FRAME).locator("#attribution").inner_text()
    assert "lr=0.0013" in attribution


def test_the_chart_rebuilds_the_frames_python_makes(page, server):
    """After an lr move drawn in the browser (with an optimizer diverging at the new lr),
    the lines and every animation frame are the numbers viz.race_figure makes for it."""
    import numpy as np

    import viz
    from scene import Scene
    from ui import cached
    from viz import scrub

    open_app(page, server, "lr=0.0025")
    assert move_lr_and_wait(page)[0] == "scrub"  # to 0.0032: Nesterov diverges
    scene = Scene(lr=0.0032)
    entries = cached.race_entries(scene)
    assert any(e.diverged for e in entries)
    want = viz.race_figure(scene.get_surface(), scene.get_surface().grid(20), entries).spec
    got = page.evaluate(f"""() => {{ const gd = {GD};
        const arr = (v) => Array.from(v || [], Number);
        return {{lines: gd.data.map((t, i) => [t.name || null, arr(t.x), arr(t.y),
                                               gd._fullData[i].visible]),
                 frames: gd._transitionData._frames.map(f => [f.name, f.traces,
                    arr(f.data[0].x), arr(f.data[0].y), arr(f.data[1].x), arr(f.data[1].y),
                    arr(f.data[2].x)])}}; }}""")
    f4 = lambda v: np.asarray(viz.decode_typed_array(v), dtype=np.float32)  # noqa: E731
    for i in scrub.moving_traces(want):
        name, x, y, visible = got["lines"][i]
        trace = want["data"][i]
        assert name == trace.get("name") and visible is True
        if "x" in trace:
            np.testing.assert_array_equal(np.float32(x), f4(trace["x"]))
        else:
            assert x == [], "a loss curve's steps are implicit"
        np.testing.assert_array_equal(np.float32(y), f4(trace["y"]))
    assert len(got["frames"]) == len(want["frames"])
    for (name, traces, cx, cy, hx, hy, cursor), frame in zip(got["frames"], want["frames"],
                                                             strict=True):
        comet, heads, line = frame["data"]
        assert name == frame["name"] and traces == frame["traces"]
        np.testing.assert_array_equal(np.float32(cx), f4(comet["x"]))
        np.testing.assert_array_equal(np.float32(cy), f4(comet["y"]))
        assert hx == heads["x"] and cursor == line["x"]
        np.testing.assert_array_equal(np.float32(hy), f4(heads["y"]))


def polylines(d: str) -> list[Any]:
    """The polylines of an SVG path made of M and L commands, as (n, 2) arrays."""
    import numpy as np

    return [np.array([[float(v) for v in pair.split(",")] for pair in part.split("L") if pair])
            for part in d.split("M") if part]


def far_points(a: list[Any], b: list[Any], box: tuple[float, float], tol: float) -> int:
    """How many vertices of polylines ``a`` inside ``box`` (width, height) lie farther than
    ``tol`` pixels from every segment of polylines ``b``."""
    import numpy as np

    segments = [(p[:-1], p[1:]) for p in b if len(p) > 1]
    far = 0
    for line in a:
        inside = line[(line[:, 0] >= 0) & (line[:, 0] <= box[0]) & (line[:, 1] >= 0)
                      & (line[:, 1] <= box[1])]
        for point in inside:
            best = np.inf
            for s0, s1 in segments:
                seg = s1 - s0
                t = np.clip(((point - s0) * seg).sum(1) / np.maximum((seg ** 2).sum(1), 1e-12),
                            0, 1)
                best = min(best, float(np.min(np.hypot(*(s0 + t[:, None] * seg - point).T))))
            far += best > tol
    return far


def test_the_lines_drawn_at_once_are_plotlys_lines(page, server):
    """On an lr move the chart writes the new lines into the SVG itself, before Plotly's own
    redraw; then Plotly draws them again. Both must be the same lines (to a pixel), also where
    a diverging line leaves the map and is clipped."""
    open_app(page, server, "lr=0.0025")
    assert move_lr_and_wait(page)[0] == "scrub"  # to 0.0032: Nesterov diverges
    drawn = page.evaluate(f"""() => {{ const gd = {GD};
        const direct = document.querySelector('{RACE_FRAME}').contentWindow.__descentDirect;
        return gd._fullData.filter(t => direct[t.uid]).map(t => {{
          const L = gd._fullLayout, xa = L[t.xaxis === 'x2' ? 'xaxis2' : 'xaxis'],
                ya = L[t.yaxis === 'y2' ? 'yaxis2' : 'yaxis'];
          const line = gd.querySelector('.trace' + t.uid + ' path.js-line');
          return [t.name, direct[t.uid], line && line.getAttribute('d'),
                  [xa._length, ya._length]]; }}); }}""")
    assert len(drawn) >= 10  # 5 paths, 5 loss curves (and the loss cursor)
    for name, ours, plotlys, box in drawn:
        assert plotlys is not None, f"{name}: Plotly drew no line"
        a, b = polylines(ours), polylines(plotlys)
        assert far_points(a, b, box, 1.5) == 0, f"{name}: drawn off Plotly's line"
        assert far_points(b, a, box, 1.5) == 0, f"{name}: part of Plotly's line not drawn"


def test_dragging_the_lr_slider_redraws_the_chart_during_the_drag(page, server):
    """The chart follows the lr thumb while the mouse is down (Streamlit sends the value only
    on release), and keeps its place when the release brings warnings above it."""
    from ui import cached

    open_app(page, server)
    thumb = page.locator('.st-key-lr [data-testid="stSliderThumbValue"]').locator("..")
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = page.evaluate(HISTORY_JS)
    page.mouse.move(x, y)
    page.mouse.down()
    reach = cached.SCRUB_REACH  # the stops either side the chart holds
    for i in range(1, reach + 1):
        page.mouse.move(x + 4 * i, y)  # ~one stop (the slider is ~230 px for 51 stops)
        page.wait_for_function(f"() => ({HISTORY_JS})().length >= {len(before) + i}")
    during = page.evaluate(HISTORY_JS)[len(before):]
    attribution = page.frame_locator(RACE_FRAME).locator("#attribution").inner_text()
    assert during == ["scrub"] * reach, "the chart did not follow the thumb before the release"
    stops = cached.LR_OPTIONS
    assert f"lr={cached.slider_label(stops[stops.index(0.001) + reach])} " in attribution
    # On past the stops the chart holds, to where two optimizers diverge, and release: a
    # warning appears above the chart.
    for i in range(reach + 1, 9):
        page.mouse.move(x + 4 * i, y)
    page.mouse.up()
    page.locator('[data-testid="stAlert"]', has_text="diverged at step").wait_for()
    wait_idle(page)
    history = page.evaluate(HISTORY_JS)
    assert history[:len(before)] == before and len(history) > len(before) + reach, \
        "the chart was re-mounted (a fresh iframe)"
    assert page.frame_locator(RACE_FRAME).locator(f"{CHART} .scatterlayer path.js-line") \
        .count() >= 5
    assert "lr=0.005" in page.frame_locator(RACE_FRAME).locator("#attribution").inner_text()
    assert error_elements(page) == []


def test_play_advances_the_animation(page, server):
    open_app(page, server)
    now_before = page.evaluate(NOW_JS)
    text_before = page.evaluate(SLIDER_TEXT_JS)
    assert now_before, "no 'now' markers trace"
    page.frame_locator(RACE_FRAME).locator(".updatemenu-button", has_text="▶ Play").first.click()
    wait_changed(page, NOW_JS, now_before, timeout_ms=10_000)
    page.wait_for_timeout(500)
    assert page.evaluate(NOW_JS) != now_before
    assert page.evaluate(SLIDER_TEXT_JS) != text_before, "the 'step N' label did not move"
    assert re.search(r"step \d+", " ".join(page.evaluate(SLIDER_TEXT_JS)))


def test_shared_url_restores_its_scene(page, server):
    open_app(page, server, "s=bowl&opt=sgd,adam&lr=0.05")
    assert page.get_by_role("combobox", name="Surface").input_value() == "Bowl"
    chosen = page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert "SGD" in chosen and "Adam" in chosen and "Momentum" not in chosen
    thumb = page.locator('[data-testid="stSlider"]', has_text=LR_LABEL).locator(
        '[data-testid="stSliderThumbValue"]').inner_text()
    assert thumb == "0.05"
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
    page.frame_locator(RACE_FRAME).locator("#chart[style*='crosshair']").wait_for()
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


def test_keyboard_plays_and_steps_from_the_page(page, server):
    """Space and the arrow keys work with the focus on the page, outside the chart's iframe."""
    open_app(page, server, "s=bowl&opt=sgd&n=60")
    page.locator('[data-testid="stMainBlockContainer"] h5').first.click()  # focus the page
    text_before = page.evaluate(SLIDER_TEXT_JS)
    page.keyboard.press("ArrowLeft")
    wait_changed(page, SLIDER_TEXT_JS, text_before, timeout_ms=10_000)
    for _ in range(9):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => ({SLIDER_TEXT_JS})()[0] === 'step 40'", timeout=10_000)
    now_before = page.evaluate(NOW_JS)
    page.keyboard.press("Space")  # plays from step 40 to the end
    wait_changed(page, NOW_JS, now_before, timeout_ms=10_000)
    page.wait_for_function(f"() => ({SLIDER_TEXT_JS})()[0] === 'step 60'", timeout=20_000)


def test_a_lecture_preset_loads_its_scene(page, server):
    from scene.presets import PRESETS
    from surfaces import SURFACES

    preset = PRESETS["momentum_ravine"]
    scene = preset.scene()
    open_app(page, server)  # Rosenbrock by default
    page.locator(".st-key-preset_menu button").first.click()
    before = plot_signature(page)
    page.get_by_text(preset.title, exact=True).click()
    wait_changed(page, SIGNATURE_JS, before)
    surface = page.get_by_role("combobox", name="Surface").input_value()
    assert surface == SURFACES[scene.surface].title
    info = page.locator('[data-testid="stAlert"]', has_text=preset.title)
    info.wait_for()
    # Another surface: the chart was redrawn in full, not moved in place; and the slider
    # values the preset set did not count as the user's moves.
    assert page.evaluate(RENDERS_JS)[1] == "full"
    assert "scrub" not in page.evaluate(HISTORY_JS)
    assert query_of(page).get("s") == scene.surface
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


def test_presentation_mode_widens_the_chart(page, server):
    open_app(page, server, "s=bowl&opt=sgd&n=30")
    width = f"() => {GD}._fullLayout.width"
    before = page.evaluate(width)
    page.locator(".st-key-present label").first.click()
    page.locator(".st-key-exit_present").wait_for()
    # The sidebar is gone; the chart (in its iframe) follows the wider column.
    page.wait_for_function(f"() => ({width})() > {before} + 200", timeout=20_000)
    assert error_elements(page) == []


def test_the_charts_png_button_downloads_the_chart_with_its_attribution(page, server):
    open_app(page, server, "s=bowl&opt=sgd&n=30")
    chart = page.frame_locator(RACE_FRAME)
    chart.locator(CHART).hover()
    with page.expect_download() as info:
        chart.locator('.modebar-btn[data-title="Download the chart as a PNG"]').click()
    data = Path(info.value.path()).read_bytes()
    (ARTIFACTS / "chart.png").write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert info.value.suggested_filename == "descent-bowl.png"
    width = int.from_bytes(data[16:20], "big")
    assert width >= 3 * 600, "3x the on-screen size"


def test_protocol_client_matches_the_browser(page, server):
    """benchmarks/load.py's client (harness.wsclient) sends what the browser sends: the lr
    change is a ``string_array_value`` holding the option's label, and the chart the server
    sends back for the same change is byte-for-byte the chart the browser got."""
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
    move_lr_and_wait(page)
    change = BackMsg.FromString(sent[-1]).rerun_script
    lr_states = [w for w in change.widget_states.widgets if w.id.endswith("-lr")]
    assert len(lr_states) == 1 and lr_states[0].WhichOneof("value") == "string_array_value"
    browser_label = lr_states[0].string_array_value.data[0]
    browser_charts = [m.delta.new_element.component_instance.json_args
                      for m in map(ForwardMsg.FromString, received[n_received:])
                      if m.WhichOneof("type") == "delta"
                      and m.delta.new_element.WhichOneof("type") == "component_instance"]
    assert browser_charts, "the browser received no chart for the change"

    async def protocol() -> tuple[str, list[str], str]:
        async with StreamlitSession.connect(server.url, query_string="s=bowl") as s:
            first = await s.rerun()
            assert first.ok, first
            run = await s.set_select_slider(LR_LABEL, +1)
            assert run.ok, run
            wid = s.widget_id(label=LR_LABEL)
            return s.sent[wid].string_array_value.data[0], s.charts, s.query_string

    # Playwright's sync API runs an event loop in this thread: use another one.
    with ThreadPoolExecutor(1) as pool:
        label, charts, query = pool.submit(asyncio.run, protocol()).result(timeout=120)
    assert label == browser_label
    assert charts == browser_charts
    assert f"lr={label}" in query


def test_server_log_has_no_traceback(server):
    """Last: everything the tests above did left no traceback in the server's log."""
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    assert "Uncaught app exception" not in log
