"""Slide exports of a race: an animated GIF (an MP4 where imageio-ffmpeg is installed) and
static PNG / SVG pictures, in the page's colours, in a 16:9 or 4:3 :class:`Slide` shape.

One module per stage:

- :mod:`.style`: slide shapes (:data:`SLIDES`), colours, fonts, markers, sizes;
- :mod:`.static`: the matplotlib picture (map, legend, title, attribution, loss chart) and
  the PNG; an animation's background and where its panels sit in pixels;
- :mod:`.frames`: the animation's frames, composited with PIL on that background;
- :mod:`.gif`, :mod:`.mp4`, :mod:`.svg`: the file writers.

Everything here is pure: no pyplot, no rcParams, the same bytes for the same input.
"""

from viz.export.frames import HOLD_LAST_MS, TRANSPARENT
from viz.export.gif import race_gif
from viz.export.mp4 import mp4_available, race_mp4
from viz.export.static import MapLayout, gif_layout, race_png
from viz.export.style import SLIDES, Slide, attribution_line
from viz.export.svg import race_svg

__all__ = [
    "HOLD_LAST_MS",
    "SLIDES",
    "TRANSPARENT",
    "MapLayout",
    "Slide",
    "attribution_line",
    "gif_layout",
    "mp4_available",
    "race_gif",
    "race_mp4",
    "race_png",
    "race_svg",
]
