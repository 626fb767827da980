"""Slider-to-screen latency of the app vs Streamlit's floor, measured in headless Chromium.

    python benchmarks/bench_latency.py [--moves 12]

For each page: load it, then press ArrowRight on a slider ``moves`` times (always to a value not
seen before, so Streamlit's message cache cannot help) and time, on the page's own clock, from
the keydown until the SVG of the chart's lines changes, and until the whole chart is redrawn
(markers, axis labels, legend); and, from Python, until the whole page has settled (the rerun
is over and the race chart has the server's figure). Also reports the bytes the first load
received over the websocket (the figure data); prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.browser import (  # noqa: E402
    IDLE_JS,
    chromium,
    wait_for_charts,
    wait_idle,
)
from harness.server import streamlit_server  # noqa: E402

# Timed in the page itself: from the key's keydown to the first change of a chart's lines
# (the SVG paths of its scatter traces, in the page for st.plotly_chart or in a same-origin
# component iframe such as the race chart), both stamped on the page's clock. Polling from
# Playwright instead would add whatever the page does next (Streamlit re-rendering the rest
# of the page after the chart has been drawn) to the chart's time.
MARK_JS = """() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__keyAt = null; window.__linesAt = null;
  const docs = [document, ...Array.from(document.querySelectorAll('iframe')).map(f => {
    try { return f.contentDocument; } catch (e) { return null; } })].filter(d => d);
  const isLine = (n) => n.nodeType === 1 && (n.matches('.scatterlayer path.js-line') ||
                                             n.querySelector('.scatterlayer path.js-line'));
  for (const doc of docs) {
    if (doc.__latencyWatch) continue;
    doc.__latencyWatch = true;
    new MutationObserver((records) => {
      if (window.__keyAt === null || window.__linesAt !== null) return;
      if (records.some(r => isLine(r.target) || Array.from(r.addedNodes).some(isLine))) {
        window.__linesAt = now();
      }
    }).observe(doc, {subtree: true, childList: true, attributes: true, attributeFilter: ['d']});
  }
  if (!window.__keyWatch) {
    window.__keyWatch = true;
    document.addEventListener('keydown', () => { window.__keyAt = now(); }, true);
  }
}"""
CHANGED_JS = "() => window.__linesAt !== null"
KEY_TO_LINES_JS = "() => window.__linesAt - window.__keyAt"
# The race chart draws its lines first and lets Plotly redraw the rest of the figure (markers,
# axis labels, legend) after: when its first render after the key was complete. For a plain
# st.plotly_chart, everything is drawn at once: the lines' time.
KEY_TO_CHART_JS = """() => { let done = null;
  for (const f of document.querySelectorAll('iframe')) {
    let stamps; try { stamps = f.contentWindow.__descentDone; } catch (e) { continue; }
    const first = (stamps || []).find(t => t > window.__keyAt);
    if (first !== undefined) done = first;
  }
  return (done === null ? window.__linesAt : done) - window.__keyAt; }"""
FIRST_RENDER_JS = """() => Array.from(document.querySelectorAll('iframe')).every(f => {
  let stamps; try { stamps = f.contentWindow.__descentDone; } catch (e) { return true; }
  return !stamps || stamps.some(t => t > window.__keyAt); })"""

SETTLED_JS = f"""() => ({IDLE_JS})() &&
  Array.from(document.querySelectorAll('iframe')).every(f => {{
  let last; try {{ last = f.contentWindow.__descentLast; }} catch (e) {{ return true; }}
  return !last || last.how !== 'scrub'; }})"""


def measure(browser, url: str, slider_label: str, moves: int, charts: int) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    received = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: received.append(
                len(payload) if isinstance(payload, bytes | str) else 0
            ),
        ),
    )
    t0 = time.perf_counter()
    page.goto(url)
    wait_for_charts(page, charts)
    first_load_s = time.perf_counter() - t0
    first_load_bytes = sum(received)
    slider = page.locator(f'[data-testid="stSlider"]:has-text("{slider_label}") '
                          'input[type="range"]').first
    times, charts, settled = [], [], []
    for _ in range(moves):
        page.evaluate(MARK_JS)
        slider.focus()
        t = time.perf_counter()
        slider.press("ArrowRight")
        page.wait_for_function(CHANGED_JS, polling=4, timeout=30_000)
        times.append(page.evaluate(KEY_TO_LINES_JS) / 1000)
        page.wait_for_function(FIRST_RENDER_JS, polling=4, timeout=30_000)
        charts.append(page.evaluate(KEY_TO_CHART_JS) / 1000)
        # The whole page (table, warnings) has the new value once the rerun is over: the race
        # chart has had the server's figure after drawing its own (a "scrub").
        page.wait_for_function(SETTLED_JS, polling=4, timeout=30_000)
        settled.append(time.perf_counter() - t)
        wait_idle(page)
    page.close()
    return {"first_load_s": first_load_s, "first_load_bytes": first_load_bytes, "times": times,
            "charts": charts, "settled": settled}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=12)
    args = parser.parse_args()
    rows = []
    with chromium() as browser:
        for name, script, label, charts in (
            ("minimal page (1 slider, 3-point chart)", "benchmarks/minimal_page.py", "value", 1),
            (
                "Descent, default race (5 optimizers x 300 steps)",
                "app.py",
                "Learning rate (log scale)",
                1,
            ),
        ):
            with streamlit_server(script) as server:
                # Warm the server (imports, caches of unrelated entries) with one throwaway load.
                warm = browser.new_page()
                warm.goto(server.url)
                wait_for_charts(warm, charts)
                warm.close()
                result = measure(browser, server.url, label, args.moves, charts)
            times = sorted(result["times"])
            rows.append(
                (
                    name,
                    statistics.median(times),
                    times[int(0.9 * (len(times) - 1))],
                    statistics.median(result["charts"]),
                    statistics.median(result["settled"]),
                    result["first_load_bytes"],
                )
            )
    base = rows[0][1]
    print("| page | p50 slider->new lines | p90 | ratio to floor | p50 whole chart (ratio) "
          "| p50 whole page settled | first-load websocket bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, p50, p90, chart, settled, nbytes in rows:
        print(
            f"| {name} | {p50 * 1000:.0f} ms | {p90 * 1000:.0f} ms | {p50 / base:.2f}x "
            f"| {chart * 1000:.0f} ms ({chart / base:.2f}x) | {settled * 1000:.0f} ms "
            f"| {nbytes / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
