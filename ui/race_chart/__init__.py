"""The race chart as a Streamlit component that keeps one Plotly graph and updates it in place.

``st.plotly_chart`` re-mounts its chart on every figure change (two full Plotly draws per
slider move); see ``index.html`` for what this component does instead. The component's
folder needs plotly.js next to ``index.html``: it is copied once from the ``plotly`` Python
package (the same file ``plotly.io`` embeds in HTML exports), so nothing is downloaded and
the repository does not carry a 4.6 MB bundle.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import plotly
import streamlit.components.v1 as components

_HERE = Path(__file__).resolve().parent
_PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _frontend_dir() -> Path:
    """A folder holding index.html and plotly.min.js, keyed by both files' contents."""
    html = (_HERE / "index.html").read_bytes()
    digest = hashlib.sha256(html + plotly.__version__.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"descent-race-chart-{digest}"
    if not (folder / "plotly.min.js").exists():
        staging = Path(tempfile.mkdtemp(prefix="descent-race-chart-"))
        (staging / "index.html").write_bytes(html)
        shutil.copyfile(_PLOTLY_JS, staging / "plotly.min.js")
        try:
            staging.rename(folder)
        except OSError:  # another process made it first: theirs is the same
            shutil.rmtree(staging, ignore_errors=True)
    return folder


_FOLDER = _frontend_dir()
_component = components.declare_component("race_chart", path=str(_FOLDER))


def race_chart(spec_json: str, *, key: str, config: dict[str, Any],
               attribution: dict[str, Any] | None = None, clickable: bool = False,
               on_click: Any = None, scrub_json: str | None = None,
               follow: str | None = None) -> dict[str, float] | None:
    """Draw the figure ``spec_json`` (``SpecFigure.to_json()``); return the last map click
    ``{"x", "y", "at"}`` (None before any).

    ``attribution`` is a Plotly annotation (``viz.attribution_annotation``): shown as text
    under the chart and drawn into the PNG download, but kept out of the figure, whose
    every annotation change would cost a full redraw. ``clickable`` turns clicks on the map
    into values (and ``on_click`` callbacks); ``config`` is Plotly's config (modebar, PNG
    export options). ``scrub_json`` (``ui.cached.lr_scrub_json``) holds the figures of
    nearby values of the slider whose widget key is ``follow``: the chart shows them as soon
    as that slider moves, before the rerun.
    """
    if not (_FOLDER / "plotly.min.js").exists():  # a /tmp cleaner took it: put it back
        _frontend_dir()
    return _component(spec=spec_json, config=config, attribution=attribution,
                      clickable=clickable, scrub=scrub_json, follow=follow, key=key,
                      default=None, on_change=on_click)
