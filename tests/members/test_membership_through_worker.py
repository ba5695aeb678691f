"""Integration: a signed webhook posted to the endpoint is stored in PostgreSQL, queued through Redis, processed by
a real Celery worker process, and ends in an active membership and a sent welcome email."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Membership
from outlet.models import SentEmail
from outlet.payments.models import WebhookEvent
from outlet.payments.providers.sandbox import sign
from tests.conftest import wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_signed_webhook_becomes_an_active_membership_and_a_welcome_email_via_the_worker(celery_worker_process, priced_tiers):
    user = UserFactory(username="lasha", email="lasha@example.org")
    subscription = {
        "id": "sbx_sub_worker", "customer": "sbx_cus_worker", "status": "active", "cancel_at_period_end": False,
        "current_period_end": int((timezone.now() + timedelta(days=30)).timestamp()),
        "price": {"lookup_key": "outlet:insider:year:usd:12000", "product_name": "Insider", "interval": "year", "currency": "USD", "amount": 12000},
        "metadata": {"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": "insider"},
    }
    body = json.dumps({"id": "sbx_evt_worker", "type": "customer.subscription.created", "created": int(time.time()),
                       "data": {"object": subscription}}).encode()
    for _ in range(3):  # a provider retrying its delivery
        response = Client().post("/payments/webhooks/sandbox/", body, content_type="application/json", HTTP_SANDBOX_SIGNATURE=sign(body))
        assert response.status_code == 200

    wait_for(lambda: WebhookEvent.objects.filter(event_id="sbx_evt_worker", status="processed").exists(),
             message="the worker to process the webhook event")
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.tier.slug, membership.amount_minor, membership.currency) == ("active", "insider", 12000, "USD")

    wait_for(lambda: SentEmail.objects.filter(kind="membership_welcome", to="lasha@example.org").exists(),
             message="the worker to send the welcome email")
    mail_dir = celery_worker_process["mail_dir"]
    wait_for(lambda: mail_dir.exists() and any(mail_dir.iterdir()), message="the welcome email file")
    messages = [path.read_text() for path in mail_dir.iterdir()]
    assert len(messages) == 1, "one welcome, however often the webhook came"
    assert "To: lasha@example.org" in messages[0] and "Insider" in messages[0]
    assert WebhookEvent.objects.count() == 1
    log = celery_worker_process["log"].read_text()
    assert "process_webhook_event" in log and "send_welcome_email" in log
