"""The still picture of a race as vector SVG, with deterministic ids."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from analysis.race import RaceEntry
from surfaces import Surface
from viz.export.static import race_picture

_SVG_ID = re.compile(r'id="([^"]*[0-9a-f]{10})"')


def race_svg(
    surface: Surface,
    entries: Sequence[RaceEntry],
    *,
    width: int = 1600,
    height: int = 1200,
    attribution: str = "",
    loss_panel: bool = False,
    text_scale: float = 1.0,
) -> bytes:
    """The picture of :func:`~viz.export.race_png` as vector SVG (``width x height`` sets the
    proportions and font sizes; text is drawn as paths, so it looks the same without the
    fonts)."""
    fig = race_picture(surface, entries, width=width, height=height, attribution=attribution,
                       static=True, loss_panel=loss_panel, text_scale=text_scale).fig  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", dpi=fig.dpi,
                metadata={"Date": None, "Title": attribution or surface.title})  # fmt: skip
    text = buffer.getvalue().decode("utf-8")
    # matplotlib salts its ids with uuid4 unless rcParams say otherwise: renumber them
    # (without touching global state) so the same race gives the same bytes.
    ids = {old: f"{old[:-10]}{n}" for n, old in enumerate(dict.fromkeys(_SVG_ID.findall(text)))}
    if ids:
        pattern = re.compile("|".join(map(re.escape, ids)))
        text = pattern.sub(lambda match: ids[match.group(0)], text)
    return text.encode("utf-8")
