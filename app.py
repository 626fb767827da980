"""Descent: watch gradient-descent optimizers race on a loss surface.

Run with ``streamlit run app.py``. This file only sets up the page and routes between pages:
the maths is in ``surfaces``/``optimizers``, the experiments in ``analysis``, the figures in
``viz``, the widgets and layout in ``ui`` and ``pages``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.race import race_page
from ui.process import freeze_imports

HERE = Path(__file__).resolve().parent

# Less chrome above the chart, so the race fits a 1280x720 projector without scrolling.
COMPACT_CSS = """<style>
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


def main() -> None:
    st.set_page_config(page_title="Descent", page_icon="⛰️", layout="wide")
    st.markdown(COMPACT_CSS, unsafe_allow_html=True)
    page = st.navigation([
        st.Page(race_page, title="Optimizer race", icon=":material/timeline:", default=True),
        st.Page(HERE / "pages" / "network_lab.py", title="Network lab",
                icon=":material/hub:", url_path="network-lab"),
    ])
    page.run()
    freeze_imports()


if __name__ == "__main__":
    main()
