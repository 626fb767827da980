"""Start ``streamlit run`` on a free loopback port and stop it again."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_healthy(url: str, timeout: float = 60.0,
                 process: subprocess.Popen | None = None) -> None:
    """Poll ``url``/_stcore/health until it answers 200; give up early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server process exited with code {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(
            f"{url}/_stcore/health", timeout=2
        ) as r:
            if r.status == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"streamlit at {url} not healthy after {timeout:.0f}s")


@contextlib.contextmanager
def streamlit_server(
    script: str | Path = "app.py", log_path: Path | None = None, port: int | None = None,
    extra_args: tuple[str, ...] = (), env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``streamlit run script`` on 127.0.0.1 until the block ends.

    ``env`` adds environment variables (e.g. ``STREAMLIT_SERVER_COOKIE_SECRET``, which
    Streamlit refuses as a command-line flag)."""
    port = port or free_port()
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *extra_args,
    ]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env} if env else None)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, process=proc)
        except RuntimeError as err:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"{err}; log {log_path}:\n{tail}") from None
        yield Server(url=url, process=proc, log_path=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS from /proc; Linux only)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
