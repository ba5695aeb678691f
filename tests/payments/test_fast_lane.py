"""Provider webhooks skip the reader-facing middleware, and answer exactly as they did through it."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.payments.models import WebhookEvent
from tests.payments import stripe_objects as so
from tests.payments.conftest import SECRET

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signed_event_is_stored_without_a_session_or_a_csrf_cookie(stripe_http, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.middleware.csrf import CsrfViewMiddleware

    def not_on_this_path(*args, **kwargs):
        raise AssertionError("the webhook went through the reader-facing middleware")

    monkeypatch.setattr(SessionMiddleware, "process_request", not_on_this_path)
    monkeypatch.setattr(CsrfViewMiddleware, "process_view", not_on_this_path)
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "someone-elses-session"
    client.cookies["django_language"] = "ka"
    evt = so.stripe_event("charge.succeeded", so.charge_payload(), event_id="evt_fast_lane_1", created=1_700_000_000)
    answer = so.post_stripe_event(client, evt, SECRET)
    assert answer.status_code == 200 and answer.json()["duplicate"] is False
    assert not answer.cookies, "no session, CSRF or language cookie work on the way"
    assert WebhookEvent.objects.filter(event_id="evt_fast_lane_1").count() == 1
    again = so.post_stripe_event(client, evt, SECRET)
    assert again.status_code == 200 and again.json()["duplicate"] is True


def test_refusals_read_as_before(stripe_http):
    evt = so.stripe_event("charge.succeeded", so.charge_payload(), event_id="evt_fast_lane_2", created=1_700_000_000)
    assert so.post_stripe_event(Client(), evt, "whsec_wrong").status_code == 400
    assert Client().post("/payments/webhooks/nonesuch/", b"{}", content_type="application/json").status_code == 404
    assert Client().get(so.WEBHOOK_PATH).status_code == 405  # not a POST: the usual way, and its answer
    assert Client().post("/payments/webhooks/stripe/x/", b"{}", content_type="application/json").status_code == 404
    assert not WebhookEvent.objects.filter(event_id="evt_fast_lane_2").exists()
