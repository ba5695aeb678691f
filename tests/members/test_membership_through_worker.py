"""Integration: a signed webhook posted to the endpoint is stored in PostgreSQL, queued through Redis, processed by
a real Celery worker process, and ends in an active membership and a sent welcome email — for Stripe's signed
events (built from Stripe's example objects) and for the sandbox's."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Membership
from outlet.common.models import SentEmail
from outlet.payments import providers
from outlet.payments.models import WebhookEvent
from outlet.payments.providers.sandbox.provider import sign
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.payments import stripe_objects as so

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
STRIPE_SECRET = "whsec_integration_test"


@pytest.fixture
def stripe_keys(monkeypatch, settings):
    """Keys for this process (the web side) and, through the environment, for the worker process it starts."""
    for name, value in {"STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, "STRIPE_SECRET_KEY": "sk_test_integration"}.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, value)
    providers.reset_providers()
    yield
    providers.reset_providers()


def signed_stripe_delivery(user) -> tuple[str, bytes, dict]:
    subscription = so.subscription_payload(
        sub_id="sub_worker",
        customer="cus_worker",
        lookup_key="outlet:insider:year:usd:12000",
        interval="year",
        amount=12000,
        currency="usd",
        period_end=int((timezone.now() + timedelta(days=365)).timestamp()),
        metadata={"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": "insider"},
    )
    body = json.dumps(so.stripe_event("customer.subscription.created", subscription, event_id="evt_worker")).encode()
    return "/payments/webhooks/stripe/", body, {"HTTP_STRIPE_SIGNATURE": so.signature_header(body, STRIPE_SECRET)}


def signed_sandbox_delivery(user) -> tuple[str, bytes, dict]:
    subscription = {
        "id": "sbx_sub_worker",
        "customer": "sbx_cus_worker",
        "status": "active",
        "cancel_at_period_end": False,
        "current_period_end": int((timezone.now() + timedelta(days=365)).timestamp()),
        "price": {
            "lookup_key": "outlet:insider:year:usd:12000",
            "product_name": "Insider",
            "interval": "year",
            "currency": "USD",
            "amount": 12000,
        },
        "metadata": {"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": "insider"},
    }
    body = json.dumps(
        {
            "id": "evt_worker",
            "type": "customer.subscription.created",
            "created": int(time.time()),
            "data": {"object": subscription},
        }
    ).encode()
    return "/payments/webhooks/sandbox/", body, {"HTTP_SANDBOX_SIGNATURE": sign(body)}


@pytest.mark.parametrize("delivery", [signed_stripe_delivery, signed_sandbox_delivery], ids=["stripe", "sandbox"])
def test_a_signed_webhook_becomes_an_active_membership_and_a_welcome_email_via_the_worker(
    stripe_keys, celery_worker_process, priced_tiers, delivery
):
    user = UserFactory(username="lasha", email="lasha@example.org")
    url, body, headers = delivery(user)
    for _ in range(3):  # a provider retrying its delivery
        response = Client().post(url, body, content_type="application/json", **headers)
        assert response.status_code == 200

    wait_for(
        lambda: WebhookEvent.objects.filter(event_id="evt_worker", status="processed").exists(),
        message="the worker to process the webhook event",
    )
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.tier.slug, membership.amount_minor, membership.currency) == (
        "active",
        "insider",
        12000,
        "USD",
    )

    wait_for(
        lambda: SentEmail.objects.filter(kind="membership_welcome", to="lasha@example.org").exists(),
        message="the worker to send the welcome email",
    )
    mail_dir = celery_worker_process["mail_dir"]
    wait_for(lambda: mail_dir.exists() and any(mail_dir.iterdir()), message="the welcome email file")
    messages = [path.read_text() for path in mail_dir.iterdir()]
    assert len(messages) == 1, "one welcome, however often the webhook came"
    assert "To: lasha@example.org" in messages[0] and "Insider" in messages[0]
    assert WebhookEvent.objects.count() == 1
    log = celery_worker_process["log"].read_text()
    assert "process_webhook_event" in log and "send_welcome_email" in log
