"""What the payment pipeline gave up on reaches a person: a warning on /healthz (never a 503), a notice on the admin
home page, the event's page says what it waits for, and staff can set a hand-settled one aside."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from outlet.payments.models import WebhookEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = WebhookEvent.Status


def _event(event_id: str, status: str, **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider="stripe",
        event_id=event_id,
        type="charge.refunded",
        payload={"id": event_id},
        created_at_provider=timezone.now(),
        status=status,
        **fields,
    )


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_healthz_warns_about_events_needing_staff_without_failing():
    assert Client().get("/healthz").json()["status"] == "ok"
    _event("evt_unmatched", Status.UNMATCHED, waiting_for="ch_1")
    _event("evt_failed", Status.FAILED, attempts=10, last_error="boom")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "warn"
    assert response.json()["warnings"] == {"payment_events_needing_staff": {"unmatched": 1, "failed": 1}}


def test_the_admin_home_names_them_and_staff_set_a_settled_one_aside(admin_client):
    event = _event("evt_unmatched", Status.UNMATCHED, waiting_for="ch_1,in_1", retry_at=None)
    home = admin_client.get("/admin/").content.decode()
    assert "1 refund or dispute whose payment never arrived" in home
    page = admin_client.get(f"/admin/payments/webhookevent/{event.pk}/change/").content.decode()
    assert "ch_1, in_1" in page
    changelist = "/admin/payments/webhookevent/"
    confirm = admin_client.post(changelist, {"action": "set_aside", "_selected_action": [event.pk]})
    assert "Set these events aside?" in confirm.content.decode()
    admin_client.post(
        changelist,
        {
            "action": "set_aside",
            "_selected_action": [event.pk],
            "confirmed": "yes",
            "note": "refunded by hand in Stripe",
        },
    )
    event.refresh_from_db()
    assert event.status != Status.UNMATCHED and "refunded by hand in Stripe" in event.last_error
    assert "payment never arrived" not in admin_client.get("/admin/").content.decode()
