"""Descent: watch gradient-descent optimizers race on a loss surface.

Run with ``streamlit run app.py``. This file only sets up the page and routes between pages:
the maths is in ``surfaces``/``optimizers``, the experiments in ``analysis``, the figures in
``viz``, the widgets and layout in ``ui`` and ``pages``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.race import race_page
from ui.presentation import app_css
from ui.process import freeze_imports

HERE = Path(__file__).resolve().parent


def main() -> None:
    st.set_page_config(page_title="Descent", page_icon="⛰️", layout="wide")
    st.markdown(app_css(), unsafe_allow_html=True)
    page = st.navigation([
        st.Page(race_page, title="Optimizer race", icon=":material/timeline:", default=True),
        st.Page(HERE / "pages" / "network_lab.py", title="Network lab",
                icon=":material/hub:", url_path="network-lab"),
    ])
    page.run()
    freeze_imports()


if __name__ == "__main__":
    main()
