"""Start N Descent replicas and nginx in front of them, all on loopback, without root.

    python deploy/run_local.py --replicas 3 --port 8600     # then open http://127.0.0.1:8600

Each replica is ``streamlit run app.py`` on its own free loopback port (one Python process:
scripts run on one core, so one replica per core). nginx runs in the foreground
(``nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'``) from a generated config in a temporary
directory: ``deploy/descent.conf.template`` (the same file a real host uses, see
``docs/scale.md``) inside a minimal main config whose pid file, logs and temp paths are all in
that directory. Ctrl-C stops everything. Tests and ``benchmarks/load.py --replicas N`` use
:func:`local_cluster`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.server import Server, free_port, streamlit_server, wait_healthy  # noqa: E402

TEMPLATE = Path(__file__).with_name("descent.conf.template")
NGINX = "nginx"

# The main config run_local.py wraps around the template: everything under the prefix DIR.
MAIN_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{
    worker_connections 1024;
}}
http {{
    client_body_temp_path {dir}/tmp/client_body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/descent.conf;
}}
"""



def nginx_binary() -> str | None:
    return shutil.which(NGINX) or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
        None)


def nginx_missing_reason() -> str | None:
    """Why the balancer cannot run here, or None when it can."""
    if nginx_binary() is None:
        return "nginx is not installed (apt-get install -y nginx)"
    return None


def render_site(listen: str, upstreams: Sequence[str], access_log: str) -> str:
    """``descent.conf.template`` with its placeholders filled."""
    servers = "\n    ".join(
        f"server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in (("LISTEN", listen), ("UPSTREAMS", servers), ("ACCESS_LOG", access_log)):
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, "unfilled placeholder in descent.conf.template"
    return text


def write_config(directory: Path, listen: str, upstreams: Sequence[str]) -> Path:
    """Write nginx.conf + descent.conf into ``directory``; return the nginx.conf path."""
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    # Workers run as the invoking user, as they do for a non-root user. (Started by root,
    # nginx would switch them to `nobody`, which cannot write the temp paths under a private
    # directory such as pytest's tmp_path.)
    user = ""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import grp
        import pwd

        entry = pwd.getpwuid(0)
        user = f"user {entry.pw_name} {grp.getgrgid(entry.pw_gid).gr_name};"
    (directory / "descent.conf").write_text(
        render_site(listen, upstreams, str(directory / "access.log")), encoding="utf-8")
    conf = directory / "nginx.conf"
    conf.write_text(MAIN_CONF.format(dir=directory, user=user), encoding="utf-8")
    return conf


def nginx_command(directory: Path, conf: Path, *extra: str) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError(nginx_missing_reason())
    return [binary, "-p", f"{directory}/", "-c", str(conf), "-e", str(directory / "error.log"),
            "-g", "daemon off;", *extra]


def check_config(directory: Path, conf: Path) -> None:
    """``nginx -t``: raise with nginx's own message if the config is invalid."""
    done = subprocess.run(nginx_command(directory, conf, "-t"), capture_output=True, text=True,
                          timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{done.stderr}")


@dataclass(frozen=True)
class Cluster:
    url: str
    replicas: tuple[Server, ...]
    nginx: subprocess.Popen
    directory: Path

    @property
    def upstreams(self) -> tuple[str, ...]:
        return tuple(s.url.removeprefix("http://") for s in self.replicas)

    def access_log(self) -> str:
        path = self.directory / "access.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""


@contextlib.contextmanager
def local_cluster(replicas: int = 2, port: int | None = None, script: str = "app.py",
                  extra_args: Sequence[str] = (), directory: Path | None = None,
                  ) -> Iterator[Cluster]:
    """Run ``replicas`` streamlit servers and nginx on 127.0.0.1 until the block ends."""
    if replicas < 1:
        raise ValueError(f"Invalid number of replicas: {replicas}")
    port = port or free_port()
    cookie_secret = secrets.token_hex(32)
    # One cookie secret for all replicas: XSRF tokens and auth cookies signed by one replica
    # stay valid on the others (after a fail-over, say).
    # (Streamlit takes this option only from the environment or a config file.)
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
    with contextlib.ExitStack() as stack:
        tmp = directory or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="descent-nginx-")))
        servers = _start_replicas(stack, tmp, replicas, script, tuple(extra_args), env)
        conf = write_config(tmp, f"127.0.0.1:{port}",
                            [s.url.removeprefix("http://") for s in servers])
        check_config(tmp, conf)
        with open(tmp / "nginx.out", "w", encoding="utf-8") as out:
            proc = subprocess.Popen(nginx_command(tmp, conf), stdout=out,
                                    stderr=subprocess.STDOUT)
        stack.callback(_stop, proc)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, timeout=30)
        except TimeoutError:
            raise RuntimeError(
                f"nginx did not come up: {(tmp / 'error.log').read_text(errors='replace')}"
            ) from None
        yield Cluster(url=url, replicas=tuple(servers), nginx=proc, directory=tmp)


def _start_replicas(stack: contextlib.ExitStack, directory: Path, n: int, script: str,
                    args: tuple[str, ...], env: dict[str, str]) -> list[Server]:
    """Start all replicas at once (each takes seconds to import), then wait for each."""
    managers = [streamlit_server(script, log_path=directory / f"replica-{i}.log",
                                 extra_args=args, env=env) for i in range(n)]
    # streamlit_server waits for health inside __enter__: enter them from threads.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(m.__enter__) for m in managers]
        servers = []
        errors = []
        for m, f in zip(managers, futures, strict=True):
            try:
                servers.append(f.result())
                stack.push(m.__exit__)
            except Exception as err:  # stop the ones that did start, then report
                errors.append(err)
    if errors:
        raise RuntimeError(f"a replica did not start: {errors[0]!r}")
    return servers


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2,
                        help="streamlit processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8600, help="nginx port on 127.0.0.1")
    parser.add_argument("--script", default="app.py")
    parser.add_argument("--keep-gc", action="store_true",
                        help="run Streamlit's gc.collect() after every run (the app's "
                             ".streamlit/config.toml turns it off: half the CPU per rerun, "
                             "see docs/scale.md)")
    args = parser.parse_args(argv)
    reason = nginx_missing_reason()
    if reason:
        parser.exit(1, f"{reason}\n")
    extra = ("--runner.postScriptGC", "true") if args.keep_gc else ()
    # Stop cleanly on Ctrl-C and on `kill` (SIGINT is ignored in background jobs of scripts).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with local_cluster(args.replicas, args.port, args.script, extra) as cluster:
        print(f"Descent on {cluster.url} ({args.replicas} replicas: "
              f"{', '.join(cluster.upstreams)}); logs in {cluster.directory}. Ctrl-C stops.",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while cluster.nginx.poll() is None:
                time.sleep(1)


if __name__ == "__main__":
    main()
