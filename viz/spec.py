"""Prebuilt Plotly specs: typed-array encoding and a figure that skips re-validation.

Why: ``go.Figure`` validates every trace and frame on construction and again in
``to_dict``, which for an animated race costs far more than the numbers themselves
(docs/performance.md). Our builders write the plotly.js JSON schema directly
(arrays as base64 typed arrays, the format plotly.js decodes natively) and wrap it in
:class:`SpecFigure`. The tests validate every spec once with ``go.Figure(spec)``, which is
where a wrong property name would be caught.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

Spec = dict[str, Any]


def typed_array(values: npt.ArrayLike, dtype: str = "f4") -> dict[str, str]:
    """Encode an array as a plotly.js typed-array spec (``{"dtype", "bdata"[, "shape"]}``).

    float32 by default: 7 significant digits are more than a screen shows, at half the bytes.
    NaN is kept: plotly.js draws it as a gap, which is how a diverged path stops.
    """
    # A value beyond float32 (a diverging run's loss near 1e40) becomes inf: off the chart.
    with np.errstate(over="ignore"):
        arr = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    spec = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ",".join(str(n) for n in arr.shape)
    return spec


def decode_typed_array(spec: Any) -> np.ndarray:
    """Inverse of :func:`typed_array` (plain lists are returned as arrays too)."""
    if isinstance(spec, dict) and "bdata" in spec:
        arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
        if "shape" in spec:
            arr = arr.reshape([int(n) for n in str(spec["shape"]).split(",")])
        return arr
    return np.asarray(spec)


def spec_json(spec: Any) -> str:
    """A spec (or part of one) as compact JSON text, NumPy scalars and arrays as plain numbers."""
    return json.dumps(spec, separators=(",", ":"), default=_plain)


class SpecFigure(go.Figure):
    """A ``go.Figure`` carrying a trusted spec dict; ``to_dict`` returns it without copying.

    Only what Streamlit's ``st.plotly_chart`` calls is supported (``to_dict``,
    ``to_plotly_json``); for anything else (``.data``, ``write_image``) call
    :meth:`validated`, which builds an ordinary, fully validated ``go.Figure``.
    """

    def __init__(self, spec: Spec) -> None:  # noqa: D107 - deliberately skips go.Figure init
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> Spec:
        return self._spec

    def to_plotly_json(self) -> Spec:
        return self._spec

    @property
    def spec(self) -> Spec:
        return self._spec

    def __reduce__(self) -> tuple:
        # st.cache_data pickles return values; go.Figure's own __reduce__ expects its init.
        return (SpecFigure, (self._spec,))

    def to_json(self) -> str:  # type: ignore[override]
        """The spec as compact JSON text (NumPy scalars and arrays as plain numbers)."""
        return spec_json(self._spec)

    def validated(self) -> go.Figure:
        return go.Figure(self._spec)

    def __repr__(self) -> str:
        return f"SpecFigure(traces={len(self._spec.get('data', []))}, " \
               f"frames={len(self._spec.get('frames', []))})"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
