"""A donor manages their monthly gifts from the account side; every change goes through the (sandbox) provider
and lands only when the provider's subscription event does."""

from __future__ import annotations

import pytest
from django.test import Client

from donations import recurring, services
from donations.models import Donation, RecurringDonation
from outlet.common.local_time import date_text
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import PriceSpec
from outlet.payments.providers.sandbox.provider import SandboxProvider
from tests.donations.conftest import give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def donor(campaign):
    """A signed-in reader with a covered monthly gift of GEL 20."""
    reader = UserFactory(email="monthly@example.org")
    give(campaign, email=reader.email, gift_minor=2000, interval="month", cover_fee=True, user_id=reader.pk)
    client = Client()
    client.force_login(reader)
    return {"user": reader, "client": client, "gift": RecurringDonation.objects.get()}


def test_the_account_page_links_to_monthly_gifts_and_receipts(donor):
    html = donor["client"].get("/accounts/membership/").content.decode()
    assert 'href="/accounts/gifts/"' in html and 'href="/accounts/receipts/"' in html


@pytest.mark.date_sensitive
def test_the_monthly_gifts_page_lists_status_amount_next_charge_and_campaign(donor):
    gift = donor["gift"]
    response = donor["client"].get("/accounts/gifts/")
    html = response.content.decode()
    fee = services.fee_to_cover_minor(gift_minor=2000, currency="GEL")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert "Keep reporters safe" in html and "Active" in html
    assert f"your gift of GEL\xa020 plus GEL\xa0{fee // 100}.{fee % 100:02d}" in html
    assert date_text(gift.current_period_end) in html
    assert 'name="amount" value="20"' in html


def test_changing_the_amount_asks_the_provider_and_lands_with_its_event(donor, monkeypatch):
    gift = donor["gift"]
    asked: list[tuple[PriceSpec, str]] = []
    original = SandboxProvider.change_subscription_price

    def spy(self, *, subscription_id, price, idempotency_key):
        asked.append((price, idempotency_key))
        return original(self, subscription_id=subscription_id, price=price, idempotency_key=idempotency_key)

    monkeypatch.setattr(SandboxProvider, "change_subscription_price", spy)
    response = donor["client"].post(f"/accounts/gifts/{gift.pk}/amount/", {"amount": "35"})
    assert response.status_code == 302 and response["Location"] == "/accounts/gifts/"
    new_charge = 3500 + services.fee_to_cover_minor(gift_minor=3500, currency="GEL")
    price, key = asked[0]
    assert (price.amount_minor, price.currency, price.interval) == (new_charge, "GEL", "month")
    assert key.startswith(f"donation-recurring-{gift.pk}-amount-{new_charge}-")

    gift.refresh_from_db()  # the sandbox's event arrived (eager): the gift follows the provider, cover and all
    assert (gift.status, gift.amount_minor, gift.amount_minor - gift.fee_covered_minor) == ("active", new_charge, 3500)
    assert "sent to our payment provider" in donor["client"].get("/accounts/gifts/").content.decode()
    get_provider("sandbox").renew(gift.subscription_id)
    renewal = Donation.objects.filter(recurring=gift).latest("pk")
    assert (renewal.amount_minor, renewal.gift_minor) == (new_charge, 3500)


def test_the_same_change_asked_twice_before_the_provider_answers_uses_one_key(donor, monkeypatch):
    keys = []
    monkeypatch.setattr(
        SandboxProvider, "change_subscription_price", lambda self, **kw: keys.append(kw["idempotency_key"])
    )
    gift = donor["gift"]
    recurring.change_monthly_amount(gift=gift, gift_minor=3000)
    recurring.change_monthly_amount(gift=gift, gift_minor=3000)
    assert len(keys) == 2 and keys[0] == keys[1]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1", "Please give between GEL\xa05 and GEL\xa05,000 a month."),
        ("12.345", "at most 2 decimal places"),
        ("abc", "as a number"),
        ("-3", "above zero"),
        ("20", "already your monthly amount"),
    ],
)
def test_a_bad_new_amount_is_explained_and_nothing_changes(donor, typed, message):
    gift = donor["gift"]
    client = donor["client"]
    response = client.post(f"/accounts/gifts/{gift.pk}/amount/", {"amount": typed}, follow=True)
    assert message in response.content.decode()
    assert RecurringDonation.objects.get().amount_minor == gift.amount_minor


def test_cancel_at_period_end_and_resume(donor):
    gift, client = donor["gift"], donor["client"]
    html = client.post(f"/accounts/gifts/{gift.pk}/cancel/", follow=True).content.decode()
    gift.refresh_from_db()
    assert gift.cancel_at_period_end and gift.status == "active"
    assert "will stop at the end of the month" in html and "Keep my monthly gift" in html

    client.post(f"/accounts/gifts/{gift.pk}/resume/")
    gift.refresh_from_db()
    assert not gift.cancel_at_period_end

    client.post(f"/accounts/gifts/{gift.pk}/cancel/")
    assert get_provider("sandbox").renew(gift.subscription_id) == "ended"
    gift.refresh_from_db()
    assert gift.status == "canceled"
    html = client.get("/accounts/gifts/").content.decode()
    assert "Ended" in html and "Change amount" not in html
    response = client.post(f"/accounts/gifts/{gift.pk}/amount/", {"amount": "30"}, follow=True)
    assert "This monthly gift has ended" in response.content.decode()


def test_the_card_is_changed_on_the_providers_portal_for_this_gift(donor):
    gift, client = donor["gift"], donor["client"]
    response = client.post(f"/accounts/gifts/{gift.pk}/card/")
    assert response.status_code == 302 and "/payments/sandbox/portal/" in response["Location"]
    portal = client.get(response["Location"])
    assert portal.status_code == 200 and gift.subscription_id in portal.content.decode()


def test_only_the_owner_may_see_or_change_a_monthly_gift(donor):
    gift = donor["gift"]
    stranger = Client()
    stranger.force_login(UserFactory(email="stranger@example.org"))
    for action in ("amount", "cancel", "resume", "card"):
        assert stranger.post(f"/accounts/gifts/{gift.pk}/{action}/", {"amount": "30"}).status_code == 404
    assert "Keep reporters safe" not in stranger.get("/accounts/gifts/").content.decode()
    anonymous = Client().post(f"/accounts/gifts/{gift.pk}/cancel/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().get("/accounts/gifts/").status_code == 302
    gift.refresh_from_db()
    assert not gift.cancel_at_period_end
    assert donor["client"].post("/accounts/gifts/999999/cancel/").status_code == 404


def test_a_guest_manages_their_monthly_gift_from_the_signed_link(campaign, settings):
    settings.SITE_URL = "http://testserver"
    give(campaign, email="guest@example.org", gift_minor=2500, interval="month")
    give(campaign, email="other@example.org", gift_minor=3000, interval="month")
    gift, other = RecurringDonation.objects.order_by("pk")
    url = recurring.manage_url(gift).removeprefix("http://testserver")
    client = Client()
    html = client.get(url).content.decode()
    assert "Your monthly gift" in html and "GEL\xa025 a month" in html and "GEL\xa030" not in html
    assert "other@example.org" not in html and "guest@example.org" not in html

    html = client.post(f"{url}cancel/", follow=True).content.decode()
    assert "will stop at the end of the month" in html
    client.post(f"{url}amount/", {"amount": "40"})
    gift.refresh_from_db()
    other.refresh_from_db()
    assert gift.cancel_at_period_end and gift.amount_minor == 4000 and not other.cancel_at_period_end
    card = client.post(f"{url}card/")
    assert card.status_code == 302 and "/payments/sandbox/portal/" in card["Location"]


@pytest.mark.parametrize(
    "bend",
    [
        lambda token: token[:-2] + ("aa" if not token.endswith("aa") else "bb"),  # a damaged signature
        lambda token: "not-a-token",
        lambda token: "",
    ],
)
def test_a_forged_or_damaged_gift_link_finds_nothing(campaign, bend):
    give(campaign, gift_minor=2500, interval="month")
    token = recurring.manage_token(RecurringDonation.objects.get())
    path = f"/fundraisers/gifts/{bend(token)}/"
    assert Client().get(path).status_code == 404
    assert Client().post(f"{path}cancel/").status_code == 404
    assert not RecurringDonation.objects.get().cancel_at_period_end


def test_a_link_signed_for_one_gift_does_not_open_another(campaign):
    from django.core import signing

    give(campaign, email="a@example.org", gift_minor=2500, interval="month")
    give(campaign, email="b@example.org", gift_minor=2500, interval="month")
    first, second = RecurringDonation.objects.order_by("pk")
    forged = signing.dumps({"gift": second.pk, "sub": first.subscription_id}, salt=recurring.MANAGE_SALT, compress=True)
    assert Client().get(f"/fundraisers/gifts/{forged}/").status_code == 404
    wrong_salt = signing.dumps(
        {"gift": second.pk, "sub": second.subscription_id}, salt="donations.receipts", compress=True
    )
    assert Client().get(f"/fundraisers/gifts/{wrong_salt}/").status_code == 404
