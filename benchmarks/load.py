"""Load test: N concurrent sessions changing the app's settings, on loopback only.

    python benchmarks/load.py                       # lr slider; N = 1, 5, 10, 20; 2 rounds
    python benchmarks/load.py --mode all            # every mode below, one after the other
    python benchmarks/load.py --mode lecture --think 3   # a class at lecture pace
    python benchmarks/load.py --replicas 2          # 2 replicas behind nginx (deploy/)
    python benchmarks/load.py --browser             # + one real Chromium tab measured under load
    python benchmarks/load.py --latency             # slider->screen: app vs minimal page, ratio
    python benchmarks/load.py --gc-on               # Streamlit's default postScriptGC=true

Every session is a protocol-level client (``harness.wsclient``: Streamlit's websocket
``/_stcore/stream``, protobuf BackMsg/ForwardMsg, what the browser sends). The sessions of a
step load the page and set their own ``start x`` (so no session is served from another's
cache: the worst case), then all make ``--changes`` moves of the ``--mode``
(``benchmarks/_load_modes.py``): ``lr`` (the lr slider one stop right, mostly served by the lr
blocks of 8), the cold reruns ``momentum``, ``decay``, ``start`` and ``surface``, and
``lecture``, a random mix. Each move waits for ``script_finished``: a closed loop with
``--think`` seconds (0..2x, random) between moves. Latency is from sending the change to
``script_finished``: server time + transfer, without the browser's rendering (``--browser``
adds one real tab for that).

Reported per mode and N: p50/p95 change latency, first-load p50, errors (exceptions, failed
runs, disconnects, time-outs), the server's RSS (peak during the step, from /proc), its CPU
seconds per change (counted over the moves only) and changes per second; then the capacity per
core from the mode that costs the server the most CPU per change. Everything is bounded:
``--changes`` per session (at most 40), at most 200 sessions, a per-run timeout and
``--time-limit`` for the whole benchmark; the servers are stopped at the end (also on
SIGTERM). The output is kept in ``docs/bench/load_<modes>[...].txt``
(``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import signal
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._load_modes import LECTURE_MIX, LR_LABEL, MODES, Starts, Student  # noqa: E402
from benchmarks._record import recorded  # noqa: E402
from harness.server import cpu_seconds, rss_mb, streamlit_server  # noqa: E402
from harness.wsclient import ProtocolError, StreamlitSession  # noqa: E402

START_LABEL = "start x"
MINIMAL_RACE = "harness/minimal_race_page.py"
FLOOR_PAGE = "benchmarks/minimal_page.py"


@dataclass
class StepResult:
    """One load step: ``n`` sessions at once, making moves of one ``mode``."""

    n: int
    mode: str = "lr"
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # move kind -> latencies
    first_loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    browser: list[float] = field(default_factory=list)  # slider->screen of the real tab
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    cpu: float = 0.0  # server CPU seconds (all replicas) while the sessions made their moves
    changes: int = 0  # moves (widget changes), each one script run
    wall: float = 0.0  # seconds the moves took, all sessions together
    bytes_per_change: float = 0.0

    @property
    def cpu_per_change(self) -> float:
        return self.cpu / max(1, self.changes)


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def setup(stack: contextlib.AsyncExitStack, url: str, index: int, starts: Starts,
                step: StepResult, rng: random.Random, timeout: float,
                cookie_url: str | None) -> Student | None:
    """Open a session, load the page and set the session's own start (not timed as moves)."""
    try:
        cookie = await asyncio.to_thread(fetch_cookie, cookie_url) if cookie_url else None
        s = await stack.enter_async_context(
            StreamlitSession.connect(url, cookie=cookie, timeout=timeout))
        first = await s.rerun()
        step.first_loads.append(first.seconds)
        if not first.ok:
            step.errors.append(f"first load: {first.status} {first.exceptions[:1]}")
            return None
        student = Student(s, index, starts, rng)
        student.refresh(first)
        run = await student.set_start()
        if not run.ok:
            step.errors.append(f"set start: {run.status} {run.exceptions[:1]}")
        return student
    except Exception as err:  # websockets' handshake/close errors; any is a failed session
        step.errors.append(f"setup: {type(err).__name__}: {err}"[:200])
        return None


async def drive(student: Student, changes: int, think: float, deadline: float,
                step: StepResult) -> None:
    """Make ``changes`` moves of ``step.mode``, each waiting for its run to finish."""
    try:
        for _ in range(changes):
            if time.monotonic() > deadline:
                step.errors.append("time limit reached before all changes were sent")
                return
            kind, run = await student.move(step.mode)
            step.latencies.append(run.seconds)
            step.by_kind.setdefault(kind, []).append(run.seconds)
            step.changes += 1
            step.bytes_per_change += run.bytes
            if not run.ok:
                step.errors.append(f"{kind}: {run.status} {run.exceptions[:1]}")
            if think:
                await asyncio.sleep(student.rng.uniform(0.0, 2.0 * think))
    except (ProtocolError, OSError, KeyError) as err:
        step.errors.append(repr(err)[:200])
    except Exception as err:  # websockets' close errors; any is a failed session
        step.errors.append(f"{type(err).__name__}: {err}"[:200])


def fetch_cookie(url: str) -> str | None:
    """GET the page like a browser and return the cookies the balancer set (stickiness)."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as r:
        cookies = r.headers.get_all("Set-Cookie") or []
    return "; ".join(c.split(";", 1)[0] for c in cookies) or None


async def run_step(url: str, step: StepResult, args: argparse.Namespace, starts: Starts,
                   deadline: float, seed: int, pids: Sequence[int],
                   cookie_url: str | None) -> None:
    """``step.n`` sessions load the page together, then make their moves together; the
    server's CPU is counted over the moves only."""
    rng = random.Random(seed)
    async with contextlib.AsyncExitStack() as stack:
        students = await asyncio.gather(*(
            setup(stack, url, i, starts, step, random.Random(rng.random()), args.timeout,
                  cookie_url)
            for i in range(step.n)))
        cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.perf_counter()
        await asyncio.gather(*(drive(s, args.changes, args.think, deadline, step)
                               for s in students if s is not None))
        step.wall = time.perf_counter() - t0
        step.cpu = sum(cpu_seconds(p) for p in pids) - cpu0


class RssSampler:
    """Peak RSS (sum over ``pids``) sampled every 0.1 s in a thread."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def now(self) -> float:
        return sum(rss_mb(p) for p in self.pids)

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def browser_changes(url: str, stop: threading.Event, out: list[float]) -> None:
    """One real Chromium tab moving the lr slider until ``stop`` (slider->screen seconds)."""
    from harness.browser import PLOT_SIGNATURE_JS, chromium, wait_for_charts, wait_idle

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        wait_for_charts(page)
        # Descent's lr slider is in its race panel; a plain page's is Streamlit's.
        panel = page.locator("#rp-lr")
        slider = panel if panel.count() else page.locator(
            f'[data-testid="stSlider"]:has-text("{LR_LABEL}") input[type="range"]').first
        for _ in range(40):
            if stop.is_set():
                break
            before = page.evaluate(PLOT_SIGNATURE_JS)
            slider.focus()
            t = time.perf_counter()
            slider.press("ArrowRight")
            page.wait_for_function(f"(old) => ({PLOT_SIGNATURE_JS})() !== old", arg=before,
                                   polling="raf", timeout=60_000)
            wait_idle(page)
            out.append(time.perf_counter() - t)
        page.close()


@contextlib.contextmanager
def servers(script: str, replicas: int, gc_on: bool, server_args: Sequence[str] = (),
            ) -> Iterator[tuple[str, list[int], bool]]:
    """Yield (url, server pids, behind_balancer): one server, or replicas behind nginx."""
    extra = (*(("--runner.postScriptGC", "true") if gc_on else ()), *server_args)
    if replicas <= 1:
        with streamlit_server(script, extra_args=extra) as server:
            yield server.url, [server.process.pid], False
        return
    from deploy.run_local import local_cluster

    with local_cluster(replicas, script=script, extra_args=extra) as cluster:
        yield cluster.url, [s.process.pid for s in cluster.replicas], True


def warm(url: str) -> None:
    """One throwaway session: imports, compiled regexes and the like are not what we test."""
    async def go() -> None:
        async with StreamlitSession.connect(url) as s:
            await s.rerun()
            await s.step_panel("lr", +1)

    asyncio.run(go())


def load(args: argparse.Namespace) -> list[tuple[int, StepResult]]:
    deadline = time.monotonic() + args.time_limit
    rows: list[tuple[int, StepResult]] = []
    starts = Starts()
    with servers(args.script, args.replicas, args.gc_on, args.server_arg) as (url, pids,
                                                                               balanced):
        warm(url)
        for mode in args.mode:
            for round_ in range(1, args.rounds + 1):
                for n in args.sessions:
                    if time.monotonic() > deadline:
                        print(f"time limit reached; skipping {mode} round {round_} N={n}",
                              file=sys.stderr)
                        continue
                    step = StepResult(n=n, mode=mode)
                    stop, seen = threading.Event(), step.browser
                    tab = None
                    if args.browser:
                        tab = threading.Thread(target=browser_changes, args=(url, stop, seen))
                        tab.start()
                        time.sleep(8)  # let the tab load before the crowd arrives
                    with RssSampler(pids) as rss:
                        step.rss_before = rss.now()
                        asyncio.run(run_step(url, step, args, starts, deadline,
                                             seed=1000 * round_ + n, pids=pids,
                                             cookie_url=url if balanced else None))
                        step.rss_peak = rss.peak
                    stop.set()
                    if tab:
                        tab.join(timeout=120)
                    step.rss_after = sum(rss_mb(p) for p in pids)
                    rows.append((round_, step))
                    print(f"{mode} round {round_} N={n}: p50 {pct(step.latencies, .5):.2f}s "
                          f"errors {len(step.errors)} rss {step.rss_peak:.0f} MB",
                          file=sys.stderr)
                    for e in sorted(set(step.errors))[:5]:
                        print(f"  error: {e}", file=sys.stderr)
                    time.sleep(args.pause)
    return rows


def load_table(rows: list[tuple[int, StepResult]], args: argparse.Namespace) -> str:
    browser_col = args.browser
    head = ("| mode | round | N sessions | p50 change | p95 change | first load p50 | errors "
            "| server RSS peak | server CPU s / change | changes/s |"
            + (" browser tab p50 |" if browser_col else ""))
    lines = [head, "| --- |" + " ---: |" * (head.count("|") - 2)]
    for round_, s in rows:
        line = (f"| {s.mode} | {round_} | {s.n} | {pct(s.latencies, .5):.2f} s "
                f"| {pct(s.latencies, .95):.2f} s | {pct(s.first_loads, .5):.2f} s "
                f"| {len(s.errors)} | {s.rss_peak:.0f} MB | {s.cpu_per_change:.3f} "
                f"| {s.changes / max(s.wall, 1e-9):.1f} |")
        if browser_col:
            line += f" {pct(s.browser, .5):.2f} s (n={len(s.browser)}) |"
        lines.append(line)
    mixed = [s for _, s in rows if len(s.by_kind) > 1]
    if mixed:
        lines.append("\nMixed modes, p50 per kind of move (all their steps): " + "; ".join(
            f"{kind} {pct(sum((s.by_kind.get(kind, []) for s in mixed), []), .5):.2f} s "
            f"(n={sum(len(s.by_kind.get(kind, [])) for s in mixed)})"
            for kind in LECTURE_MIX))
    return "\n".join(lines)


LECTURE_PACE = 3.0  # s between one student's changes, on average, at lecture pace
BUSY = 0.7  # the share of a core the lecture-pace estimate lets the server use


def capacity(rows: list[tuple[int, StepResult]]) -> str:
    """Students per core, from the mode whose changes cost the server the most CPU.

    A closed loop of N students who all drag continuously waits about N x (server time per
    change) for each change, so a p50 near 1 s allows 1 s / (CPU per change) students on one
    core; at lecture pace (a change every ``LECTURE_PACE`` s each) a core kept ``BUSY``
    allows ``BUSY x LECTURE_PACE`` / (CPU per change). Server CPU, not wall time, so other
    processes on a shared machine do not count against the app."""
    per_mode: dict[str, list[StepResult]] = {}
    for _, step in rows:
        per_mode.setdefault(step.mode, []).append(step)
    cost = {mode: sum(s.cpu for s in steps) / max(1, sum(s.changes for s in steps))
            for mode, steps in per_mode.items()}
    lines = ["| mode | server CPU s / change (all steps) | students per core, all dragging "
             f"(p50 ~1 s) | students per core, a change every {LECTURE_PACE:g} s "
             f"({BUSY:.0%} busy) |", "| --- | ---: | ---: | ---: |"]
    for mode, c in cost.items():
        lines.append(f"| {mode} | {c:.3f} | {1 / c:.0f} | {BUSY * LECTURE_PACE / c:.0f} |")
    worst = max(cost, key=cost.get)
    c = cost[worst]
    lines.append(f"\nCapacity (worst mode measured: {worst}, {c:.3f} s of server CPU per "
                 f"change): about {1 / c:.0f} students per core who all drag continuously "
                 f"(p50 ~1 s), about {BUSY * LECTURE_PACE / c:.0f} who change a setting every "
                 f"{LECTURE_PACE:g} s on average.")
    return "\n".join(lines)


# -- the slider->chart latency comparison (browser) and the protocol-level server time ------


def server_time(url: str, changes: int) -> tuple[float, float, float]:
    """p50 protocol-level change latency, bytes per change, and first load, one session.

    The session first sets a ``start x`` no one used, so the lr values the browser visited
    before are not served from the cache."""
    async def go() -> tuple[float, float, float]:
        async with StreamlitSession.connect(url) as s:
            first = await s.rerun()
            wid = s.widget_id(label=START_LABEL)
            box = s.widgets[wid]
            await s.set_number(wid, round((box.value if box.set_value else box.default)
                                          + 0.0123, 4))
            times, nbytes = [], []
            for _ in range(changes):
                run = await s.step_panel("lr", +1)
                assert run.ok, run
                times.append(run.seconds)
                nbytes.append(run.bytes)
            return statistics.median(times), statistics.median(nbytes), first.seconds

    # Playwright's sync API may own this thread's event loop: run ours in another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result(timeout=600)


def latency(args: argparse.Namespace) -> str:
    from benchmarks.bench_latency import measure
    from harness.browser import chromium, wait_for_charts

    # (name, script, the slider bench_latency moves: "floor" = the page's first st.slider)
    pages = (
        ("Streamlit floor: 1 slider, 3-point chart", FLOOR_PAGE, "floor"),
        ("minimal race page: same computation, one plain figure", MINIMAL_RACE, "floor"),
        ("Descent app (default scene), the race panel's lr slider", args.script, "lr"),
    )
    rows = []
    with chromium() as browser:
        for name, script, slider in pages:
            extra = ("--runner.postScriptGC", "true") if args.gc_on else ()
            with streamlit_server(script, extra_args=extra) as server:
                page = browser.new_page()
                page.goto(server.url)
                wait_for_charts(page)
                page.close()
                result = measure(browser, server.url, [slider], args.moves)[slider]
                proto = server_time(server.url, args.moves) if slider == "lr" else None
            rows.append((name, result["lines"], result["chart"], result["drag"], proto))
    base = rows[1][2]
    lines = ["| page | key -> new lines p50 | key -> whole chart p50 | whole chart vs minimal "
             "race page | chart states/s dragging | server p50 (protocol) | bytes per change |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, first, chart, drag, proto in rows:
        server = f"{proto[0] * 1000:.0f} ms | {proto[1] / 1e3:.0f} KB" if proto else "- | -"
        lines.append(f"| {name} | {first:.0f} ms | {chart:.0f} ms | {chart / base:.2f}x "
                     f"| {drag:.1f} | {server} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,5,10,20",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--mode", default="lr", type=modes,
                        help=f"what each session changes, comma-separated or 'all': "
                             f"{', '.join(MODES)} (see benchmarks/_load_modes.py)")
    parser.add_argument("--changes", type=int, default=8, help="changes per session")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between a session's changes (uniform 0..2x), s")
    parser.add_argument("--rounds", type=int, default=2, help="repeat the N sweep (memory)")
    parser.add_argument("--replicas", type=int, default=1, help=">1: behind nginx (deploy/)")
    parser.add_argument("--script", default="app.py")
    parser.add_argument("--timeout", type=float, default=60.0, help="per run, s")
    parser.add_argument("--time-limit", type=float, default=900.0, help="whole load test, s")
    parser.add_argument("--pause", type=float, default=2.0, help="between steps, s")
    parser.add_argument("--browser", action="store_true",
                        help="also drive one real Chromium tab during each step")
    parser.add_argument("--latency", action="store_true",
                        help="only the browser latency comparison (app vs minimal page)")
    parser.add_argument("--moves", type=int, default=10, help="slider moves for --latency")
    parser.add_argument("--gc-on", action="store_true",
                        help="run servers with Streamlit's default --runner.postScriptGC true "
                             "(the app's config turns it off)")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra `streamlit run` argument (repeat), e.g. "
                             "--server-arg=--server.disconnectedSessionTTL=10")
    parser.add_argument("--record", metavar="NAME",
                        help="name of the output file in docs/bench/ (default: from the options)")
    args = parser.parse_args(argv)
    with recorded(args.record or record_name(args)):
        run(args, parser)


def modes(text: str) -> list[str]:
    chosen = list(MODES) if text == "all" else text.split(",")
    unknown = set(chosen) - set(MODES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown modes {sorted(unknown)}; valid: "
                                         f"{', '.join(MODES)}, all")
    return chosen


def record_name(args: argparse.Namespace) -> str:
    """``load_<modes>[_think3][_replicas2][_gc_on][_browser]``, or ``load_latency``."""
    if args.latency:
        return "load_latency" + ("_gc_on" if args.gc_on else "")
    return "_".join(["load", "-".join(args.mode),
                     *([f"think{args.think:g}"] if args.think else []),
                     *([f"replicas{args.replicas}"] if args.replicas > 1 else []),
                     *(["gc_on"] if args.gc_on else []), *(["browser"] if args.browser else [])])


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    # `kill` stops the servers too (the context managers run), not only this process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.changes > 40 or max(args.sessions) > 200:
        parser.error("bounded on purpose: at most 40 changes per session and 200 sessions")
    if args.latency:
        print(latency(args))
        return
    rows = load(args)
    mode = (f"{args.replicas} replicas behind nginx" if args.replicas > 1
            else "one streamlit process")
    print(f"\n{mode}; {args.changes} changes per session; think time "
          f"{args.think:g} s; postScriptGC {'on' if args.gc_on else 'off'}; RSS summed over "
          f"replicas{'; ' + ' '.join(args.server_arg) if args.server_arg else ''}\n")
    print(load_table(rows, args))
    print()
    print(capacity(rows))


if __name__ == "__main__":
    main()
