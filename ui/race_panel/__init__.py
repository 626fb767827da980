"""The race panel: the race chart, its playback and the mission's three sliders, as one
Custom Components v2 component rendered in the page (no iframe). See ``panel.js``.

Its JavaScript is ES module files next to this one (``panel.js`` and the pure parts it
imports, unit-tested with ``node --test``). They are served with plotly.min.js (copied once
from the ``plotly`` Python package: the same file ``plotly.io`` embeds in HTML exports, so
nothing is downloaded and the repository does not carry a 4.6 MB bundle) from the app's
static folder (``[server] enableStaticServing``), the modules under a folder named by their
contents, so that a browser never runs a stale copy. The component itself is a two-line
module that imports ``panel.js`` from there.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import plotly
import streamlit as st

_HERE = Path(__file__).resolve().parent
STATIC = _HERE.parents[1] / "static"  # next to app.py: Streamlit serves it at app/static/
_PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
MODULES = ("panel.js", "dom.js", "download.js", "payload.js", "frames.js", "stops.js",
           "clip.js", "sketch.js", "layout.js", "start.js")


def _copy(src: bytes, dest: Path) -> None:
    """Write ``dest`` atomically (another server process may be writing it too)."""
    if dest.exists() and dest.stat().st_size == len(src) and dest.read_bytes() == src:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        tmp.write(src)
    Path(tmp.name).replace(dest)


def publish() -> str:
    """Put plotly.min.js and the panel's modules in the static folder; return the modules'
    folder name (a digest of their contents)."""
    sources = {name: (_HERE / name).read_bytes() for name in MODULES}
    digest = hashlib.sha256(b"".join(sources[n] for n in MODULES)).hexdigest()[:12]
    if not (STATIC / "plotly.min.js").exists() or \
            (STATIC / "plotly.min.js").stat().st_size != _PLOTLY_JS.stat().st_size:
        _copy(_PLOTLY_JS.read_bytes(), STATIC / "plotly.min.js")
    for name, text in sources.items():
        _copy(text, STATIC / "race_panel" / digest / name)
    for old in (STATIC / "race_panel").iterdir():  # earlier versions of the modules
        if old.name != digest:
            shutil.rmtree(old, ignore_errors=True)
    return digest


_VERSION = publish()
BOOT_JS = f"""const url = new URL("app/static/race_panel/{_VERSION}/panel.js",
                  window.location.href);
export default async function (component) {{
  const panel = await import(url.href);
  return panel.mount(component);
}}"""
_component = st.components.v2.component(
    "descent_race_panel", js=BOOT_JS, css=(_HERE / "panel.css").read_text(encoding="utf-8"),
    isolate_styles=False)  # Plotly's own CSS (the modebar) must reach the chart


def race_panel(*, key: str, spec_json: str, axes_json: str, config: Mapping[str, Any],
               attribution: Mapping[str, Any] | None, values: Mapping[str, Any],
               sliders: Mapping[str, Any], schedules: list[tuple[str, str]],
               notes: list[str], caption: str, clickable: bool, presenting: bool,
               on_settings: Callable[[], None], on_start: Callable[[], None],
               on_want: Callable[[], None]) -> Any:
    """Mount the race panel.

    ``spec_json`` is the race figure (``viz.race_figure(..., with_frames=False)``),
    ``axes_json`` the races along its sliders (``ui.cached.panel_axes_json``). ``values``
    are the sliders' values (``lr``, ``momentum``, ``schedule``, ``decay``); ``sliders`` per
    slider its ``{"label", "values"}`` (its stops; None hides it). ``notes`` are warnings
    (``**bold**`` allowed), shown in a place kept for them under the chart; ``caption`` the
    lecture preset's text, beside it. On a slider's release the panel sets its ``settings``
    state ``{lr, momentum, schedule, decay, seq}`` (``on_settings``); a click on the map
    with ``clickable`` sets the ``start`` trigger ``{x, y}`` (``on_start``); a slider
    grabbed whose races ``axes_json`` does not hold sets the ``want`` trigger ``{axis}``
    (``on_want``).
    """
    if not (STATIC / "race_panel" / _VERSION / "panel.js").exists():  # a cleaner took it
        publish()
    data = {"spec": spec_json, "axes": axes_json, "config": dict(config),
            "attribution": attribution, "values": dict(values), "sliders": dict(sliders),
            "schedules": [list(s) for s in schedules], "notes": notes, "caption": caption,
            "clickable": clickable, "presenting": presenting, "plotly": "app/static/plotly.min.js"}
    return _component(data=data, key=key, on_settings_change=on_settings,
                      on_start_change=on_start, on_want_change=on_want)
