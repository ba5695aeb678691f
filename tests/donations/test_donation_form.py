"""The donation form: what a donor may type, what they are told when it is wrong, and what a good gift starts."""

from __future__ import annotations

import pytest
from django.test import Client

from donations import abuse, services
from donations.forms import AmountError, parse_amount_minor
from donations.models import AllocationEntry, Donation, DonationCheckout, RecurringDonation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

GIVE = "/fundraisers/safety-fund/give/"


def gift(**fields) -> dict:
    return {
        "currency": "GEL",
        "amount": "5000",
        "interval": "once",
        "email": "guest@example.org",
        "name": "Guest Donor",
        "split": "default",
    } | fields


def pay(client: Client, response) -> str:
    """Pay on the sandbox's hosted page, as the donor would; returns where the sandbox sends them back."""
    assert response.status_code == 302 and "/payments/sandbox/checkout/" in response["Location"], response
    paid = client.post(response["Location"], {"choice": "pay"})
    assert paid.status_code == 302
    return paid["Location"]


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("25", 2500),
        ("12.5", 1250),
        ("12.50", 1250),
        ("12,50", 1250),
        ("1,000", 100000),
        (" 7 ", 700),
        ("0012.05", 1205),
    ],
)
def test_typed_amounts_become_exact_minor_units(typed, minor):
    assert parse_amount_minor(typed, "GEL") == minor


@pytest.mark.parametrize(
    "typed",
    [
        "1e9",
        "-5",
        "12.345",
        "abc",
        "",
        "NaN",
        "Infinity",
        "0",
        "0.00",
        "1.2.3",
        "12,345,67",
        "9" * 40,
        "٣",
        "5 000 000 000 000 000",
    ],
)
def test_amounts_that_are_not_plain_positive_numbers_are_refused(typed):
    with pytest.raises(AmountError):
        parse_amount_minor(typed, "GEL")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e9", "Enter the amount as a number"),
        ("-5", "above zero"),
        ("12.345", "at most 2 decimal places"),
        ("abc", "Enter the amount as a number"),
        ("1", "Please give between GEL\xa05 and GEL\xa05,000."),
        ("900000", "Please give between GEL\xa05 and GEL\xa05,000."),
    ],
)
def test_a_bad_custom_amount_is_explained_and_nothing_typed_is_lost(campaign, typed, message):
    response = Client().post(
        GIVE,
        gift(
            amount="custom", custom_amount=typed, message="For the border team", display_name="Nino", show_on_wall="on"
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400 and message in html
    assert "For the border team</textarea>" in html and 'value="Nino"' in html and 'value="guest@example.org"' in html
    assert f'value="{typed}"'.replace("&", "&amp;") in html
    assert DonationCheckout.objects.count() == 0


@pytest.mark.parametrize(
    "post",
    [
        {},
        {"amount": "not-a-preset"},
        {"amount": "custom"},
        {"currency": "XXX"},
        {"currency": "EUR"},
        {"interval": "yearly"},
        {"email": "not-an-email"},
        {"message": "x" * 501},
        {"split": "custom", "weight_999": "5"},
        {"split": "other"},
        {"split": "custom", **{f"weight_{n}": "abc" for n in range(1, 4)}},
        {"split": "one", "one_newsroom": "999"},
        {"split": "one"},
        {"amount": ["5000", "2000"], "email": ["a@example.org", "b@example.org"]},
    ],
)
def test_garbage_posts_get_a_form_with_errors_never_a_server_error(campaign, post):
    response = Client().post(GIVE, gift() | post if post else {})
    assert response.status_code in {302, 400}
    if response.status_code == 400:
        assert "Please check your gift" in response.content.decode()


def test_a_split_with_every_newsroom_at_zero_is_explained(campaign):
    weights = {f"weight_{b.pk}": "0" for b in campaign.beneficiaries.all()}
    response = Client().post(GIVE, gift(split="custom", **weights))
    assert response.status_code == 400 and "Give at least one newsroom a part of your gift" in response.content.decode()


def test_the_form_shows_presets_limits_and_the_fee_estimate(campaign):
    html = Client().get("/fundraisers/safety-fund/").content.decode()
    for preset in ("GEL\xa020", "GEL\xa050", "GEL\xa0100"):
        assert preset in html
    assert "Between GEL\xa05 and GEL\xa05,000." in html
    fee = services.fee_to_cover_minor(gift_minor=5000, currency="GEL")  # the middle preset is chosen
    assert f"add <span data-fee-estimate>GEL\xa0{fee // 100}.{fee % 100:02d}</span>" in html
    assert 'data-fee-basis-points="290" data-fee-fixed-minor="80"' in html
    usd = Client().get("/fundraisers/safety-fund/?currency=USD").content.decode()
    assert "$25" in usd and 'name="currency" value="USD"' in usd and 'data-fee-fixed-minor="30"' in usd


def test_a_guest_gives_with_their_own_split_and_the_donation_follows_it(campaign):
    client = Client()
    newsrooms = {b.slug: b for b in campaign.beneficiaries.all()}
    response = client.post(
        GIVE,
        gift(
            amount="custom",
            custom_amount="42.50",
            cover_fee="on",
            display_name="A friend",
            show_on_wall="on",
            message="Onward",
            split="custom",
            **{
                f"weight_{newsrooms['mountain-voice'].pk}": "0",
                f"weight_{newsrooms['valley-dispatch'].pk}": "75",
                f"weight_{newsrooms['border-radio'].pk}": "25",
            },
        ),
    )
    checkout = DonationCheckout.objects.get()
    fee = services.fee_to_cover_minor(gift_minor=4250, currency="GEL")
    assert (checkout.email, checkout.user_id, checkout.gift_minor, checkout.fee_covered_minor, checkout.interval) == (
        "guest@example.org",
        None,
        4250,
        fee,
        "once",
    )
    assert (checkout.display_name, checkout.show_on_wall, checkout.message) == ("A friend", True, "Onward")
    assert checkout.weights == {str(newsrooms["valley-dispatch"].pk): 75, str(newsrooms["border-radio"].pk): 25}

    back = pay(client, response)
    assert back.endswith(f"/fundraisers/thanks/{checkout.reference}/")
    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.fee_covered_minor, donation.user_id) == (4250 + fee, fee, None)
    parts = {e.beneficiary.slug: e.amount_minor for e in AllocationEntry.objects.select_related("beneficiary")}
    assert set(parts) == {"valley-dispatch", "border-radio"} and sum(parts.values()) == donation.net_minor
    assert parts["border-radio"] == donation.net_minor * 25 // 100
    assert "Onward" in client.get("/fundraisers/safety-fund/").content.decode()


def test_giving_it_all_to_one_newsroom(campaign):
    client = Client()
    only = campaign.beneficiaries.get(slug="border-radio")
    pay(client, client.post(GIVE, gift(split="one", one_newsroom=str(only.pk))))
    assert {e.beneficiary_id for e in AllocationEntry.objects.all()} == {only.pk}


def test_a_signed_in_reader_gives_from_their_account_address_and_the_gift_is_theirs(campaign):
    reader = UserFactory(email="reader@example.org", first_name="Tamar", last_name="K")
    client = Client()
    client.force_login(reader)
    html = client.get("/fundraisers/safety-fund/").content.decode()
    assert 'value="reader@example.org"' in html and "disabled" in html.split('name="email"', 1)[1].split(">", 1)[0]
    assert 'value="Tamar K"' in html

    response = client.post(GIVE, gift(email="someone-else@example.org", interval="month", amount="2000"))
    checkout = DonationCheckout.objects.get()
    assert (checkout.email, checkout.user_id, checkout.interval) == ("reader@example.org", reader.pk, "month")
    pay(client, response)
    donation = Donation.objects.get()
    assert (donation.user_id, donation.email, donation.amount_minor) == (reader.pk, "reader@example.org", 2000)
    assert RecurringDonation.objects.get().user_id == reader.pk


def test_a_campaign_without_monthly_gifts_offers_one_time_only(campaign):
    campaign.allow_monthly = False
    campaign.save()
    assert 'value="month"' not in Client().get("/fundraisers/safety-fund/").content.decode()
    response = Client().post(GIVE, gift(interval="month"))
    assert response.status_code == 400 and DonationCheckout.objects.count() == 0


def test_a_blocked_checkout_says_why_and_keeps_the_form(campaign, monkeypatch):
    def blocked(**kwargs):
        raise abuse.CheckoutBlocked("Too many attempts from your connection. Please try again in 10 minutes.")

    monkeypatch.setattr(abuse, "guard_checkout_start", blocked)
    response = Client().post(GIVE, gift(message="Kept"))
    html = response.content.decode()
    assert (
        response.status_code == 429 and "Too many attempts from your connection" in html and "Kept</textarea>" in html
    )
    assert DonationCheckout.objects.count() == 0


def test_the_challenge_is_shown_when_the_guard_asks_for_it(campaign, monkeypatch):
    def needs_challenge(**kwargs):
        raise abuse.CheckoutBlocked(
            "Please let your browser finish the quick check, then send again.", needs_challenge=True
        )

    monkeypatch.setattr(abuse, "guard_checkout_start", needs_challenge)
    html = Client().post(GIVE, gift()).content.decode()
    assert "finish the quick check" in html and 'name="altcha"' in html


def test_the_guard_sees_the_client_address_and_the_challenge_solution(campaign, monkeypatch, settings):
    seen = {}
    monkeypatch.setattr(abuse, "guard_checkout_start", lambda **kwargs: seen.update(kwargs))
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    Client().post(GIVE, gift(altcha="solution-text"), HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert seen == {"ip": "203.0.113.7", "email": "guest@example.org", "challenge_solution": "solution-text"}


def test_the_real_rate_limit_stops_a_burst_of_checkouts_from_one_email(campaign):
    client = Client()
    statuses = [client.post(GIVE, gift()).status_code for _ in range(7)]
    assert statuses[:5] == [302] * 5 and statuses[5:] == [429, 429]
    assert DonationCheckout.objects.count() == 5


def test_a_provider_refusal_is_a_form_error_not_a_server_error(campaign, monkeypatch):
    from outlet.payments.providers.base import ProviderError
    from outlet.payments.providers.sandbox.provider import SandboxProvider

    def refuse(self, **kwargs):
        raise ProviderError("The payment provider is not answering. Please try again in a minute.")

    monkeypatch.setattr(SandboxProvider, "start_checkout", refuse)
    response = Client().post(GIVE, gift())
    assert response.status_code == 400 and "not answering" in response.content.decode()


def test_an_over_long_email_is_refused_with_a_message_and_never_cut_by_the_page(campaign):
    from django.test import Client

    page = Client().get(f"/fundraisers/{campaign.slug}/").content.decode()
    at = page.index('name="email"')
    email_input = page[page.rindex("<input", 0, at) : page.index(">", at)]
    assert "maxlength" not in email_input, "a browser would silently shorten a pasted address"
    long_address = "a" * 250 + "@example.org"
    response = Client().post(
        f"/fundraisers/{campaign.slug}/give/",
        {
            "currency": "GEL",
            "amount": "5000",
            "interval": "once",
            "email": long_address,
            "name": "Guest",
            "split": "default",
        },
    )
    assert response.status_code == 400
    assert "That email address is too long" in response.content.decode()
