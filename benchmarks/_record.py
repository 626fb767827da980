"""Keep what a benchmark printed, and where and how it was measured, in ``docs/bench/``.

Every benchmark runs its ``main`` under :func:`recorded`::

    with recorded("bench_core"):
        main()

What it prints still goes to the terminal. When the block ends without an error, the same
text is written to ``docs/bench/<name>.txt`` below a header: the command, the commit (and
whether the tree had uncommitted changes, read when the benchmark starts), the date and
duration, the machine (CPUs, CPU model, RAM, load average at the start and at the end), the
Python / numpy / torch / streamlit versions and the thread count of every thread pool the
process loaded (threadpoolctl when installed; otherwise torch's ``get_num_threads()`` if the
benchmark imported torch, and the ``*_NUM_THREADS`` variables).
A benchmark that fails leaves the previous file as it was: a figure never comes from half a
run. ``BENCH_RECORD_DIR`` writes elsewhere (for a smoke check); ``BENCH_RECORD=0`` writes
nothing.

A benchmark that does not use this module is recorded from the command line, its output
streamed through::

    python benchmarks/_record.py latency -- python benchmarks/bench_latency.py --moves 15
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple, TextIO

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "docs" / "bench"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def commit() -> str:
    """HEAD, and how many files differ from it (outside ``docs/bench/``, which a run writes)."""
    head = _git("rev-parse", "--short=12", "HEAD") or "unknown (not a git checkout)"
    changed = _git("status", "--porcelain", "--", ".", ":(exclude)docs/bench")
    n = len(changed.splitlines())
    return f"{head}" + (f" + uncommitted changes in {n} files" if n else " (clean)")


def _proc_field(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> str:
    """CPUs (usable / online), CPU model and RAM."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    mem = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"{int(mem.split()[0]) / 2**20:.1f} GiB" if mem[:1].isdigit() else mem
    return (
        f"nproc {usable} (of {os.cpu_count()} online), "
        f"{_proc_field('/proc/cpuinfo', 'model name')}, RAM {ram}"
    )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> str:
    """Python and the packages whose speed the figures depend on (read, not imported)."""
    return (
        f"Python {platform.python_version()}, numpy {_version('numpy')}, "
        f"torch {_version('torch')}, streamlit {_version('streamlit')}"
    )


def threads() -> str:
    """Thread pools of this process as it is now (after the benchmark imported its libraries)."""
    parts = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        parts.append("threadpoolctl not installed")
    else:
        parts += [
            f"{p.get('internal_api')} {p.get('num_threads')} threads" for p in threadpool_info()
        ] or ["no BLAS/OpenMP pool loaded"]
    torch = sys.modules.get("torch")
    parts.append(
        f"torch.get_num_threads() {torch.get_num_threads()} (default; the benchmark "
        "may set its own)"
        if torch
        else "torch not imported"
    )
    env = ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES if v in os.environ)
    parts.append(env or f"{'/'.join(THREAD_VARIABLES)} unset")
    return "; ".join(parts)


class Start(NamedTuple):
    """What is read when a benchmark starts: the code it runs and the machine's load."""

    when: dt.datetime
    commit: str
    load: float


def start() -> Start:
    return Start(dt.datetime.now(dt.UTC), commit(), os.getloadavg()[0])


def header(command: Sequence[str], started: Start, child: bool = False) -> str:
    """The header of a record: how to reproduce the numbers below it."""
    pools = (
        (
            "measured in a child process: "
            + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARIABLES)
        )
        if child
        else threads()
    )
    lines = [
        f"command:  {shlex.join(command)}",
        f"commit:   {started.commit}",
        f"date:     {started.when.isoformat(timespec='seconds')} "
        f"({(dt.datetime.now(dt.UTC) - started.when).total_seconds():.0f} s)",
        f"machine:  {machine()}; load average {started.load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end",
        f"versions: {versions()}",
        f"threads:  {pools}",
    ]
    return "\n".join(f"# {line}" for line in lines) + "\n\n"


def record_path(name: str) -> Path | None:
    """Where ``name``'s record goes, or None when recording is off."""
    if os.environ.get("BENCH_RECORD", "1") == "0":
        return None
    return Path(os.environ.get("BENCH_RECORD_DIR", BENCH_DIR)) / f"{name}.txt"


class _Tee(io.TextIOBase):
    """Write to the terminal and keep a copy."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.copy = out, io.StringIO()

    def write(self, text: str) -> int:
        self.out.write(text)
        self.out.flush()
        return self.copy.write(text)

    def flush(self) -> None:
        self.out.flush()


def _command() -> list[str]:
    script = Path(sys.argv[0])
    shown = script.relative_to(ROOT) if script.is_absolute() and ROOT in script.parents else script
    return ["python", str(shown), *sys.argv[1:]]


@contextlib.contextmanager
def recorded(
    name: str, command: Sequence[str] | None = None, child: bool = False
) -> Iterator[None]:
    """Tee stdout; on success write it to ``docs/bench/<name>.txt`` below :func:`header`."""
    started = start()
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield
    path = record_path(name)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = header(command or _command(), started, child) + tee.copy.getvalue()
    path.write_text(text)
    print(
        f"(recorded in {path.relative_to(ROOT) if ROOT in path.parents else path})", file=sys.stderr
    )


def run_recorded(name: str, command: Sequence[str]) -> int:
    """Run ``command``, stream its stdout through, record it if it exits with 0."""
    try:
        with recorded(name, command, child=True):
            proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
            if proc.wait():
                raise subprocess.CalledProcessError(proc.returncode, command)
    except subprocess.CalledProcessError as err:
        print(
            f"{shlex.join(command)} failed (exit {err.returncode}): not recorded", file=sys.stderr
        )
        return err.returncode or 1
    return 0


def main(argv: Sequence[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.rsplit("\n\n", 2)[-2], file=sys.stderr)
        print("usage: python benchmarks/_record.py NAME -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return run_recorded(argv[0], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
