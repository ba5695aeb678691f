"""A newsletter send through real Celery worker processes on PostgreSQL and Redis into a real SMTP server: the first
worker is killed with SIGKILL while the server holds its message, a second worker takes over, and every recipient
ends up with exactly one message (by Message-ID).

What "exactly once" means here, honestly (outlet/newsletters/sending.py): the message the worker was handing over
when it died may have been accepted; it is sent again with the SAME Message-ID, so the server may see it twice
while the reader's mail client shows one message. That is at most one repeated message per killed worker, and
never a skipped recipient: this test kills at the worst moment and checks both bounds."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections import Counter

import pytest

from outlet.celery import app as celery_app
from outlet.common.models import EmailConsent
from outlet.newsletters import services
from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend, SendStory
from tests.conftest import start_worker, wait_for
from tests.factories import ArticleFactory
from tests.newsletters.smtp_sink import Sink

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 300
KILL_AT = 120  # the worker dies while the server holds its 120th message, before the server's "250 OK"


@pytest.fixture
def worker_queue(real_postgres, real_redis, monkeypatch):
    queue = f"test-{uuid.uuid4().hex[:10]}"
    # The workers inherit these: a fast pace, small batches, and claims that go stale after 3 seconds.
    monkeypatch.setenv("NEWSLETTER_SEND_RATE", "200")
    monkeypatch.setenv("NEWSLETTER_CLAIM_BATCH", "40")
    monkeypatch.setenv("NEWSLETTER_CLAIM_TIMEOUT", "3")
    monkeypatch.setenv("SITE_URL", "https://ledger.example")
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    started: list[subprocess.Popen] = []
    try:
        yield queue, started
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        celery_app.conf.task_default_queue = previous
        celery_app.conf.task_always_eager = True


def test_a_send_killed_mid_way_and_resumed_reaches_every_recipient_once(worker_queue, tmp_path):
    queue, started = worker_queue
    newsletter = Newsletter.objects.create(name="The Weekly", slug="weekly")
    addresses = [f"reader{n:04d}@example.org" for n in range(RECIPIENTS)]
    EmailConsent.objects.bulk_create(
        EmailConsent(address=a, topic=newsletter.topic, subscribed=True, source="test") for a in addresses
    )
    send = NewsletterSend.objects.create(newsletter=newsletter, subject="This week")
    SendStory.objects.create(send=send, article=ArticleFactory())

    first: list[subprocess.Popen] = []

    def kill_the_first_worker(count: int) -> None:
        if count == KILL_AT:
            os.kill(first[0].pid, signal.SIGKILL)  # no cleanup, no ack; the server has the message, no 250 yet
            first[0].wait(timeout=20)

    with Sink(on_message=kill_the_first_worker) as sink:
        first.append(start_worker(queue=queue, log_path=tmp_path / "first.log", email_url=sink.url))
        started.append(first[0])
        services.send_now(send=send)  # autocommit: handed to the broker at once
        wait_for(lambda: first[0].poll() is not None, timeout=90, message="the first worker to be killed mid-send")
        assert Delivery.objects.filter(send=send, status=Delivery.Status.SENDING).count() == 1  # its one in flight
        halfway = Delivery.objects.filter(send=send, status=Delivery.Status.SENT).count()
        assert 0 < halfway < RECIPIENTS

        second = start_worker(
            queue=queue,
            log_path=tmp_path / "second.log",
            email_url=sink.url,
            transport_options={"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
        )
        started.append(second)
        wait_for(
            lambda: NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.SENT,
            timeout=120,
            message="the second worker to finish the send",
        )
        received = list(sink.received)

    distinct = set(received)
    per_recipient = Counter(recipient for recipient, _message_id in distinct)
    assert set(per_recipient) == set(addresses)  # nobody skipped
    assert set(per_recipient.values()) == {1}  # one message each, by Message-ID
    assert len(received) - len(distinct) <= 1  # at most the one in flight when the worker died, repeated
    send.refresh_from_db()
    assert (send.sent_count, send.failed_count, send.skipped_count) == (RECIPIENTS, 0, 0)
    repeated = Delivery.objects.get(send=send, attempts=2)
    assert "Sent again" in repeated.error
