"""The scene in the URL: ``Scene`` <-> query parameters, forgiving of any hostile input.

``scene_to_query`` writes only what differs from the surface's default scene, so shared links
stay short; ``scene_from_query`` reads any mapping of strings and never raises: every
unknown, malformed or out-of-range parameter falls back to its default and yields a warning
that names it. ``scene_from_query(scene_to_query(s)) == (s, [])`` for every valid scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import optimizers
import surfaces
from optimizers import LINE_SEARCHES
from scene.scene import (
    CUSTOM,
    DECAY_SETTINGS,
    ENTRY_SETTINGS,
    LR_FACTOR_RANGE,
    LR_RANGE,
    MOMENTUM_RANGE,
    NETWORK,
    NOISE_RANGE,
    SCHEDULE_LABELS,
    STEPS_RANGE,
    VIEWS,
    Scene,
    base_name,
    hp_bounds,
    is_entry_name,
    optional_number,
    settable,
)
from surfaces import SURFACES

# Hard limits that keep a link from asking the server for unbounded work.
LIMITS = {
    "lr": LR_RANGE,
    "momentum": MOMENTUM_RANGE,
    "decay": (0.0, 10.0),  # checked again per schedule below
    "step_size": (1, STEPS_RANGE[1]),
    "steps": STEPS_RANGE,
    "noise": NOISE_RANGE,
    "seed": (0, 2**31 - 1),
    "coordinate": (-1e4, 1e4),
    "lr_factor": LR_FACTOR_RANGE,
}
MAX_VALUE_LENGTH = 600  # a formula may be 500 characters
NO_OPTIMIZERS = "-"

# scene field -> URL key
KEYS = {
    "surface": "s",
    "optimizers": "opt",
    "lr": "lr",
    "momentum": "mom",
    "schedule": "sch",
    "decay": "dec",
    "step_size": "ss",
    "steps": "n",
    "start": "start",
    "noise": "noise",
    "seed": "seed",
    "overrides": "hp",
    "view": "view",
    "formula": "f",
    "bounds": "b",
}


class ParamError(ValueError):
    """A parameter value that cannot be used; the message says why."""


def _fmt(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _float(text: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParamError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ParamError(f"{text!r} is not finite")
    if not lo <= value <= hi:
        raise ParamError(f"{value:g} is outside [{lo:g}, {hi:g}]")
    return value


def _int(text: str, lo: int, hi: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ParamError(f"{text!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise ParamError(f"{value} is outside [{lo}, {hi}]")
    return value


def _surface(text: str) -> str:
    if text not in SURFACES and text not in (CUSTOM, NETWORK):
        raise ParamError(f"unknown surface {text!r}")
    return text


def _optimizers(text: str) -> tuple[str, ...]:
    if text == NO_OPTIMIZERS:
        return ()
    names = tuple(n for n in text.split(",") if n)
    unknown = [n for n in names if not is_entry_name(n)]
    if unknown:
        raise ParamError(f"unknown optimizer(s) {', '.join(map(repr, unknown))}")
    if len(set(names)) != len(names):
        raise ParamError("repeated optimizers")
    return names


def _schedule(text: str) -> str:
    if text not in SCHEDULE_LABELS:
        raise ParamError(f"unknown schedule {text!r}")
    return text


def _view(text: str) -> str:
    if text not in VIEWS:
        raise ParamError(f"unknown view {text!r}; valid: {', '.join(VIEWS)}")
    return text


def _formula(text: str) -> str:
    if len(text) > surfaces.MAX_LENGTH:
        raise ParamError(f"formula longer than {surfaces.MAX_LENGTH} characters")
    return text


def _bounds(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) != 4:
        raise ParamError(f"{text!r} is not 'xmin,xmax,ymin,ymax'")
    x0, x1, y0, y1 = (_float(p, *LIMITS["coordinate"]) for p in parts)
    if not (x0 < x1 and y0 < y1):
        raise ParamError(f"{text!r}: need xmin < xmax and ymin < ymax")
    return (x0, x1, y0, y1)


def _start(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ParamError(f"{text!r} is not 'x,y'")
    lo, hi = LIMITS["coordinate"]
    return (_float(parts[0], lo, hi), _float(parts[1], lo, hi))


def _override_value(default: Any, text: str) -> Any:
    if default is None:  # L-BFGS's line_search_fn: a name, not code
        if text not in LINE_SEARCHES:
            raise ParamError(f"{text!r} is not one of {', '.join(LINE_SEARCHES)}")
        return text
    if isinstance(default, bool):
        if text not in ("0", "1"):
            raise ParamError(f"{text!r} is not 0 or 1")
        return text == "1"
    if isinstance(default, tuple):
        parts = text.split(":")
        if len(parts) != len(default):
            raise ParamError(f"{text!r} needs {len(default)} values separated by ':'")
        pairs = zip(parts, default, strict=True)
        return tuple(_float(p, *hp_bounds(default, d)) for p, d in pairs)
    return _float(text, *hp_bounds(default))


def _overrides(text: str) -> tuple[tuple[str, str, Any], ...]:
    out = []
    for item in filter(None, text.split(";")):
        name_param, sep, value = item.partition("=")
        name, dot, param = name_param.partition(".")
        if not sep or not dot:
            raise ParamError(f"{item!r} is not 'optimizer.param=value'")
        if not is_entry_name(name):
            raise ParamError(f"unknown optimizer {name!r}")
        if param == "decay":  # a racer's own setting: follows the decay schedule or not
            out.append((name, param, _override_value(True, value)))
            continue
        if param == "lr_factor":
            out.append((name, param, _float(value, *LIMITS["lr_factor"])))
            continue
        if optional_number(name, param):
            out.append((name, param, _float(value, *optional_number(name, param))))
            continue
        defaults = optimizers.defaults(base_name(name))
        if param not in defaults or not (
            param in ("lr", "line_search_fn") or settable(defaults[param])
        ):
            raise ParamError(f"{name} has no hyperparameter {param!r} settable here")
        if param == "lr":  # a per-optimizer lr (fair comparisons, auto-tune)
            out.append((name, param, _float(value, *LR_RANGE)))
        else:
            out.append((name, param, _override_value(defaults[param], value)))
    # Validate the combination the way the optimizer factory does (e.g. nesterov + dampening).
    for name in {o[0] for o in out}:
        hp = {p: v for n, p, v in out if n == name and p not in ENTRY_SETTINGS}
        if hp.get("line_search_fn"):  # race() supplies the surface's value and gradient
            hp.update(value_fn=_stub, grad_fn=_stub)
        try:
            optimizers.make(base_name(name), **hp)
        except (TypeError, ValueError) as err:
            raise ParamError(str(err)) from None
    return tuple(sorted(out, key=lambda o: (o[0], o[1])))


def _stub(points: Any) -> Any:
    return points


def _format_override(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ":".join(_fmt(v) for v in value)
    return _fmt(value)


@dataclass(frozen=True)
class _Field:
    parse: Callable[[str], Any]
    format: Callable[[Any], str]


_FIELDS: Mapping[str, _Field] = {
    "surface": _Field(_surface, str),
    "optimizers": _Field(_optimizers, lambda names: ",".join(names) or NO_OPTIMIZERS),
    "lr": _Field(lambda t: _float(t, *LIMITS["lr"]), _fmt),
    "momentum": _Field(lambda t: _float(t, *LIMITS["momentum"]), _fmt),
    "schedule": _Field(_schedule, str),
    "decay": _Field(lambda t: _float(t, *LIMITS["decay"]), _fmt),
    "step_size": _Field(lambda t: _int(t, *LIMITS["step_size"]), str),
    "steps": _Field(lambda t: _int(t, *LIMITS["steps"]), str),
    "start": _Field(_start, lambda s: f"{_fmt(s[0])},{_fmt(s[1])}"),
    "noise": _Field(lambda t: _float(t, *LIMITS["noise"]), _fmt),
    "seed": _Field(lambda t: _int(t, *LIMITS["seed"]), str),
    "overrides": _Field(_overrides, lambda ov: ";".join(
        f"{n}.{p}={_format_override(v)}" for n, p, v in ov)),
    "view": _Field(_view, str),
    "formula": _Field(_formula, str),
    "bounds": _Field(_bounds, lambda b: ",".join(_fmt(v) for v in b)),
}
assert set(_FIELDS) == set(KEYS) <= {f.name for f in fields(Scene)}


def base_scene(surface: str) -> Scene:
    """The scene a link with only ``s=surface`` means: that surface's defaults."""
    return Scene().with_surface(surface)


def scene_to_query(scene: Scene) -> dict[str, str]:
    """Query parameters for ``scene``: the surface, plus every field that differs from
    ``base_scene(scene.surface)``."""
    base = base_scene(scene.surface)
    query = {"s": scene.surface}
    for name, spec in _FIELDS.items():
        value = getattr(scene, name)
        if name != "surface" and value != getattr(base, name) and value is not None:
            query[KEYS[name]] = spec.format(value)
    return query


def _first(value: Any) -> str:
    """Query values arrive as str (st.query_params) or lists of str (urllib.parse_qs)."""
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return str(value)


def scene_from_query(query: Mapping[str, Any]) -> tuple[Scene, list[str]]:
    """Read a scene from query parameters; never raises.

    Returns the scene and one warning per ignored parameter, naming it.
    """
    warnings: list[str] = []
    raw = {str(k): _first(v) for k, v in query.items()}
    surface = "rosenbrock"
    if "s" in raw:
        try:
            surface = _surface(raw["s"][:MAX_VALUE_LENGTH])
        except ParamError as err:
            warnings.append(f"URL parameter 's': {err}; using the default surface.")
    scene = base_scene(surface)
    changes: dict[str, Any] = {}
    by_key = {v: k for k, v in KEYS.items()}
    for key, text in raw.items():
        name = by_key.get(key)
        if name is None:
            warnings.append(f"URL parameter {key[:40]!r} is unknown and was ignored.")
            continue
        if name == "surface":
            continue
        if len(text) > MAX_VALUE_LENGTH:
            warnings.append(f"URL parameter {key!r} is too long; using the default.")
            continue
        try:
            changes[name] = _FIELDS[name].parse(text)
        except ParamError as err:
            warnings.append(f"URL parameter {key!r}: {err}; using the default.")
    scene = replace(scene, **changes)
    return _check_combinations(scene, warnings, decay_given="decay" in changes)


def _check_combinations(scene: Scene, warnings: list[str],
                        decay_given: bool = True) -> tuple[Scene, list[str]]:
    """Checks that need more than one parameter: a custom formula that parses, the start
    inside the map, the decay rate inside its schedule's range (a schedule without its rate,
    ``sch=exponential``, takes the schedule's default rate, unremarked)."""
    if scene.surface == CUSTOM:
        try:
            scene.get_surface()
        except surfaces.ExpressionError as err:
            warnings.append(f"URL parameter 'f': {err}; showing the default surface.")
            return base_scene("rosenbrock"), warnings
    if scene.start is not None:
        (x0, x1), (y0, y1) = scene.get_surface().bounds
        if not (x0 <= scene.start[0] <= x1 and y0 <= scene.start[1] <= y1):
            warnings.append(f"URL parameter 'start': {scene.start} is outside this surface's "
                            "map; using its default start.")
            scene = replace(scene, start=None)
    if scene.schedule in DECAY_SETTINGS:
        _, (lo, hi), default = DECAY_SETTINGS[scene.schedule]
        if not lo <= scene.decay <= hi:
            if decay_given:
                warnings.append(f"URL parameter 'dec': {scene.decay:g} is outside "
                                f"[{lo:g}, {hi:g}] for the {scene.schedule} schedule; using "
                                f"{default:g}.")
            scene = replace(scene, decay=default)
    return scene, warnings
