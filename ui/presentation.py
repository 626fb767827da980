"""Presentation mode: no controls, bigger type (the race chart's keys live in ui/race_chart)."""

from __future__ import annotations

PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
html {font-size: 19px;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: 100%; padding-left: 1.5rem;
  padding-right: 1.5rem;}
</style>"""


def presentation_css() -> str:
    return PRESENTATION_CSS
