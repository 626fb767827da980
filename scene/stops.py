"""The stops of the race panel's three mission sliders: learning rate, momentum and decay.

Every stop lies inside its range in ``scene.scene`` (a test checks), and a
value from a link, a preset or auto-tune that falls between stops is shown as it is (it
becomes a stop of its own, :func:`with_value`), never snapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import numpy as np

# Log-spaced, 1e-4..10, two significant digits: 51 stops.
LR_STOPS = tuple(float(f"{v:.2g}") for v in np.logspace(-4, 1, 51))

# Denser towards 1, on a log(1 - μ) scale: what changes the picture is how close μ is to 1
# (the ravine path stops zig-zagging between 0.5 and 0.9, rings around the minimum past 0.99).
# At least 30 stops on every slider: a drag over half of one in about a second then passes
# 15 stops, each a picture of its own (the issue asks for 10 a second).
MOMENTUM_STOPS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.83, 0.85, 0.87,
                  0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.992,
                  0.993, 0.995, 0.996, 0.997, 0.998, 0.9985, 0.999)

# Per schedule, the stops of its rate (``Scene.decay``; DECAY_SETTINGS says what it means).
DECAY_STOPS = MappingProxyType({
    # γ per step, denser towards 1 (1 - γ from 0.2 down to 1e-4), then 1: no decay.
    "exponential": (0.8, 0.82, 0.85, 0.87, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.975,
                    0.98, 0.985, 0.99, 0.992, 0.993, 0.995, 0.996, 0.997, 0.998, 0.9985,
                    0.999, 0.9992, 0.9993, 0.9995, 0.9996, 0.9997, 0.9998, 0.99985, 0.9999,
                    1.0),
    "step": (0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09,
             *(float(f"{v:.2g}") for v in np.linspace(0.1, 1.0, 19))),
    "inverse_time": (0.0, *(float(f"{v:.2g}") for v in np.logspace(-4, 1, 31))),
    "cosine": tuple(float(f"{v:.3g}") for v in np.linspace(0.0, 1.0, 41)),
})


def with_value(stops: Sequence[float], value: float | None) -> tuple[float, ...]:
    """``stops`` plus ``value`` where it is off them, in order."""
    return tuple(sorted(set(stops) | ({float(value)} if value is not None else set())))


def label(value: float) -> str:
    """How a slider shows a value."""
    return f"{value:g}"

