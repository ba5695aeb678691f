"""Which work the beat sweeps re-derive when the broker drops an enqueue (DESIGN: "anything enqueued can be
re-derived from the database by a periodic sweep, so a Redis outage loses nothing"), checked case by case.

The broker is made to refuse exactly one kind of task at the moment it is queued (as a Redis that goes away
between a commit and its on_commit publish does); then the broker is back, beat's sweeps run, and the work must
be done, once. Tasks run eagerly here; tests/outlet/test_redis_outage.py does the same with real services."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from members import tasks as member_tasks
from members.models import Membership
from outlet.common import outbox
from outlet.common.models import OutboxTask, SentEmail
from outlet.payments import tasks as payment_tasks
from outlet.payments.models import WebhookEvent
from outlet.payments.services import requeue_stuck_events
from outlet.receipts import services as receipts
from outlet.receipts import tasks as receipt_tasks
from outlet.receipts.models import Receipt
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def broker_refuses(task):
    """Queueing `task` fails as it does when the broker cannot be reached (`delay` goes through `apply_async`);
    every other task is queued as usual."""
    original = task.apply_async

    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    task.apply_async = refused
    try:
        yield
    finally:
        task.apply_async = original


def beat_runs_the_sweeps() -> None:
    later = timezone.now() + timedelta(hours=1)
    requeue_stuck_events(now=later)
    receipts.sweep(now=later)
    outbox.sweep(now=later)


@pytest.fixture
def member_client(priced_tiers):
    client = Client()
    client.force_login(UserFactory(username="nino", email="nino@example.org"))
    return client


def test_webhook_events_the_broker_refused_are_processed_by_the_sweep(member_client):
    with broker_refuses(payment_tasks.process_webhook_event):
        paid = journey.join_and_pay(member_client)
    assert paid.status_code == 302, "the reader who paid is not shown an error"
    assert not Membership.objects.exists() and WebhookEvent.objects.filter(status="received").count() == 3

    beat_runs_the_sweeps()

    assert Membership.objects.get().status == Membership.Status.ACTIVE
    assert not WebhookEvent.objects.filter(status__in=["received", "failed"]).exists()
    assert SentEmail.objects.filter(kind="membership_welcome").count() == 1


def test_a_receipt_the_broker_refused_is_issued_and_emailed_by_the_sweep(member_client):
    with broker_refuses(receipt_tasks.issue_receipt):
        journey.join_and_pay(member_client)
    assert not Receipt.objects.exists()

    beat_runs_the_sweeps()

    assert Receipt.objects.get().emailed_at is not None
    assert SentEmail.objects.filter(kind="membership_receipt").count() == 1


def test_a_welcome_email_the_broker_refused_is_sent_by_the_sweeps(member_client):
    """Membership emails go through the outbox (outlet.common.outbox): asked for in the event's transaction, sent
    after."""
    with broker_refuses(member_tasks.send_welcome_email):
        journey.join_and_pay(member_client)
    assert Membership.objects.get().status == Membership.Status.ACTIVE

    beat_runs_the_sweeps()

    assert SentEmail.objects.filter(kind="membership_welcome").count() == 1
    assert OutboxTask.objects.get(task="members.tasks.send_welcome_email").done_at is not None
    beat_runs_the_sweeps()
    assert SentEmail.objects.filter(kind="membership_welcome").count() == 1, "a second sweep sends nothing more"


def test_the_event_that_asked_for_the_email_is_processed_even_when_the_broker_refuses_the_email(member_client):
    with broker_refuses(member_tasks.send_welcome_email):
        journey.join_and_pay(member_client)
    assert not WebhookEvent.objects.exclude(status="processed").exists(), "the email's hand-over failing fails nothing"
    assert OutboxTask.objects.get().done_at is None


def test_after_one_refused_hand_over_requests_leave_the_broker_alone_for_a_while(member_client, monkeypatch):
    """A hung broker must not cost every request its timeout: the rows wait for the sweep."""
    calls = []
    with broker_refuses(member_tasks.send_welcome_email):
        journey.join_and_pay(member_client)
    original = member_tasks.send_plan_changed_email.apply_async
    monkeypatch.setattr(member_tasks.send_plan_changed_email, "apply_async", lambda *a, **k: calls.append(a))
    member_client.post("/accounts/membership/change/", {"tier_interval": "insider|month"})
    assert calls == [], "within the rest period nothing is handed to the broker"
    assert OutboxTask.objects.filter(task="members.tasks.send_plan_changed_email", done_at=None).exists()
    monkeypatch.setattr(member_tasks.send_plan_changed_email, "apply_async", original)
    beat_runs_the_sweeps()
    assert SentEmail.objects.filter(kind="membership_plan_changed").count() == 1
