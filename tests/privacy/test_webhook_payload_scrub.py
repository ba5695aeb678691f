"""Provider events keep the payer's details only for the payload retention period; then the daily task blanks
them, a batch at a time, and a second run finds nothing new to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outlet.celery import app
from outlet.payments.models import WebhookEvent
from outlet.privacy import services
from outlet.privacy.models import PayloadScrubCursor

pytestmark = pytest.mark.django_db


def event(n: int, *, days_old: int) -> WebhookEvent:
    row = WebhookEvent.objects.create(
        provider="stripe",
        event_id=f"evt_{n}",
        type="invoice.paid",
        created_at_provider=timezone.now(),
        payload={"data": {"object": {"id": f"in_{n}", "customer_email": f"payer{n}@example.org", "amount_paid": 900}}},
    )
    WebhookEvent.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(days=days_old))
    return row


def test_old_payloads_lose_payer_details_and_recent_ones_keep_them(settings):
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 90
    old = [event(n, days_old=120) for n in range(5)]
    recent = event(99, days_old=10)

    assert services.scrub_old_webhook_payloads(batch_size=2) == 5
    for row in old:
        row.refresh_from_db()
        obj = row.payload["data"]["object"]
        assert obj["customer_email"] == "" and obj["amount_paid"] == 900 and obj["id"].startswith("in_")
    recent.refresh_from_db()
    assert recent.payload["data"]["object"]["customer_email"] == "payer99@example.org"
    assert services.scrub_old_webhook_payloads() == 0  # the cursor remembers how far it went
    assert PayloadScrubCursor.objects.get().last_event_id == old[-1].pk


def test_the_scrub_runs_daily_from_celery_beat():
    entry = app.conf.beat_schedule["scrub-old-webhook-payloads"]
    assert entry["task"] == "outlet.privacy.tasks.scrub_old_webhook_payloads"
    assert "outlet.privacy.tasks.expire_exports" in {e["task"] for e in app.conf.beat_schedule.values()}
