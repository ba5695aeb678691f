"""request_refund is the one way staff ask a provider for a refund: it checks what is left, names the refund by the
level staff saw (so a repeated request refunds once), and turns a provider's refusal into a message for staff."""

from __future__ import annotations

import pytest
from django.utils import timezone

from outlet.payments import services
from outlet.payments.models import Payment
from outlet.payments.providers.base import ProviderError


class RecordingProvider:
    """Stands in for the provider at its boundary: records each refund asked for, or refuses with a message."""

    id = "sandbox"

    def __init__(self, refuse: str | None = None):
        self.calls: list[dict] = []
        self.refuse = refuse

    def refund(self, *, payment_ref: str, amount_minor: int | None, idempotency_key: str) -> str:
        self.calls.append(
            {"payment_ref": payment_ref, "amount_minor": amount_minor, "idempotency_key": idempotency_key}
        )
        if self.refuse:
            raise ProviderError(self.refuse)
        return f"re_{len(self.calls)}"


@pytest.fixture
def provider(monkeypatch):
    recording = RecordingProvider()
    monkeypatch.setattr(services, "get_provider", lambda provider_id=None: recording)
    return recording


def payment(*, amount_minor: int = 5000, refunded_minor: int = 0) -> Payment:
    return Payment.objects.create(
        provider="sandbox",
        provider_ref="ch_test_1",
        purpose="donation",
        amount_minor=amount_minor,
        amount_refunded_minor=refunded_minor,
        currency="GEL",
        paid_at=timezone.now(),
    )


@pytest.mark.django_db
def test_without_an_amount_everything_left_is_refunded(provider):
    paid = payment(refunded_minor=1000)
    assert services.request_refund(payment_id=paid.pk, staff_user_id=7) == "re_1"
    assert provider.calls == [
        {
            "payment_ref": "ch_test_1",
            "amount_minor": 4000,
            "idempotency_key": "refund-sandbox-ch_test_1-from-1000-by-4000",
        }
    ]


@pytest.mark.django_db
def test_a_payment_refunded_in_full_is_refused_without_asking_the_provider(provider):
    paid = payment(refunded_minor=5000)
    with pytest.raises(services.RefundRefused, match="already been refunded in full"):
        services.request_refund(payment_id=paid.pk)
    assert provider.calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, -1, 4001])
def test_an_amount_outside_what_is_left_is_refused(provider, amount):
    paid = payment(refunded_minor=1000)
    with pytest.raises(
        services.RefundRefused, match="more than 0 and at most what is left to refund \\(GEL\u00a040\\)"
    ):
        services.request_refund(payment_id=paid.pk, amount_minor=amount)
    assert provider.calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [1, 4000])
def test_the_bounds_themselves_are_allowed(provider, amount):
    paid = payment(refunded_minor=1000)
    services.request_refund(payment_id=paid.pk, amount_minor=amount)
    assert provider.calls[0]["amount_minor"] == amount


@pytest.mark.django_db
def test_a_missing_payment_is_refused():
    with pytest.raises(services.RefundRefused, match="no longer exists"):
        services.request_refund(payment_id=424242)


@pytest.mark.django_db
def test_the_providers_refusal_reaches_staff_as_a_message(monkeypatch):
    refusing = RecordingProvider(refuse="Charge ch_test_1 has been disputed.")
    monkeypatch.setattr(services, "get_provider", lambda provider_id=None: refusing)
    paid = payment()
    with pytest.raises(services.RefundRefused) as refused:
        services.request_refund(payment_id=paid.pk, amount_minor=1000)
    assert str(refused.value) == "The payment provider refused the refund: Charge ch_test_1 has been disputed."
    paid.refresh_from_db()
    assert paid.amount_refunded_minor == 0


@pytest.mark.django_db
def test_the_idempotency_key_is_stable_for_the_same_level_and_amount(provider):
    paid = payment()
    services.request_refund(payment_id=paid.pk, amount_minor=1000)
    services.request_refund(payment_id=paid.pk, amount_minor=1000)
    services.request_refund(payment_id=paid.pk, amount_minor=500)
    keys = [call["idempotency_key"] for call in provider.calls]
    assert keys[0] == keys[1] == "refund-sandbox-ch_test_1-from-0-by-1000"
    assert keys[2] != keys[0]
    Payment.objects.filter(pk=paid.pk).update(amount_refunded_minor=1000)  # the first refund came back
    services.request_refund(payment_id=paid.pk, amount_minor=1000)
    assert provider.calls[-1]["idempotency_key"] == "refund-sandbox-ch_test_1-from-1000-by-1000", (
        "a later refund is its own"
    )


@pytest.mark.django_db
def test_a_refund_applied_since_staff_confirmed_is_refused_not_repeated(provider):
    paid = payment(refunded_minor=1000)
    with pytest.raises(
        services.RefundRefused, match="refunded while you were deciding \\(GEL\u00a010 refunded so far\\)"
    ):
        services.request_refund(payment_id=paid.pk, amount_minor=1000, expected_refunded_minor=0)
    assert provider.calls == []
    services.request_refund(payment_id=paid.pk, amount_minor=1000, expected_refunded_minor=1000)
    assert provider.calls[0]["idempotency_key"] == "refund-sandbox-ch_test_1-from-1000-by-1000"


@pytest.mark.django_db
def test_linking_many_customers_follows_the_one_at_a_time_rules(django_user_model):
    """The first link of a customer and of a reader wins, as link_customer does."""
    from outlet.payments.models import ProviderCustomer

    ana, beka, dato = (
        django_user_model.objects.create(username=name, email=f"{name}@example.org") for name in ("ana", "beka", "dato")
    )
    services.link_customer(provider_id="stripe", customer_id="cus_ana", user_id=ana.pk)
    made = services.link_customers(
        provider_id="stripe",
        user_id_by_customer={
            "cus_ana": beka.pk,  # taken by Ana already
            "cus_ana_2": ana.pk,  # Ana already has a customer
            "cus_beka": beka.pk,
            "cus_beka_2": beka.pk,  # the first of two for one reader wins
            "cus_dato": dato.pk,
            "": dato.pk,
        },
    )
    assert made == 2
    assert dict(ProviderCustomer.objects.values_list("customer_id", "user_id")) == {
        "cus_ana": ana.pk,
        "cus_beka": beka.pk,
        "cus_dato": dato.pk,
    }
