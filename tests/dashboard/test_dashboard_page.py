"""The revenue dashboard page: who may open it, that it shows the reconciled figures with their charts and data
tables, and that it costs the same number of queries however much data there is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members.models import Tier
from outlet.common.money import format_money
from tests.dashboard.test_dashboard_numbers import (
    KNOWN,
    NOW,
    build_known_data,
    gift,
    make_campaign,
    member,
    monthly_gift,
)
from tests.factories import UserFactory

URL = "/admin/revenue/"


def staff_with(*codenames: str, username: str = "finance"):
    user = UserFactory(username=username, is_staff=True)
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finance(db):
    return client_for(staff_with("payments.view_revenue_dashboard"))


@pytest.fixture
def known_page(finance, at_now):
    build_known_data()
    response = finance.get(URL)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _no_snapshot_from_another_test():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def at_now():
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield NOW


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, re.S)]


def table_rows(html: str) -> list[list[str]]:
    return [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


# --- Who may open it ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_the_permission_are_refused_and_see_no_link():
    client = client_for(staff_with("members.view_membership", username="editor"))
    assert client.get(URL).status_code == 403
    assert "Revenue dashboard" not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_readers_and_visitors_are_sent_to_the_admin_sign_in():
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_revenue_dashboard"))
    for client in (Client(), client_for(reader)):
        response = client.get(URL)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_allowed_to_see_it_still_need_the_admins_two_factor_sign_in():
    from tests.staff import force_login_without_second_factor

    client = Client()
    force_login_without_second_factor(client, staff_with("payments.view_revenue_dashboard"))
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_home_links_to_the_dashboard_for_those_allowed_and_keeps_the_app_list(finance):
    html = finance.get("/admin/").content.decode()
    assert f'href="{URL}"' in html and "Revenue dashboard" in html
    superuser = client_for(UserFactory(username="boss", is_staff=True, is_superuser=True))
    home = superuser.get("/admin/").content.decode()
    assert f'href="{URL}"' in home and "/admin/members/membership/" in home


@pytest.mark.django_db
def test_the_page_only_answers_get(finance):
    assert finance.post(URL).status_code == 405


# --- What it shows --------------------------------------------------------------------------------------------


def test_recurring_revenue_per_currency_with_memberships_and_monthly_gifts_apart(known_page):
    rows = {
        row[0]: row[1:]
        for row in table_rows(section(known_page, "recurring-revenue"))
        if row and row[0] in ("GEL", "USD")
    }
    for currency, known in KNOWN["mrr"].items():
        memberships, members, gifts, donors, total = rows[currency]
        assert memberships == format_money(known["memberships"], currency)
        assert members.startswith(
            f"{known['monthly_members'] + known['yearly_members']} ({known['monthly_members']} monthly, "
            f"{known['yearly_members']} yearly)"
        )
        assert gifts == format_money(known["gifts"], currency) and donors == str(known["donors"])
        assert total == format_money(known["total"], currency)
    assert rows["GEL"][-1] == "GEL\u00a085" and rows["USD"][-1] == "$22.01"
    assert "2 renewing members not counted above: the payment provider has not confirmed their plan yet" in " ".join(
        re.sub(r"</?strong>", "", section(known_page, "recurring-revenue")).split()
    )


def test_members_by_tier_with_a_total_row(known_page):
    rows = table_rows(section(known_page, "members-by-tier"))
    assert [r for r in rows if r and r[0] in ("Standard", "Patron", "All tiers")] == [
        ["Standard", "6", "1", "7"],
        ["Patron", "4", "1", "5"],
        ["All tiers", "10", "2", "12"],
    ]


def test_movement_per_month_in_a_chart_and_its_data_table(known_page):
    html = section(known_page, "member-movement")
    assert (
        html.count('class="revenue-chart"') == 1
        and 'aria-label="New, cancelled and lapsed members per month (last 12 months)"' in html
    )
    data = {row[0]: row[1:] for row in table_rows(html) if row and re.match(r"[A-Z][a-z]{2} \d{4}$", row[0])}
    assert list(data)[0] == "Jul 2025" and list(data)[-1] == "Jun 2026" and len(data) == 12
    for month, counts in KNOWN["movement"].items():
        assert data[f"{month:%b %Y}"] == [str(c) for c in counts]
    assert data["Jan 2026"] == ["0", "0", "0"]
    assert "Last 12 months: 4 new, 3 cancelled, 4 lapsed." in html


def test_gifts_per_campaign_last_twelve_months_and_all_time(known_page):
    html = section(known_page, "campaign-gifts")
    summary = re.search(r'<table[^>]*id="campaign-summary".*?</table>', html, re.S).group(0)
    rows = [r for r in table_rows(summary) if r and r[0] in ("Safety fund", "Court fund")]
    assert rows == [
        [
            "Safety fund",
            "GEL",
            "GEL\u00a0205",
            "GEL\u00a0110",
            "GEL\u00a095",
            "4",
            "GEL\u00a0205",
            "GEL\u00a0110",
            "GEL\u00a095",
            "4",
        ],
        ["Safety fund", "USD", "$25", "$5", "$20", "2", "$25", "$5", "$20", "2"],
        [
            "Court fund",
            "GEL",
            "GEL\u00a040",
            "GEL\u00a00",
            "GEL\u00a040",
            "1",
            "GEL\u00a0110",
            "GEL\u00a020",
            "GEL\u00a090",
            "2",
        ],
    ]
    # One chart and one monthly table per campaign and currency.
    assert html.count('class="revenue-chart"') == 3
    february = [
        r
        for r in table_rows(re.search(r'id="chart-campaign-\d+-gel-data".*?</table>', html, re.S).group(0))
        if r and r[0] == "Feb 2026"
    ]
    assert february == [["Feb 2026", "GEL\u00a0150", "GEL\u00a0100", "GEL\u00a050", "2"]]


def test_every_chart_is_a_labelled_image_with_a_title_and_description(known_page):
    charts = re.findall(r'<svg[^>]*class="revenue-chart".*?</svg>', known_page, re.S)
    assert len(charts) == 5  # members by tier, movement, three campaign/currency charts
    for chart in charts:
        assert 'role="img"' in chart and 'aria-label="' in chart and "<title id=" in chart and "<desc id=" in chart
        assert "<rect" in chart  # bars
    ids = re.findall(r'\sid="([^"]+)"', known_page)
    assert len(ids) == len(set(ids)), "element ids are unique"
    # Under each chart, before anything else, a table with its numbers.
    for chart_id in re.findall(r'<figure class="revenue-figure" id="([^"]+)"', known_page):
        after = known_page[known_page.index(f'<figure class="revenue-figure" id="{chart_id}"') :]
        assert re.search(r"<table[^>]*>", after).group(0).endswith(f'id="{chart_id}-data">'), chart_id
    assert "https://" not in "".join(re.findall(r"<(?:script|link)[^>]*>", known_page)).replace(
        "https://www.w3.org", ""
    )


def test_breadcrumbs_lead_back_to_the_admin_home(known_page):
    assert re.search(r'<div class="breadcrumbs">\s*<a href="/admin/">Home</a> &rsaquo; Revenue dashboard', known_page)


@pytest.mark.django_db
def test_an_empty_database_renders_with_zeros_and_plain_messages(finance):
    response = finance.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No paying members or monthly gifts yet." in html and "No gifts yet." in html
    assert "Last 12 months: 0 new, 0 cancelled, 0 lapsed." in html
    assert html.count('class="revenue-chart"') == 1  # the movement chart, all zeros


# --- Cost -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_costs_the_same_number_of_queries_with_more_data(finance, at_now):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert finance.get(URL).status_code == 200
        return len(captured)

    build_known_data()
    small = queries()
    safety = make_campaign("more", "More fund", starts=NOW - timedelta(days=30))
    tier = Tier.objects.get(slug="standard")
    for i in range(40):
        member(tier, interval="year" if i % 2 else "month", currency="USD" if i % 3 else "GEL")
        gift(
            safety,
            amount_minor=1000 + i,
            currency="GEL" if i % 2 else "USD",
            at=NOW - timedelta(days=i * 9),
            refunded_minor=i % 5,
        )
        monthly_gift(safety, amount_minor=500 + i, currency="EUR")
    assert queries() == small
    # The members' figures cached or not: the version is read first; a figure made afresh also looks for its kept
    # row and writes it (three figures: six small queries, against a scan of every membership after a flush).
    assert small <= 22, f"{small} queries"
