"""One place for how Descent looks: optimizer colours, labels, symbols and the Plotly template.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies) extended
with Paul Tol's muted scheme; every optimizer also has its own marker symbol and dash, so a
path can be told apart without colour at all (and on a grey-scale projector).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from analysis.race import COPY_MARK, base_name

OPTIMIZER_LABELS = MappingProxyType({
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "NAdam",
    "radam": "RAdam",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "newton": "Newton",
    "saddle_free_newton": "Saddle-free Newton",
    "lbfgs": "L-BFGS",
    "rprop": "Rprop",
    "lion": "Lion",
    "muon": "Muon",
    "adafactor": "Adafactor",
    "sgd_schedule_free": "Schedule-Free SGD",
    "adamw_schedule_free": "Schedule-Free AdamW",
    "prodigy": "Prodigy",
    "ademamix": "AdEMAMix",
    "adopt": "ADOPT",
})

OPTIMIZER_COLORS = MappingProxyType({
    "sgd": "#000000",
    "momentum": "#E69F00",
    "nesterov": "#D55E00",
    "adagrad": "#56B4E9",
    "rmsprop": "#009E73",
    "adam": "#0072B2",
    "adamw": "#CC79A7",
    "nadam": "#882255",
    "radam": "#44AA99",
    "adadelta": "#999933",
    "adamax": "#332288",
    "newton": "#AA4499",
    "saddle_free_newton": "#117733",
    "lbfgs": "#661100",
    # Paul Tol's vibrant, bright and high-contrast schemes (also colour-blind safe).
    "rprop": "#CC6677",
    "lion": "#EE3377",
    "muon": "#33BBEE",
    "adafactor": "#004488",
    "sgd_schedule_free": "#DDAA33",
    "adamw_schedule_free": "#BB5566",
    "prodigy": "#228833",
    "ademamix": "#AA3377",
    "adopt": "#EE7733",
})

OPTIMIZER_SYMBOLS = MappingProxyType({
    "sgd": "circle",
    "momentum": "square",
    "nesterov": "diamond",
    "adagrad": "triangle-up",
    "rmsprop": "triangle-down",
    "adam": "star",
    "adamw": "hexagon",
    "nadam": "pentagon",
    "radam": "cross",
    "adadelta": "x",
    "adamax": "hourglass",
    "newton": "bowtie",
    "saddle_free_newton": "star-diamond",
    "lbfgs": "octagon",
    "rprop": "triangle-right",
    "lion": "star-triangle-up",
    "muon": "circle-cross",
    "adafactor": "square-x",
    "sgd_schedule_free": "diamond-wide",
    "adamw_schedule_free": "diamond-tall",
    "prodigy": "hexagram",
    "ademamix": "star-square",
    "adopt": "triangle-left",
})

OPTIMIZER_NOTES = MappingProxyType({
    "rprop": "Only the gradient's sign counts: each coordinate's step grows ×1.2 while the "
             "sign holds and halves when it flips (lr sets the first step; schedules do "
             "nothing, as in torch).",
    "lion": "Every step is lr·sign(momentum mix): each coordinate moves exactly lr, so every "
            "step is a diagonal, whatever the gradient's size.",
    "muon": "On a 1×2 'matrix', orthogonalizing is normalizing: Nesterov momentum with every "
            "step the same length (≈0.70·lr).",
    "adafactor": "Steps are relative: lr times the point's RMS, so it moves slowly near the "
                 "origin and fast far from it.",
    "sgd_schedule_free": "The gradient is taken at y, between the SGD iterate z and their "
                         "running average x: averaging replaces the lr schedule.",
    "adamw_schedule_free": "Schedule-Free with Adam's normalized gradient: averaging, not a "
                           "decaying lr, brings it to rest.",
    "prodigy": "Estimates its own lr: d grows from 1e-6 to about the distance to the "
               "minimum (leave lr at 1).",
    "ademamix": "Adam plus a very slow momentum (β₃ = 0.9999) weighted ×5: it remembers old "
                "gradients and overshoots.",
    "adopt": "Adam with two lines swapped: normalize the gradient by the old second moment, "
             "then average; the first step does not move.",
})
"""A one-line teaching note per optimizer (what to watch for in the race), where written."""

_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

FALLBACK_COLOR = "#777777"

# Light, low-contrast background so coloured (and black) paths carry the eye everywhere on
# the map; a little darker = lower loss, the contour lines give the shape.
SURFACE_COLORSCALE = (
    (0.0, "#9fb3c8"),
    (0.25, "#c4d2e0"),
    (0.55, "#e2e9f0"),
    (1.0, "#fbfcfd"),
)

SURFACE3D_COLORSCALE = "Cividis"
"""The 3D surface's colours: a pale contour background reads as white on a projector, so
the 3D view uses a full-range, colour-blind-safe sequential scale."""

FONT_FAMILY = "Inter, 'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$^])")


def literal(text: str) -> str:
    r"""``text`` escaped for Markdown, so a typed formula shows as typed: ``(x**2+y-11)**2``
    keeps its stars instead of turning into italics, and ``$`` starts no LaTeX.

    >>> print(literal("(x**2+y-11)**2"))
    \(x\*\*2\+y\-11\)\*\*2
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def label(name: str) -> str:
    """Human label of an optimizer key (``"rmsprop" -> "RMSprop"``); a copy in a race
    (``"sgd~2"``, `analysis.race.base_name`) is numbered: ``"SGD #2"``."""
    base = base_name(name)
    text = OPTIMIZER_LABELS.get(base, base)
    return text if name == base else f"{text} #{name.partition(COPY_MARK)[2]}"


def note(name: str) -> str:
    """The optimizer's one-line teaching note, or ``""``."""
    return OPTIMIZER_NOTES.get(base_name(name), "")


# How far each copy's colour is mixed towards white: a lighter shade of its optimizer's.
_COPY_TINTS = {"2": 0.45, "3": 0.25, "4": 0.6}


def color(name: str) -> str:
    """An optimizer's colour; a copy in a race (``"sgd~2"``) a lighter shade of it (with its
    own line style and an open marker: two SGDs must be told apart on a projector)."""
    base = OPTIMIZER_COLORS.get(base_name(name), FALLBACK_COLOR)
    tint = _COPY_TINTS.get(name.partition(COPY_MARK)[2], 0.0)
    if not tint:
        return base
    rgb = (int(base[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * tint):02X}" for c in rgb)


def symbol(name: str) -> str:
    base = OPTIMIZER_SYMBOLS.get(base_name(name), "circle")
    return base if name == base_name(name) else f"{base}-open"


def dash(name: str) -> str:
    """The line style of ``name``'s path; each copy of an optimizer another one."""
    base = base_name(name)
    if base not in OPTIMIZER_LABELS:
        return "solid"
    index = list(OPTIMIZER_LABELS).index(base)
    if name != base:  # copies 2, 3, 4: shifted by half the styles, then one more each
        index += len(_DASHES) // 2 + int(name.partition(COPY_MARK)[2]) - 2
    return _DASHES[index % len(_DASHES)]


def layout_base(font_size: int = 14) -> dict[str, Any]:
    """The layout every Descent figure starts from (a fresh dict each call).

    An explicit layout instead of ``pio.templates.default``, which would be hidden global state.
    """
    axis = {
        "showgrid": False, "zeroline": False, "linecolor": "#444", "mirror": True,
        "ticks": "outside", "showline": True,
    }
    return {
        "template": "plotly_white",
        "font": {"family": FONT_FAMILY, "size": font_size, "color": "#222"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "legend": {"bgcolor": "rgba(255,255,255,0.85)", "bordercolor": "#ccc", "borderwidth": 1},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
