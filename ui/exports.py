"""The "Export for slides" panel: GIF (and MP4 where available), PNG and SVG downloads.

Exports are rendered only when asked (a button), with a progress bar, and kept in the session
for the scene they were made for; the renderer itself is pure (viz.export).
"""

from __future__ import annotations

import streamlit as st

from analysis.race import RaceEntry
from scene import Scene

EXPORTS_KEY = "_exports"
KINDS = {
    "gif": ("Render GIF", "Download GIF", "image/gif"),
    "png": ("Render PNG", "Download PNG", "image/png"),
    "svg": ("Render SVG", "Download SVG", "image/svg+xml"),
    "mp4": ("Render MP4", "Download MP4", "video/mp4"),
}


SHAPES = {"16:9": "16:9 · 1920×1080 · map and loss chart", "4:3": "4:3 · 1600×1200 · map only"}


def _render(
    kind: str, shape: str, scene: Scene, entries: tuple[RaceEntry, ...], progress
) -> bytes:
    from viz import export  # matplotlib loads only when someone exports

    surface = scene.get_surface()
    text = export.attribution_line(surface.title, scene.summary())
    slide = export.SLIDES[shape]
    if kind == "gif":
        return export.race_gif(surface, entries, attribution=text, progress=progress,
                               **slide.animation_kwargs())
    if kind == "mp4":
        return export.race_mp4(surface, entries, attribution=text, progress=progress,
                               **slide.animation_kwargs())
    if kind == "png":
        return export.race_png(surface, entries, attribution=text, **slide.picture_kwargs())
    return export.race_svg(surface, entries, attribution=text, **slide.picture_kwargs())


def _available_kinds() -> list[str]:
    from viz import export

    return [k for k in KINDS if k != "mp4" or export.mp4_available()]


def export_panel(scene: Scene, entries: tuple[RaceEntry, ...]) -> None:
    with st.expander("Export for slides"):
        st.caption("Every export carries a small attribution line (surface and settings), so "
                   "a slide shows where it came from. The chart's camera icon saves a PNG at "
                   "3x resolution.")
        # The shapes' labels are kept here, not read from viz.export: reading them would load
        # matplotlib on every page view.
        shape = st.radio("Slide shape", list(SHAPES), format_func=SHAPES.__getitem__,
                         horizontal=True, key="slide_shape")
        key = (scene.race_key(), shape)
        done: dict = st.session_state.setdefault(EXPORTS_KEY, {})
        kinds = _available_kinds()
        # One menu rather than a button per format: fewer elements, a faster page.
        kind = st.menu_button("Render for slides", kinds, key="render_menu",
                              format_func=lambda k: KINDS[k][0], icon=":material/movie:")
        if kind is not None:
            bar = st.progress(0.0, text="rendering…")
            data = _render(kind, shape, scene, entries, lambda f: bar.progress(
                min(max(f, 0.0), 1.0), text="rendering…"))
            bar.empty()
            done[kind] = (key, data)
        ready = [k for k in kinds if k in done and done[k][0] == key]
        for col, kind in zip(st.columns(len(ready)) if ready else [], ready, strict=True):
            col.download_button(KINDS[kind][1], done[kind][1], mime=KINDS[kind][2],
                                file_name=f"descent-{scene.surface}.{kind}",
                                key=f"download_{kind}")
