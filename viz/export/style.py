"""What every slide export shares: the slide shapes, colours, fonts, markers and sizes.

A :class:`Slide` fixes a picture's pixel size, its type size and whether the loss chart sits
beside the map; :data:`SLIDES` holds the shapes the page offers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.path import Path as MplPath

from viz import theme

Array = npt.NDArray[np.float64]

STRIP = 0.05  # bottom strip of the picture (fraction of its height): attribution, step label
TEXT_COLOR = "#222222"
MUTED_TEXT_COLOR = "#555555"
CONTOUR_LINE_COLOR = (40 / 255, 50 / 255, 70 / 255, 0.35)
SURFACE_CMAP = LinearSegmentedColormap.from_list("descent-surface", list(theme.SURFACE_COLORSCALE))
FONT_PATH = Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")

# theme.symbol() names Plotly markers; these are the matplotlib markers closest to them.
_BOWTIE = MplPath([(-1, -1), (-1, 1), (1, -1), (1, 1), (0, 0)], closed=True)
_HOURGLASS = MplPath([(-1, 1), (1, 1), (-1, -1), (1, -1), (0, 0)], closed=True)
_MPL_MARKERS: dict[str, str | MplPath] = {
    "circle": "o", "square": "s", "diamond": "D", "triangle-up": "^", "triangle-down": "v",
    "star": "*", "hexagon": "h", "pentagon": "p", "cross": "P", "x": "X", "hourglass": _HOURGLASS,
    "bowtie": _BOWTIE, "star-diamond": "d", "octagon": "8",
}  # fmt: skip
MARKER_SCALE = {"*": 1.4}  # matplotlib's star looks small next to the other markers
MPL_DASHES = {
    "solid": "-", "dash": (0, (5, 2.5)), "dot": (0, (1, 1.6)), "dashdot": (0, (5, 2, 1, 2)),
    "longdash": (0, (9, 3)), "longdashdot": (0, (9, 2.5, 1, 2.5)),
}  # fmt: skip


@dataclass(frozen=True)
class Slide:
    """The shape of an export: pixel sizes, type size, and whether the loss chart is shown.

    ``picture`` is the PNG/SVG size, ``animation`` the GIF/MP4 size (a GIF's bytes and time
    grow with its area, so a map-only GIF stays at 800x600). ``text_scale`` multiplies every
    font, line and marker on top of their growth with the picture, so that text stays
    readable from the back of a lecture hall.
    """

    picture: tuple[int, int]
    animation: tuple[int, int]
    loss_panel: bool
    text_scale: float

    def picture_kwargs(self) -> dict[str, object]:
        """Keyword arguments of :func:`~viz.export.race_png` / ``race_svg`` for this shape."""
        width, height = self.picture
        return {"width": width, "height": height, "loss_panel": self.loss_panel,
                "text_scale": self.text_scale}  # fmt: skip

    def animation_kwargs(self) -> dict[str, object]:
        """Keyword arguments of :func:`~viz.export.race_gif` / ``race_mp4`` for this shape."""
        width, height = self.animation
        return {"width": width, "height": height, "loss_panel": self.loss_panel,
                "text_scale": self.text_scale}  # fmt: skip


SLIDES: Mapping[str, Slide] = MappingProxyType(
    {
        "16:9": Slide((1920, 1080), (1920, 1080), True, 1.35),
        "4:3": Slide((1600, 1200), (800, 600), False, 1.25),
    }
)


def attribution_line(surface_title: str, settings: str) -> str:
    """``"Descent · <surface> · <settings>"`` (empty parts left out)."""
    return " · ".join(part for part in ("Descent", surface_title, settings) if part)


def marker(name: str) -> str | MplPath:
    """The matplotlib marker of optimizer ``name`` (the page's Plotly symbol)."""
    return _MPL_MARKERS.get(theme.symbol(name).removesuffix("-open"), "o")


def rgb255(color: str) -> tuple[int, int, int]:
    r, g, b = to_rgb(color)
    return round(r * 255), round(g * 255), round(b * 255)


def check_size(width: int, height: int) -> None:
    if not (200 <= width <= 8000 and 150 <= height <= 8000):
        raise ValueError(f"Invalid export size: {width}x{height}")


def check_text_scale(text_scale: float) -> None:
    if not 0.5 <= text_scale <= 3.0:
        raise ValueError(f"Invalid text_scale: {text_scale}")


def scale(width: int, height: int) -> float:
    """Pixels per "800x600 pixel": fonts, lines and markers grow with the picture, so a
    1600x1200 PNG looks like a 800x600 GIF, only sharper (a portrait picture scales by width)."""
    return min(height, 0.75 * width) / 600
