"""Page styles: compact at the top always; in presentation mode no sidebar and bigger type
(the race panel keeps its sliders, large)."""

from __future__ import annotations

PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
html {font-size: 19px;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: 100%; padding-left: 1.5rem;
  padding-right: 1.5rem;}
</style>"""


# Always: less blank space above the title, so that at 1280x720 the race panel (chart,
# playback, sliders) fits under the header without scrolling.
PAGE_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 2.2rem;
  padding-bottom: 2rem;}
[data-testid="stMainBlockContainer"] h5 {padding: 0.1rem 0;}
</style>"""


def presentation_css() -> str:
    return PRESENTATION_CSS


def page_css() -> str:
    return PAGE_CSS
