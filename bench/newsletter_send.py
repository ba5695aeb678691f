"""A newsletter issue to 100,000 recipients through one real Celery worker on PostgreSQL + Redis into a local SMTP
server (aiosmtpd): emails/s end to end, how long the audience takes to become Delivery rows, and the worker's RSS
over the run (it should stay flat: the audience is streamed in batches, never held whole).

    .venv/bin/python -m bench.newsletter_send [--recipients 100000] [--members 20000] [--rate 0]

Creates (and drops) the database `outlet_bench_newsletters` (plus $BENCH_DB_SUFFIX) on the local PostgreSQL and
migrates it; makes `--members` Supporter members (the newsletter goes to them unless they say no) and signs up the
rest as readers who said yes (EmailConsent rows), 1 in 200 of them later suppressed (bounced); starts ONE `celery
worker --pool=solo` on a private queue in Redis db 6 (or $BENCH_REDIS_URL; it is flushed) that sends by SMTP to an
aiosmtpd server in this process; presses "Send now" and samples the worker's RSS (/proc/<pid>/status VmRSS) and
the sent count every two seconds until the issue is sent. `--rate 0` sends as fast as it can (NEWSLETTER_SEND_RATE);
give a rate to see the pacing hold.
Checks that the SMTP server got each recipient exactly once (by Message-ID). Prints a table and writes
bench/results/newsletter_send.json with a "summary" for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "outlet_bench_newsletters" + os.environ.get("BENCH_DB_SUFFIX", "")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
QUEUE = f"bench-newsletters-{uuid.uuid4().hex[:8]}"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)", re.MULTILINE | re.IGNORECASE)

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "DJANGO_SETTINGS_MODULE": "outlet.settings",
        "CONN_MAX_AGE": "60",
        "SITE_URL": "https://ledger.example",
        # As in production. With DEBUG on, Django keeps the last 9,000 queries of each connection: the worker's RSS
        # grew by some 30 MB until that log was full, which is the bench's doing, not the sender's.
        "DEBUG": "False",
    }
)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Sink:
    """Counts what it is sent; keeps only each message's recipients and Message-ID (no bodies: memory stays flat)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = 0
        self.seen: set[tuple[str, bytes]] = set()
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  # aiosmtpd's hook name
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.messages += 1
            self.bytes += len(envelope.content)
            for recipient in envelope.rcpt_tos:
                self.seen.add((recipient, found.group(1) if found else b""))
        return "250 OK"


def sh(*args: str) -> None:
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True)


def fresh_database() -> None:
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME)
    sh(sys.executable, "manage.py", "migrate", "--noinput")


def make_audience(*, recipients: int, members: int):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from members.models import Membership, Tier
    from outlet.common.models import EmailConsent, SuppressedAddress
    from outlet.newsletters.models import Newsletter, NewsletterSend, SendStory
    from tests.factories import ArticleFactory

    supporter = Tier.objects.create(name="Supporter", slug="supporter")
    newsletter = Newsletter.objects.create(name="The Weekly", slug="weekly")
    newsletter.tiers.add(supporter)
    user_model = get_user_model()
    with transaction.atomic():
        users = user_model.objects.bulk_create(
            [user_model(username=f"member{i}", email=f"member{i}@example.org") for i in range(members)],
            batch_size=5000,
        )
        ends = timezone.now() + timezone.timedelta(days=20)
        Membership.objects.bulk_create(
            [Membership(user=user, tier=supporter, current_period_end=ends) for user in users], batch_size=5000
        )
        readers = [f"reader{i}@example.org" for i in range(recipients - members)]
        EmailConsent.objects.bulk_create(
            [EmailConsent(address=a, topic=newsletter.topic, subscribed=True, source="bench") for a in readers],
            batch_size=5000,
        )
        suppressed = readers[::200]
        SuppressedAddress.objects.bulk_create(
            [SuppressedAddress(address=a, reason="bounce") for a in suppressed], batch_size=5000
        )
    send = NewsletterSend.objects.create(
        newsletter=newsletter, subject="The week in the Caucasus", introduction="<p>Good morning from the desk.</p>"
    )
    for position in range(4):
        SendStory.objects.create(send=send, article=ArticleFactory(), position=position)
    return send, recipients - len(suppressed)


def start_worker(log_path: Path, *, env: dict) -> subprocess.Popen:
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
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 60
    while not client.exists(f"_kombu.binding.{QUEUE}") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    return worker


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=0, help="NEWSLETTER_SEND_RATE; 0 = as fast as it goes")
    args = parser.parse_args()

    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command debug lines
    fresh_database()
    import django

    django.setup()
    import redis

    from outlet.newsletters import services
    from outlet.newsletters.models import Delivery, NewsletterSend
    from tests.newsletters.smtp_sink import free_port

    redis.Redis.from_url(REDIS_URL).flushdb()
    t = time.perf_counter()
    send, expected = make_audience(recipients=args.recipients, members=args.members)
    print(f"made {args.recipients} recipients ({args.members} members) in {time.perf_counter() - t:.1f} s")

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = os.environ | {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "NEWSLETTER_SEND_RATE": str(args.rate)}
    log_path = Path(tempfile.gettempdir()) / f"{QUEUE}.log"
    worker = start_worker(log_path, env=env)
    samples = []
    try:
        idle_rss = rss_mb(worker.pid)
        started = time.perf_counter()
        services.send_now(send=send)
        materialised_after = None
        while True:
            time.sleep(2)
            if worker.poll() is not None:
                raise SystemExit(f"the worker died:\n{log_path.read_text()[-3000:]}")
            elapsed = time.perf_counter() - started
            current = NewsletterSend.objects.get(pk=send.pk)
            if materialised_after is None and current.materialised_at:
                materialised_after = elapsed
            samples.append({"t": round(elapsed, 1), "rss_mb": rss_mb(worker.pid), "sent": sink.messages})
            print(f"  {elapsed:7.1f} s  sent {sink.messages:7d}  worker RSS {samples[-1]['rss_mb']} MB", flush=True)
            if current.status == NewsletterSend.Status.SENT:
                break
        total = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()

    current = NewsletterSend.objects.get(pk=send.pk)
    per_recipient = {}
    for recipient, _message_id in sink.seen:
        per_recipient[recipient] = per_recipient.get(recipient, 0) + 1
    sending_window = [s for s in samples if materialised_after is None or s["t"] >= materialised_after]
    rss_values = [s["rss_mb"] for s in samples]
    result = {
        "recipients": args.recipients,
        "expected_emails": expected,
        "rate_setting": args.rate,
        "seconds_total": round(total, 1),
        "seconds_to_materialise": round(materialised_after or 0, 1),
        "emails_per_second_overall": round(sink.messages / total, 1),
        "emails_per_second_while_sending": round(
            (sink.messages - (sending_window[0]["sent"] if sending_window else 0))
            / max(0.001, total - (materialised_after or 0)),
            1,
        ),
        "smtp_messages": sink.messages,
        "mb_through_smtp": round(sink.bytes / 1024 / 1024, 1),
        "distinct_recipients": len(per_recipient),
        "recipients_with_more_than_one_message_id": sum(1 for n in per_recipient.values() if n > 1),
        "sent_count": current.sent_count,
        "skipped_count": current.skipped_count,
        "failed_count": current.failed_count,
        "deliveries": Delivery.objects.filter(send=send).count(),
        "worker_rss_mb": {
            "idle_before": idle_rss,
            "min": min(rss_values),
            "max": max(rss_values),
            "first_sample": rss_values[0],
            "last_sample": rss_values[-1],
        },
        "samples": samples,
    }
    result["summary"] = {
        "recipients": args.recipients,
        "emails": sink.messages,
        "seconds_total": result["seconds_total"],
        "emails_per_second": result["emails_per_second_overall"],
        "every_recipient_once": sink.messages == expected == len(per_recipient),
        "peak_rss_mb": max(rss_values + [idle_rss]),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "newsletter_send.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        if key != "samples":
            print(f"{key:45} {value}")
    from django.db import connections

    connections.close_all()
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME)  # as its docstring promises
    assert sink.messages == expected == len(per_recipient), "every recipient once"


if __name__ == "__main__":
    main()
