"""Receipts issued by one real Celery worker on PostgreSQL + Redis: receipts/s end to end, and PDF render time.

    .venv/bin/python -m bench.receipts [--receipts 10000] [--render-samples 300]

Creates (and drops) the database `outlet_bench_receipts` on the local PostgreSQL and migrates it, generates the
payments directly (donations, each with its Donation and three AllocationEntry rows, so receipts carry the split;
one donor in four has a Georgian name), starts ONE `celery worker --pool=solo` on a private queue in Redis db 3
with a file-based mailbox, enqueues `issue_receipt` for every payment (what the webhook handler does on commit),
and measures from the first enqueue until every receipt is issued AND emailed (PDF rendered, attached, written).

Also times PDF rendering alone in this process (the font is trimmed once per process; that first render is
reported apart). Checks the numbers are 1..N with no gap and that exactly N emails were written. Prints a table
and writes bench/results/receipts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "outlet_bench_receipts"
REDIS_URL = "redis://127.0.0.1:6379/3"
QUEUE = f"bench-receipts-{uuid.uuid4().hex[:8]}"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
MAIL_DIR = Path(tempfile.gettempdir()) / f"outlet-bench-receipts-mail-{uuid.uuid4().hex[:8]}"

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "EMAIL_URL": f"filemail:///{MAIL_DIR}",
        "DJANGO_SETTINGS_MODULE": "outlet.settings",
        "CONN_MAX_AGE": "60",
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


def start_worker(log_path: Path, *, concurrency: int = 1) -> subprocess.Popen:
    """One worker: the solo pool (one task at a time), or prefork with `concurrency` processes as the Procfile runs
    it."""
    pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "outlet",
                "worker",
                "-Q",
                QUEUE,
                "-n",
                f"{QUEUE}@%h",
                *pool,
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 60
    while not client.exists(f"_kombu.binding.{QUEUE}") and time.monotonic() < deadline:  # the worker declared its queue
        time.sleep(0.2)
    time.sleep(2)
    return worker


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
        "mean_ms": round(statistics.mean(times) * 1000, 1),
        "p50_ms": round(times[len(times) // 2] * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--render-samples", type=int, default=300)
    parser.add_argument(
        "--concurrency", type=int, default=1, help="1: --pool=solo; more: prefork, as the Procfile's worker"
    )
    args = parser.parse_args()

    fresh_database()
    import django

    django.setup()
    import redis

    from outlet.receipts import tasks
    from outlet.receipts.models import Receipt

    redis.Redis.from_url(REDIS_URL).flushdb()
    MAIL_DIR.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    payment_ids = generate_payments(args.receipts)
    print(f"generated {len(payment_ids)} payments (with donations and ledger rows) in {time.perf_counter() - t:.1f} s")

    log_path = Path(tempfile.gettempdir()) / f"{QUEUE}.log"
    worker = start_worker(log_path, concurrency=args.concurrency)
    try:
        started = time.perf_counter()
        for payment_id in payment_ids:
            tasks.issue_receipt.delay(payment_id)
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
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    sequences = list(Receipt.objects.order_by("sequence").values_list("sequence", flat=True))
    # Django's file backend may append two messages to one file (named by second and id()); count messages.
    files = sum(path.read_text().count("-" * 79 + "\n") for path in MAIL_DIR.iterdir())
    render = render_timings(args.render_samples)
    result = {
        "receipts": args.receipts,
        "worker": "1 x celery --pool=solo"
        if args.concurrency == 1
        else f"1 x celery --pool=prefork -c {args.concurrency}",
        "machine_cpus": os.cpu_count(),
        "enqueue_seconds": round(enqueued, 2),
        "all_issued_seconds": round(issued_at or 0, 2),
        "all_issued_and_emailed_seconds": round(emailed_at, 2),
        "receipts_per_second": round(args.receipts / emailed_at, 1),
        "worker_ms_per_receipt": round(emailed_at * 1000 / args.receipts, 1),
        "numbers_gap_free": sequences == list(range(1, args.receipts + 1)),
        "emails_written": files,
        "pdf_render_in_process": render,
        "load_average_after": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = "receipts.json" if args.concurrency == 1 else f"receipts-c{args.concurrency}.json"
    (out / name).write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    from django.db import connections

    connections.close_all()
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME)


if __name__ == "__main__":
    main()
