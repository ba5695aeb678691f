"""Member CSV export: what the member list shows (filters and search), streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outlet.common.local_time import site_date
from tests.factories import MembershipFactory, TierFactory, UserFactory
from tests.members import factories_member_admin as make

EXPORT = "/admin/members/membership/export/"


@pytest.fixture
def exporter(db):
    user = make.staff_with("members.view_membership", "members.export_members", username="exporter")
    client = Client()
    client.force_login(user)
    return client


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def member(email, **fields):
    user_fields = {k: fields.pop(k) for k in ("first_name", "last_name") if k in fields}
    return MembershipFactory(user=UserFactory(username=email.split("@")[0], email=email, **user_fields), **fields)


@pytest.mark.django_db
def test_the_export_has_the_columns_staff_use(exporter):
    renews = timezone.now() + timedelta(days=10)
    m = member(
        "nino@example.org",
        first_name="Nino",
        last_name="Beridze",
        tier=TierFactory(name="Insider"),
        currency="GEL",
        amount_minor=1550,
        interval="month",
        provider="sandbox",
        provider_customer_id="cus_1",
        current_period_end=renews,
    )
    make.payment(m.user, amount_minor=1550)
    make.payment(m.user, amount_minor=1550, refunded_minor=550, days_ago=30)
    response = exporter.get(EXPORT)
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    [row] = read_csv(response)
    assert row["email"] == "nino@example.org" and row["name"] == "Nino Beridze" and row["tier"] == "Insider"
    assert (row["status"], row["source"], row["interval"], row["currency"], row["amount"]) == (
        "active",
        "paid",
        "month",
        "GEL",
        "15.50",
    )
    assert row["next charge"] == site_date(renews).isoformat() and row["ended"] == ""
    assert row["lifetime value"] == "25.50" and row["provider customer id"] == "cus_1"


@pytest.mark.django_db
def test_the_export_applies_the_lists_filters_and_search(exporter):
    insider = TierFactory(name="Insider")
    member("keep@example.org", first_name="Tamar", tier=insider)
    member("other-tier@example.org", first_name="Tamar")
    member("lapsed@example.org", first_name="Tamar", tier=insider, status="lapsed")
    member("not-found@example.org", first_name="Levan", tier=insider)
    rows = read_csv(exporter.get(f"{EXPORT}?q=tamar&status__exact=active&tier__id__exact={insider.pk}"))
    assert [row["email"] for row in rows] == ["keep@example.org"]


@pytest.mark.django_db
def test_the_list_offers_the_export_with_its_current_filters(exporter):
    member("a@example.org")
    html = exporter.get("/admin/members/membership/?status__exact=lapsed").content.decode()
    assert f'href="{EXPORT}?status__exact=lapsed"' in html


@pytest.mark.django_db
def test_formulas_are_neutralised_and_non_ascii_names_survive(exporter):
    member("evil@example.org", first_name='=HYPERLINK("http://x")', last_name="+1")
    member("nino@example.org", first_name="ნინო", last_name="ბერიძე")
    rows = {row["email"]: row for row in read_csv(exporter.get(EXPORT))}
    assert rows["evil@example.org"]["name"].startswith("'=HYPERLINK")
    assert rows["nino@example.org"]["name"] == "ნინო ბერიძე"


@pytest.mark.django_db
def test_the_export_needs_the_export_permission(db):
    viewer = make.staff_with("members.view_membership")
    client = Client()
    client.force_login(viewer)
    assert client.get(EXPORT).status_code == 403
    assert "Export CSV" not in client.get("/admin/members/membership/").content.decode()


@pytest.mark.django_db
def test_bad_filters_are_explained_not_a_server_error(exporter):
    response = exporter.get(f"{EXPORT}?no_such_field=1", follow=True)
    assert response.status_code == 200 and "the export was not made" in response.content.decode()


def _export_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(client.get(EXPORT))
    return len(queries), len(rows)


@pytest.mark.django_db
def test_the_export_costs_the_same_queries_for_5_or_60_members(exporter, settings):
    tier = TierFactory()

    def add(n):
        for _ in range(n):
            m = MembershipFactory(tier=tier, currency="GEL", amount_minor=1500)
            make.payment(m.user)

    add(5)
    few = _export_queries(exporter)
    add(55)
    many = _export_queries(exporter)
    assert (few[1], many[1]) == (5, 60)
    assert few[0] == many[0], "no query per member"


@pytest.mark.django_db
def test_the_export_walks_the_members_in_batches(exporter, monkeypatch):
    """Flat memory: rows are read 2,000 at a time (here 10), a query per batch, never all at once."""
    from members import exports
    from outlet.common import csv_stream

    original = csv_stream.queryset_csv_response
    monkeypatch.setattr(exports, "queryset_csv_response", lambda **kw: original(**kw, batch_size=10))
    tier = TierFactory()
    for _ in range(25):
        MembershipFactory(tier=tier)
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(exporter.get(EXPORT))
    batches = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "members_membership"."id"') and "LIMIT 10" in q["sql"]
    ]
    assert len(rows) == 25 and len(batches) == 4  # 10 + 10 + 5 + the empty read that ends the walk


@pytest.mark.django_db
def test_a_list_too_big_for_one_download_is_refused_with_its_filters_kept(exporter, settings):
    """Half a file (a web worker stopped at its timeout) would look complete in a spreadsheet: refuse instead."""
    settings.CSV_EXPORT_MAX_ROWS = 2
    for name in ("ana", "beka", "dato"):
        member(f"{name}@example.org", status="active")
    response = exporter.get(f"{EXPORT}?status__exact=active")
    assert response.status_code == 302 and response["Location"].endswith(
        "/admin/members/membership/?status__exact=active"
    )
    page = exporter.get(response["Location"]).content.decode()
    assert "more than 2 rows" in page and "Nothing was exported" in page
    assert len(read_csv(exporter.get(f"{EXPORT}?q=ana"))) == 1  # a narrower list exports


@pytest.mark.django_db
def test_days_in_the_export_are_the_newsrooms_days(exporter):
    """A member who joined at 21:30 UTC on 12 December joined on the 13th in Tbilisi, as the list and emails say."""
    from datetime import datetime

    late_evening_utc = datetime(2026, 12, 12, 21, 30, tzinfo=UTC)
    member("late@example.org", started_at=late_evening_utc, current_period_end=late_evening_utc + timedelta(days=31))
    [row] = read_csv(exporter.get(EXPORT))
    assert (row["since"], row["next charge"]) == ("2026-12-13", "2027-01-13")
