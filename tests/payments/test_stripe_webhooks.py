"""The Stripe integration through the front door: signed events built from Stripe's own example objects are POSTed
to /payments/webhooks/stripe/, processed by the real intake, task and handlers (eagerly, after real commits), and
the tests look at rows and emails only. Duplicates and out-of-order delivery: test_stripe_webhook_ordering.py.

The Stripe provider is the real StripeProvider with its HTTP client replaced by a RecordingHTTPClient, so the few
calls processing makes (the InvoicePayment lookup behind a refunded or disputed charge, the event list for
reconciliation) are answered from fixture objects and asserted on the wire."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import stripe
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from members import lifecycle as member_lifecycle
from members import services as member_services
from members.models import MemberEvent, Membership, MembershipCheckout
from outlet.common.models import SentEmail
from outlet.payments import services, waiting
from outlet.payments.models import Payment, ProviderCustomer, ReconciliationCursor, WebhookEvent
from tests.payments import stripe_objects as so
from tests.payments.conftest import SECRET

# Real commits: the intake queues processing with transaction.on_commit, exactly as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SUPPORTER_MONTH_GEL = "outlet:supporter:month:gel:1500"
INSIDER_YEAR_GEL = "outlet:insider:year:gel:30000"
PERIOD_END = datetime.fromtimestamp(so.DEFAULT_PERIOD_END, tz=UTC)
WELCOME = "membership_welcome"
PAYMENT_FAILED = "membership_payment_failed"


# --- Helpers (the ordering module imports these; the fixtures are in conftest.py) ---------------------------


def ours(user, tier: str = "supporter", **extra: str) -> dict[str, str]:
    return {"outlet_purpose": "membership", "outlet_user": str(user.pk), "outlet_tier": tier, **extra}


def subscription(user, **overrides):
    overrides.setdefault("metadata", ours(user))
    overrides.setdefault("lookup_key", SUPPORTER_MONTH_GEL)
    return so.subscription_payload(**overrides)


def paid_invoice(user, **overrides):
    overrides.setdefault("metadata", ours(user))
    overrides.setdefault("customer_email", user.email)
    return so.invoice_paid_payload(**overrides)


def failed_invoice(user, **overrides):
    overrides.setdefault("metadata", ours(user))
    overrides.setdefault("customer_email", user.email)
    return so.invoice_failed_payload(**overrides)


def completed_checkout(user, **overrides):
    overrides.setdefault("metadata", ours(user, outlet_checkout=overrides.get("reference", "ref_test_1")))
    overrides.setdefault("customer_email", user.email)
    return so.checkout_completed_payload(**overrides)


def subscription_charge(**overrides):
    """The charge of a subscription invoice: Stripe copies none of the subscription's metadata onto it."""
    overrides.setdefault("metadata", {})
    return so.charge_payload(**overrides)


def event(event_type: str, obj: dict, *, event_id: str, created: int) -> dict:
    return so.stripe_event(event_type, obj, event_id=event_id, created=created)


def deliver(evt: dict, *, times: int = 1) -> list:
    """POST the signed event as Stripe would, `times` times; every answer must be 200."""
    answers = [so.post_stripe_event(Client(), evt, SECRET) for _ in range(times)]
    assert [a.status_code for a in answers] == [200] * times, [a.content for a in answers]
    return answers


def stored(event_id: str) -> WebhookEvent:
    return WebhookEvent.objects.get(provider="stripe", event_id=event_id)


def invoice_payments_answer(http, *, invoice: str = "in_test_1", payment_intent: str = "pi_test_1", amount: int = 1500):
    """Stripe's answer to GET /v1/invoice_payments?payment[payment_intent]=...: the invoice that intent paid."""
    http.respond(
        so.list_payload(
            [so.invoice_payment_payload(invoice=invoice, payment_intent=payment_intent, amount=amount)],
            url="/v1/invoice_payments",
        ),
        method="GET",
        path="/v1/invoice_payments",
    )


def assert_invoice_payment_lookup(request, *, payment_intent: str = "pi_test_1") -> None:
    assert (request.method, request.path) == ("GET", "/v1/invoice_payments")
    assert request.params == {
        "payment[type]": "payment_intent",
        "payment[payment_intent]": payment_intent,
        "limit": "10",
    }


def mails(mailoutbox, kind: str) -> list:
    marker = {WELCOME: "welcome, you are a member", PAYMENT_FAILED: "payment did not go through"}[kind]
    return [m for m in mailoutbox if marker in m.subject]


def kinds(user) -> Counter:
    return Counter(MemberEvent.objects.filter(user=user).values_list("kind", flat=True))


def snapshot(user, mailoutbox) -> dict:
    """Everything a delivery may change, to compare end states."""
    membership = (
        Membership.objects.filter(user=user)
        .values(
            "status",
            "source",
            "tier__slug",
            "interval",
            "currency",
            "amount_minor",
            "current_period_end",
            "cancel_at_period_end",
            "grace_until",
            "ended_at",
            "provider",
            "provider_customer_id",
            "provider_subscription_id",
        )
        .first()
    )
    return {
        "membership": membership,
        "payments": list(
            Payment.objects.order_by("provider_ref").values_list(
                "provider_ref", "purpose", "user_id", "amount_minor", "currency", "status", "amount_refunded_minor"
            )
        ),
        "customers": list(ProviderCustomer.objects.values_list("provider", "customer_id", "user_id")),
        "checkouts": list(MembershipCheckout.objects.values_list("reference", "completed_at")),
        "emails": sorted(SentEmail.objects.values_list("kind", "to")),
        "outbox": sorted((m.subject, tuple(m.to)) for m in mailoutbox),
    }


def membership_checkout(user, tiers, reference: str = "ref_test_1") -> MembershipCheckout:
    return MembershipCheckout.objects.create(
        reference=reference,
        user=user,
        tier=tiers["supporter"],
        interval="month",
        currency="GEL",
        amount_minor=1500,
        provider="stripe",
        provider_session_id="cs_test_1",
    )


# --- checkout.session.completed -----------------------------------------------------------------------------


def test_a_completed_checkout_links_the_customer_and_completes_the_attempt_but_makes_no_member(
    user, priced_tiers, t0, mailoutbox
):
    attempt = membership_checkout(user, priced_tiers)

    deliver(
        event(
            "checkout.session.completed",
            completed_checkout(user, reference="ref_test_1", customer="cus_lela"),
            event_id="evt_checkout",
            created=t0,
        )
    )

    assert stored("evt_checkout").status == "processed"
    assert list(ProviderCustomer.objects.values_list("provider", "customer_id", "user_id")) == [
        ("stripe", "cus_lela", user.pk)
    ]
    attempt.refresh_from_db()
    assert attempt.completed_at == datetime.fromtimestamp(t0, tz=UTC)
    assert kinds(user) == Counter({"checkout_completed": 1})
    assert not Membership.objects.exists(), "finishing the hosted page is not proof of payment"
    assert not Payment.objects.exists() and mailoutbox == []


def test_a_completed_checkout_without_a_matching_attempt_still_links_the_customer(user, t0):
    deliver(
        event(
            "checkout.session.completed",
            completed_checkout(user, reference="ref_unknown"),
            event_id="evt_checkout",
            created=t0,
        )
    )
    assert stored("evt_checkout").status == "processed"
    assert ProviderCustomer.objects.get().customer_id == "cus_test_1"
    assert not MemberEvent.objects.exists() and not Membership.objects.exists()


# --- customer.subscription.created / updated / deleted ------------------------------------------------------


def test_an_active_subscription_makes_a_member_from_its_item_and_sends_one_welcome(user, t0, mailoutbox):
    deliver(
        event(
            "customer.subscription.created", subscription(user, customer="cus_lela"), event_id="evt_created", created=t0
        )
    )

    assert stored("evt_created").status == "processed"
    membership = Membership.objects.get(user=user)
    assert (
        membership.status,
        membership.source,
        membership.tier.slug,
        membership.interval,
        membership.currency,
        membership.amount_minor,
    ) == ("active", "paid", "supporter", "month", "GEL", 1500)
    assert membership.current_period_end == PERIOD_END
    assert (membership.provider, membership.provider_customer_id, membership.provider_subscription_id) == (
        "stripe",
        "cus_lela",
        "sub_test_1",
    )
    assert membership.started_at == datetime.fromtimestamp(t0, tz=UTC) and not membership.cancel_at_period_end
    assert ProviderCustomer.objects.get().user_id == user.pk
    (welcome,) = mails(mailoutbox, WELCOME)
    assert welcome.to == ["lela@example.org"]
    assert "Supporter" in welcome.body and "GEL\u00a015 / monthly" in welcome.body and "1 January 2027" in welcome.body
    assert kinds(user) == Counter({"joined": 1, "email_sent": 1})
    assert not Payment.objects.exists(), "a subscription event records no payment: invoice.paid does"


def test_an_incomplete_subscription_grants_nothing_yet(user, t0, mailoutbox):
    deliver(
        event(
            "customer.subscription.created", subscription(user, status="incomplete"), event_id="evt_created", created=t0
        )
    )
    assert stored("evt_created").status == "processed"
    assert not Membership.objects.exists() and mailoutbox == []


def test_cancelling_at_period_end_keeps_access_as_cancelled(user, t0, mailoutbox):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "customer.subscription.updated",
            subscription(user, cancel_at_period_end=True),
            event_id="evt_cancel",
            created=t0 + 60,
        )
    )

    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.cancel_at_period_end, membership.current_period_end) == (
        "cancelled",
        True,
        PERIOD_END,
    )
    assert member_services.reader_standing(user=user).is_member
    assert kinds(user)["cancel_requested"] == 1
    assert len(mails(mailoutbox, WELCOME)) == 1

    deliver(event("customer.subscription.updated", subscription(user), event_id="evt_resume", created=t0 + 120))
    membership.refresh_from_db()
    assert (membership.status, membership.cancel_at_period_end) == ("active", False)
    assert kinds(user)["resumed"] == 1


def test_a_price_change_changes_the_tier_interval_and_amount(user, t0):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    later_end = so.DEFAULT_PERIOD_END + 365 * so.DAY
    upgraded = subscription(
        user,
        lookup_key=INSIDER_YEAR_GEL,
        interval="year",
        amount=30000,
        price_id="price_insider_year",
        period_end=later_end,
    )
    deliver(event("customer.subscription.updated", upgraded, event_id="evt_upgrade", created=t0 + 60))

    membership = Membership.objects.get(user=user)
    assert (
        membership.status,
        membership.tier.slug,
        membership.interval,
        membership.amount_minor,
        membership.currency,
    ) == ("active", "insider", "year", 30000, "GEL")
    assert membership.current_period_end == datetime.fromtimestamp(later_end, tz=UTC)
    assert MemberEvent.objects.get(user=user, kind="plan_changed").summary == "Plan changed to Insider, yearly"


def test_a_past_due_subscription_keeps_access_through_the_grace_period(user, t0, settings):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "customer.subscription.updated",
            subscription(user, status="past_due"),
            event_id="evt_past_due",
            created=t0 + 60,
        )
    )

    membership = Membership.objects.get(user=user)
    assert membership.status == "past_due"
    assert membership.grace_until == datetime.fromtimestamp(t0 + 60, tz=UTC) + timedelta(
        days=settings.MEMBERSHIP_GRACE_DAYS
    )
    assert member_services.reader_standing(user=user).is_member
    assert kinds(user)["payment_failed"] == 1


def test_a_deleted_subscription_lapses_the_membership(user, t0):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "customer.subscription.deleted",
            subscription(user, status="canceled"),
            event_id="evt_deleted",
            created=t0 + 60,
        )
    )

    assert stored("evt_deleted").status == "processed"
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.cancel_at_period_end) == ("lapsed", False)
    assert membership.ended_at == datetime.fromtimestamp(t0 + 60, tz=UTC)
    assert member_services.reader_standing(user=user).audience is member_services.Audience.LAPSED
    assert kinds(user)["lapsed"] == 1


# --- invoice.paid / invoice.payment_failed ------------------------------------------------------------------


def test_a_paid_invoice_records_the_payment_and_extends_the_period(user, t0, mailoutbox):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    next_end = so.DEFAULT_PERIOD_END + 31 * so.DAY
    renewal = paid_invoice(
        user,
        invoice_id="in_renewal",
        period_start=so.DEFAULT_PERIOD_END,
        period_end=next_end,
        billing_reason="subscription_cycle",
    )
    deliver(event("invoice.paid", renewal, event_id="evt_paid", created=t0 + 60))

    assert stored("evt_paid").status == "processed"
    payment = Payment.objects.get()
    assert (
        payment.provider,
        payment.provider_ref,
        payment.purpose,
        payment.user_id,
        payment.amount_minor,
        payment.currency,
        payment.status,
        payment.subscription_id,
        payment.customer_id,
    ) == ("stripe", "in_renewal", "membership", user.pk, 1500, "GEL", "succeeded", "sub_test_1", "cus_test_1")
    assert payment.paid_at == datetime.fromtimestamp(t0 + 60, tz=UTC)
    assert payment.provider_receipt_url == "https://invoice.stripe.com/i/test_1"
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.current_period_end) == ("active", datetime.fromtimestamp(next_end, tz=UTC))
    assert MemberEvent.objects.get(user=user, kind="renewed").summary == "Payment of GEL\u00a015 received"
    assert len(mails(mailoutbox, WELCOME)) == 1, "a renewal is not a second welcome"


def test_a_paid_invoice_before_the_subscription_event_makes_the_member_once(user, t0, mailoutbox):
    # The subscription was created (active) a second before its first invoice was paid; the invoice arrives first.
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1))

    membership = Membership.objects.get(user=user)
    assert (
        membership.status,
        membership.tier.slug,
        membership.currency,
        membership.amount_minor,
        membership.current_period_end,
        membership.provider_subscription_id,
    ) == ("active", "supporter", "GEL", 1500, PERIOD_END, "sub_test_1")
    assert Payment.objects.get().user_id == user.pk
    (welcome,) = mails(mailoutbox, WELCOME)
    assert "Supporter, GEL\u00a015." in welcome.body, "a paying member is never told the membership is complimentary"

    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    membership.refresh_from_db()
    # The older subscription event is the first full view of the subscription: it is not dropped as "older".
    assert (membership.status, membership.interval, membership.current_period_end) == ("active", "month", PERIOD_END)
    assert Payment.objects.count() == 1
    assert len(mails(mailoutbox, WELCOME)) == 1
    assert kinds(user) == Counter({"joined": 1, "renewed": 1, "email_sent": 1}), (
        "learning the interval is no plan change"
    )
    assert {stored("evt_paid").status, stored("evt_created").status} == {"processed"}

    deliver(
        event(
            "customer.subscription.updated", subscription(user, status="past_due"), event_id="evt_old", created=t0 - 60
        )
    )
    assert Membership.objects.get(user=user).status == "active", (
        "once a subscription view is held, older events are ignored again"
    )


@pytest.mark.date_sensitive
def test_a_failed_invoice_makes_the_member_past_due_and_sends_one_email(user, t0, mailoutbox, settings):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(
        event(
            "invoice.payment_failed",
            failed_invoice(user, invoice_id="in_renewal", attempt_count=1),
            event_id="evt_failed",
            created=t0 + 60,
        )
    )

    assert stored("evt_failed").status == "processed"
    membership = Membership.objects.get(user=user)
    grace_until = datetime.fromtimestamp(t0 + 60, tz=UTC) + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
    assert (membership.status, membership.grace_until) == ("past_due", grace_until)
    (failed,) = mails(mailoutbox, PAYMENT_FAILED)
    # The email gives the last day in the newsroom's time zone: from 20:00 UTC that is already tomorrow's date.
    assert failed.to == ["lela@example.org"] and f"{timezone.localtime(grace_until):%-d %B %Y}" in failed.body
    assert MemberEvent.objects.get(user=user, kind="payment_failed").summary.startswith("Payment failed (attempt 1)")
    assert not Payment.objects.exists()


def test_a_failed_first_invoice_makes_nobody_a_member(user, t0, mailoutbox):
    deliver(
        event(
            "invoice.payment_failed",
            failed_invoice(user, billing_reason="subscription_create"),
            event_id="evt_failed",
            created=t0,
        )
    )
    assert stored("evt_failed").status == "processed"
    assert not Membership.objects.exists() and mailoutbox == []


# --- charge.refunded / charge.dispute.created ---------------------------------------------------------------


@pytest.fixture
def paying_member(user, t0):
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))
    deliver(event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1))
    assert Payment.objects.get().provider_ref == "in_test_1"
    return user


def test_a_refunded_subscription_charge_is_matched_to_its_invoice_partially_then_fully(paying_member, stripe_http, t0):
    user = paying_member
    invoice_payments_answer(stripe_http)
    deliver(
        event("charge.refunded", subscription_charge(amount_refunded=500), event_id="evt_refund_1", created=t0 + 60)
    )

    assert stored("evt_refund_1").status == "processed"
    (lookup,) = stripe_http.requests
    assert_invoice_payment_lookup(lookup)
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded_minor) == ("partially_refunded", 500)
    assert MemberEvent.objects.get(user=user, kind="refunded").summary == "Refunded GEL\u00a05 of GEL\u00a015"

    invoice_payments_answer(stripe_http)
    deliver(
        event("charge.refunded", subscription_charge(amount_refunded=1500), event_id="evt_refund_2", created=t0 + 120)
    )

    assert stored("evt_refund_2").status == "processed"
    assert_invoice_payment_lookup(stripe_http.last())
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded_minor) == ("refunded", 1500)
    assert list(
        MemberEvent.objects.filter(user=user, kind="refunded").order_by("pk").values_list("summary", flat=True)
    ) == ["Refunded GEL\u00a05 of GEL\u00a015", "Refunded GEL\u00a015 of GEL\u00a015"]
    assert Membership.objects.get(user=user).status == "active", "access after a refund is a staff decision"


def test_a_disputed_subscription_charge_marks_the_payment_disputed(paying_member, stripe_http, t0):
    user = paying_member
    invoice_payments_answer(stripe_http)
    deliver(
        event(
            "charge.dispute.created", so.dispute_payload(reason="fraudulent"), event_id="evt_dispute", created=t0 + 60
        )
    )

    assert stored("evt_dispute").status == "processed"
    assert_invoice_payment_lookup(stripe_http.last())
    assert Payment.objects.get().status == "disputed"
    assert MemberEvent.objects.get(user=user, kind="disputed").summary == "Payment of GEL\u00a015 disputed (fraudulent)"


# --- Bad signatures ------------------------------------------------------------------------------------------


def _signed_body(user) -> bytes:
    return json.dumps(
        event("invoice.paid", paid_invoice(user), event_id="evt_signed", created=int(time.time()))
    ).encode()


@pytest.mark.parametrize(
    "mangle", ["wrong secret", "tampered body", "missing header", "stale timestamp", "re-serialised"]
)
def test_a_bad_signature_is_refused_with_400_and_nothing_is_stored(user, mangle):
    body = _signed_body(user)
    header: str | None = so.signature_header(body, SECRET)
    if mangle == "wrong secret":
        header = so.signature_header(body, "whsec_someone_else")
    elif mangle == "tampered body":
        assert b'"amount_paid": 1500' in body
        body = body.replace(b'"amount_paid": 1500', b'"amount_paid": 1')
    elif mangle == "missing header":
        header = None
    elif mangle == "stale timestamp":
        header = so.signature_header(body, SECRET, timestamp=int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 5)
    elif mangle == "re-serialised":
        body = json.dumps(json.loads(body), indent=2).encode()
    extra = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}

    response = Client().post(so.WEBHOOK_PATH, body, content_type="application/json", **extra)

    assert response.status_code == 400 and response.json()["error"].startswith("refused: ")
    assert not WebhookEvent.objects.exists()
    assert not Membership.objects.exists() and not Payment.objects.exists()


def test_the_same_body_with_a_good_signature_is_accepted(user):
    body = _signed_body(user)
    header = so.signature_header(body, SECRET, timestamp=int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE + 30)
    response = Client().post(so.WEBHOOK_PATH, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False, "id": "evt_signed"}
    assert stored("evt_signed").status == "processed"


# --- Unknown types and objects that are not ours ------------------------------------------------------------


def test_stripes_own_example_event_is_stored_and_ignored(user):
    example = so.stripe_object("event")  # plan.created, exactly as Stripe documents it
    response = so.post_stripe_event(Client(), example, SECRET)
    assert response.status_code == 200 and response.json()["duplicate"] is False
    assert stored(example["id"]).type == "plan.created"
    assert stored(example["id"]).status == "ignored"


def test_an_unhandled_event_type_is_stored_and_ignored(user, t0):
    tax_id = so.stripe_object("tax_id", customer="cus_test_1")
    deliver(event("customer.tax_id.created", tax_id, event_id="evt_tax_id", created=t0))
    assert (stored("evt_tax_id").type, stored("evt_tax_id").status) == ("customer.tax_id.created", "ignored")
    assert not ProviderCustomer.objects.exists() and not MemberEvent.objects.exists()


def _foreign(kind: str, http) -> tuple[str, dict]:
    """An object some other product on the same Stripe account made: none of our metadata, a customer we never saw."""
    if kind == "checkout.session.completed":
        return kind, so.checkout_completed_payload(
            customer="cus_shop", subscription_id="sub_shop", metadata={"app": "shop"}
        )
    if kind.startswith("customer.subscription."):
        status = "canceled" if kind.endswith("deleted") else "active"
        return kind, so.subscription_payload(
            sub_id="sub_shop", customer="cus_shop", status=status, lookup_key="shop-monthly", metadata={"app": "shop"}
        )
    if kind == "invoice.paid":
        return kind, so.invoice_paid_payload(
            invoice_id="in_shop", customer="cus_shop", subscription_id="sub_shop", metadata={"app": "shop"}
        )
    if kind == "invoice.paid (one-off)":
        return "invoice.paid", so.invoice_paid_payload(invoice_id="in_shop", customer="cus_shop", subscription_id=None)
    if kind == "invoice.payment_failed":
        return kind, so.invoice_failed_payload(
            invoice_id="in_shop", customer="cus_shop", subscription_id="sub_shop", metadata={"app": "shop"}
        )
    # A charge or dispute we hold no payment for: Stripe is asked which invoice it paid, and it paid none of ours.
    http.respond(so.list_payload([], url="/v1/invoice_payments"), method="GET", path="/v1/invoice_payments")
    if kind == "charge.refunded":
        return kind, so.charge_payload(
            charge_id="ch_shop",
            payment_intent="pi_shop",
            customer="cus_shop",
            amount_refunded=1500,
            metadata={"app": "shop"},
        )
    return kind, so.dispute_payload(dispute_id="dp_shop", charge="ch_shop", payment_intent="pi_shop")


@pytest.mark.parametrize(
    "kind",
    [
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.paid (one-off)",
        "invoice.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
    ],
)
def test_an_object_that_is_not_ours_is_stored_as_not_ours_and_changes_nothing(user, stripe_http, t0, kind, mailoutbox):
    event_type, obj = _foreign(kind, stripe_http)
    deliver(event(event_type, obj, event_id="evt_foreign", created=t0))
    if kind.startswith("charge."):
        # A refund or dispute naming no payment we hold may be ours arriving early: it waits, then is given up.
        assert stored("evt_foreign").status == "waiting"
        with time_machine.travel(timezone.now() + waiting.wait_for_payment() + timedelta(minutes=1), tick=False):
            services.requeue_stuck_events()

    assert stored("evt_foreign").status == "not_ours"
    assert not Membership.objects.exists() and not Payment.objects.exists()
    assert not ProviderCustomer.objects.exists() and not MemberEvent.objects.exists() and mailoutbox == []
    if kind.startswith("charge."):
        assert_invoice_payment_lookup(stripe_http.last(), payment_intent="pi_shop")


# --- Failures, the sweep, and reconciliation ----------------------------------------------------------------


def test_a_processing_failure_is_recorded_and_the_sweep_processes_it_later(user, t0, monkeypatch, mailoutbox):
    real = member_lifecycle.apply_subscription_state
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs["reported"].subscription_id)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(member_lifecycle, "apply_subscription_state", fails_once)
    deliver(event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0))

    failed = stored("evt_created")
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error == "RuntimeError: database went away"
    assert not Membership.objects.exists() and not ProviderCustomer.objects.exists(), "nothing half-applied"
    assert services.requeue_stuck_events() == 0, "not stuck yet: the sweep waits WEBHOOK_REQUEUE_AFTER_MINUTES"

    later = timezone.now() + timedelta(minutes=django_settings.WEBHOOK_REQUEUE_AFTER_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert services.requeue_stuck_events() == 1

    done = stored("evt_created")
    assert (done.status, done.attempts, done.last_error) == ("processed", 2, "")
    assert Membership.objects.get(user=user).status == "active"
    assert len(mails(mailoutbox, WELCOME)) == 1
    assert calls == ["sub_test_1", "sub_test_1"]


def test_reconciliation_ingests_the_events_no_webhook_delivered_and_nothing_twice(user, stripe_http, t0, mailoutbox):
    created = event("customer.subscription.created", subscription(user), event_id="evt_created", created=t0)
    paid = event("invoice.paid", paid_invoice(user), event_id="evt_paid", created=t0 + 1)
    cancelled = event(
        "customer.subscription.updated",
        subscription(user, cancel_at_period_end=True),
        event_id="evt_cancel",
        created=t0 + 2,
    )
    deliver(created)  # the only webhook that arrived
    listed = [cancelled, paid, created]  # Stripe lists newest first
    stripe_http.respond(so.list_payload(listed, url="/v1/events"), method="GET", path="/v1/events")

    assert services.reconcile_provider_events(provider_id="stripe") == 2

    first = stripe_http.requests[0]
    assert {k: v for k, v in first.params.items() if not k.startswith("types[")} == {"limit": "100"}, (
        "no cursor yet: all Stripe holds"
    )
    assert "invoice.paid" in first.data["types"] and "customer.subscription.created" in first.data["types"]
    assert dict(WebhookEvent.objects.values_list("event_id", "via")) == {
        "evt_created": "webhook",
        "evt_paid": "reconciliation",
        "evt_cancel": "reconciliation",
    }
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.cancel_at_period_end) == ("cancelled", True)
    assert Payment.objects.get().provider_ref == "in_test_1"
    assert len(mails(mailoutbox, WELCOME)) == 1
    cursor = ReconciliationCursor.objects.get(provider="stripe")
    assert (cursor.synced_until, cursor.last_run_ingested) == (datetime.fromtimestamp(t0 + 2, tz=UTC), 2)

    # The next run asks from the cursor (less the overlap) and finds the same events: nothing new.
    stripe_http.respond(so.list_payload(listed, url="/v1/events"), method="GET", path="/v1/events")
    assert services.reconcile_provider_events(provider_id="stripe") == 0
    overlap = int(services.RECONCILIATION_OVERLAP.total_seconds())
    second = stripe_http.last()
    assert {k: v for k, v in second.params.items() if not k.startswith("types[")} == {
        "limit": "100",
        "created[gt]": str(t0 + 2 - overlap),
    }
    assert WebhookEvent.objects.count() == 3 and Payment.objects.count() == 1
    assert ReconciliationCursor.objects.get(provider="stripe").last_run_ingested == 0
