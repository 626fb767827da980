"""Presentation mode (no controls, bigger type) and keyboard shortcuts for the race chart."""

from __future__ import annotations

import streamlit as st

PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
html {font-size: 19px;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: 100%; padding-left: 1.5rem;
  padding-right: 1.5rem;}
</style>"""

# Space toggles Play/Pause; arrow keys move the chart's step slider one stop. The handler is
# attached once to the app's document (the component iframe is same-origin) and ignores keys
# typed into inputs. Plotly's slider has no keyboard API, so a step is a synthetic mousedown /
# mouseup at the next tick's position, exactly what a click on the slider does.
SHORTCUTS_JS = """<script>
const doc = window.parent.document;
if (!doc.__descentKeys) {
  doc.__descentKeys = true;
  const click = (el, x, y) => {
    const opts = {bubbles: true, cancelable: true, clientX: x, clientY: y, view: window.parent};
    el.dispatchEvent(new MouseEvent('mousedown', opts));
    window.parent.dispatchEvent(new MouseEvent('mouseup', opts));
    el.dispatchEvent(new MouseEvent('mouseup', opts));
  };
  doc.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (t && (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.isContentEditable ||
              t.getAttribute('role') === 'slider')) return;
    const gd = doc.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.sliders || !gd._fullLayout.sliders.length) return;
    if (ev.code === 'Space') {
      const buttons = gd.querySelectorAll('.updatemenu-button');
      if (buttons.length < 2) return;
      const playing = gd.__descentPlaying === true;
      buttons[playing ? 1 : 0].dispatchEvent(new MouseEvent('click', {bubbles: true}));
      gd.__descentPlaying = !playing;
      ev.preventDefault();
    } else if (ev.code === 'ArrowRight' || ev.code === 'ArrowLeft') {
      const ticks = gd.querySelectorAll('.slider-group .slider-tick-rect');
      const rail = gd.querySelector('.slider-group .slider-rail-touch-rect');
      if (!ticks.length || !rail) return;
      const active = gd._fullLayout.sliders[0].active || 0;
      const next = Math.max(0, Math.min(ticks.length - 1,
                                        active + (ev.code === 'ArrowRight' ? 1 : -1)));
      const tick = ticks[next].getBoundingClientRect();
      const box = rail.getBoundingClientRect();
      click(rail, tick.left + tick.width / 2, box.top + box.height / 2);
      ev.preventDefault();
    }
  });
}
</script>"""


def presentation_css() -> str:
    return PRESENTATION_CSS


def shortcuts() -> None:
    """Install the keyboard shortcuts (an invisible component; idempotent in the browser)."""
    # Our own constant script (never user text), so a same-origin iframe is safe here.
    st.iframe(SHORTCUTS_JS, height=1)
