"""Headless Debian Chromium through Playwright, and waits that mean "the page has settled"."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from typing import Any

from harness.require import required, skip_or_fail  # noqa: F401  (the browser tests' skips)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not shutil.which(CHROMIUM) and not shutil.which("chromium"):
        return "Debian chromium is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Yield a Playwright Browser on Debian's Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""

# Every Plotly chart on the page: in the page itself (st.plotly_chart) and in same-origin
# component iframes (the race chart, ui/race_chart).
PLOTS_JS = """(() => [document, ...Array.from(document.querySelectorAll('iframe')).map(f => {
    try { return f.contentDocument; } catch (e) { return null; } })]
  .filter(d => d).flatMap(d => Array.from(d.querySelectorAll('.js-plotly-plot'))))"""

# A signature of everything Plotly has drawn: the SVG paths of every trace, per chart.
PLOT_SIGNATURE_JS = f"""() => {PLOTS_JS}()
  .map(gd => Array.from(gd.querySelectorAll('.scatterlayer path.js-line'))
     .map(p => p.getAttribute('d') || '').join('|')).join('#')"""


def wait_idle(page: Any, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def wait_for_charts(page: Any, count: int = 1, timeout_ms: int = 90_000) -> None:
    page.wait_for_function(
        f"() => {PLOTS_JS}().filter(gd => gd.querySelector('.scatterlayer')).length >= {count}",
        timeout=timeout_ms,
    )
    wait_idle(page, timeout_ms)


def plot_signature(page: Any) -> str:
    return page.evaluate(PLOT_SIGNATURE_JS)


def error_elements(page: Any) -> list[str]:
    """Texts of Streamlit exception / error boxes on the page."""
    return page.eval_on_selector_all(
        '[data-testid="stException"], [data-testid="stAlertContentError"]',
        "els => els.map(e => e.innerText)",
    )
