"""Slider-to-screen latency of the app vs Streamlit's floor, measured in headless Chromium.

    python benchmarks/bench_latency.py [--moves 12]

For each page: load it, then press ArrowRight on a slider ``moves`` times (always to a value not
seen before, so Streamlit's message cache cannot help) and time from the key press until the
Plotly SVG has changed and the script has finished. Also reports the bytes the first load
received over the websocket (the figure data) and prints a markdown table.
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

# Which Plotly charts are on the page now, by element and by the data array they drew, and how
# many renders the race chart component (an iframe, ui/race_chart) has completed. Cheap enough
# to poll every animation frame (reading SVG path strings of a big chart is not).
MARK_JS = """() => { window.__plots = new Map();
  document.querySelectorAll('.js-plotly-plot').forEach(gd => window.__plots.set(gd, gd.data));
  window.__frames = new Map();
  document.querySelectorAll('iframe').forEach(f => {
    try { window.__frames.set(f, f.contentWindow.__descentRenders); } catch (e) {} }); }"""
CHANGED_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd =>
  gd._fullLayout && gd.offsetWidth > 0 &&
  (!window.__plots.has(gd) || window.__plots.get(gd) !== gd.data)) ||
  Array.from(document.querySelectorAll('iframe')).some(f => {
    let n; try { n = f.contentWindow.__descentRenders; } catch (e) { return false; }
    return n !== undefined && n !== window.__frames.get(f); })"""


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
    times = []
    for _ in range(moves):
        page.evaluate(MARK_JS)
        slider.focus()
        t = time.perf_counter()
        slider.press("ArrowRight")
        page.wait_for_function(CHANGED_JS, polling="raf", timeout=30_000)
        times.append(time.perf_counter() - t)
        wait_idle(page)
    page.close()
    return {"first_load_s": first_load_s, "first_load_bytes": first_load_bytes, "times": times}


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
                    result["first_load_bytes"],
                    result["first_load_s"],
                )
            )
    base = rows[0][1]
    print("| page | p50 slider->screen | p90 | ratio to floor | first-load websocket bytes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, p50, p90, nbytes, _ in rows:
        print(
            f"| {name} | {p50 * 1000:.0f} ms | {p90 * 1000:.0f} ms | {p50 / base:.2f}x "
            f"| {nbytes / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
