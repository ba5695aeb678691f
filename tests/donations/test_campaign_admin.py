"""Staff set up fundraisers in the admin and read gifts there; the rules a campaign must meet come back as clear
messages, money rows cannot be edited by hand, and readers who are not staff see none of it."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from donations import campaigns, services
from donations.models import Beneficiary, Campaign, Donation
from outlet.payments.providers import get_provider
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(
        UserFactory(username="fundraising", email="fundraising@example.org", is_staff=True, is_superuser=True)
    )
    return client


def campaign_form(**overrides) -> dict:
    """The add form as staff would fill it, amounts as people write them: two currencies, three newsrooms (shares in
    percent), one update."""
    start = timezone.localtime() - timedelta(days=1)
    data = {
        # Texts are written per language (django-modeltranslation): English here, the others left empty.
        "title_en": "Lawyers for reporters",
        "slug": "lawyers",
        "summary_en": "Legal help.",
        "story_en": '<p>Help <strong>now</strong>.</p><script>alert("x")</script><p onclick="steal()">Thanks</p>',
        "goal_minor": "10,000",
        "currency": "gel",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": "",
        "ends_at_1": "",
        "is_published": "on",
        "allow_monthly": "on",
        "allow_custom_split": "on",
        "currencies-TOTAL_FORMS": "2",
        "currencies-INITIAL_FORMS": "0",
        "currencies-MIN_NUM_FORMS": "1",
        "currencies-MAX_NUM_FORMS": "1000",
        "beneficiaries-TOTAL_FORMS": "3",
        "beneficiaries-INITIAL_FORMS": "0",
        "beneficiaries-MIN_NUM_FORMS": "1",
        "beneficiaries-MAX_NUM_FORMS": "1000",
        "updates-TOTAL_FORMS": "1",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
        "updates-0-title_en": "We started",
        "updates-0-body_en": "First week.",
        "updates-0-published_at_0": start.strftime("%Y-%m-%d"),
        "updates-0-published_at_1": "10:00:00",
    }
    for i, (code, presets, rate) in enumerate([("GEL", "20, 50", "1"), ("usd", "10", "2.7")]):
        data |= {
            f"currencies-{i}-currency": code,
            f"currencies-{i}-preset_amounts_minor": presets,
            f"currencies-{i}-min_amount_minor": "5",
            f"currencies-{i}-max_amount_minor": "1000",
            f"currencies-{i}-rate_to_goal_ppm": rate,
            f"currencies-{i}-position": str(i),
        }
    for i, (name, share, remainder) in enumerate(
        [("Mountain Voice", "50", True), ("Valley Dispatch", "30", False), ("Border Radio", "20", False)]
    ):
        data |= {
            f"beneficiaries-{i}-name": name,
            f"beneficiaries-{i}-slug": name.lower().replace(" ", "-"),
            f"beneficiaries-{i}-share": share,
            f"beneficiaries-{i}-position": str(i),
            f"beneficiaries-{i}-is_active": "on",
        }
        if remainder:
            data[f"beneficiaries-{i}-receives_rounding_remainder"] = "on"
    return data | overrides


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should come back with errors, not be saved"
    return response.content.decode()


# --- Setting up a campaign ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_create_a_campaign_with_currencies_newsrooms_and_an_update_and_the_story_is_sanitised(staff_client):
    assert (
        "data-django-prose-editor-configurable" in staff_client.get("/admin/donations/campaign/add/").content.decode()
    )
    response = staff_client.post("/admin/donations/campaign/add/", campaign_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(slug="lawyers")
    assert (campaign.currency, campaign.goal_minor) == ("GEL", 1_000_000)
    usd = campaign.currencies.get(currency="USD")
    assert (usd.preset_amounts_minor, usd.min_amount_minor, usd.max_amount_minor, usd.rate_to_goal_ppm) == (
        [1000],
        500,
        100_000,
        2_700_000,
    )
    assert sorted(campaign.beneficiaries.values_list("share", flat=True)) == [200_000, 300_000, 500_000]
    assert "<strong>now</strong>" in campaign.story
    assert "script" not in campaign.story and "onclick" not in campaign.story and "alert" not in campaign.story
    assert sorted(campaign.currencies.values_list("currency", flat=True)) == ["GEL", "USD"]
    assert campaign.beneficiaries.get(receives_rounding_remainder=True).name == "Mountain Voice"
    assert campaign.updates.get().title == "We started"


@pytest.mark.django_db
def test_a_story_saved_by_a_script_is_sanitised_too(campaign):
    campaign.story = '<p>Hi<img src=x onerror="alert(1)"></p><iframe src="https://evil.example"></iframe>'
    campaigns.save_campaign(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.story == "<p>Hi</p>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"beneficiaries-0-is_active": "", "beneficiaries-1-is_active": "", "beneficiaries-2-is_active": ""},
            "Add at least one active newsroom with a share above 0",
        ),
        (
            {"beneficiaries-0-share": "0", "beneficiaries-1-share": "0", "beneficiaries-2-share": "0"},
            "Add at least one active newsroom with a share above 0",
        ),
        ({"beneficiaries-0-receives_rounding_remainder": ""}, "for one newsroom: it gets the odd minor unit"),
        (
            {"beneficiaries-2-receives_rounding_remainder": "on"},
            "Only one newsroom can receive the rounding remainder; ticked for: Mountain Voice, Border Radio.",
        ),
        (
            {"beneficiaries-0-is_active": ""},
            "Mountain Voice receives the rounding remainder but is inactive or has a share of 0",
        ),
        ({"currency": "EUR"}, "The goal is in EUR, so donors must be able to give in EUR"),
        ({"currency": "XYZ"}, "Enter a three-letter ISO 4217 currency code"),
        ({"currencies-1-currency": "GEL"}, "Each currency can be listed once."),
        (
            {"currencies-0-preset_amounts_minor": "1, 50"},
            "Preset amounts must lie between the minimum and the maximum; these do not: GEL\u00a01.",
        ),
        ({"currencies-0-preset_amounts_minor": "ten"}, "“ten”: Enter an amount like 38.42."),
        ({"currencies-0-max_amount_minor": "1"}, "The largest gift cannot be below the smallest."),
        ({"goal_minor": "0"}, "The goal must be above 0."),
        (
            {"beneficiaries-2-share": "10"},
            "The active newsrooms' shares add up to 90\u00a0%: make them add up to 100 %.",
        ),
        ({"ends_at_0": "2001-01-01", "ends_at_1": "00:00:00"}, "The campaign must end after it starts."),
    ],
)
def test_a_campaign_that_could_not_split_a_gift_is_refused_with_a_clear_message(staff_client, overrides, message):
    html = errors_of(staff_client.post("/admin/donations/campaign/add/", campaign_form(**overrides)))
    assert message in html.replace("&quot;", '"').replace("&#x27;", "'")
    assert not Campaign.objects.filter(slug="lawyers").exists()


@pytest.mark.django_db
def test_a_newsroom_with_ledger_entries_cannot_be_deleted_only_made_inactive(staff_client, campaign):
    from donations.models import AllocationEntry
    from outlet.payments.models import Payment

    newsroom = campaign.beneficiaries.get(slug="border-radio")
    payment = Payment.objects.create(
        provider="sandbox",
        provider_ref="pi_1",
        purpose="donation",
        amount_minor=1000,
        currency="GEL",
        paid_at=timezone.now(),
    )
    donation = Donation.objects.create(
        campaign=campaign, payment=payment, currency="GEL", amount_minor=1000, net_minor=1000, donated_at=timezone.now()
    )
    AllocationEntry.objects.create(
        donation=donation,
        beneficiary=newsroom,
        kind="gift",
        amount_minor=1000,
        currency="GEL",
        weight=1,
        booked_at=timezone.now(),
    )
    page = staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/")
    data = edit_form_data(page)
    index = next(
        k.split("-")[1]
        for k, v in data.items()
        if k.startswith("beneficiaries-") and k.endswith("-id") and v == str(newsroom.pk)
    )
    data[f"beneficiaries-{index}-DELETE"] = "on"
    html = errors_of(staff_client.post(f"/admin/donations/campaign/{campaign.pk}/change/", data))
    assert "would require deleting the following protected related objects" in html
    assert Beneficiary.objects.filter(pk=newsroom.pk).exists()


def edit_form_data(page) -> dict:
    """The change form's current values, as the browser would post them back unchanged."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.textarea, self.select = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            name = a.get("name")
            if tag == "input" and name and a.get("type") not in ("submit", "file"):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        self.data[name] = "on"
                else:
                    self.data[name] = a.get("value", "")
            elif tag == "textarea" and name:
                self.textarea = name
                self.data[name] = ""
            elif tag == "select" and name:
                self.select = name
            elif tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data

    parser = Fields()
    parser.feed(page.content.decode())
    return {k: v for k, v in parser.data.items() if "__prefix__" not in k}


# --- Reading progress and the breakdown ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_campaign_list_shows_raised_goal_percent_and_donors_from_the_counters(staff_client, campaign):
    give(campaign, email="a@example.org", gift_minor=50_000)
    give(campaign, email="b@example.org", gift_minor=1000, currency="USD")  # 27.00 GEL at the campaign's rate
    html = staff_client.get("/admin/donations/campaign/").content.decode()
    assert "GEL\u00a0527" in html and "GEL\u00a050,000" in html
    assert ">1%<" in html and ">2<" in html


@pytest.mark.django_db(transaction=True)
def test_the_listed_progress_is_the_same_as_the_campaign_pages(campaign):
    give(campaign, email="a@example.org", gift_minor=7_777)
    give(campaign, email="b@example.org", gift_minor=999, currency="USD")
    listed = Campaign.objects.select_related("donor_count").prefetch_related("currencies", "totals").get(pk=campaign.pk)
    assert campaigns.progress_from_prefetched(listed) == services.campaign_progress(campaign)
    assert campaigns.progress_from_prefetched(make_campaign(slug="empty")) == services.campaign_progress(
        Campaign.objects.get(slug="empty")
    )


@pytest.mark.django_db
def test_the_campaign_list_costs_the_same_for_one_campaign_or_many(staff_client, django_assert_num_queries):
    make_campaign(slug="first")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert staff_client.get("/admin/donations/campaign/").status_code == 200
    for i in range(6):
        make_campaign(slug=f"more-{i}")
    with django_assert_num_queries(len(one.captured_queries)):
        html = staff_client.get("/admin/donations/campaign/").content.decode()
    assert html.count('class="field-donors"') == 7


@pytest.mark.django_db(transaction=True)
def test_the_campaign_page_shows_what_each_newsroom_was_allocated_in_one_query(
    staff_client, campaign, django_assert_max_num_queries
):
    paid = give(campaign, email="a@example.org", gift_minor=10_000)
    give(campaign, email="b@example.org", gift_minor=2000, currency="USD")
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="partial")
    from donations import reports

    with django_assert_max_num_queries(2):  # the grouped sums, and the newsrooms with nothing yet
        lines = reports.campaign_breakdown(campaign=campaign)
    html = staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()
    assert "What each newsroom has been allocated" in html and "Payout report (CSV)" in html
    donation = Donation.objects.get(currency="GEL")
    mountain = next(line for line in lines if line.slug == "mountain-voice" and line.currency == "GEL")
    border_usd = next(line for line in lines if line.slug == "border-radio" and line.currency == "USD")
    assert mountain.gifts_minor == donation.net_minor - donation.net_minor * 30 // 100 - donation.net_minor * 20 // 100
    assert mountain.refunds_minor == -500 and mountain.number_of_gifts == 1
    assert border_usd.number_of_gifts == 1
    assert sum(line.net_minor for line in lines if line.currency == "GEL") == donation.net_minor - 1000


# --- Gifts are read only ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_staff_find_gifts_by_email_and_see_them_read_only(staff_client, campaign):
    give(campaign, email="quiet.donor@example.org", gift_minor=5000, name="Nino", display_name="N.")
    give(campaign, email="other@example.org", gift_minor=2000, interval="month")
    html = staff_client.get("/admin/donations/donation/?q=quiet.donor").content.decode()
    assert "N. &lt;quiet.donor@example.org&gt;" in html and "other@example.org" not in html
    monthly = staff_client.get("/admin/donations/donation/?monthly=yes").content.decode()
    assert "other@example.org" in monthly and "quiet.donor" not in monthly
    assert "No receipt yet" in staff_client.get("/admin/donations/donation/").content.decode()

    donation = Donation.objects.get(email="quiet.donor@example.org")
    detail = staff_client.get(f"/admin/donations/donation/{donation.pk}/change/").content.decode()
    assert "Mountain Voice" in detail and 'name="_save"' not in detail
    assert (
        staff_client.post(f"/admin/donations/donation/{donation.pk}/change/", {"amount_minor": "1"}).status_code == 403
    )
    assert staff_client.post(f"/admin/donations/donation/{donation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/donations/donation/add/").status_code == 403
    donation.refresh_from_db()
    assert donation.amount_minor == 5000
    assert "other@example.org" in staff_client.get("/admin/donations/recurringdonation/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_staff_find_a_gift_by_its_receipt_number_or_whole_email_and_see_which_lack_a_receipt(staff_client, campaign):
    from outlet.receipts.models import Receipt

    give(campaign, email="Mixed.Case@Example.org", name="Tamar")
    give(campaign, email="other@example.org", name="Levan")
    receipted = Donation.objects.get(name="Tamar")
    Receipt.objects.filter(payment__donation__name="Levan").delete()  # as if the receipt task had not run yet
    receipt = Receipt.objects.filter(payment=receipted.payment).first() or Receipt.objects.create(
        payment=receipted.payment,
        issuer="cl",
        year=2026,
        sequence=77,
        number="2026-000077",
        description="Gift",
        amount_minor=receipted.amount_minor,
        currency="GEL",
        issued_at=timezone.now(),
        access_key="k" * 32,
    )

    def listed(query: str) -> set[str]:
        html = staff_client.get(f"/admin/donations/donation/?{query}").content.decode()
        return {name for name in ("Tamar", "Levan") if f">{name} &lt;" in html}

    assert listed(f"q={receipt.number}") == {"Tamar"}
    assert listed("q=mixed.case%40example.org") == {"Tamar"}
    assert listed("q=Lev") == {"Levan"}
    assert listed("receipt=missing") == {"Levan"}
    assert listed("receipt=issued") == {"Tamar"}


@pytest.mark.django_db(transaction=True)
def test_the_gift_list_costs_the_same_for_any_number_of_gifts(staff_client, campaign, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    give(campaign, email="first@example.org")
    with CaptureQueriesContext(connection) as one:
        staff_client.get("/admin/donations/donation/")
    for i in range(5):
        give(campaign, email=f"d{i}@example.org", interval="month" if i % 2 else "once")
    with django_assert_num_queries(len(one.captured_queries)):
        assert staff_client.get("/admin/donations/donation/").content.decode().count("@example.org&gt;") == 6


# --- Who may see it -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/donations/campaign/",
        "/admin/donations/campaign/add/",
        "/admin/donations/donation/",
        "/admin/donations/recurringdonation/",
        "/admin/donations/campaign/payout-report/",
    ],
)
def test_readers_who_are_not_staff_are_sent_to_sign_in(url, campaign):
    reader = Client()
    reader.force_login(UserFactory(username="reader", email="reader@example.org"))
    for client in (Client(), reader):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_without_the_view_donation_permission_cannot_download_payouts(campaign):
    editor = UserFactory(username="editor", email="editor@example.org", is_staff=True)
    editor.user_permissions.add(
        Permission.objects.get(codename="change_campaign"), Permission.objects.get(codename="view_campaign")
    )
    client = Client()
    client.force_login(editor)
    assert client.get("/admin/donations/campaign/payout-report/").status_code == 403
    assert (
        client.get(
            f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}&date_from=2026-01-01"
            f"&date_to=2026-01-31&download=1"
        ).status_code
        == 403
    )
    html = client.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()
    assert "Payout report (CSV)" not in html
    assert client.get("/admin/donations/donation/").status_code == 403


# --- Money and shares as people write them ------------------------------------------------------------------


def change_page(client, campaign) -> str:
    return client.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()


@pytest.mark.django_db
def test_the_campaign_page_shows_amounts_shares_and_rates_as_people_write_them(staff_client, campaign):
    html = change_page(staff_client, campaign)
    assert 'name="goal_minor" value="50000"' in html
    assert 'name="currencies-0-preset_amounts_minor" value="20, 50, 100"' in html
    assert (
        'name="currencies-1-min_amount_minor" value="2"' in html
        and 'name="currencies-1-max_amount_minor" value="2000"' in html
    )
    assert 'name="currencies-1-rate_to_goal_ppm" value="2.7"' in html
    assert [
        f'name="beneficiaries-{i}-share" value="{share}"' in html for i, share in enumerate(("50", "30", "20"))
    ] == [True] * 3
    assert (
        "minor units" not in html and "Counts in the goal&#x27;s currency as" in html and "Share of each gift" in html
    )


@pytest.mark.django_db
def test_staff_type_a_goal_presets_and_a_rate_and_they_are_kept_exactly(staff_client, campaign):
    data = edit_form_data(staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/"))
    data |= {
        "goal_minor": "1,500.50",
        "currencies-0-preset_amounts_minor": "12.50, 25, 1,000",
        "currencies-0-min_amount_minor": "GEL 5",
        "currencies-1-rate_to_goal_ppm": "2.715",
    }
    response = staff_client.post(f"/admin/donations/campaign/{campaign.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    gel, usd = campaign.currencies.get(currency="GEL"), campaign.currencies.get(currency="USD")
    assert campaign.goal_minor == 150_050
    assert (gel.preset_amounts_minor, gel.min_amount_minor, usd.rate_to_goal_ppm) == (
        [1250, 2500, 100_000],
        500,
        2_715_000,
    )
    assert "GEL\u00a01,500.50" in staff_client.get("/admin/donations/campaign/").content.decode()
    assert 'name="goal_minor" value="1500.50"' in change_page(staff_client, campaign)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("goal_minor", "lots", "Enter an amount like 38.42."),
        ("goal_minor", "1500.505", "GEL amounts have at most 2 digits after the decimal point"),
        ("goal_minor", "-100", "Enter an amount above 0, without a minus sign."),
        ("goal_minor", "15e2", "Enter an amount like 38.42."),
        ("currencies-0-min_amount_minor", "five", "Enter an amount like 38.42."),
        (
            "currencies-0-preset_amounts_minor",
            "10,25,50",
            "Separate amounts with a comma and a space, like 10, 25, 50.",
        ),
        ("currencies-1-rate_to_goal_ppm", "2.7 GEL", "Enter a number like 2.7."),
        ("currencies-1-rate_to_goal_ppm", "0", "The rate must be above 0."),
        ("beneficiaries-0-share", "fifty", "Enter a number like 33.5."),
        ("beneficiaries-0-share", "33.33333", "Use at most 4 digits after the decimal point."),
    ],
)
def test_an_amount_or_rate_that_cannot_be_read_exactly_is_refused_with_what_to_type(
    staff_client, field, typed, message
):
    html = errors_of(staff_client.post("/admin/donations/campaign/add/", campaign_form(**{field: typed})))
    assert message in html.replace("&#x27;", "'")
    assert not Campaign.objects.filter(slug="lawyers").exists()


@pytest.mark.django_db
def test_a_goal_in_a_currency_without_minor_units_is_typed_whole(staff_client):
    data = campaign_form(
        currency="JPY",
        **{
            "currencies-1-currency": "JPY",
            "currencies-1-preset_amounts_minor": "1000",
            "currencies-1-min_amount_minor": "500",
            "currencies-1-max_amount_minor": "100000",
        },
    )
    assert "JPY amounts are whole numbers" in errors_of(
        staff_client.post("/admin/donations/campaign/add/", data | {"goal_minor": "38.42"})
    )
    assert staff_client.post("/admin/donations/campaign/add/", data | {"goal_minor": "3842"}).status_code == 302
    assert Campaign.objects.get(slug="lawyers").goal_minor == 3842


@pytest.mark.django_db
def test_shares_kept_as_weights_are_shown_as_percentages_and_saved_as_millionths_in_the_same_proportion(
    staff_client, campaign
):
    campaign.beneficiaries.update(share=1)  # an older campaign: three equal weights
    page = staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/")
    html = page.content.decode()
    assert [
        f'name="beneficiaries-{i}-share" value="{share}"' in html
        for i, share in enumerate(("33.3334", "33.3333", "33.3333"))
    ] == [True] * 3
    assert (
        staff_client.post(f"/admin/donations/campaign/{campaign.pk}/change/", edit_form_data(page)).status_code == 302
    )
    assert list(campaign.beneficiaries.order_by("position").values_list("share", flat=True)) == [
        333_334,
        333_333,
        333_333,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_gifts_page_names_each_ledger_line_and_shows_money_shares_and_local_times(staff_client, campaign, settings):
    from datetime import datetime

    import time_machine

    campaign.starts_at = datetime(2026, 12, 5, tzinfo=UTC)  # open by then, whatever day the suite runs
    campaign.save(update_fields=["starts_at"])
    with time_machine.travel(datetime(2026, 12, 6, 21, 30, tzinfo=UTC), tick=False):  # 01:30 on the 7th in Tbilisi
        give(campaign, email="nino@example.org", gift_minor=3842)
    donation = Donation.objects.get()
    html = staff_client.get(f"/admin/donations/donation/{donation.pk}/change/").content.decode()
    assert "object (" not in html
    assert f"to Mountain Voice (gift {donation.pk})" in html and "50\u00a0%" in html and "20\u00a0%" in html
    assert "GEL\u00a038.42" in html and "Amount minor" not in html and "Net minor" not in html
    assert "7 December 2026, 01:30 Tbilisi time" in html
    listing = staff_client.get("/admin/donations/donation/").content.decode()
    assert "Given (Tbilisi time)" in listing and "7 Dec 2026, 01:30" in listing
