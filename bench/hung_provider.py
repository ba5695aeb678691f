"""What a payment provider that never answers does to readers, with gunicorn started as the Procfile starts it.

    .venv/bin/python bench/hung_provider.py [--donors 4] [--readers 4] [--seconds 30] [--compare "--workers 2 ..."]

Creates (and drops) the database `outlet_bench_hung` on the local PostgreSQL, loads the demo content, and starts a
silent provider: a TCP server on 127.0.0.1 that accepts every connection and never answers. The site runs with
PAYMENT_PROVIDER=stripe and the real Stripe adapter (its real call limits) pointed at that server
(bench/hung_provider_settings.py), under gunicorn launched with the Procfile's `web` command (bound to loopback).
For each server configuration:

  calm      readers only: anonymous home page, a public and a metered article, each reader one request at a time
  silent    the same readers while `--donors` signed-in readers keep starting a membership checkout, each waiting
            for the page that tells them the provider is not answering, then starting again

and reports the readers' latencies and errors, how long donors waited and whether they were told, and the resident
memory of gunicorn's processes. `--compare` runs the Procfile's command again with its worker options (--workers,
--worker-class, --threads, --timeout, --worker-connections, --keep-alive, --max-requests[-jitter]) replaced by the
given ones; repeat it to compare several. Writes bench/results/hung_provider.json.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PORT = 8125
DB_NAME = "outlet_bench_hung"
WORKER_OPTIONS = {
    "--workers",
    "-w",
    "--worker-class",
    "-k",
    "--threads",
    "--timeout",
    "-t",
    "--worker-connections",
    "--keep-alive",
    "--max-requests",
    "--max-requests-jitter",
    "--bind",
    "-b",
}
NOT_ANSWERING = "Our payment provider is not answering"
READER_TIMEOUT = 60  # seconds a reader's client waits before counting the request as an error


def sh(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True)


class SilentServer:
    """Accepts every connection and never answers (reads and discards what is sent)."""

    def __init__(self) -> None:
        self._listener = socket.create_server((HOST, 0), backlog=256)
        self.address = f"http://{HOST}:{self._listener.getsockname()[1]}"
        self.connections = 0
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(connection)
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    @staticmethod
    def _drain(connection: socket.socket) -> None:
        try:
            while connection.recv(65536):
                pass
        except OSError:
            pass

    def stop(self) -> None:
        self._listener.close()
        for connection in self._open:
            connection.close()


def procfile_web_args() -> list[str]:
    """The Procfile's `web` command after `gunicorn`, with the port expanded and the bind left to us."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    args = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(PORT)))
    assert args[0] == "gunicorn", line
    return args[1:]


def server_args(replacing: str | None) -> list[str]:
    args = procfile_web_args()
    kept, skip = [], False
    for arg in args:
        name = arg.split("=", 1)[0]
        if skip:
            skip = False
            continue
        if name in ("--bind", "-b") or (replacing is not None and name in WORKER_OPTIONS):
            skip = "=" not in arg
            continue
        kept.append(arg)
    # No control socket: it lives at one path per machine user, and other gunicorns on this machine use it.
    return [*kept, *(shlex.split(replacing) if replacing else []), "--bind", f"{HOST}:{PORT}", "--no-control-socket"]


def request(method: str, path: str, *, headers: dict | None = None, body: str | None = None):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=READER_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def wait_until_up(path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if request("GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def rss_mb(root_pid: int) -> float:
    """Resident memory of a process and all its children, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total_kb, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total_kb += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        except (OSError, AttributeError):
            pass
    return total_kb / 1024


def readers(paths: list[str], *, count: int, seconds: float) -> dict:
    samples: list[float] = []
    slow: list[tuple[float, str, float]] = []  # (seconds into the phase, path, seconds taken) for requests over 1 s
    errors: list[str] = []
    began = time.monotonic()
    stop_at = began + seconds

    def read(offset: int) -> None:
        n = offset
        while time.monotonic() < stop_at:
            path = paths[n % len(paths)]
            n += 1
            started = time.monotonic()
            try:
                status, _, _ = request("GET", path)
            except OSError as exc:
                errors.append(f"{path}: {type(exc).__name__}")
                continue
            if status != 200:
                errors.append(f"{path}: {status}")
                continue
            samples.append(time.monotonic() - started)
            if samples[-1] > 1.0:
                slow.append((round(started - began, 1), path, round(samples[-1], 1)))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(samples, errors, seconds) | {"slowest": sorted(slow, key=lambda s: -s[2])[:10]}


def summary(samples: list[float], errors: list[str], seconds: float) -> dict:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1) if ordered else 0.0

    return {
        "requests": len(samples),
        "per_second": round(len(samples) / seconds, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
        "over_1s": sum(1 for s in samples if s > 1.0),
    }


def donor(session_key: str, join: dict, stop: threading.Event, results: list[dict]) -> None:
    """A signed-in reader starting a membership checkout again and again while the provider is silent."""
    cookie = f"sessionid={session_key}"
    while not stop.is_set():
        try:
            status, headers, body = request("GET", "/membership/", headers={"Cookie": cookie})
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
            csrf_cookie = next(v for k, v in headers if k.lower() == "set-cookie" and v.startswith("csrftoken="))
            cookies = f"{cookie}; {csrf_cookie.split(';', 1)[0]}"
            form = urllib.parse.urlencode({**join, "csrfmiddlewaretoken": token})
            started = time.monotonic()
            status, headers, _ = request(
                "POST",
                "/membership/join/",
                body=form,
                headers={"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"},
            )
            waited = time.monotonic() - started
            location = dict((k.lower(), v) for k, v in headers).get("location", "")
            # The message travels in a cookie (Django's messages) set on the redirect.
            cookies += "".join(f"; {v.split(';', 1)[0]}" for k, v in headers if k.lower() == "set-cookie")
            told = False
            if status == 302 and location.startswith("/"):
                _, _, page = request("GET", location, headers={"Cookie": cookies})
                told = NOT_ANSWERING in html.unescape(page.decode())
            results.append({"status": status, "waited": waited, "told": told})
        except (OSError, AttributeError, StopIteration) as exc:
            results.append({"status": 0, "waited": 0.0, "told": False, "error": type(exc).__name__})


def run_config(name: str, args: list[str], *, env: dict, setup: dict, options, silent: SilentServer) -> dict:
    log = open(ROOT / "var" / "bench-hung" / "gunicorn.log", "a")  # noqa: SIM115
    server = subprocess.Popen([PYTHON, "-m", "gunicorn", *args], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_up("/")
        for path in setup["reader_paths"] * 10:  # warm the page cache and persistent connections
            request("GET", path)
        idle_rss = rss_mb(server.pid)
        calm = readers(setup["reader_paths"], count=options.readers, seconds=options.calm_seconds)

        stop, donations = threading.Event(), []
        donors = [
            threading.Thread(target=donor, args=(key, setup["join"], stop, donations))
            for key in setup["donor_sessions"]
        ]
        before = silent.connections
        for thread in donors:
            thread.start()
        time.sleep(1.0)  # the donors' first calls are out at the provider
        peak_rss = [rss_mb(server.pid)]
        sampler_stop = threading.Event()

        def sample() -> None:
            while not sampler_stop.wait(1.0):
                peak_rss.append(rss_mb(server.pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        hung = readers(setup["reader_paths"], count=options.readers, seconds=options.seconds)
        stop.set()
        sampler_stop.set()
        for thread in [*donors, sampler]:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    waits = sorted(d["waited"] for d in donations if d["status"] == 302)
    return {
        "config": name,
        "gunicorn": " ".join(args),
        "idle_rss_mb": round(idle_rss),
        "peak_rss_mb": round(max(peak_rss)),
        "calm": calm,
        "silent_provider": hung,
        "donors": {
            "checkout_starts": len(donations),
            "told_not_answering": sum(d["told"] for d in donations),
            "other_answers": sorted({str(d.get("error") or d["status"]) for d in donations if not d["told"]}),
            "wait_p50_s": round(statistics.median(waits), 1) if waits else None,
            "wait_max_s": round(waits[-1], 1) if waits else None,
            "provider_connections": silent.connections - before,
        },
    }


SETUP_SNIPPET = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model
from members.models import TierPrice
from outlet.publishing.models import Article
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
public = Article.objects.live().filter(access="public").first()
metered = Article.objects.live().filter(access="metered").first()
price = TierPrice.objects.filter(is_active=True, tier__is_active=True, interval="month").select_related("tier").first()
sessions = []
for n in range(DONORS):
    user, _ = get_user_model().objects.get_or_create(
        username=f"bench-donor-{n}", defaults={"email": f"donor{n}@example.org"}
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
print(json.dumps({"reader_paths": ["/", public.get_absolute_url(), metered.get_absolute_url()],
                  "donor_sessions": sessions,
                  "join": {"tier": price.tier.slug, "interval": price.interval, "currency": price.currency}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donors", type=int, default=4, help="signed-in readers starting checkouts at once")
    parser.add_argument("--readers", type=int, default=4, help="concurrent readers (one request at a time each)")
    parser.add_argument("--seconds", type=float, default=30, help="length of the silent-provider phase")
    parser.add_argument("--calm-seconds", type=float, default=10)
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="WORKER_OPTIONS",
        help='e.g. "--workers 2 --timeout 300" (the old Procfile); repeat to compare several',
    )
    options = parser.parse_args()

    silent = SilentServer()
    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    (ROOT / "var" / "bench-hung").mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "CACHE_KEY_PREFIX": f"bench-hung-{int(time.time())}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.hung_provider_settings",
        "OUTLET_VAR_DIR": str(ROOT / "var" / "bench-hung"),
        "LOG_LEVEL": "WARNING",
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_bench_hung_provider",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench_hung_provider",
        "BENCH_STRIPE_API_BASE": silent.address,
    }
    sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
    sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    results = []
    try:
        sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
        sh(PYTHON, "manage.py", "load_demo_content", env=env)
        snippet = SETUP_SNIPPET.replace("DONORS", str(options.donors))
        setup = json.loads(sh(PYTHON, "manage.py", "shell", "-c", snippet, env=env).stdout.strip().splitlines()[-1])
        configs = [("Procfile", server_args(None))] + [(c, server_args(c)) for c in options.compare]
        for name, args in configs:
            print(f"running: {name}", file=sys.stderr)
            results.append(run_config(name, args, env=env, setup=setup, options=options, silent=silent))
    finally:
        silent.stop()
        sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")

    print(
        f"\n{options.donors} donors starting checkouts against a silent provider, {options.readers} readers, "
        f"{options.seconds:.0f} s; {os.cpu_count()} cores shared by server and load generator\n"
    )
    header = (
        f"{'server':58} {'phase':7} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>8} {'>1s':>5} {'errors':>6}"
    )
    print(header)
    for r in results:
        for phase in ("calm", "silent_provider"):
            s = r[phase]
            print(
                f"{r['config'][:58]:58} {phase[:7]:7} {s['per_second']:6.1f} {s['p50_ms']:7.0f} {s['p95_ms']:7.0f} "
                f"{s['p99_ms']:7.0f} {s['max_ms']:8.0f} {s['over_1s']:5d} {s['errors']:6d}"
            )
    print(f"\n{'server':58} {'starts':>6} {'told':>5} {'wait p50':>9} {'wait max':>9} {'RSS idle':>9} {'RSS peak':>9}")
    for r in results:
        d = r["donors"]
        print(
            f"{r['config'][:58]:58} {d['checkout_starts']:6d} {d['told_not_answering']:5d} "
            f"{d['wait_p50_s'] or 0:8.1f}s {d['wait_max_s'] or 0:8.1f}s {r['idle_rss_mb']:7d}MB {r['peak_rss_mb']:7d}MB"
        )
    out = ROOT / "bench" / "results" / "hung_provider.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"options": vars(options), "results": results}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
