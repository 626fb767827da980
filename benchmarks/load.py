"""Load test: N concurrent sessions changing the learning-rate slider, on loopback only.

    python benchmarks/load.py                       # N = 1, 5, 10, 20 on one server, 2 rounds
    python benchmarks/load.py --think 3             # students pause ~3 s between changes
    python benchmarks/load.py --replicas 2          # 2 replicas behind nginx (deploy/)
    python benchmarks/load.py --browser             # + one real Chromium tab measured under load
    python benchmarks/load.py --latency             # slider->screen: app vs minimal page, ratio
    python benchmarks/load.py --gc-on               # Streamlit's default postScriptGC=true

Every session is a protocol-level client (``harness.wsclient``: Streamlit's websocket
``/_stcore/stream``, protobuf BackMsg/ForwardMsg, what the browser sends). Each session loads
the page, sets its own ``start x`` (so no session is served from another's cache: the worst
case), then moves the lr select_slider ``--changes`` times to values it has not seen, each
time waiting for ``script_finished``: a closed loop with ``--think`` seconds (0..2x, random)
between changes. Latency is from sending the change to ``script_finished``: server time +
transfer, without the browser's rendering (``--browser`` adds one real tab for that).

Reported per N: p50/p95 change latency, first-load p50, errors (exceptions, failed runs,
disconnects, time-outs), the server's RSS (peak during the step, from /proc) and its CPU
seconds per change. Everything is bounded: ``--changes`` per session, a per-run timeout and
``--time-limit`` for the whole benchmark.
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

from harness.server import cpu_seconds, rss_mb, streamlit_server  # noqa: E402
from harness.wsclient import ProtocolError, StreamlitSession  # noqa: E402

LR_LABEL = "Learning rate (log scale)"
START_LABEL = "start x"
MINIMAL_RACE = "harness/minimal_race_page.py"
FLOOR_PAGE = "benchmarks/minimal_page.py"


@dataclass
class StepResult:
    """One load step: ``n`` sessions at once."""

    n: int
    latencies: list[float] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    browser: list[float] = field(default_factory=list)  # slider->screen of the real tab
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    cpu: float = 0.0  # server CPU seconds (all replicas) during the step
    changes: int = 0  # lr changes
    reruns: int = 0  # every script run: first loads, start changes and lr changes
    wall: float = 0.0
    bytes_per_change: float = 0.0


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class Starts:
    """A distinct ``start x`` for every session of the whole benchmark (no shared cache)."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self, base: float) -> float:
        with self._lock:
            self._next += 1
            return round(base + 0.001 * (self._next % 1000), 3)


async def one_session(url: str, changes: int, think: float, starts: Starts,
                      deadline: float, step: StepResult, rng: random.Random,
                      timeout: float, cookie_url: str | None = None) -> None:
    cookie = await asyncio.to_thread(fetch_cookie, cookie_url) if cookie_url else None
    try:
        async with StreamlitSession.connect(url, cookie=cookie, timeout=timeout) as s:
            first = await s.rerun()
            step.reruns += 1
            step.first_loads.append(first.seconds)
            if not first.ok:
                step.errors.append(f"first load: {first.status} {first.exceptions[:1]}")
                return
            wid = s.widget_id(label=START_LABEL)
            box = s.widgets[wid]
            base = box.value if box.set_value else box.default
            run = await s.set_number(wid, starts.take(base))
            step.reruns += 1
            if not run.ok:
                step.errors.append(f"set start: {run.status} {run.exceptions[:1]}")
            for _ in range(changes):
                if time.monotonic() > deadline:
                    step.errors.append("time limit reached before all changes were sent")
                    return
                run = await s.step_panel("lr", +1)
                step.latencies.append(run.seconds)
                step.changes += 1
                step.reruns += 1
                step.bytes_per_change += run.bytes
                if not run.ok:
                    step.errors.append(f"change: {run.status} {run.exceptions[:1]}")
                if think:
                    await asyncio.sleep(rng.uniform(0.0, 2.0 * think))
    except (ProtocolError, OSError, KeyError) as err:
        step.errors.append(repr(err)[:200])
    except Exception as err:  # websockets' handshake/close errors; any is a failed session
        step.errors.append(f"{type(err).__name__}: {err}"[:200])


def fetch_cookie(url: str) -> str | None:
    """GET the page like a browser and return the cookies the balancer set (stickiness)."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as r:
        cookies = r.headers.get_all("Set-Cookie") or []
    return "; ".join(c.split(";", 1)[0] for c in cookies) or None


async def run_step(url: str, n: int, changes: int, think: float, starts: Starts,
                   deadline: float, timeout: float, seed: int,
                   cookie_url: str | None) -> StepResult:
    step = StepResult(n=n)
    rng = random.Random(seed)
    await asyncio.gather(*(
        one_session(url, changes, think, starts, deadline, step, random.Random(rng.random()),
                    timeout, cookie_url)
        for _ in range(n)
    ))
    return step


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
        for round_ in range(1, args.rounds + 1):
            for n in args.sessions:
                if time.monotonic() > deadline:
                    print(f"time limit reached; skipping round {round_} N={n}", file=sys.stderr)
                    continue
                stop, seen = threading.Event(), []
                tab = None
                if args.browser:
                    tab = threading.Thread(target=browser_changes, args=(url, stop, seen))
                    tab.start()
                    time.sleep(8)  # let the tab load before the crowd arrives
                cpu0 = sum(cpu_seconds(p) for p in pids)
                t0 = time.perf_counter()
                with RssSampler(pids) as rss:
                    before = rss.now()
                    step = asyncio.run(run_step(
                        url, n, args.changes, args.think, starts, deadline, args.timeout,
                        seed=1000 * round_ + n, cookie_url=url if balanced else None))
                    step.rss_before, step.rss_peak = before, rss.peak
                step.wall = time.perf_counter() - t0
                step.cpu = sum(cpu_seconds(p) for p in pids) - cpu0
                stop.set()
                if tab:
                    tab.join(timeout=120)
                step.browser = seen
                step.rss_after = sum(rss_mb(p) for p in pids)
                rows.append((round_, step))
                print(f"round {round_} N={n}: p50 {pct(step.latencies, .5):.2f}s "
                      f"errors {len(step.errors)} rss {step.rss_peak:.0f} MB", file=sys.stderr)
                for e in sorted(set(step.errors))[:5]:
                    print(f"  error: {e}", file=sys.stderr)
                time.sleep(args.pause)
    return rows


def load_table(rows: list[tuple[int, StepResult]], args: argparse.Namespace) -> str:
    browser_col = args.browser
    head = ("| round | N sessions | p50 change | p95 change | first load p50 | errors "
            "| server RSS peak | server CPU s / rerun | reruns/s |"
            + (" browser tab p50 |" if browser_col else ""))
    lines = [head, "|" + " ---: |" * (head.count("|") - 1)]
    for round_, s in rows:
        line = (f"| {round_} | {s.n} | {pct(s.latencies, .5):.2f} s "
                f"| {pct(s.latencies, .95):.2f} s | {pct(s.first_loads, .5):.2f} s "
                f"| {len(s.errors)} | {s.rss_peak:.0f} MB | {s.cpu / max(1, s.reruns):.2f} "
                f"| {s.reruns / max(s.wall, 1e-9):.1f} |")
        if browser_col:
            line += f" {pct(s.browser, .5):.2f} s (n={len(s.browser)}) |"
        lines.append(line)
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

    pages = (
        ("Streamlit floor: 1 slider, 3-point chart", FLOOR_PAGE, "value"),
        ("minimal race page: same computation, one plain figure", MINIMAL_RACE, LR_LABEL),
        ("Descent app (default scene)", args.script, LR_LABEL),
    )
    rows = []
    with chromium() as browser:
        for name, script, label in pages:
            extra = ("--runner.postScriptGC", "true") if args.gc_on else ()
            with streamlit_server(script, extra_args=extra) as server:
                page = browser.new_page()
                page.goto(server.url)
                wait_for_charts(page)
                page.close()
                result = measure(browser, server.url, label, args.moves, 1)
                proto = server_time(server.url, args.moves) if label == LR_LABEL else None
            rows.append((name, statistics.median(result["times"]), pct(result["times"], .9),
                         statistics.median(result["charts"]),
                         statistics.median(result["settled"]), proto))
    base = rows[1][1]
    lines = ["| page | browser p50 slider->new lines | p90 | ratio to minimal race page "
             "| whole chart p50 | whole page settled p50 | server p50 (protocol) "
             "| bytes per change |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, p50, p90, chart, settled, proto in rows:
        server = f"{proto[0] * 1000:.0f} ms | {proto[1] / 1e3:.0f} KB" if proto else "- | -"
        lines.append(f"| {name} | {p50 * 1000:.0f} ms | {p90 * 1000:.0f} ms "
                     f"| {p50 / base:.2f}x | {chart * 1000:.0f} ms | {settled * 1000:.0f} ms "
                     f"| {server} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,5,10,20",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--changes", type=int, default=8, help="lr changes per session")
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
    args = parser.parse_args(argv)
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
    print(f"\n{mode}; {args.changes} lr changes per session; think time "
          f"{args.think:g} s; postScriptGC {'on' if args.gc_on else 'off'}; RSS summed over "
          f"replicas{'; ' + ' '.join(args.server_arg) if args.server_arg else ''}\n")
    print(load_table(rows, args))


if __name__ == "__main__":
    main()
