"""More than one web server: HAProxy in front of 1, then 2, then 4 gunicorn instances, two Celery workers on separate
queues, one PostgreSQL and one Redis, all on this machine. For each size: the article and campaign pages' throughput
through the proxy (wrk; the bare view through the same proxy as the reference), and, while that load runs, donors
giving through the campaign's form and the sandbox checkout; then the books: every payment has one receipt, numbers
gap-free, each receipt emailed once, the ledger equal to the totals (bench/soak_checks.py).

    .venv/bin/python -m bench.scale_out            # --sizes 1,2,4 --seconds 10 --connections 16 --donors 2

On 2 cores throughput cannot grow much with more instances; what must hold is that nothing breaks and nothing is
lost or doubled. Needs wrk and haproxy (apt-get install wrk haproxy) and the local PostgreSQL (database
`outlet_bench_scale` plus $BENCH_DB_SUFFIX); starts its own redis-server on a free port. The resident memory of the
web processes and of the workers is sampled while each page is under load. Writes bench/results/scale_out.json with
a "summary" per size for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import soak_people as people  # noqa: E402
from bench.article_load import PeakRss, ms, wrk  # noqa: E402
from bench.soak_client import Browser, Recorder  # noqa: E402
from bench.soak_mailbox import Mailbox  # noqa: E402
from bench.soak_services import Services, procfile_command  # noqa: E402

PYTHON = sys.executable
DB_NAME = "outlet_bench_scale" + os.environ.get("BENCH_DB_SUFFIX", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(port: int, web_ports: list[int]) -> str:
    servers = "\n".join(f"    server web{i} 127.0.0.1:{p} check inter 2s" for i, p in enumerate(web_ports))
    return f"""global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
    option http-keep-alive
frontend readers
    bind 127.0.0.1:{port}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


class Fleet:
    """gunicorn instances (the Procfile's web line, one port each) behind one HAProxy."""

    def __init__(self, env: dict, var_dir: Path, proxy_port: int) -> None:
        self.env, self.var_dir, self.proxy_port = env, var_dir, proxy_port
        self.processes: list[subprocess.Popen] = []

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "a")  # noqa: SIM115 (kept open for the child)
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start(self, size: int) -> None:
        ports = [free_port() for _ in range(size)]
        for i, port in enumerate(ports):
            self._start(f"web{i}", procfile_command("web", port=port))
        config = self.var_dir / "haproxy.cfg"
        config.write_text(haproxy_config(self.proxy_port, ports))
        self._start("haproxy", ["haproxy", "-db", "-f", str(config)])
        probe = Browser(f"http://127.0.0.1:{self.proxy_port}", Recorder())
        for port in ports:  # each instance answers on its own before the proxy is used
            direct = Browser(f"http://127.0.0.1:{port}", Recorder())
            deadline = time.monotonic() + 60
            while direct.get("probe", "/healthz").status != 200:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn on {port} did not come up: see {self.var_dir}")
                time.sleep(0.3)
        deadline = time.monotonic() + 30
        while probe.get("probe", "/healthz").status != 200:
            if time.monotonic() > deadline:
                raise SystemExit("haproxy did not come up")
            time.sleep(0.3)
        time.sleep(4)  # HAProxy's health checks mark every server up

    def rss_mb(self) -> float:
        """The largest resident set among the web processes (gunicorn masters and their workers)."""
        biggest = 0
        for process in self.processes:
            for pid in [process.pid, *_children(process.pid)]:
                try:
                    fields = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in fields.splitlines():
                    if line.startswith("VmRSS:"):
                        biggest = max(biggest, int(line.split()[1]))
        return round(biggest / 1024, 1)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes = []


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def workers(env: dict, var_dir: Path) -> list[subprocess.Popen]:
    """Two workers on separate queues: the default one (webhook events, emails) and receipts (bench.scale_settings)."""
    started = []
    for queue in ("outlet", "receipts"):
        args = [*procfile_command("worker", port=0), "-Q", queue, "-n", f"{queue}@%h"]
        log = open(var_dir / f"worker-{queue}.log", "a")  # noqa: SIM115
        started.append(
            subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )
    return started


def settle(timeout: float = 120) -> bool:
    """Wait until every paid checkout became a payment with an emailed receipt (the workers catch up)."""
    from outlet.payments.models import Payment, WebhookEvent
    from outlet.receipts.models import Receipt

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending_events = WebhookEvent.objects.filter(status__in=["received", "failed", "waiting"]).count()
        payments = Payment.objects.count()
        emailed = Receipt.objects.exclude(emailed_at=None).count()
        if not pending_events and emailed >= payments:
            return True
        time.sleep(1)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,2,4", help="web instances per round (default 1,2,4)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--donors", type=int, default=2, help="donors giving throughout each round")
    options = parser.parse_args()
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install {tool}")
    sizes = [int(s) for s in options.sizes.split(",")]

    var_dir = ROOT / "var" / f"scale{os.environ.get('BENCH_DB_SUFFIX', '')}"
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "mail").mkdir(parents=True)
    proxy_port, redis_port = free_port(), free_port()
    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.scale_settings",
        "OUTLET_VAR_DIR": str(var_dir),
        "EMAIL_URL": f"filemail:///{var_dir / 'mail'}",
        "SITE_URL": f"http://127.0.0.1:{proxy_port}",
        "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "PAYMENT_PROVIDER": "sandbox",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("OUTLET_ENV", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "SANDBOX_SILENT_SECONDS"):
        env.pop(name, None)
    redis = Services(env=env, var_dir=var_dir, port=0, redis_port=redis_port)
    subprocess.run(["psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run(["psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    fleet = Fleet(env, var_dir, proxy_port)
    worker_processes: list[subprocess.Popen] = []
    rows = []
    try:
        redis.start_redis()
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PYTHON, "manage.py", "load_demo_content"], cwd=ROOT, env=env, check=True, capture_output=True)
        os.environ.update(env)
        import django

        django.setup()
        from bench import soak_checks as checks
        from bench.soak import discover_paths

        paths = discover_paths()
        article = paths["articles"][0]
        worker_processes = workers(env, var_dir)
        mailbox = Mailbox(var_dir / "mail")
        for size in sizes:
            fleet.start(size)
            base = f"http://127.0.0.1:{proxy_port}"
            warm = Browser(base, Recorder())
            for path in ["/", article, paths["campaign"]] * 3:
                warm.get("warm", path)
            stop = threading.Event()
            world = people.World(
                base=base,
                recorder=Recorder(),
                mailbox=mailbox,
                stop=stop,
                campaign_path=paths["campaign"],
                article_paths=paths["articles"],
                section_paths=paths["sections"],
                other_paths=paths["others"],
            )

            def donor(world=world) -> None:
                from django.db import connection

                try:
                    while not world.stop.is_set():
                        people.give(world)
                finally:
                    connection.close()

            threads = [threading.Thread(target=donor, daemon=True) for _ in range(options.donors)]
            for thread in threads:
                thread.start()
            results = {}
            web_pids = [p.pid for p in fleet.processes]
            worker_pids = [p.pid for p in worker_processes]
            for name, path in (("bare", "/__bench__/bare/"), ("article", article), ("campaign", paths["campaign"])):
                with PeakRss(web_pids) as web_rss, PeakRss(worker_pids) as worker_rss:
                    results[name] = wrk(
                        base + path, duration=options.seconds, connections=options.connections, threads=2, headers=[]
                    )
                results[name] |= {
                    "web_peak_rss_mb": web_rss.result()["peak_rss_mb"],
                    "worker_peak_rss_mb": worker_rss.result()["peak_rss_mb"],
                }
            rss = max(fleet.rss_mb(), *(r["web_peak_rss_mb"] for r in results.values()))
            worker_rss_max = max(r["worker_peak_rss_mb"] for r in results.values())
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            settled = settle()
            found = [checks.receipts(), checks.ledger(), checks.emails(mailbox)]
            rows.append(
                {
                    "instances": size,
                    "pages": results,
                    "gifts_paid": len(world.paid),
                    "settled": settled,
                    "checks": {c["name"]: c["ok"] for c in found},
                    "check_figures": {c["name"]: c["figures"] for c in found},
                    "web_rss_mb_max": rss,
                    "worker_rss_mb_max": worker_rss_max,
                }
            )
            fleet.stop()
            print(f"  {size} instance(s) done: {len(world.paid)} gifts paid", file=sys.stderr)
    finally:
        fleet.stop()
        for process in worker_processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        redis.stop_redis()
        from django.db import connections

        connections.close_all()
        subprocess.run(
            ["psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], capture_output=True
        )

    print("\nHAProxy -> gunicorn instances (Procfile's web line each), 2 Celery workers (queues outlet, receipts),")
    print(f"wrk -t2 -c{options.connections} -d{options.seconds}s per page, {options.donors} donors giving meanwhile\n")
    print(
        "| instances | bare req/s | article req/s (ratio) | campaign req/s (ratio) | gifts paid | checks "
        "| web RSS max |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|")
    for row in rows:
        bare = row["pages"]["bare"]["rps"]
        cells = [
            f"{row['pages'][p]['rps']:,.0f} ({row['pages'][p]['rps'] / bare:.2f}, p99 {row['pages'][p]['p99']})"
            for p in ("article", "campaign")
        ]
        ok = all(row["checks"].values()) and row["settled"]
        print(
            f"| {row['instances']} | {bare:,.0f} | {cells[0]} | {cells[1]} | {row['gifts_paid']} | "
            f"{'all hold' if ok else 'FAILED: ' + ', '.join(k for k, v in row['checks'].items() if not v)} | "
            f"{row['web_rss_mb_max']} MB |"
        )
    out = ROOT / "bench" / "results" / "scale_out.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"args": vars(options), "summary": summarise(rows), "rounds": rows}, indent=2, default=str) + "\n"
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    if not all(all(r["checks"].values()) and r["settled"] for r in rows):
        raise SystemExit(1)


def summarise(rows: list[dict]) -> dict:
    """Per size ("1", "2", "4" instances): each page's req/s, ratio to the bare view through the same proxy, p50/p99
    in ms; whether the books held; the largest RSS of one web process and of one worker process."""
    summary = {}
    for row in rows:
        bare = row["pages"]["bare"]["rps"]
        pages = {
            page: {
                "rps": row["pages"][page]["rps"],
                "ratio": round(row["pages"][page]["rps"] / bare, 3),
                "p50_ms": ms(row["pages"][page]["p50"]),
                "p99_ms": ms(row["pages"][page]["p99"]),
                "non_2xx": row["pages"][page]["non_2xx"],
            }
            for page in ("article", "campaign")
        }
        summary[str(row["instances"])] = {
            "bare_rps": bare,
            **pages,
            "gifts_paid": row["gifts_paid"],
            "checks_ok": all(row["checks"].values()) and row["settled"],
            "failed_checks": [name for name, ok in row["checks"].items() if not ok]
            + ([] if row["settled"] else ["settled"]),
            "peak_rss_mb": max(row["web_rss_mb_max"], row["worker_rss_mb_max"]),
            "web_peak_rss_mb": row["web_rss_mb_max"],
            "worker_peak_rss_mb": row["worker_rss_mb_max"],
        }
    return summary


if __name__ == "__main__":
    main()
