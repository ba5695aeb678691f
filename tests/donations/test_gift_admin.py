"""Finance staff find gifts in the list: by campaign, date, status, kind, currency, and by email, name, receipt
number or payment id; the page costs the same number of queries however many gifts there are."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import Donation
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.donations.factories_gift_admin import FINANCE, staff_with

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/donations/donation/"
# Session, user, staff two-factor check, user and group permissions, the campaign filter's choices, the currency
# filter's choices, the one count, the page of gifts (campaign joined): pinned so an N+1 shows up as a failure.
LIST_QUERIES = 9


@pytest.fixture
def finance(db):
    return staff_with(*FINANCE)


@pytest.fixture
def gifts(campaign):
    """Four gifts from four donors, with differences a filter or search can find."""
    other = make_campaign(slug="printing-press")
    give(campaign, email="Nino.Beridze@Example.org", name="Nino Beridze", gift_minor=5000)
    give(
        campaign,
        email="levan@example.org",
        name="Levan",
        display_name="L. from Kutaisi",
        gift_minor=2000,
        currency="USD",
    )
    give(campaign, email="tamar@example.org", name="Tamar", gift_minor=3000, interval="month")
    give(other, email="giorgi@example.org", name="Giorgi", gift_minor=7000)
    Donation.objects.filter(name="Giorgi").update(donated_at=timezone.now() - timedelta(days=40))
    return {d.name: d for d in Donation.objects.select_related("payment")}


def listed(client, query: str = "") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        name
        for name in ("Nino Beridze", "Levan", "Tamar", "Giorgi")
        if f">{name} &lt;" in html or ">L. from Kutaisi &lt;" in html and name == "Levan"
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Nino Beridze", "Levan", "Tamar", "Giorgi"}),
        ("monthly=yes", {"Tamar"}),
        ("monthly=no", {"Nino Beridze", "Levan", "Giorgi"}),
        ("currency=USD", {"Levan"}),
        ("currency=GEL", {"Nino Beridze", "Tamar", "Giorgi"}),
        ("donated_at__gte={week_ago}", {"Nino Beridze", "Levan", "Tamar"}),
        ("status__exact=succeeded", {"Nino Beridze", "Levan", "Tamar", "Giorgi"}),
        ("status__exact=refunded", set()),
    ],
)
def test_staff_filter_gifts(finance, gifts, query, expected):
    _, client = finance
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    week_ago = quote(str(midnight - timedelta(days=7)))  # as the date filter's "Past 7 days" link has it
    assert listed(client, query.format(week_ago=week_ago)) == expected


def test_staff_filter_gifts_by_campaign(finance, gifts, campaign):
    _, client = finance
    assert listed(client, f"campaign__id__exact={campaign.pk}") == {"Nino Beridze", "Levan", "Tamar"}
    html = client.get(LIST).content.decode()
    assert "Keep reporters safe" in html and "kind of gift" in html and "By currency" in html


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("nino.beridze@example.org", {"Nino Beridze"}),  # a whole email, any case
        ("NINO.BERIDZE@EXAMPLE.ORG", {"Nino Beridze"}),
        ("nino@example.org", set()),  # a whole email matches whole, not in part
        ("beridze", {"Nino Beridze"}),  # a word of a name, anywhere in it
        ("kutaisi", {"Levan"}),  # the name shown on the wall
        ("levan@", {"Levan"}),  # the start of an email
        ("tam", {"Tamar"}),
        ("nino beridze", {"Nino Beridze"}),  # every word must match
        ("nino levan", set()),
    ],
)
def test_staff_search_gifts_by_email_and_name(finance, gifts, term, expected):
    _, client = finance
    assert listed(client, f"q={term}") == expected


def test_staff_find_a_gift_by_receipt_number_and_payment_id(finance, gifts):
    _, client = finance
    tamar = gifts["Tamar"]
    receipt = Receipt.objects.get(payment=tamar.payment)
    assert listed(client, f"q={receipt.number}") == {"Tamar"}
    assert listed(client, f"q=2099-{receipt.sequence:06d}") == set()
    assert listed(client, f"q={tamar.payment.provider_ref}") == {"Tamar"}
    assert listed(client, "q=sbx_ch_doesnotexist000") == set()
    assert listed(client, f"q={tamar.recurring.subscription_id}") == {"Tamar"}, "a monthly gift's subscription id"


def test_the_gift_list_has_a_fixed_number_of_queries(finance, campaign, django_assert_num_queries):
    _, client = finance
    give(campaign, email="first@example.org")
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(LIST).status_code == 200
    for i in range(6):
        give(
            make_campaign(slug=f"fund-{i}") if i % 2 else campaign,
            email=f"d{i}@example.org",
            interval="month" if i % 3 else "once",
            currency="USD" if i == 4 else "GEL",
        )
    with django_assert_num_queries(LIST_QUERIES):
        html = client.get(LIST).content.decode()
    assert html.count("@example.org&gt;") == 7
    with django_assert_num_queries(LIST_QUERIES):
        client.get(f"{LIST}?campaign__id__exact={campaign.pk}&monthly=no&currency=GEL&q=example")


def test_the_list_neither_counts_all_gifts_nor_sorts_them_without_an_index(finance, gifts):
    _, client = finance
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    counts = [
        q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "donations_donation" in q["sql"]
    ]
    assert len(counts) == 1, "one count for the page, no second full count"
    [page] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "donations_donation"."id"')]
    assert 'ORDER BY "donations_donation"."donated_at" DESC' in page


def test_the_export_button_carries_the_lists_filters(finance, gifts, campaign):
    _, client = finance
    html = client.get(f"{LIST}?campaign__id__exact={campaign.pk}&q=nino&p=1").content.decode()
    assert f'href="/admin/donations/donation/export/?campaign__id__exact={campaign.pk}&amp;q=nino"' in html
    _, reader = staff_with("donations.view_donation", username="reader")
    assert "Export CSV" not in reader.get(LIST).content.decode()


def test_past_the_count_cap_the_list_says_more_than_instead_of_counting_every_gift(finance, gifts, monkeypatch):
    from donations.admin_gifts import GiftPaginator

    _, client = finance
    assert "4 donations" in client.get(LIST).content.decode()
    monkeypatch.setattr(GiftPaginator, "cap", 2)
    html = client.get(LIST).content.decode()
    assert "More than 2 gifts: the newest are shown first" in html and "4 donations" not in html
    assert listed(client) == {"Nino Beridze", "Levan", "Tamar", "Giorgi"}, "every gift is still listed"
    assert "\n1 donation\n" in client.get(f"{LIST}?currency=USD").content.decode(), "under the cap, the exact count"
