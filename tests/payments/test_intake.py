"""The intake and processing pipeline, provider-neutral, driven by the sandbox provider's signed events."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Membership
from outlet.payments import services
from outlet.payments.models import ReconciliationCursor, SandboxObject, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.payments.providers.sandbox import provider as sandbox_module
from outlet.payments.providers.sandbox.provider import sign
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/payments/webhooks/sandbox/"


def sandbox_event(event_type: str, obj: dict, *, event_id: str = "sbx_evt_test_1", created: int | None = None) -> bytes:
    return json.dumps(
        {"id": event_id, "type": event_type, "created": created or int(time.time()), "data": {"object": obj}}
    ).encode()


def post(body: bytes, header: str | None = None):
    headers = {} if header is None else {"HTTP_SANDBOX_SIGNATURE": header}
    return Client().post(URL, body, content_type="application/json", **headers)


def subscription_object(
    user, *, status: str = "active", sub_id: str = "sbx_sub_1", metadata: dict | None = None
) -> dict:
    return {
        "id": sub_id,
        "customer": "sbx_cus_1",
        "status": status,
        "cancel_at_period_end": False,
        "current_period_end": int((timezone.now() + timedelta(days=30)).timestamp()),
        "price": {
            "lookup_key": "outlet:supporter:month:gel:1500",
            "product_name": "Supporter",
            "interval": "month",
            "currency": "GEL",
            "amount": 1500,
        },
        "metadata": {"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": "supporter"}
        if metadata is None
        else metadata,
    }


@pytest.fixture
def user(priced_tiers):
    return UserFactory(username="tamar", email="tamar@example.org")


@pytest.mark.parametrize(
    "mangle", ["wrong secret", "tampered body", "missing header", "stale timestamp", "re-serialised"]
)
def test_a_bad_signature_is_refused_with_400_and_nothing_is_stored(user, mangle):
    body = sandbox_event("customer.subscription.created", subscription_object(user))
    header = sign(body)
    if mangle == "wrong secret":
        header = header.rsplit("=", 1)[0] + "=" + "0" * 64
    elif mangle == "tampered body":
        body = body.replace(b"1500", b"1")
    elif mangle == "missing header":
        header = None
    elif mangle == "stale timestamp":
        header = sign(body, timestamp=int(time.time()) - 301)
    elif mangle == "re-serialised":
        body = json.dumps(json.loads(body), indent=2).encode()
    response = post(body, header)
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0 and Membership.objects.count() == 0


def test_the_same_event_ten_times_is_stored_and_applied_once(user, mailoutbox):
    body = sandbox_event("customer.subscription.created", subscription_object(user))
    answers = [post(body, sign(body)) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["duplicate"] for a in answers] == [False] + [True] * 9
    assert WebhookEvent.objects.get().status == "processed"
    assert Membership.objects.get(user=user).status == "active"
    assert len(mailoutbox) == 1


def test_an_unknown_event_type_is_stored_and_ignored(user):
    body = sandbox_event("customer.tax_id.created", {"id": "txi_1"})
    assert post(body, sign(body)).status_code == 200
    assert WebhookEvent.objects.get().status == "ignored"


def test_an_event_for_another_product_on_the_account_is_stored_as_not_ours(user):
    body = sandbox_event("customer.subscription.created", subscription_object(user, metadata={"app": "shop"}))
    assert post(body, sign(body)).status_code == 200
    assert WebhookEvent.objects.get().status == "not_ours"
    assert Membership.objects.count() == 0


def test_a_newer_state_is_not_overwritten_by_an_older_event_arriving_late(user):
    now = int(time.time())
    cancelled = subscription_object(user) | {"cancel_at_period_end": True}
    for event_id, event_type, obj, created in [
        ("e2", "customer.subscription.updated", cancelled, now),
        ("e1", "customer.subscription.created", subscription_object(user), now - 5),
    ]:
        body = sandbox_event(event_type, obj, event_id=event_id, created=created)
        post(body, sign(body))
    assert Membership.objects.get(user=user).status == "cancelled"


def test_an_event_the_broker_never_got_is_queued_again_by_the_sweep(user, monkeypatch, settings):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("outlet.payments.tasks.process_webhook_event.delay", broker_down)
    body = sandbox_event("customer.subscription.created", subscription_object(user))
    assert post(body, sign(body)).status_code == 200, "the provider hears 200: the event is safely stored"
    assert WebhookEvent.objects.get().status == "received" and not Membership.objects.exists()
    monkeypatch.undo()

    settings.WEBHOOK_REQUEUE_AFTER_MINUTES = 5
    assert services.requeue_stuck_events() == 0, "too fresh to be called stuck"
    assert services.requeue_stuck_events(now=timezone.now() + timedelta(minutes=6)) == 1
    assert WebhookEvent.objects.get().status == "processed"
    assert Membership.objects.get(user=user).status == "active"


def test_a_failed_processing_is_recorded_and_retried_by_the_sweep(user, monkeypatch):
    calls = {"n": 0}
    real = services.apply_domain_event

    def flaky(event, *, webhook_event):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real(event, webhook_event=webhook_event)

    monkeypatch.setattr(services, "apply_domain_event", flaky)
    body = sandbox_event("customer.subscription.created", subscription_object(user))
    assert post(body, sign(body)).status_code == 200, "the event is stored; processing failed after the answer"
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("failed", 1) and "database hiccup" in stored.last_error
    assert not Membership.objects.exists(), "nothing half-applied"
    services.requeue_stuck_events(now=timezone.now() + timedelta(hours=1))
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == ("processed", 2)
    assert Membership.objects.get(user=user).status == "active"


def test_reconciliation_ingests_events_that_no_webhook_delivered(user, monkeypatch):
    client = Client()
    client.force_login(user)
    monkeypatch.setattr(sandbox_module, "deliver_webhook", lambda body, headers: None)  # every delivery lost
    journey.join_and_pay(client)
    assert WebhookEvent.objects.count() == 0 and not Membership.objects.exists()
    assert SandboxObject.objects.filter(kind="event").count() == 3

    assert services.reconcile_provider_events(provider_id="sandbox") == 3
    assert Membership.objects.get(user=user).status == "active"
    assert set(WebhookEvent.objects.values_list("via", "status")) == {("reconciliation", "processed")}
    assert services.reconcile_provider_events(provider_id="sandbox") == 0, "nothing new the second time"
    assert ReconciliationCursor.objects.get(provider="sandbox").last_run_ingested == 0


def test_reconciliation_finds_a_lost_event_behind_later_ones_that_did_arrive(user, monkeypatch):
    provider = get_provider("sandbox")
    services.reconcile_provider_events(provider_id="sandbox")  # nothing yet; no cursor needed
    lost = []
    real_deliver = sandbox_module.deliver_webhook

    def lose_the_first(body, headers):
        if not lost:
            lost.append(body)
            return None
        return real_deliver(body, headers)

    monkeypatch.setattr(sandbox_module, "deliver_webhook", lose_the_first)
    provider.emit("customer.subscription.created", subscription_object(user))
    provider.emit("customer.subscription.updated", subscription_object(user) | {"cancel_at_period_end": True})
    assert WebhookEvent.objects.count() == 1
    assert services.reconcile_provider_events(provider_id="sandbox") == 1
    assert WebhookEvent.objects.count() == 2
    assert Membership.objects.get(user=user).status == "cancelled", "the late 'created' did not undo the newer state"


def test_the_webhook_endpoint_only_knows_its_providers_and_only_takes_post(user):
    assert Client().post("/payments/webhooks/paypal/", b"{}", content_type="application/json").status_code == 404
    assert Client().get(URL).status_code == 405


def test_the_sandbox_pages_do_not_exist_when_stripe_is_the_provider(user, settings):
    client = Client()
    client.force_login(user)
    checkout_url = journey.join(client)["Location"]
    settings.PAYMENT_PROVIDER = "stripe"
    assert client.get(checkout_url).status_code == 404
    assert client.post(checkout_url, {"choice": "pay"}).status_code == 404
    assert not Membership.objects.exists()


def test_a_paid_invoice_before_an_older_subscription_event_still_gets_the_plan_details(user):
    now = int(time.time())
    invoice = {
        "id": "sbx_in_1",
        "customer": "sbx_cus_1",
        "subscription": "sbx_sub_1",
        "amount": 1500,
        "currency": "GEL",
        "email": user.email,
        "description": "Supporter",
        "period_end": now + 30 * 86400,
        "metadata": {"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": "supporter"},
    }
    for event_id, event_type, obj, created in [
        ("e-invoice", "payment.succeeded", invoice, now),
        ("e-created", "customer.subscription.created", subscription_object(user), now - 2),
    ]:
        body = sandbox_event(event_type, obj, event_id=event_id, created=created)
        post(body, sign(body))
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.interval, membership.amount_minor) == ("active", "month", 1500)


def test_an_old_subscription_ending_does_not_end_a_comp_and_a_new_paid_one_replaces_it(user):
    from members.models import Tier
    from members.services import comp_membership

    comp_membership(user=user, tier=Tier.objects.get(slug="insider"), until=None, staff_user=None)
    ended = subscription_object(user, status="canceled", sub_id="sbx_sub_old")
    body = sandbox_event("customer.subscription.deleted", ended, event_id="e-old-ended")
    post(body, sign(body))
    membership = Membership.objects.get(user=user)
    assert (membership.source, membership.status) == ("comp", "active")

    body = sandbox_event(
        "customer.subscription.created", subscription_object(user, sub_id="sbx_sub_new"), event_id="e-new"
    )
    post(body, sign(body))
    membership.refresh_from_db()
    assert (membership.source, membership.status, membership.provider_subscription_id) == (
        "paid",
        "active",
        "sbx_sub_new",
    )


def test_an_event_for_an_account_deleted_since_is_stored_and_changes_nothing(user):
    obj = subscription_object(user)
    user.delete()
    body = sandbox_event("customer.subscription.created", obj)
    assert post(body, sign(body)).status_code == 200
    assert WebhookEvent.objects.get().status == "not_ours"
    assert not Membership.objects.exists()


def test_the_sweep_queues_a_stuck_event_once_per_interval_not_on_every_run(user, monkeypatch, settings):
    queued = []
    monkeypatch.setattr(services, "queue_event_processing", queued.append)
    body = sandbox_event("customer.subscription.created", subscription_object(user))
    post(body, sign(body))
    stored = WebhookEvent.objects.get()
    later = timezone.now() + timedelta(minutes=settings.WEBHOOK_REQUEUE_AFTER_MINUTES + 1)
    assert services.requeue_stuck_events(now=later) == 1
    assert services.requeue_stuck_events(now=later + timedelta(minutes=1)) == 0, "still queued behind others"
    assert services.requeue_stuck_events(now=later + timedelta(minutes=settings.WEBHOOK_REQUEUE_AFTER_MINUTES + 1)) == 1
    assert queued == [stored.pk] * 3  # the intake once, then the sweep twice


def test_nothing_can_be_posted_as_the_sandbox_where_stripe_is_the_provider(settings):
    body = json.dumps(
        {"id": "sbx_evt_forged", "type": "payment.succeeded", "created": int(time.time()), "data": {"object": {}}}
    ).encode()
    settings.PAYMENT_PROVIDER = "stripe"
    response = Client().post(URL, body, content_type="application/json", HTTP_SANDBOX_SIGNATURE=sign(body))
    assert response.status_code == 404 and not WebhookEvent.objects.exists()


def test_the_sandbox_signs_with_a_key_of_its_own_not_the_secret_key(settings):
    from django.conf import settings as live

    assert live.SANDBOX_WEBHOOK_SECRET and live.SANDBOX_WEBHOOK_SECRET != live.SECRET_KEY
