"""A protocol-level Streamlit client: one browser tab's websocket, without the browser.

Streamlit's frontend talks to the server over ``/_stcore/stream`` (subprotocol ``streamlit``)
in protobuf: it sends :class:`BackMsg` (``rerun_script`` with a :class:`ClientState`) and
receives :class:`ForwardMsg` (deltas, ``page_info_changed``, ..., ``script_finished``).
This client sends what the frontend sends (checked against frames captured from Chromium, see
``tests/test_e2e.py::test_protocol_client_matches_the_browser``):

* the first message is ``rerun_script`` with empty widget states;
* a widget change is ``rerun_script`` with the widget's :class:`WidgetState` (a select_slider
  sends its option *label* as ``string_array_value``, a slider ``double_array_value``, a
  number_input ``double_value``/``int_value``, a toggle ``bool_value``), the current query
  string, the page hash, and the hashes of the cacheable messages it already holds (the
  server then sends a small ``ref_hash`` instead of the element again, as for the browser);
* a change of a widget drawn inside a fragment (``st.fragment``) also names the fragment
  (``fragment_id``, which every delta of the fragment carries): the server then reruns only
  the fragment;
* a change is complete when ``script_finished`` arrives.

Unlike the browser it only re-sends the widgets it has changed: keyed widgets keep their
values server-side, which the tests verify by comparing the rendered chart with the browser's.
Without a browser there is no rendering cost: latencies here are server time plus transfer.

Usage::

    async with StreamlitSession.connect("http://127.0.0.1:8501") as s:
        first = await s.rerun()              # the first page load
        run = await s.set_panel(lr=0.0013)  # the race panel's lr slider released there
        run.seconds, run.exceptions, s.query_string
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# The frontend keeps cached messages for this many script runs (``max_cached_message_age`` in
# the ``new_session`` config); we do the same.
DEFAULT_CACHE_AGE = 2
WIDGET_TYPES = ("slider", "selectbox", "multiselect", "number_input", "checkbox", "radio",
                "button", "text_input", "text_area", "download_button", "button_group")


FINISHED = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


class ProtocolError(RuntimeError):
    """The server closed the stream or a run did not finish in time."""


@dataclass
class RunResult:
    """One script run as this client saw it."""

    seconds: float
    bytes: int
    messages: int
    status: str  # ScriptFinishedStatus name
    exceptions: list[str] = field(default_factory=list)
    elements: dict[str, Any] = field(default_factory=dict)  # widget id -> element proto

    @property
    def ok(self) -> bool:
        return not self.exceptions and self.status in FINISHED

    @property
    def fragment(self) -> bool:
        """Whether the server reran only a fragment (not the whole script)."""
        return self.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"


def _element_of(msg: ForwardMsg) -> tuple[str, Any] | None:
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    return (kind, getattr(element, kind)) if kind else None


class StreamlitSession:
    """One websocket session. Use :meth:`connect` (an async context manager)."""

    def __init__(self, ws: Any, query_string: str = "", timeout: float = 60.0) -> None:
        self._ws = ws
        self.timeout = timeout
        self.query_string = query_string
        self.page_script_hash = ""
        self.session_id = ""
        self.widgets: dict[str, Any] = {}  # widget id -> latest element proto
        self.fragments: dict[str, str] = {}  # widget id -> its fragment's id ("": none)
        self.sent: dict[str, WidgetState] = {}  # widget id -> state we have set
        self.cache_age = DEFAULT_CACHE_AGE
        self._cached: dict[str, int] = {}  # message hash -> run number when last seen
        self._runs = 0
        # Charts of the latest run: plotly specs, and the JSON args of chart components.
        self.charts: list[str] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, query_string: str = "", cookie: str | None = None,
                      timeout: float = 60.0, resume: str | None = None,
                      ) -> AsyncIterator[StreamlitSession]:
        """Open ``/_stcore/stream`` on the server at ``url`` (http://host:port).

        ``cookie`` is sent as the Cookie header (a balancer's sticky cookie). ``resume`` is a
        session id to reconnect to, as the frontend does after a dropped connection: the
        subprotocol list is then ``streamlit, <xsrf token>, <session id>`` (we have no xsrf
        token; Streamlit only needs it for authenticated users)."""
        from websockets.asyncio.client import connect

        parts = urlsplit(url)
        headers = {"Cookie": cookie} if cookie else {}
        ws_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        protocols = ["streamlit", "-", resume] if resume else ["streamlit"]
        async with connect(ws_url, subprotocols=protocols,  # type: ignore[arg-type]
                           additional_headers=headers,
                           max_size=None, open_timeout=timeout,
                           origin=f"http://{parts.netloc}") as ws:
            yield cls(ws, query_string=query_string, timeout=timeout)

    def widget_id(self, label: str | None = None, key: str | None = None) -> str:
        """The id of the widget drawn with ``label`` (or user ``key``) in the latest run."""
        for wid, element in self.widgets.items():
            if (label is not None and getattr(element, "label", None) == label) or (
                key is not None and wid.endswith(f"-{key}")
            ):
                return wid
        raise KeyError(f"no widget with label={label!r} key={key!r}; have "
                       f"{sorted(getattr(e, 'label', '?') for e in self.widgets.values())}")

    async def rerun(self, states: Mapping[str, WidgetState] | None = None,
                    fragment: str | None = None) -> RunResult:
        """Send ``rerun_script`` with every widget state set so far plus ``states``; wait for
        ``script_finished``. As the browser does, a change of widgets drawn in one fragment
        reruns that fragment (``fragment``: the fragment to name instead)."""
        if states:
            self.sent.update(states)
            if fragment is None:
                owners = {self.fragments.get(wid, "") for wid in states}
                fragment = owners.pop() if len(owners) == 1 else ""
        back = BackMsg()
        client_state = back.rerun_script
        client_state.fragment_id = fragment or ""
        client_state.query_string = self.query_string
        client_state.page_script_hash = self.page_script_hash
        client_state.widget_states.widgets.extend(self.sent.values())
        client_state.cached_message_hashes.extend(
            h for h, seen in self._cached.items() if self._runs - seen < self.cache_age)
        client_state.context_info.timezone = "UTC"
        client_state.context_info.locale = "en-US"
        t0 = time.perf_counter()
        await self._ws.send(back.SerializeToString())
        return await self._read_run(t0)

    async def _read_run(self, t0: float) -> RunResult:
        nbytes = messages = 0
        exceptions: list[str] = []
        elements: dict[str, Any] = {}
        charts: list[str] = []
        owners: dict[str, str] = {}  # widget id -> fragment id, of this run's widgets
        self._runs += 1
        deadline = t0 + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f}s")
            try:
                data = await asyncio.wait_for(self._ws.recv(), remaining)
            except TimeoutError:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f}s") from None
            except Exception as err:  # connection closed
                raise ProtocolError(f"stream closed: {err!r}") from err
            nbytes += len(data)
            messages += 1
            msg = ForwardMsg.FromString(data)
            kind = msg.WhichOneof("type")
            if msg.metadata.cacheable and msg.hash:
                self._cached[msg.hash] = self._runs
            elif kind == "ref_hash":
                self._cached[msg.ref_hash] = self._runs
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                self.page_script_hash = msg.new_session.page_script_hash
                self.cache_age = msg.new_session.config.max_cached_message_age or self.cache_age
            elif kind == "navigation":
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # a newer run follows, as in the browser
                self.widgets.update(elements)
                self.fragments.update(owners)
                self.charts = charts
                return RunResult(time.perf_counter() - t0, nbytes, messages, status,
                                 exceptions, elements)
            found = _element_of(msg)
            if found:
                el_kind, element = found
                if el_kind == "exception":
                    exceptions.append(f"{element.type}: {element.message}")
                elif el_kind == "plotly_chart":
                    charts.append(element.spec)
                elif el_kind == "component_instance":
                    charts.append(element.json_args)
                elif el_kind == "bidi_component":  # the race panel: a chart and a widget
                    charts.append(element.json)
                    elements[element.id] = element
                elif el_kind in WIDGET_TYPES and getattr(element, "id", ""):
                    elements[element.id] = element
                wid = getattr(element, "id", "")
                if wid in elements:
                    owners[wid] = msg.delta.fragment_id

    # -- widget helpers: what the frontend sends for each kind -----------------------------

    async def set_select_slider(self, label: str, step: int = 1,
                                key: str | None = None) -> RunResult:
        """Move a select_slider ``step`` options from its current value (like ArrowRight)."""
        wid = self.widget_id(label=None if key else label, key=key)
        slider = self.widgets[wid]
        options = list(slider.options)
        current = self.select_slider_index(wid)
        target = min(max(current + step, 0), len(options) - 1)
        state = WidgetState(id=wid)
        state.string_array_value.data.append(options[target])
        return await self.rerun({wid: state})

    def select_slider_index(self, wid: str) -> int:
        slider = self.widgets[wid]
        if wid in self.sent:
            return list(slider.options).index(self.sent[wid].string_array_value.data[0])
        options = list(slider.options)
        if slider.set_value and slider.raw_value:  # a value set from session_state, as a label
            return options.index(slider.raw_value[0])
        values = list(slider.value) if slider.set_value and slider.value else list(slider.default)
        return int(values[0])

    def panel_data(self) -> dict[str, Any]:
        """What the race panel (``ui/race_panel``) was sent in the latest run."""
        (panel,) = [e for e in self.widgets.values() if getattr(e, "component_name", "")
                    == "descent_race_panel"]
        return json.loads(panel.json)

    async def set_panel(self, **settings: Any) -> RunResult:
        """Release the race panel's sliders at ``settings`` (any of ``lr``, ``momentum``,
        ``decay``, ``schedule``; the others as the panel shows them), as the browser does:
        the component's whole state as JSON, its ``settings`` with a new ``seq``."""
        (wid,) = [w for w, e in self.widgets.items() if getattr(e, "component_name", "")
                  == "descent_race_panel"]
        values = self.panel_data()["values"]
        self._panel_seq = getattr(self, "_panel_seq", 0) + 1
        state = {"settings": {**values, **settings, "seq": self._panel_seq}}
        return await self.rerun({wid: WidgetState(id=wid, json_value=json.dumps(state))})

    async def want_panel(self, axis: str) -> RunResult:
        """Grab the race panel's ``axis`` slider when the panel holds no races along it, as
        the browser does: its ``want`` trigger ``{axis}``, sent with this rerun only."""
        from streamlit.components.v2.bidi_component.main import _make_trigger_id

        (wid,) = [w for w, e in self.widgets.items() if getattr(e, "component_name", "")
                  == "descent_race_panel"]
        trigger = WidgetState(id=_make_trigger_id(wid, "events"), json_trigger_value=json.dumps(
            [{"event": "want", "value": {"axis": axis}}]))
        self.sent[trigger.id] = trigger
        try:
            return await self.rerun(fragment=self.fragments.get(wid, ""))
        finally:
            self.sent.pop(trigger.id, None)

    def panel_holds(self, axis: str) -> bool:
        """Whether the race panel was sent the races along its ``axis`` slider."""
        return json.loads(self.panel_data()["axes"]).get(axis) is not None

    async def step_panel(self, axis: str = "lr", step: int = 1) -> RunResult:
        """Move the race panel's ``axis`` slider ``step`` stops from its value (like a key)."""
        data = self.panel_data()
        stops = data["sliders"][axis]["values"]
        at = stops.index(data["values"][axis])
        return await self.set_panel(**{axis: stops[min(max(at + step, 0), len(stops) - 1)]})

    async def set_number(self, wid: str, value: float) -> RunResult:
        state = WidgetState(id=wid, double_value=float(value))
        return await self.rerun({wid: state})

    async def set_slider(self, wid: str, value: float) -> RunResult:
        state = WidgetState(id=wid)
        state.double_array_value.data.append(float(value))
        return await self.rerun({wid: state})

    async def set_bool(self, wid: str, value: bool) -> RunResult:
        return await self.rerun({wid: WidgetState(id=wid, bool_value=value)})
