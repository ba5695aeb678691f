"""The member list and the member page in the admin: what staff search, filter and read, at a pinned SQL cost."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.admin_members import AccessNowFilter
from members.models import MemberEvent, Membership, TierPrice
from members.services import membership_grants_access
from outlet.common.local_time import short_date_text
from tests.factories import MembershipFactory, TierFactory, UserFactory
from tests.members import factories_member_admin as make

LIST = "/admin/members/membership/"


@pytest.fixture
def staff(db):
    user = UserFactory(username="anna", email="anna@example.org", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return user, client


def member(email, *, first_name="", last_name="", **fields):
    return MembershipFactory(
        user=UserFactory(username=email.split("@")[0], email=email, first_name=first_name, last_name=last_name),
        **fields,
    )


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html.split('id="result_list"', 1)[1].split("</table>", 1)[0], re.S)[1:]


def listed_emails(client, query: str = "") -> set[str]:
    html = client.get(LIST + query).content.decode()
    assert 'id="result_list"' in html or "0 memberships" in html or "0 results" in html, html[:500]
    if 'id="result_list"' not in html:
        return set()
    return {re.search(r"[\w.+-]+@example\.org", row).group(0) for row in rows(html)}


# --- The list -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_member_tier_status_since_next_charge_and_lifetime_value(staff):
    _, client = staff
    renews = timezone.now() + timedelta(days=12)
    payer = member(
        "payer@example.org",
        first_name="Nino",
        last_name="Beridze",
        tier=TierFactory(name="Insider"),
        source="paid",
        currency="GEL",
        amount_minor=1500,
        interval="month",
        current_period_end=renews,
    )
    make.payment(payer.user, amount_minor=1500, days_ago=40)
    make.payment(payer.user, amount_minor=1500, refunded_minor=500)  # 15 + 15 - 5 = 25
    make.payment(payer.user, amount_minor=9000, purpose="donation")  # a gift is not membership value
    leaving = member(
        "leaving@example.org",
        status="cancelled",
        current_period_end=renews,
        source="paid",
        currency="GEL",
        amount_minor=1500,
    )
    member("board@example.org", source="comp", current_period_end=None)
    ended = member("gone@example.org", status="lapsed", ended_at=timezone.now() - timedelta(days=3))

    html = client.get(LIST).content.decode()
    by_email = {re.search(r"[\w.+-]+@example\.org", row).group(0): row for row in rows(html)}
    assert "Nino Beridze" in by_email["payer@example.org"] and "Insider" in by_email["payer@example.org"]
    assert f"{short_date_text(renews)} · GEL\u00a015" in by_email["payer@example.org"]
    assert "GEL\u00a025" in by_email["payer@example.org"]
    assert f"ends {short_date_text(leaving.current_period_end)}" in by_email["leaving@example.org"]
    assert (
        "Active (comp)" in by_email["board@example.org"]
        and '<td class="field-next_charge">—</td>' in by_email["board@example.org"]
    )
    assert f"ended {short_date_text(ended.ended_at)}" in by_email["gone@example.org"]
    assert "Export CSV" in html and "Comp a membership" in html
    assert "delete_selected" not in html, "memberships end through the provider or a comp's end, not a bulk delete"


@pytest.mark.django_db
def test_lifetime_value_names_other_currencies_instead_of_adding_them_up(staff):
    _, client = staff
    mixed = member("mixed@example.org", currency="USD", amount_minor=600)
    make.payment(mixed.user, amount_minor=600, currency="USD")
    make.payment(mixed.user, amount_minor=1500, currency="GEL", days_ago=400)
    html = client.get(LIST).content.decode()
    assert "$6 + other currencies" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, expected",
    [
        ("?q=Beridze", {"nino@example.org"}),
        ("?q=nino beridze", {"nino@example.org"}),
        ("?q=LEVAN@example", {"levan@example.org"}),
        ("?q=cus_levan123", {"levan@example.org"}),
        ("?q=sub_nino77", {"nino@example.org"}),
        ("?q=Levan@Example.org", {"levan@example.org"}),  # a whole address, any case
        ("?q=berid", {"nino@example.org"}),  # part of a name
        ("?q=ბერიძე", {"tamar@example.org"}),  # names in Georgian script
        ('?q="Nino"', {"nino@example.org"}),
        ("?q=cus_levan", set()),  # provider ids match whole or not at all
        ("?q=nobody@example.org", set()),
    ],
)
def test_staff_find_a_member_by_name_email_or_provider_ids(staff, query, expected):
    _, client = staff
    member("nino@example.org", first_name="Nino", last_name="Beridze", provider_subscription_id="sub_nino77")
    member("levan@example.org", first_name="Levan", provider_customer_id="cus_levan123")
    member("tamar@example.org", first_name="Tamar", last_name="ბერიძე")
    assert listed_emails(client, query) == expected


@pytest.mark.django_db
def test_the_filters_narrow_the_list(staff):
    _, client = staff
    supporter, insider = TierFactory(name="Supporter"), TierFactory(name="Insider")
    # The currency filter offers the currencies of the tier prices (members pay one of them).
    TierPrice.objects.create(tier=supporter, interval="month", currency="GEL", amount_minor=1500)
    TierPrice.objects.create(tier=insider, interval="year", currency="USD", amount_minor=9000)
    now = timezone.now()
    member("gel@example.org", tier=supporter, currency="GEL", interval="month", started_at=now - timedelta(days=400))
    member("usd@example.org", tier=insider, currency="USD", interval="year", started_at=now - timedelta(days=2))
    member("comp@example.org", tier=insider, source="comp", current_period_end=None, started_at=now - timedelta(days=2))
    member(
        "lapsed@example.org",
        tier=supporter,
        status="lapsed",
        ended_at=now - timedelta(days=1),
        current_period_end=now - timedelta(days=1),
        started_at=now - timedelta(days=400),
    )

    assert listed_emails(client, "?status__exact=lapsed") == {"lapsed@example.org"}
    assert listed_emails(client, f"?tier__id__exact={insider.pk}") == {"usd@example.org", "comp@example.org"}
    assert listed_emails(client, "?currency=USD") == {"usd@example.org"}
    assert 'href="?currency="' not in client.get(LIST).content.decode(), "no empty currency choice for comps"
    assert listed_emails(client, "?interval__exact=year") == {"usd@example.org"}
    assert listed_emails(client, "?source__exact=comp") == {"comp@example.org"}
    assert listed_emails(client, "?" + urlencode({"started_at__gte": (now - timedelta(days=7)).isoformat()})) == {
        "usd@example.org",
        "comp@example.org",
    }
    assert listed_emails(client, "?ended_at__isnull=False") == {"lapsed@example.org"}
    assert listed_emails(client, "?access=no") == {"lapsed@example.org"}
    assert listed_emails(client, "?access=yes&tier__id__exact=" + str(supporter.pk)) == {"gel@example.org"}


@pytest.mark.django_db
def test_the_access_now_filter_agrees_with_the_rule_articles_use():
    now = timezone.now()
    soon, past, long_past = now + timedelta(days=3), now - timedelta(hours=1), now - timedelta(days=5)
    cases = [
        {"status": "active", "source": "paid", "current_period_end": soon},
        {"status": "active", "source": "paid", "current_period_end": past},  # renewal leeway: still in
        {"status": "active", "source": "paid", "current_period_end": long_past},
        {"status": "active", "source": "comp", "current_period_end": past},  # a comp has no leeway
        {"status": "active", "source": "comp", "current_period_end": None},
        {"status": "cancelled", "source": "paid", "current_period_end": soon},
        {"status": "cancelled", "source": "paid", "current_period_end": past},
        {"status": "past_due", "source": "paid", "current_period_end": past, "grace_until": soon},
        {"status": "past_due", "source": "paid", "current_period_end": soon, "grace_until": past},
        {"status": "past_due", "source": "paid", "current_period_end": soon, "grace_until": None},
        {"status": "lapsed", "source": "paid", "current_period_end": soon},
        {"status": "lapsed", "source": "comp", "current_period_end": None},
    ]
    memberships = [MembershipFactory(**case) for case in cases]
    expected = {m.pk for m in memberships if membership_grants_access(m, now=now)}
    assert set(Membership.objects.filter(AccessNowFilter.condition(now)).values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < len(cases)


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content) if response.streaming else response.content
    return len(queries)


@pytest.mark.django_db
def test_the_list_costs_the_same_sql_for_3_or_30_members_with_payments(staff, django_assert_max_num_queries):
    _, client = staff
    tiers = [TierFactory(), TierFactory()]

    def add(n):
        for i in range(n):
            m = MembershipFactory(tier=tiers[i % 2], currency="GEL", amount_minor=1500)
            make.payment(m.user)
            make.payment(m.user, days_ago=30, refunded_minor=1500)

    add(3)
    few = _count_queries(client, LIST + "?status__exact=active&q=example")
    add(27)
    many = _count_queries(client, LIST + "?status__exact=active&q=example")
    assert few == many
    # session + staff user + second-factor check, the filtered count, the page (lifetime value in it), the
    # tiers and currencies for the filters; nothing per row.
    with django_assert_max_num_queries(7):
        client.get(LIST + "?status__exact=active&q=example")


# --- The member page ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_member_page_shows_key_facts_and_one_timeline_newest_first(staff):
    staff_user, client = staff
    renews = timezone.now() + timedelta(days=9)
    m = member(
        "nino@example.org",
        first_name="Nino",
        tier=TierFactory(name="Supporter"),
        source="paid",
        provider="stripe",
        provider_customer_id="cus_N1",
        provider_subscription_id="sub_N1",
        currency="GEL",
        amount_minor=1500,
        interval="month",
        current_period_end=renews,
        started_at=timezone.now() - timedelta(days=70),
    )
    old = make.payment(m.user, amount_minor=1500, days_ago=60)
    new = make.payment(m.user, amount_minor=1500, days_ago=30, refunded_minor=500)
    old_receipt, new_receipt = make.receipt(old), make.receipt(new)
    make.sent_email(m.user, subject="Welcome to Supporter", days_ago=59)
    make.event(m, kind=MemberEvent.Kind.JOINED, summary="Became a Supporter member", days_ago=60)
    make.event(
        m,
        kind="staff_action",
        summary="Staff asked the payment provider to end the membership at the period end",
        staff_user=staff_user,
        days_ago=1,
    )

    html = client.get(f"{LIST}{m.pk}/change/").content.decode()
    facts = html.split('id="member-facts-heading"', 1)[1].split("</dl>", 1)[0]
    assert "nino@example.org" in facts and "Supporter" in facts and "GEL\u00a015 monthly" in facts
    assert short_date_text(renews) in facts and "GEL\u00a025" in facts
    assert 'href="https://dashboard.stripe.com/customers/cus_N1"' in facts and "sub_N1" in facts

    timeline = html.split('id="member-timeline-heading"', 1)[1].split("</table>", 1)[0]
    # A receipt is issued seconds after its payment.
    expected_order = [
        "Staff asked the payment provider to end",
        new_receipt.number,
        "GEL\u00a015 — Partially refunded, GEL\u00a05 refunded",
        "Welcome to Supporter",
        old_receipt.number,
        "Became a Supporter member",
    ]
    positions = [timeline.index(text) for text in expected_order]
    assert positions == sorted(positions), "newest first"
    assert "staff: anna" in timeline
    assert f'href="/admin/receipts/receipt/{new_receipt.pk}/pdf/"' in timeline
    # The record itself cannot be saved from here: no save buttons.
    assert 'name="_save"' not in html


@pytest.mark.django_db
def test_the_member_page_costs_the_same_sql_for_a_short_or_a_long_history(staff):
    _, client = staff
    short, long = MembershipFactory(), MembershipFactory()
    make.long_history(short, months=1)
    make.long_history(long, months=25)
    assert _count_queries(client, f"{LIST}{short.pk}/change/") == _count_queries(client, f"{LIST}{long.pk}/change/")


@pytest.mark.django_db
def test_the_member_page_query_count_is_pinned(staff, django_assert_max_num_queries):
    _, client = staff
    m = MembershipFactory()
    make.long_history(m, months=6)
    # session, staff user, second factor; the membership; the timeline's four sources; lifetime totals;
    # verified email; last payment and receipts (for the action buttons); the content type (History link).
    with django_assert_max_num_queries(15):
        assert client.get(f"{LIST}{m.pk}/change/").status_code == 200
