"""The pipeline owns the payment facts: processing an event records, refunds or disputes the Payment and tells the
receipts before it calls the single product that owns the event, found by our marker or by asking the products."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outlet.payments import registry
from outlet.payments import services as pipeline
from outlet.payments.models import Payment
from outlet.payments.providers.base import OUR_MARKER, PaymentDisputed, PaymentRefunded, PaymentSucceeded

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


class Recorder(registry.Product):
    """A product that claims what carries its marker and notes what the pipeline tells it, and what it had done."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self.told: list[tuple] = []

    def claim(self, event):
        return registry.Claim(user_id=None) if event.metadata.get(OUR_MARKER) == self.purpose else None

    def payment_succeeded(self, event, *, claim, payment, created, webhook_event):
        self.told.append(("paid", Payment.objects.filter(pk=payment.pk).exists(), created))

    def payment_refunded(self, event, *, payment, refunded_before, webhook_event):
        stored = Payment.objects.get(pk=payment.pk)
        self.told.append(("refunded", refunded_before, stored.amount_refunded_minor, stored.status))

    def payment_disputed(self, event, *, payment, was_disputed, webhook_event):
        self.told.append(("disputed", was_disputed, Payment.objects.get(pk=payment.pk).status))


class ReceiptSpy:
    def __init__(self) -> None:
        self.heard: list[tuple[str, int]] = []

    def payment_recorded(self, *, payment_id: int) -> None:
        self.heard.append(("recorded", payment_id))

    def refund_recorded(self, *, payment_id: int) -> None:
        self.heard.append(("refund", payment_id))


@pytest.fixture
def products(monkeypatch):
    """Two products of our own and a receipt listener, in place of the real ones for the test's length."""
    zines, books, receipts = Recorder("zine"), Recorder("book"), ReceiptSpy()
    monkeypatch.setattr(registry, "_products", {"zine": zines, "book": books})
    monkeypatch.setattr(registry, "_listeners", [receipts])
    return zines, books, receipts


def paid(marker: str | None, ref: str = "pi_1") -> PaymentSucceeded:
    return PaymentSucceeded(
        provider="sandbox",
        event_id=f"evt_{ref}",
        occurred_at=AT,
        payment_ref=ref,
        amount_minor=5000,
        currency="GEL",
        metadata={OUR_MARKER: marker} if marker else {},
    )


def test_a_payment_is_recorded_and_receipted_before_its_one_owner_hears_of_it(products):
    zines, books, receipts = products
    assert pipeline.apply_domain_event(paid("zine"))
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount_minor, payment.currency) == ("zine", 5000, "GEL")
    assert zines.told == [("paid", True, True)] and books.told == []
    assert receipts.heard == [("recorded", payment.pk)]

    assert pipeline.apply_domain_event(paid("zine"))  # the same event again: one payment, the receipt asked again
    assert Payment.objects.count() == 1 and zines.told[-1] == ("paid", True, False)
    assert receipts.heard == [("recorded", payment.pk)] * 2


def test_an_event_no_product_claims_is_not_ours_and_records_nothing(products):
    zines, books, receipts = products
    assert not pipeline.apply_domain_event(paid("someone-else"))
    assert not pipeline.apply_domain_event(paid(None, ref="pi_2"))
    assert not Payment.objects.exists() and zines.told == books.told == receipts.heard == []


def test_a_refund_and_a_dispute_are_recorded_then_told_to_the_payments_owner(products):
    zines, books, receipts = products
    pipeline.apply_domain_event(paid("book"))
    refund = PaymentRefunded(
        provider="sandbox", event_id="evt_r", occurred_at=AT, payment_refs=("pi_1",), amount_refunded_minor=2000
    )
    assert pipeline.apply_domain_event(refund)
    assert books.told[-1] == ("refunded", 0, 2000, Payment.Status.PARTIALLY_REFUNDED) and zines.told == []
    assert receipts.heard[-1] == ("refund", Payment.objects.get().pk)

    dispute = PaymentDisputed(provider="sandbox", event_id="evt_d", occurred_at=AT, payment_refs=("pi_1",))
    assert pipeline.apply_domain_event(dispute)
    assert pipeline.apply_domain_event(dispute)
    assert books.told[-2:] == [("disputed", False, "disputed"), ("disputed", True, "disputed")]


def test_a_refund_of_a_payment_we_never_recorded_is_not_ours(products, monkeypatch):
    from outlet.payments.providers.sandbox.provider import SandboxProvider

    monkeypatch.setattr(SandboxProvider, "related_payment_refs", lambda self, *, refs: ())
    refund = PaymentRefunded(
        provider="sandbox", event_id="evt_r", occurred_at=AT, payment_refs=("pi_x",), amount_refunded_minor=100
    )
    assert not pipeline.apply_domain_event(refund)
    assert products[2].heard == []
