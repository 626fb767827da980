"""Learning-rate scrubbing: which parts of the race figure change with the lr.

A move of the lr slider changes only the optimizers' lines, the animated markers, the legend
names and the loss axis range; the map, its contours and colour bar, the landmarks and the
controls stay. The race chart component is sent these *moving parts* for the slider stops
around the current lr, so that a slider move redraws the chart at once from what the browser
already has, without waiting for the server's rerun (which still follows, for the table).

The frames are not sent at all: they follow from the traces (``layout.meta.motion``, see
``viz.race_figure``), and the component rebuilds them. ``race_figure`` still makes them, as
the reference the browser tests compare the component's frames with.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from viz.spec import Spec

# Per trace, what an lr move may change; and on the loss axis.
MOVING_KEYS = ("x", "y", "name")
MOVING_AXIS = "yaxis2"
MOVING_AXIS_KEYS = ("range", "dtick")


def motion(spec: Spec) -> dict[str, Any] | None:
    """The frame recipe of a race figure (None for a figure without animation)."""
    return (spec.get("layout", {}).get("meta") or {}).get("motion")


def moving_traces(spec: Spec) -> list[int]:
    """Indices of the traces an lr move redraws: paths, loss curves and the animated three."""
    recipe = motion(spec)
    if recipe is None:
        return []
    return sorted({*recipe["paths"], *recipe["losses"], *recipe["animated"]})


def without_frames(spec: Spec) -> Spec:
    """The figure as the component is sent it: no frames (it rebuilds them)."""
    return {key: value for key, value in spec.items() if key != "frames"}


def moving_parts(spec: Spec) -> Spec:
    """What differs between two lrs' figures of the same scene, as patches: per trace index
    (a string, as JSON keys are) the moving keys, and the loss axis's ``range`` and ``dtick``
    (``None`` = absent) under ``"yaxis2.range"``-style paths."""
    data = spec["data"]
    axis = spec["layout"].get(MOVING_AXIS, {})
    return {
        "data": {str(i): {k: data[i].get(k) for k in MOVING_KEYS} for i in moving_traces(spec)},
        "layout": {f"{MOVING_AXIS}.{k}": axis.get(k) for k in MOVING_AXIS_KEYS},
    }


def structure(spec: Spec) -> str:
    """A digest of everything an lr move must not change (the spec without its frames and
    moving parts): two figures with equal digests differ only in ``moving_parts``."""
    still = without_frames(spec)
    moving = set(moving_traces(spec))
    still["data"] = [
        {k: v for k, v in trace.items() if k not in MOVING_KEYS} if i in moving else trace
        for i, trace in enumerate(spec["data"])
    ]
    layout = dict(spec["layout"])
    layout[MOVING_AXIS] = {k: v for k, v in layout.get(MOVING_AXIS, {}).items()
                           if k not in MOVING_AXIS_KEYS}
    still["layout"] = layout
    text = json.dumps(still, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def apply_moving_parts(spec: Spec, parts: Spec) -> Spec:
    """``spec`` with ``parts`` (from ``moving_parts``) patched in: the other lr's figure.
    The component does the same in JavaScript; this is its reference."""
    data = [dict(t) for t in spec["data"]]
    for index, patch in parts["data"].items():
        trace = data[int(index)]
        for key, value in patch.items():
            if value is None:
                trace.pop(key, None)
            else:
                trace[key] = value
    layout = dict(spec["layout"])
    axis = dict(layout.get(MOVING_AXIS, {}))
    for path, value in parts["layout"].items():
        key = path.split(".", 1)[1]
        if value is None:
            axis.pop(key, None)
        else:
            axis[key] = value
    layout[MOVING_AXIS] = axis
    return {**spec, "data": data, "layout": layout}
