"""What a simulated student does to the app in each mode of ``benchmarks/load.py``.

A :class:`Student` wraps one protocol session (``harness.wsclient``) and makes *moves*, each a
widget change that reruns the script, always to a value this session has not sent before:

* ``lr``: the learning-rate select_slider one stop right. The app races the lr stops in
  blocks of 8, so most of these are served from its cache: the cheapest move.
* ``momentum``: the momentum slider to a new value (a cold race of every optimizer that
  uses it).
* ``decay``: the exponential schedule's factor to a new value (the first move picks the
  exponential schedule): a cold race of every optimizer.
* ``start``: ``start x`` to a value no session has used: every race is cold, lr blocks
  included.
* ``surface``: the next surface in the menu (each session starts at its own offset; the
  formula entry is left out). A surface brings its default start, so only the first visit of a
  surface in the server's life is cold: later visitors share its cached races, as a class
  following the lecturer would.
* ``lecture``: a random mix of the above (``LECTURE_MIX``), for a class at lecture pace.

Every session first sets its own ``start x`` (see :class:`Starts`), so no session is served
from another's cache unless it changes surface.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.wsclient import RunResult, StreamlitSession

LR_LABEL = "Learning rate (log scale)"  # for load.py's warm-up and --latency
MODES = ("lr", "momentum", "decay", "start", "surface", "lecture")
COLD_MODES = ("momentum", "decay", "start", "surface")
LECTURE_MIX = {"lr": 0.4, "momentum": 0.2, "start": 0.15, "surface": 0.15, "decay": 0.1}
"""Weights of the moves in the ``lecture`` mode: mostly the lr slider, then momentum, a new
start (a click on the map), a new surface, a decay schedule."""
KEYS = ("lr", "momentum", "schedule", "decay_exponential", "start_x", "surface")
"""The session_state keys of the widgets the moves touch (their ids end with ``-<key>``)."""
EXPONENTIAL = "exponential"  # the schedule menu's label of the exponential decay
SKIPPED_SURFACES = ("Your own formula…",)


class Starts:
    """A distinct ``start x`` offset for every call, over the whole benchmark (no shared
    cache between sessions)."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> float:
        with self._lock:
            self._next += 1
            return 0.001 * (self._next % 1000)


def reflect(value: float, lo: float, hi: float) -> float:
    """Fold ``value`` back into ``[lo, hi]`` (a start near the edge stays distinct and valid).

    >>> reflect(1.2, 0.0, 1.0), reflect(-0.25, 0.0, 1.0), reflect(0.5, 0.0, 1.0)
    (0.8, 0.25, 0.5)
    """
    span = hi - lo
    x = (value - lo) % (2 * span)
    return round(lo + (x if x <= span else 2 * span - x), 6)


@dataclass
class Student:
    """One session's moves. ``index`` staggers the surface order between sessions."""

    session: StreamlitSession
    index: int
    starts: Starts
    rng: random.Random
    moves: int = 0
    ids: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # widget id -> option the server set
    surface_at: int | None = None  # index in the menu (formula entry left out)

    def refresh(self, run: RunResult) -> RunResult:
        """Track the widgets' ids, and adopt values the server set (as the browser does).

        A callback that sets a widget's value (a new surface sets the start, lr and steps)
        sends the widget with ``set_value``: the browser takes that value, so the client stops
        re-sending its own older one."""
        for wid in self.session.widgets:  # in arrival order: a newer id of a key wins
            for key in KEYS:
                if wid.endswith(f"-{key}"):
                    self.ids[key] = wid
        for wid, element in run.elements.items():
            if getattr(element, "set_value", False):
                self.session.sent.pop(wid, None)
                raw = getattr(element, "raw_value", None)
                if raw:
                    self.labels[wid] = raw if isinstance(raw, str) else raw[0]
        return run

    def label(self, key: str) -> str:
        """The option a select_slider or selectbox shows now: the one this client sent, else
        the one the server last set, else the default. (An element re-sent without
        ``set_value`` carries only its default: the browser keeps its own value then.)"""
        wid = self.ids[key]
        sent = self.session.sent.get(wid)
        if sent is not None:
            kind = sent.WhichOneof("value")
            return sent.string_value if kind == "string_value" else sent.string_array_value.data[0]
        if wid in self.labels:
            return self.labels[wid]
        element = self.element(key)
        default = element.default
        return element.options[default if isinstance(default, int) else int(default[0])]

    async def choose(self, key: str, label: str, many: bool = False) -> RunResult:
        state = WidgetState(id=self.ids[key])
        if many:
            state.string_array_value.data.append(label)
        else:
            state.string_value = label
        return await self.session.rerun({state.id: state})

    def element(self, key: str) -> Any:
        return self.session.widgets[self.ids[key]]

    async def set_start(self) -> RunResult:
        """``start x`` to a value no session has used (folded into the widget's range)."""
        box = self.element("start_x")
        wid = self.ids["start_x"]
        sent = self.session.sent.get(wid)
        base = sent.double_value if sent else (box.value if box.set_value else box.default)
        value = base + self.starts.take()
        if box.has_min and box.has_max:
            value = reflect(value, box.min, box.max)
        return self.refresh(await self.session.set_number(wid, value))

    async def move(self, mode: str) -> tuple[str, RunResult]:
        """Make one move of ``mode`` (``lecture``: a random kind); returns its kind and run."""
        kind = mode
        if mode == "lecture":
            kind = self.rng.choices(list(LECTURE_MIX), weights=list(LECTURE_MIX.values()))[0]
        self.moves += 1
        s, k = self.session, self.moves
        # The lr, momentum and decay sliders are the race panel's (ui/race_panel): a move is
        # a release of one of them at another stop, after, as a browser does when the panel
        # holds no races along that slider, a grab that asks for them (both runs count).
        grab = None
        if kind in ("lr", "momentum", "decay") and not s.panel_holds(kind) and \
                s.panel_data()["sliders"].get(kind):
            grab = self.refresh(await s.want_panel(kind))
        if kind == "lr":  # one stop right (from the top stop: back to the bottom)
            stops = s.panel_data()["sliders"]["lr"]["values"]
            at = stops.index(s.panel_data()["values"]["lr"])
            run = await s.set_panel(lr=stops[(at + 1) % len(stops)])
        elif kind == "momentum":
            stops = s.panel_data()["sliders"]["momentum"]["values"]
            run = await s.set_panel(momentum=stops[k % len(stops)])
        elif kind == "decay" and s.panel_data()["values"]["schedule"] != EXPONENTIAL:
            run = await s.set_panel(schedule=EXPONENTIAL)
        elif kind == "decay":
            stops = s.panel_data()["sliders"]["decay"]["values"]
            run = await s.set_panel(decay=stops[-1 - k % len(stops)])
        elif kind == "start":
            return kind, await self.set_start()
        elif kind == "surface":
            run = await self.next_surface()
        else:
            raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        run = self.refresh(run)
        if grab is not None:  # the move took both runs
            run = replace(run, seconds=grab.seconds + run.seconds, bytes=grab.bytes + run.bytes,
                          exceptions=grab.exceptions + run.exceptions,
                          status=run.status if grab.ok else grab.status)
        return kind, run

    async def next_surface(self) -> RunResult:
        menu = self.element("surface")
        options = [o for o in menu.options if o not in SKIPPED_SURFACES]
        if self.surface_at is None:  # the first jump is staggered, then one by one
            label = self.label("surface")
            current = options.index(label) if label in options else 0
            self.surface_at = current + self.index % (len(options) - 1)
        self.surface_at = (self.surface_at + 1) % len(options)
        return await self.choose("surface", options[self.surface_at])
