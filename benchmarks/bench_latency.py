"""Slider latency of the race panel's three sliders vs Streamlit's floor, in headless Chromium.

    python benchmarks/bench_latency.py [--moves 8]

For the floor page (one st.slider, a 3-point chart; ``benchmarks/minimal_page.py``) and for each
of the race panel's sliders (learning rate, momentum, decay rate) on the default race with an
exponential decay, in the same run:

- **key press -> whole chart redrawn**: press ArrowRight on the slider ``moves`` times (always
  to a value not seen before) and time, on the page's own clock, from the keydown to the end
  of the chart's first burst of changes (its SVG quiet for 80 ms: lines, markers, axis, legend
  all drawn), p50. Also the first change of the lines.
- **chart states per second while dragging**: a 1.2 s mouse drag over half the slider, the
  number of distinct drawings of the optimizers' lines seen before the mouse is released.
- **websocket bytes**: of the first load, and p50 of a settle (from the key to the rerun's end).

Each slider is measured on a freshly opened page of the same scene.

Nothing in the app is instrumented: the page is watched from outside (MutationObserver).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.browser import chromium, wait_for_charts, wait_idle  # noqa: E402
from harness.server import streamlit_server  # noqa: E402

QUERY = "sch=exponential&dec=0.99"  # the default race with a decay, so all three sliders live
QUIET_MS = 80

# On the page's clock: the keydown, and every change of the chart's SVG after it (paths'
# `d`, markers, axis ticks, legend text). The optimizers' lines are the scatter traces after
# the first (the contour lines); for the floor page, its one line.
WATCH_JS = """() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__bench = {key: null, changes: [], lines: [], states: new Set()};
  // Looked up each time: st.plotly_chart replaces its graph on a change.
  const traces = () => Array.from(
    document.querySelectorAll('.js-plotly-plot .scatterlayer .trace'));
  const lines = () => traces().slice(traces().length > 1 ? 1 : 0)
    .map(t => { const p = t.querySelector('path.js-line');
                const d = p ? p.getAttribute('d') || '' : '';
                return d.length + ':' + d.slice(0, 40) + d.slice(-40); }).join('|');
  let last = lines();
  const inChart = (n) => n && (n.closest ? n.closest('.js-plotly-plot') :
                                n.parentElement && n.parentElement.closest('.js-plotly-plot'));
  const hasChart = (n) => n.nodeType === 1 && (n.matches('.js-plotly-plot') ||
                                               n.querySelector('.js-plotly-plot'));
  new MutationObserver((records) => {
    const t = now();
    // Only the chart's own changes (the rest of the page re-renders after every rerun).
    if (!records.some(r => inChart(r.target) || Array.from(r.addedNodes).some(hasChart))) return;
    window.__bench.changes.push(t);
    const sig = lines();
    if (sig !== last) { last = sig; window.__bench.lines.push(t); window.__bench.states.add(sig); }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             characterData: true});
  document.addEventListener('keydown', () => { window.__bench.key = now(); }, true);
}"""
RESET_JS = "() => { window.__bench.changes = []; window.__bench.lines = []; " \
           "window.__bench.states = new Set(); }"
# The end of the first burst of chart changes after the key (quiet for QUIET_MS), and the
# first change of the lines; null until the burst is over.
TIMES_JS = f"""() => {{ const b = window.__bench; const after = b.changes.filter(t => t > b.key);
  const line = b.lines.find(t => t > b.key);
  if (line === undefined) return null;
  let end = line;
  for (const t of after) {{ if (t < line) continue; if (t - end > {QUIET_MS}) break; end = t; }}
  if (performance.timeOrigin + performance.now() - end < {QUIET_MS}) return null;
  return [line - b.key, end - b.key]; }}"""


def slider_locator(page, name: str):
    if name == "floor":
        return page.locator('[data-testid="stSlider"] input[type="range"]').first
    return page.locator(f"#rp-{name}")


def key_presses(page, name: str, moves: int, received: list[int]) -> dict:
    slider = slider_locator(page, name)
    lines, charts, settles = [], [], []
    for _ in range(moves):
        slider.focus()  # a grab: the panel asks for this slider's races if it lacks them
        page.wait_for_timeout(50)
        wait_idle(page)
        page.evaluate(RESET_JS)
        before = sum(received)
        slider.press("ArrowRight")
        page.wait_for_function(TIMES_JS, polling=10, timeout=30_000)
        first, whole = page.evaluate(TIMES_JS)
        lines.append(first)
        charts.append(whole)
        page.wait_for_timeout(50)
        wait_idle(page)
        page.wait_for_timeout(250)  # the rerun's figure drawn
        settles.append(sum(received) - before)
    return {"lines": statistics.median(lines), "chart": statistics.median(charts),
            "settle_bytes": statistics.median(settles)}


def drag_states(page, name: str) -> float:
    """Distinct drawings of the lines per second during a 1.2 s drag over half the slider,
    before the release."""
    slider = slider_locator(page, name)
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    at = float(slider.input_value()) / max(float(slider.get_attribute("max") or 1), 1)
    x0 = box["x"] + 8 + at * (box["width"] - 16)
    direction = -1 if at > 0.5 else 1
    page.evaluate(RESET_JS)
    page.mouse.move(x0, y)
    page.mouse.down()
    t0 = time.perf_counter()
    moves = 24
    for i in range(1, moves + 1):
        page.mouse.move(x0 + direction * i * box["width"] / 2 / moves, y)
        page.wait_for_timeout(max(0.0, t0 + 1.2 * i / moves - time.perf_counter()) * 1000)
    states = page.evaluate("() => window.__bench.states.size")
    seconds = time.perf_counter() - t0
    page.mouse.up()
    wait_idle(page)
    page.wait_for_timeout(500)
    return states / seconds


def measure(browser, url: str, names: list[str], moves: int) -> dict:
    """Each slider on a page of its own, opened at ``url``: a slider measured after another
    would start from where that one left the race (the lr's drag ends where every run
    diverges, and momentum's presses then change next to nothing)."""
    out: dict = {}
    for name in names:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        received: list[int] = []
        page.on("websocket", lambda ws, received=received: ws.on(
            "framereceived", lambda payload: received.append(
                len(payload) if isinstance(payload, bytes | str) else 0)))
        page.goto(url)
        wait_for_charts(page)
        page.wait_for_timeout(500)
        out.setdefault("first_load_bytes", sum(received))
        page.evaluate(WATCH_JS)
        out[name] = key_presses(page, name, moves, received)
        out[name]["drag"] = drag_states(page, name)
        page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=8)
    args = parser.parse_args()
    with chromium() as browser:
        with streamlit_server("benchmarks/minimal_page.py") as server:
            floor = measure(browser, server.url, ["floor"], args.moves)
        with streamlit_server("app.py") as server:
            warm = browser.new_page()  # imports and caches of unrelated entries
            warm.goto(server.url)
            wait_for_charts(warm)
            warm.close()
            app = measure(browser, f"{server.url}/?{QUERY}", ["lr", "momentum", "decay"],
                          args.moves)
    base = floor["floor"]["chart"]
    print(f"first load over the websocket: floor page {floor['first_load_bytes'] / 1e6:.2f} MB, "
          f"Descent ({QUERY}) {app['first_load_bytes'] / 1e6:.2f} MB")
    print("| slider | key -> lines (p50) | key -> whole chart (p50) | ratio to floor "
          "| chart states/s while dragging | settle bytes (p50) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = [("floor page: st.slider + 3-point chart", floor["floor"])] + [
        (f"Descent {name}", app[name]) for name in ("lr", "momentum", "decay")]
    for label, r in rows:
        print(f"| {label} | {r['lines']:.0f} ms | {r['chart']:.0f} ms | {r['chart'] / base:.2f}x "
              f"| {r['drag']:.1f} | {r['settle_bytes'] / 1e6:.3f} MB |")


if __name__ == "__main__":
    main()
