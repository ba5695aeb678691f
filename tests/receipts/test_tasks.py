"""Receipts through real Celery worker processes on PostgreSQL and Redis: a worker killed while the mail server
holds it leaves exactly one receipt and one email once another worker takes over; a webhook delivered ten times
and replayed ten times still makes one receipt and one email."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.test import Client

from outlet.celery import app as celery_app
from outlet.common.models import SentEmail
from outlet.payments import services as payments
from outlet.payments.models import WebhookEvent
from outlet.payments.providers.sandbox.provider import sign
from outlet.receipts.models import Receipt
from tests.conftest import start_worker, wait_for
from tests.donations.conftest import give

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class SilentMailServer:
    """Accepts SMTP connections and never says a word: the worker's send hangs waiting for the greeting."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self):
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def worker_queue(real_postgres, real_redis):
    queue = f"test-receipts-{uuid.uuid4().hex[:10]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    started: list[subprocess.Popen] = []
    try:
        yield queue, started, real_redis
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


def mail_files(mail_dir: Path) -> list[str]:
    """The messages written, one string each. Django's file backend names files by second and id(backend), so
    two messages may share a file; each ends with a line of 79 dashes."""
    if not mail_dir.exists():
        return []
    return [part for path in mail_dir.iterdir() for part in path.read_text().split("-" * 79 + "\n") if part.strip()]


def queue_drained(redis_client, queue: str) -> bool:
    return redis_client.llen(queue) == 0 and redis_client.hlen("unacked") == 0


def test_a_worker_killed_while_sending_the_receipt_leaves_one_receipt_and_one_email(campaign, worker_queue, tmp_path):
    queue, started, redis_client = worker_queue
    smtp = SilentMailServer()
    try:
        first = start_worker(queue=queue, log_path=tmp_path / "first.log", email_url=f"smtp://127.0.0.1:{smtp.port}")
        started.append(first)
        give(campaign, email="nino@example.org", name="ნინო ბერიძე")

        wait_for(
            lambda: Receipt.objects.exists() and smtp.connections, message="the first worker to issue and start mailing"
        )
        assert not SentEmail.objects.exists()  # the send and its record are one transaction, still open
        os.kill(first.pid, signal.SIGKILL)  # kill -9: no cleanup, no ack, the connection to PostgreSQL just drops
        first.wait(timeout=20)

        mail_dir = tmp_path / "mail"
        second = start_worker(
            queue=queue,
            log_path=tmp_path / "second.log",
            email_url=f"filemail:///{mail_dir}",
            transport_options={"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
        )
        started.append(second)
        wait_for(lambda: len(mail_files(mail_dir)) >= 1, timeout=60, message="the second worker to send the receipt")
        wait_for(lambda: queue_drained(redis_client, queue), timeout=60, message="the queue to drain")
    finally:
        smtp.close()

    receipt = Receipt.objects.get()
    assert receipt.sequence == 1 and receipt.emailed_at is not None
    [message] = mail_files(mail_dir)
    assert "To: nino@example.org" in message and receipt.number in message
    assert SentEmail.objects.filter(kind="donation_receipt").count() == 1
    assert "issue_receipt" in (tmp_path / "second.log").read_text()


def test_a_webhook_delivered_and_replayed_ten_times_through_the_worker_makes_one_receipt_and_one_email(
    campaign, celery_worker_process, real_redis
):
    give(campaign, email="lasha@example.org")
    wait_for(
        lambda: WebhookEvent.objects.filter(type="payment.succeeded", status="processed").exists(),
        message="the payment event",
    )
    stored = WebhookEvent.objects.get(type="payment.succeeded")
    body = json.dumps(stored.payload).encode()
    for _ in range(10):
        response = Client().post(
            "/payments/webhooks/sandbox/", body, content_type="application/json", HTTP_SANDBOX_SIGNATURE=sign(body)
        )
        assert response.status_code == 200
    for replay in range(10):  # each replay runs the handler again, which asks for the receipt again
        payments.reprocess_events(webhook_event_pks=[stored.pk])
        wait_for(
            lambda replay=replay: WebhookEvent.objects.filter(
                pk=stored.pk, status="processed", attempts__gte=replay + 2
            ).exists(),
            message=f"replay {replay + 1}",
        )
    mail_dir = celery_worker_process["mail_dir"]
    wait_for(lambda: len(mail_files(mail_dir)) >= 1, message="the receipt email")
    wait_for(lambda: queue_drained(real_redis, celery_worker_process["queue"]), message="the queue to drain")
    assert Receipt.objects.count() == 1
    assert len(mail_files(mail_dir)) == 1
