"""Throughput of the Stripe webhook intake (/payments/webhooks/stripe/) under gunicorn, PostgreSQL and Redis.

    .venv/bin/python -m bench.webhook_intake [--seconds 15] [--connections 16]

Creates (and drops) the database `outlet_bench_webhooks` on the local PostgreSQL, starts gunicorn as the Procfile's
`web` line starts it (gthread, its workers, threads and access log; bound to loopback; --workers/--threads override
it), with DEBUG off, CONN_MAX_AGE on, STRIPE_WEBHOOK_SECRET set and REDIS_URL=redis://127.0.0.1:6379/15 so that each
stored event is really enqueued on Redis, and posts signed Stripe events from a threaded Python load generator (one
connection per request, as Stripe does) for these cases:

  unique      every request is a new event id: verify signature -> INSERT with the events other requests of the
              process store at that moment, one commit (outlet/payments/group_commit.py) -> 200 -> one message a batch
  duplicate   every request repeats one already-stored event id: verify signature -> the same INSERT finds it -> 200
  bare GET    reference: the cheapest Django response (bench/urls.py) under the same server and load generator

The resident memory of gunicorn's processes (master and workers) is sampled throughout; the checks read every
message back from Redis and require each stored event to be queued exactly once.

Bodies are Stripe's fixture objects (tests/payments/stripe_objects.py) and are all built and signed before each
timed run (Stripe signatures have a 300 s tolerance). No Celery worker runs: the benchmark measures intake only;
queued messages stay in Redis db 15, which is flushed before and after. Prints a table and writes
bench/results/webhook_intake.json, whose "summary" holds the headline numbers.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PORT = 8124
DB_NAME = "outlet_bench_webhooks"
REDIS_URL = "redis://127.0.0.1:6379/15"
QUEUE = "outlet"  # CELERY_TASK_DEFAULT_QUEUE: the Redis list the intake's .delay() pushes to
WEBHOOK_SECRET = "whsec_bench_webhook_intake_0123456789"
WEBHOOK_PATH = "/payments/webhooks/stripe/"
SIGNATURE_TOLERANCE = 300  # seconds; Stripe's default, used by stripe.Webhook.construct_event

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.hung_provider import rss_mb  # noqa: E402
from tests.payments.stripe_objects import signature_header, stripe_event, subscription_payload  # noqa: E402


def sh(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True)


# --- Event bodies -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    event_id: str
    body: bytes | None
    headers: dict[str, str]
    method: str = "POST"
    path: str = WEBHOOK_PATH


def sign(event: dict) -> Signed:
    body = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature_header(body, WEBHOOK_SECRET),
        "Connection": "close",
    }
    return Signed(event["id"], body, headers)


def unique_events(count: int, *, prefix: str) -> list[Signed]:
    """`count` signed customer.subscription.updated events with distinct ids over 200 distinct subscriptions."""
    subscriptions = [
        subscription_payload(sub_id=f"sub_bench_{i:04d}", customer=f"cus_bench_{i:04d}") for i in range(200)
    ]
    return [
        sign(
            stripe_event(
                "customer.subscription.updated", subscriptions[n % len(subscriptions)], event_id=f"evt_{prefix}_{n:08d}"
            )
        )
        for n in range(count)
    ]


# --- Load generator -----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged (200) requests only
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    duplicates: int = 0  # 200s whose JSON said "duplicate": true
    acked_ids: set[str] = field(default_factory=set)
    sent_ids: set[str] = field(default_factory=set)  # attempted, whatever the outcome


def post(signed: Signed, outcome: Outcome) -> None:
    outcome.sent_ids.add(signed.event_id)
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        connection.request(signed.method, signed.path, body=signed.body, headers=signed.headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
    except (OSError, http.client.HTTPException):
        outcome.errors += 1
        return
    elapsed = time.perf_counter() - started
    outcome.statuses[response.status] = outcome.statuses.get(response.status, 0) + 1
    if response.status == 200:
        outcome.latencies.append(elapsed)
        outcome.acked_ids.add(signed.event_id)
        if signed.path == WEBHOOK_PATH and json.loads(data).get("duplicate"):
            outcome.duplicates += 1


def run(bodies: list[Signed], *, seconds: float, connections: int, repeat: bool) -> dict:
    """Post from `connections` threads for `seconds` (or until the bodies run out, unless `repeat`)."""
    cursor = itertools.count()  # next() on itertools.count is atomic under the GIL: each body goes out once
    outcomes = [Outcome() for _ in range(connections)]
    exhausted = threading.Event()
    deadline = time.perf_counter() + seconds

    def worker(outcome: Outcome) -> None:
        while time.perf_counter() < deadline:
            n = next(cursor)
            if not repeat and n >= len(bodies):
                exhausted.set()
                return
            post(bodies[n % len(bodies)], outcome)

    threads = [threading.Thread(target=worker, args=(o,)) for o in outcomes]
    started, cpu_started = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    generator_cpu = time.process_time() - cpu_started

    latencies = sorted(x for o in outcomes for x in o.latencies)
    statuses: dict[int, int] = {}
    for o in outcomes:
        for status, count in o.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    acked = len(latencies)

    def pct(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)
            if latencies
            else float("nan")
        )

    return {
        "seconds": round(elapsed, 2),
        "acked": acked,
        "events_per_s": round(acked / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(o.errors for o in outcomes),
        "duplicates_acked": sum(o.duplicates for o in outcomes),
        "distinct_ids_acked": len(set().union(*(o.acked_ids for o in outcomes))),
        "sent_ids": set().union(*(o.sent_ids for o in outcomes)),  # popped before the JSON is written
        "bodies_exhausted": exhausted.is_set(),
        "load_generator_cpu_percent": round(100 * generator_cpu / elapsed, 1),
        "latency_ms": {
            "p50": pct(50),
            "p90": pct(90),
            "p99": pct(99),
            "max": pct(100),
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else float("nan"),
        },
    }


# --- Orchestration ------------------------------------------------------------------------------------------


def wait_until_up(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/__bench__/bare/", timeout=2).read()
            return
        except Exception:  # noqa: BLE001
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def redis_cli(*args: str) -> str:
    return sh("redis-cli", "-u", REDIS_URL, *args).stdout.strip()


def procfile_server(*, workers: int | None, threads: int | None) -> list[str]:
    """The Procfile's `web` command (gunicorn's arguments), bound to our port; --workers/--threads replace its own."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    args = shlex.split(line.removeprefix("web:"))
    assert args[0] == "gunicorn", line
    replacing = {"--bind", "-b"} | ({"--workers", "-w"} if workers else set()) | ({"--threads"} if threads else set())
    kept, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg.split("=", 1)[0] in replacing:
            skip = "=" not in arg
            continue
        kept.append(arg)
    ours = ["--bind", f"{HOST}:{PORT}", "--no-control-socket"]  # its control socket is one path per machine user
    if workers is not None:
        ours += ["--workers", str(workers)]
    if threads is not None:
        ours += ["--threads", str(threads)]
    return [*kept, *ours]


class PeakMemory:
    """Samples the resident memory of gunicorn's master and workers (workers it restarts included) every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak_mb, 1)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU of a process (and of its reaped children: gunicorn's restarted workers), 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if with_children else 0)
    return ticks / TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every process of every user included."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class CpuMeter:
    """Where a case's CPU went: gunicorn's processes, the PostgreSQL backends of the bench database (not the WAL writer
    and checkpointer, which the server shares), and the whole machine, other users included (a shared machine's
    numbers are only comparable within one run)."""

    def __init__(self, server_pid: int, pg: str) -> None:
        self.server_pid, self.pg = server_pid, pg

    def _backends(self) -> list[int]:
        out = sh("psql", f"{self.pg}/postgres", "-Atc", f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB_NAME}'")
        return [int(line) for line in out.stdout.split()]

    def start(self) -> None:
        self._backend_pids = self._backends()
        self._before = self._sample()

    def _sample(self) -> dict[str, float]:
        busy, total = machine_busy_seconds()
        return {
            "gunicorn": cpu_seconds(self.server_pid, with_children=True)
            + sum(cpu_seconds(pid) for pid in children_of(self.server_pid)),
            # Per backend: one that ends during the case (its worker restarted) counts nothing rather than minus.
            **{f"backend {pid}": cpu_seconds(pid) for pid in self._backend_pids},
            "machine_busy": busy,
            "machine_total": total,
        }

    def per_request_ms(self, requests: int) -> dict[str, float]:
        after = self._sample()
        delta = {name: after[name] - self._before[name] for name in after}
        backends = sum(max(0.0, d) for name, d in delta.items() if name.startswith("backend ") and after[name] > 0)
        return {
            "gunicorn_cpu_ms": round(1000 * delta["gunicorn"] / max(requests, 1), 3),
            "postgres_backends_cpu_ms": round(1000 * backends / max(requests, 1), 3),
            "machine_busy_percent": round(100 * delta["machine_busy"] / max(delta["machine_total"], 1e-9), 1),
        }


def queued_event_pks() -> tuple[int, list[int]]:
    """(messages in the queue, the event pks they carry) read back from Redis: a message for one event
    (process_webhook_event) or for the events of one commit (process_webhook_events)."""
    import redis

    messages = redis.Redis.from_url(REDIS_URL).lrange(QUEUE, 0, -1)
    pks: list[int] = []
    for message in messages:
        args = json.loads(base64.b64decode(json.loads(message)["body"]))[0]
        pks += args[0] if isinstance(args[0], list) else [args[0]]
    return len(messages), pks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="timed run per case (default 15)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: the Procfile's)")
    parser.add_argument(
        "--max-rate",
        type=int,
        default=1000,
        help="unique events pre-signed per timed second (default 1000); the run ends early if they run out",
    )
    args = parser.parse_args()
    if args.seconds + 60 > SIGNATURE_TOLERANCE:
        raise SystemExit(f"--seconds must stay well under Stripe's {SIGNATURE_TOLERANCE} s signature tolerance")

    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"bench-webhooks-{int(time.time())}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OUTLET_VAR_DIR": str(ROOT / "var" / "bench"),
        "LOG_LEVEL": "WARNING",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_SECRET_KEY": "sk_test_bench_not_used_for_intake",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("CELERY_TASK_DEFAULT_QUEUE", None)
    redis_cli("PING")
    redis_cli("FLUSHDB")
    sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
    sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    server = None
    results: dict[str, dict] = {}
    sent_ids: set[str] = set()
    try:
        sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
        # The Procfile's application (outlet.wsgi) with bench.settings from the environment: the same site plus the
        # bare view. Its access log goes to stdout as in production, here thrown away.
        server_args = procfile_server(workers=args.workers, threads=args.threads)
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", *server_args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
        wait_until_up()
        memory = PeakMemory(server.pid)
        meter = CpuMeter(server.pid, pg)

        # (a) unique events: warm up (connections, imports, the Redis client) with 200, then the timed run.
        warm = unique_events(200, prefix="warm")
        warm_outcome = run(warm, seconds=60, connections=args.connections, repeat=False)
        sent_ids |= warm_outcome.pop("sent_ids")
        assert warm_outcome["acked"] == len(warm), warm_outcome
        print(f"signing {int(args.max_rate * args.seconds)} unique events ...", flush=True)
        bodies = unique_events(int(args.max_rate * args.seconds), prefix="unique")
        meter.start()
        results["unique"] = run(bodies, seconds=args.seconds, connections=args.connections, repeat=False)
        results["unique"]["cpu"] = meter.per_request_ms(results["unique"]["acked"])
        sent_ids |= results["unique"].pop("sent_ids")
        del bodies

        # (b) duplicates of one event id: store it once, warm up, then the timed run repeats the same signed body.
        one = unique_events(1, prefix="dup")
        sent_ids |= run(one * 200, seconds=60, connections=args.connections, repeat=False).pop("sent_ids")
        meter.start()
        results["duplicate"] = run(one, seconds=args.seconds, connections=args.connections, repeat=True)
        results["duplicate"]["cpu"] = meter.per_request_ms(results["duplicate"]["acked"])
        sent_ids |= results["duplicate"].pop("sent_ids")

        # Reference: the cheapest Django response under the same server, client and connection handling.
        bare = Signed("", None, {"Connection": "close"}, method="GET", path="/__bench__/bare/")
        run([bare] * 200, seconds=60, connections=args.connections, repeat=False)
        meter.start()
        results["bare GET"] = run([bare], seconds=args.seconds, connections=args.connections, repeat=True)
        results["bare GET"]["cpu"] = meter.per_request_ms(results["bare GET"]["acked"])
        results["bare GET"].pop("sent_ids")

        peak_rss_mb = memory.stop()
        messages, queued_pks = queued_event_pks()
        stored_pks = json.loads(
            sh(
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from outlet.payments.models import WebhookEvent; "
                "print(sorted(WebhookEvent.objects.values_list('pk', flat=True)))",
                env=env,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        rows = len(stored_pks)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        redis_cli("FLUSHDB")
        sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    unique_sent = len(sent_ids)
    checks = {
        "webhook_event_rows": rows,
        "unique_event_ids_sent": unique_sent,
        "rows_equal_unique_sent": rows == unique_sent,
        "messages_queued_in_redis": messages,
        "events_in_queued_messages": len(queued_pks),
        "events_per_message": round(len(queued_pks) / messages, 2) if messages else None,
        "every_stored_event_enqueued_once": sorted(queued_pks) == stored_pks,
        "unique_case_all_new": results["unique"]["duplicates_acked"] == 0
        and results["unique"]["distinct_ids_acked"] == results["unique"]["acked"],
        "duplicate_case_all_duplicates": results["duplicate"]["duplicates_acked"] == results["duplicate"]["acked"],
    }

    print(
        f"\nStripe webhook intake: gunicorn {' '.join(server_args)}, PostgreSQL, Redis broker (db 15), "
        f"{args.connections} concurrent connections, {args.seconds:g} s per case,"
    )
    print(
        f"Python threaded load generator on the same {os.cpu_count()} cores. No Celery worker runs: this measures "
        "intake (verify, store, enqueue), not processing. gunicorn and pg bknd: CPU per request of gunicorn's "
        "processes and of the bench database's PostgreSQL backends; machine: how busy all cores were (other users "
        "included).\n"
    )
    print(
        f"{'case':11} {'200s/s':>9} {'acked':>7} {'non-200':>8} {'errors':>7} {'p50 ms':>7} {'p90 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'gen CPU':>7} {'gunicorn':>9} {'pg bknd':>8} {'machine':>8}"
    )
    for name, r in results.items():
        non200 = sum(v for k, v in r["statuses"].items() if k != "200")
        lat = r["latency_ms"]
        print(
            f"{name:11} {r['events_per_s']:9.1f} {r['acked']:7d} {non200:8d} {r['errors']:7d} {lat['p50']:7.2f} "
            f"{lat['p90']:7.2f} {lat['p99']:7.2f} {lat['max']:7.2f} {r['load_generator_cpu_percent']:6.0f}% "
            f"{r['cpu']['gunicorn_cpu_ms']:7.2f}ms {r['cpu']['postgres_backends_cpu_ms']:6.2f}ms "
            f"{r['cpu']['machine_busy_percent']:7.0f}%"
            + ("   (pre-signed bodies ran out: raise --max-rate)" if r["bodies_exhausted"] else "")
        )
    print(
        f"\nWebhookEvent rows at the end: {rows} (unique event ids sent, warm-up included: {unique_sent}); "
        f"messages waiting in Redis queue {QUEUE!r}: {messages}, carrying {len(queued_pks)} events; "
        f"peak RSS of gunicorn's processes: {peak_rss_mb} MB"
    )
    failed = [name for name, ok in checks.items() if ok is False]
    if failed:
        print(f"CHECKS FAILED: {', '.join(failed)}")

    out = ROOT / "bench" / "results" / "webhook_intake.json"
    out.parent.mkdir(exist_ok=True)
    summary = {
        "unique_per_second": results["unique"]["events_per_s"],
        "duplicate_per_second": results["duplicate"]["events_per_s"],
        "bare_per_second": results["bare GET"]["events_per_s"],
        "p50_ms": results["unique"]["latency_ms"]["p50"],  # of unique events: stored, committed and acknowledged
        "p99_ms": results["unique"]["latency_ms"]["p99"],
        "peak_rss_mb": peak_rss_mb,  # gunicorn's master and workers together, sampled through every case
    }
    out.write_text(
        json.dumps(
            {
                "summary": summary,
                "args": vars(args),
                "server": ["gunicorn", *server_args],
                "cpu_count": os.cpu_count(),
                "results": results,
                "checks": checks,
            },
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
