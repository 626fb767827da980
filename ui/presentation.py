"""Page styles: compact on every page; on the race page compact at the top; in presentation
mode no sidebar and bigger type (the race panel keeps its sliders, large)."""

from __future__ import annotations

# Every page: less chrome above the chart, so the race fits a 1280x720 projector without scrolling.
APP_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 1.2rem;
  padding-bottom: 1rem;}
[data-testid="stSidebarUserContent"] {padding-top: 1rem;}
@media (max-width: 1500px) {  /* 1280 projector, sidebar open: width to the charts */
  .block-container, [data-testid="stMainBlockContainer"] {padding-left: 1.5rem;
    padding-right: 1.5rem;}
}
.katex-display {overflow-x: auto; overflow-y: hidden; margin: 0.4em 0;}
.katex-display > .katex {font-size: 1.05em;}
</style>"""


PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
html {font-size: 19px;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: 100%; padding-left: 1.5rem;
  padding-right: 1.5rem;}
</style>"""


# The race page: room above the title for its header row, yet the race panel (chart,
# playback, sliders) fits under the header without scrolling.
PAGE_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 2.2rem;
  padding-bottom: 2rem;}
[data-testid="stMainBlockContainer"] h5 {padding: 0.1rem 0;}
</style>"""


def app_css() -> str:
    return APP_CSS


def presentation_css() -> str:
    return PRESENTATION_CSS


def page_css() -> str:
    return PAGE_CSS
