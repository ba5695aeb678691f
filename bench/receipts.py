"""Receipts issued, rendered and emailed by the Procfile's worker on PostgreSQL + Redis + SMTP: receipts/s end to
end, PDF render time, and the worker processes' memory.

    .venv/bin/python -m bench.receipts [--receipts 10000] [--render-samples 1000]

Creates (and drops) the database `outlet_bench_receipts` on the local PostgreSQL and migrates it, generates the
payments directly (donations, each with its Donation and three AllocationEntry rows, so receipts carry the split;
the donors' names are Georgian, Latin, Cyrillic and Armenian in turn), starts the worker exactly as the Procfile's
`worker:` line does (`celery -A outlet worker --loglevel=INFO --concurrency=2`: prefork, two processes) on a private
default queue in Redis db 3, sending by SMTP to an aiosmtpd server in this process, asks for every payment's
receipt as the payment pipeline does on commit (`services.request_receipt`: a burst queues one issuing task per
batch, through the shared cache in Redis db 3), and measures from the first request until every receipt is issued
AND emailed (PDF rendered, attached, accepted by the SMTP server). The worker's processes' RSS is sampled
every 0.5 s: the peak, and each child's at a tenth of the run and at its end (flat = the two agree).

Checks that the numbers are 1..N with no gap and that the SMTP server got exactly one email per receipt (by the
attachment's name). Times PDF rendering alone in this process too (fonts parsed once per process; that first
render is reported apart). Prints JSON and writes bench/results/receipts.json, with a "summary".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "outlet_bench_receipts"
REDIS_URL = "redis://127.0.0.1:6379/3"
QUEUE = f"bench-receipts-{uuid.uuid4().hex[:8]}"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
ATTACHMENT = re.compile(rb'filename="?receipt-(\d{4}-\d{6})\.pdf')

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "DJANGO_SETTINGS_MODULE": "outlet.settings",
        "CONN_MAX_AGE": "60",
        "DEBUG": "False",  # as in production: with DEBUG Django keeps the last 9,000 queries of each process
    }
)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def sh(*args: str) -> None:
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True)


def fresh_database() -> None:
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME)
    sh(sys.executable, "manage.py", "migrate", "--noinput")


def generate_payments(count: int) -> list[int]:
    from django.db import transaction
    from django.utils import timezone

    from donations import services
    from donations.models import AllocationEntry, Beneficiary, Campaign, Donation
    from outlet.payments.models import Payment

    campaign = Campaign.objects.create(
        slug="bench",
        title="Keep reporters safe",
        goal_minor=10**9,
        currency="GEL",
        starts_at=timezone.now() - timedelta(days=30),
        is_published=True,
    )
    newsrooms = [
        Beneficiary.objects.create(
            campaign=campaign,
            name=name,
            slug=name.lower().replace(" ", "-"),
            share=share,
            receives_rounding_remainder=(i == 0),
            position=i,
        )
        for i, (name, share) in enumerate([("Mountain Voice", 50), ("Valley Dispatch", 30), ("Border Radio", 20)])
    ]
    weights = {b.pk: b.share for b in newsrooms}
    names = ["ნინო ბერიძე", "Lasha Kapanadze", "Анна Иванова", "Արամ Պետրոսյան"]
    now = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        payments = Payment.objects.bulk_create(
            [
                Payment(
                    provider="sandbox",
                    provider_ref=f"pi_bench_{i:06d}",
                    purpose="donation",
                    email=f"donor{i}@example.org",
                    amount_minor=1000 + (i % 97) * 50,
                    currency="GEL",
                    description="Gift",
                    paid_at=now,
                )
                for i in range(count)
            ],
            batch_size=2000,
        )
        donations = []
        for i, payment in enumerate(payments):
            fee = services.processing_fee_minor(amount_minor=payment.amount_minor, currency="GEL")
            donations.append(
                Donation(
                    campaign=campaign,
                    payment=payment,
                    email=payment.email,
                    name=names[i % 4],
                    currency="GEL",
                    amount_minor=payment.amount_minor,
                    fee_covered_minor=0,
                    processing_fee_minor=fee,
                    net_minor=payment.amount_minor - fee,
                    donated_at=now,
                )
            )
        Donation.objects.bulk_create(donations, batch_size=2000)
        entries = []
        for donation in donations:
            parts = services.split_amount(
                amount_minor=donation.net_minor, weights=list(weights.items()), remainder_to=newsrooms[0].pk
            )
            entries += [
                AllocationEntry(
                    donation=donation,
                    beneficiary_id=key,
                    kind="gift",
                    amount_minor=amount,
                    currency="GEL",
                    weight=weights[key],
                    booked_at=now,
                )
                for key, amount in parts.items()
            ]
        AllocationEntry.objects.bulk_create(entries, batch_size=5000)
    return [payment.pk for payment in payments]


class Sink:
    """The SMTP server: counts each receipt number it is sent (from the PDF's file name); keeps no bodies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.numbers: Counter[str] = Counter()
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  # aiosmtpd's hook name
        found = ATTACHMENT.search(envelope.content)
        with self.lock:
            self.messages += 1
            self.bytes += len(envelope.content)
            self.numbers[found.group(1).decode() if found else ""] += 1
        return "250 OK"


def procfile_worker_command() -> list[str]:
    """The Procfile's `worker:` line, with this virtualenv's celery."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    command = shlex.split(line.split(":", 1)[1])
    assert command[0] == "celery", command
    return [str(Path(sys.executable).parent / "celery"), *command[1:]]


def start_worker(log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """The worker as the Procfile starts it; it consumes the default queue, which is this run's private one."""
    with open(log_path, "w") as log:
        worker = subprocess.Popen(procfile_worker_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 60
    while not client.exists(f"_kombu.binding.{QUEUE}") and time.monotonic() < deadline:  # the worker declared its queue
        time.sleep(0.2)
    time.sleep(2)
    return worker


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (the code a pool process shares with the main one after fork) counted
    once across the processes, so it shows what each process holds of its own."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process used so far: a per-receipt cost other programs on the machine do not inflate
    the way they inflate wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process on this machine so far, with that of the backends that have exited (the
    worker closes its connections every CONN_MAX_AGE): the server process counts its children's once it reaps them."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if (stat.parent / "comm").read_text().strip() != "postgres":
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15])  # utime, stime, and the reaped children's cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class RssSampler(threading.Thread):
    """Every 0.5 s: the RSS of the worker's main process and of each pool process."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.cpu: dict[int, float] = {}  # the last CPU seconds seen per process
        self.pss: dict[int, float] = {}  # the peak PSS seen per process
        self.stop = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self.stop.is_set():
            pids = [self.pid, *children(self.pid)]
            self.samples.append((time.perf_counter() - started, {pid: rss_mb(pid) for pid in pids}))
            self.cpu.update({pid: seconds for pid in pids if (seconds := cpu_seconds(pid))})
            for pid in pids:
                self.pss[pid] = max(self.pss.get(pid, 0.0), pss_mb(pid))
            self.stop.wait(0.5)

    def report(self, cpu_before: dict[int, float]) -> dict:
        peak = max((rss for _, by_pid in self.samples for rss in by_pid.values()), default=0.0)
        pool = sorted({pid for _, by_pid in self.samples for pid in by_pid if pid != self.pid})
        tenth = self.samples[len(self.samples) // 10][1] if self.samples else {}
        last = self.samples[-1][1] if self.samples else {}
        return {
            "peak_rss_mb": round(peak, 1),
            "main_process_peak_rss_mb": round(max((s[1].get(self.pid, 0.0) for s in self.samples), default=0.0), 1),
            "pool_processes": {
                str(pid): {"at_tenth_mb": round(tenth.get(pid, 0.0), 1), "at_end_mb": round(last.get(pid, 0.0), 1)}
                for pid in pool
            },
            "peak_pss_mb": {str(pid): round(pss, 1) for pid, pss in self.pss.items()},
            "samples": len(self.samples),
            "cpu_seconds": round(sum(self.cpu.values()) - sum(cpu_before.values()), 1),
        }


def render_timings(samples: int) -> dict:
    from outlet.receipts.models import Receipt
    from outlet.receipts.pdf import render_receipt

    receipts = list(Receipt.objects.select_related("payment", "replaces").order_by("sequence")[:samples])
    started = time.perf_counter()
    render_receipt(receipts[0])
    first = time.perf_counter() - started
    times = []
    for receipt in receipts:
        started = time.perf_counter()
        render_receipt(receipt)
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "first_render_ms_incl_font_trim": round(first * 1000, 1),
        "samples": len(times),
        "mean_ms": round(statistics.mean(times) * 1000, 2),
        "p50_ms": round(times[len(times) // 2] * 1000, 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--render-samples", type=int, default=1000)
    args = parser.parse_args()

    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command debug lines
    fresh_database()
    import django

    django.setup()
    import redis

    from outlet.receipts import services as receipt_services
    from outlet.receipts.models import Receipt
    from tests.newsletters.smtp_sink import free_port

    redis.Redis.from_url(REDIS_URL).flushdb()
    t = time.perf_counter()
    payment_ids = generate_payments(args.receipts)
    print(f"generated {len(payment_ids)} payments (with donations and ledger rows) in {time.perf_counter() - t:.1f} s")

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log_path = Path(tempfile.gettempdir()) / f"{QUEUE}.log"
    worker = start_worker(log_path, os.environ | {"EMAIL_URL": f"smtp://127.0.0.1:{port}"})
    sampler = RssSampler(worker.pid)
    sampler.start()
    time.sleep(1)
    cpu_before = dict(sampler.cpu)  # the worker's start-up is not the receipts'
    try:
        started = time.perf_counter()
        harness_cpu = time.process_time()  # this process: the requests, the SMTP server's thread, the polling
        database_cpu = postgres_cpu_seconds()
        for payment_id in payment_ids:  # outside a transaction: each request is sent at once, as on commit
            receipt_services.request_receipt(payment_id=payment_id)
        enqueued = time.perf_counter() - started
        issued_at = None
        deadline = started + 4 * 3600
        while time.perf_counter() < deadline:
            issued = Receipt.objects.count()
            if issued_at is None and issued >= args.receipts:
                issued_at = time.perf_counter() - started
            if Receipt.objects.exclude(emailed_at=None).count() >= args.receipts:
                break
            if worker.poll() is not None:
                raise SystemExit(f"the worker died:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        emailed_at = time.perf_counter() - started
        harness_cpu = time.process_time() - harness_cpu
        database_cpu = postgres_cpu_seconds() - database_cpu
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        sampler.stop.set()
        sampler.join()
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()

    sequences = list(Receipt.objects.order_by("sequence").values_list("sequence", flat=True))
    numbers = set(Receipt.objects.values_list("number", flat=True))
    render = render_timings(args.render_samples)
    memory = sampler.report(cpu_before)
    result = {
        "receipts": args.receipts,
        "worker": "celery " + " ".join(procfile_worker_command()[1:]) + " (the Procfile's worker line)",
        "machine_cpus": os.cpu_count(),
        "enqueue_seconds": round(enqueued, 2),
        "all_issued_seconds": round(issued_at or 0, 2),
        "all_issued_and_emailed_seconds": round(emailed_at, 2),
        "receipts_per_second": round(args.receipts / emailed_at, 1),
        "worker_ms_per_receipt": round(emailed_at * 1000 / args.receipts, 1),
        "numbers_gap_free": sequences == list(range(1, args.receipts + 1)),
        "emails_written": sink.messages,
        "one_email_per_receipt": set(sink.numbers) == numbers and set(sink.numbers.values()) == {1},
        "mb_through_smtp": round(sink.bytes / 1024 / 1024, 1),
        "pdf_render_in_process": render,
        "worker_cpu_ms_per_receipt": round(memory["cpu_seconds"] * 1000 / args.receipts, 1),
        # The same two cores run this benchmark's own process (above all its SMTP server), PostgreSQL and Redis.
        "harness_cpu_ms_per_receipt": round(harness_cpu * 1000 / args.receipts, 1),
        "postgres_cpu_ms_per_receipt": round(database_cpu * 1000 / args.receipts, 1),
        "peak_rss_mb": memory["peak_rss_mb"],
        "worker_memory": memory,
        "load_average_after": os.getloadavg(),
    }
    result["summary"] = {
        "total_seconds": result["all_issued_and_emailed_seconds"],
        "receipts_per_second": result["receipts_per_second"],
        "pdf_ms_p50": render["p50_ms"],
        "pdf_ms_p99": render["p99_ms"],
        "peak_rss_mb": memory["peak_rss_mb"],
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "receipts.json").write_text(json.dumps(result, indent=2) + "\n")
    redis.Redis.from_url(REDIS_URL).flushdb()
    from django.db import connections

    connections.close_all()
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME)


if __name__ == "__main__":
    main()
