"""Staff set up fundraisers in the admin and read gifts there; the rules a campaign must meet come back as clear
messages, money rows cannot be edited by hand, and readers who are not staff see none of it."""

from __future__ import annotations

from datetime import timedelta

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
    client.force_login(UserFactory(username="fundraising", email="fundraising@example.org", is_staff=True, is_superuser=True))
    return client


def campaign_form(**overrides) -> dict:
    """The add form as staff would fill it: two currencies, three outlets, one update."""
    start = timezone.localtime() - timedelta(days=1)
    data = {
        "title": "Lawyers for reporters", "slug": "lawyers", "summary": "Legal help.",
        "story": '<p>Help <strong>now</strong>.</p><script>alert("x")</script><p onclick="steal()">Thanks</p>',
        "goal_minor": "1000000", "currency": "gel",
        "starts_at_0": start.strftime("%Y-%m-%d"), "starts_at_1": start.strftime("%H:%M:%S"), "ends_at_0": "", "ends_at_1": "",
        "is_published": "on", "allow_monthly": "on", "allow_custom_split": "on",
        "currencies-TOTAL_FORMS": "2", "currencies-INITIAL_FORMS": "0", "currencies-MIN_NUM_FORMS": "1", "currencies-MAX_NUM_FORMS": "1000",
        "beneficiaries-TOTAL_FORMS": "3", "beneficiaries-INITIAL_FORMS": "0", "beneficiaries-MIN_NUM_FORMS": "1", "beneficiaries-MAX_NUM_FORMS": "1000",
        "updates-TOTAL_FORMS": "1", "updates-INITIAL_FORMS": "0", "updates-MIN_NUM_FORMS": "0", "updates-MAX_NUM_FORMS": "1000",
        "updates-0-title": "We started", "updates-0-body": "First week.", "updates-0-published_at_0": start.strftime("%Y-%m-%d"),
        "updates-0-published_at_1": "10:00:00",
    }
    for i, (code, presets, rate) in enumerate([("GEL", "[2000, 5000]", "1000000"), ("usd", "[1000]", "2700000")]):
        data |= {f"currencies-{i}-currency": code, f"currencies-{i}-preset_amounts_minor": presets,
                 f"currencies-{i}-min_amount_minor": "500", f"currencies-{i}-max_amount_minor": "100000",
                 f"currencies-{i}-rate_to_goal_ppm": rate, f"currencies-{i}-position": str(i)}
    for i, (name, share, remainder) in enumerate([("Mountain Voice", "50", True), ("Valley Dispatch", "30", False), ("Border Radio", "20", False)]):
        data |= {f"beneficiaries-{i}-name": name, f"beneficiaries-{i}-slug": name.lower().replace(" ", "-"),
                 f"beneficiaries-{i}-share": share, f"beneficiaries-{i}-position": str(i), f"beneficiaries-{i}-is_active": "on"}
        if remainder:
            data[f"beneficiaries-{i}-receives_rounding_remainder"] = "on"
    return data | overrides


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should come back with errors, not be saved"
    return response.content.decode()


# --- Setting up a campaign ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_create_a_campaign_with_currencies_outlets_and_an_update_and_the_story_is_sanitised(staff_client):
    assert "data-django-prose-editor-configurable" in staff_client.get("/admin/donations/campaign/add/").content.decode()
    response = staff_client.post("/admin/donations/campaign/add/", campaign_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(slug="lawyers")
    assert campaign.currency == "GEL"
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
@pytest.mark.parametrize(("overrides", "message"), [
    ({"beneficiaries-0-is_active": "", "beneficiaries-1-is_active": "", "beneficiaries-2-is_active": ""},
     "Add at least one active outlet with a share above 0"),
    ({"beneficiaries-0-share": "0", "beneficiaries-1-share": "0", "beneficiaries-2-share": "0"},
     "Add at least one active outlet with a share above 0"),
    ({"beneficiaries-0-receives_rounding_remainder": ""}, "for one outlet: it gets the odd minor unit"),
    ({"beneficiaries-2-receives_rounding_remainder": "on"}, "Only one outlet can receive the rounding remainder; ticked for: Mountain Voice, Border Radio."),
    ({"beneficiaries-0-is_active": ""}, "Mountain Voice receives the rounding remainder but is inactive or has a share of 0"),
    ({"currency": "EUR"}, "The goal is in EUR, so donors must be able to give in EUR"),
    ({"currency": "XYZ"}, "Enter a three-letter ISO 4217 currency code"),
    ({"currencies-1-currency": "GEL"}, "Each currency can be listed once."),
    ({"currencies-0-preset_amounts_minor": "[100, 5000]"}, "Preset amounts must lie between the minimum and the maximum; these do not: GEL\u00a01."),
    ({"currencies-0-preset_amounts_minor": '["ten"]'}, "Preset amounts are a list of whole numbers in minor units"),
    ({"currencies-0-max_amount_minor": "100"}, "The largest gift cannot be below the smallest."),
    ({"goal_minor": "0"}, "The goal must be above 0."),
    ({"ends_at_0": "2001-01-01", "ends_at_1": "00:00:00"}, "The campaign must end after it starts."),
])
def test_a_campaign_that_could_not_split_a_gift_is_refused_with_a_clear_message(staff_client, overrides, message):
    html = errors_of(staff_client.post("/admin/donations/campaign/add/", campaign_form(**overrides)))
    assert message in html.replace("&quot;", '"').replace("&#x27;", "'")
    assert not Campaign.objects.filter(slug="lawyers").exists()


@pytest.mark.django_db
def test_an_outlet_with_ledger_entries_cannot_be_deleted_only_made_inactive(staff_client, campaign):
    from donations.models import AllocationEntry
    from outlet.payments.models import Payment

    outlet = campaign.beneficiaries.get(slug="border-radio")
    payment = Payment.objects.create(provider="sandbox", provider_ref="pi_1", purpose="donation", amount_minor=1000,
                                     currency="GEL", paid_at=timezone.now())
    donation = Donation.objects.create(campaign=campaign, payment=payment, currency="GEL", amount_minor=1000,
                                       net_minor=1000, donated_at=timezone.now())
    AllocationEntry.objects.create(donation=donation, beneficiary=outlet, kind="gift", amount_minor=1000, currency="GEL",
                                   weight=1, booked_at=timezone.now())
    page = staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/")
    data = edit_form_data(page)
    index = next(k.split("-")[1] for k, v in data.items() if k.startswith("beneficiaries-") and k.endswith("-id") and v == str(outlet.pk))
    data[f"beneficiaries-{index}-DELETE"] = "on"
    html = errors_of(staff_client.post(f"/admin/donations/campaign/{campaign.pk}/change/", data))
    assert "would require deleting the following protected related objects" in html
    assert Beneficiary.objects.filter(pk=outlet.pk).exists()


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
    assert campaigns.progress_from_prefetched(make_campaign(slug="empty")) == services.campaign_progress(Campaign.objects.get(slug="empty"))


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
def test_the_campaign_page_shows_what_each_outlet_was_allocated_in_one_query(staff_client, campaign, django_assert_max_num_queries):
    paid = give(campaign, email="a@example.org", gift_minor=10_000)
    give(campaign, email="b@example.org", gift_minor=2000, currency="USD")
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="partial")
    from donations import reports

    with django_assert_max_num_queries(2):  # the grouped sums, and the outlets with nothing yet
        lines = reports.campaign_breakdown(campaign=campaign)
    html = staff_client.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()
    assert "What each outlet has been allocated" in html and "Payout report (CSV)" in html
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
    assert staff_client.post(f"/admin/donations/donation/{donation.pk}/change/", {"amount_minor": "1"}).status_code == 403
    assert staff_client.post(f"/admin/donations/donation/{donation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/donations/donation/add/").status_code == 403
    donation.refresh_from_db()
    assert donation.amount_minor == 5000
    assert "other@example.org" in staff_client.get("/admin/donations/recurringdonation/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_staff_find_a_gift_by_its_receipt_number_or_whole_email_and_see_which_lack_a_receipt(staff_client, campaign):
    from donations.models import Receipt

    give(campaign, email="Mixed.Case@Example.org", name="Tamar")
    give(campaign, email="other@example.org", name="Levan")
    receipted = Donation.objects.get(name="Tamar")
    Receipt.objects.filter(payment__donation__name="Levan").delete()  # as if the receipt task had not run yet
    receipt = Receipt.objects.filter(payment=receipted.payment).first() or Receipt.objects.create(
        payment=receipted.payment, issuer="cl", year=2026, sequence=77, number="2026-000077", description="Gift",
        amount_minor=receipted.amount_minor, currency="GEL", issued_at=timezone.now(), access_key="k" * 32,
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
@pytest.mark.parametrize("url", [
    "/admin/donations/campaign/", "/admin/donations/campaign/add/", "/admin/donations/donation/",
    "/admin/donations/recurringdonation/", "/admin/donations/campaign/payout-report/",
])
def test_readers_who_are_not_staff_are_sent_to_sign_in(url, campaign):
    reader = Client()
    reader.force_login(UserFactory(username="reader", email="reader@example.org"))
    for client in (Client(), reader):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_without_the_view_donation_permission_cannot_download_payouts(campaign):
    editor = UserFactory(username="editor", email="editor@example.org", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_campaign"), Permission.objects.get(codename="view_campaign"))
    client = Client()
    client.force_login(editor)
    assert client.get("/admin/donations/campaign/payout-report/").status_code == 403
    assert client.get(f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}&date_from=2026-01-01"
                      f"&date_to=2026-01-31&download=1").status_code == 403
    html = client.get(f"/admin/donations/campaign/{campaign.pk}/change/").content.decode()
    assert "Payout report (CSV)" not in html
    assert client.get("/admin/donations/donation/").status_code == 403
