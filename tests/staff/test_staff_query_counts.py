"""The staff admin's pages cost the same SQL however much data there is (no N+1): each page is counted with 5
members and gifts, then again with 30, and the counts must be equal. A member page is counted with a short and a
long history. The benchmark (bench/staff_admin.py) shows what these pages cost at 100,000 members and a million
gifts; this is the check that keeps them that way."""

from __future__ import annotations

import itertools
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import MemberEvent, Membership
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, WebhookEvent
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

_serial = itertools.count(1)
STATUSES = ["active", "past_due", "cancelled", "lapsed", "active"]


@pytest.fixture
def staff_client(db):
    """A superuser: every page and button is there, so every query a page can make is counted."""
    staff = UserFactory(username="bench-staff", email="staff@example.org", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return staff, client


@pytest.fixture
def fundraisers(db):
    return make_campaign(slug="safety-fund"), make_campaign(slug="winter-fund")


def add_payment(user, *, number: int, membership: Membership, refunded: bool = False) -> Payment:
    amount = membership.amount_minor or 1500
    return Payment.objects.create(
        provider="sandbox",
        provider_ref=f"in_q{next(_serial)}",
        purpose="membership",
        user=user,
        email=user.email,
        customer_id=membership.provider_customer_id,
        subscription_id=membership.provider_subscription_id,
        amount_minor=amount,
        currency=membership.currency or "GEL",
        amount_refunded_minor=amount if refunded else 0,
        status="refunded" if refunded else "succeeded",
        description=f"{membership.tier} membership",
        paid_at=timezone.now() - timedelta(days=30 * number + 1),
    )


def add_receipt(payment: Payment) -> Receipt:
    sequence = next(_serial)
    return Receipt.objects.create(
        payment=payment,
        issuer="Q",
        year=payment.paid_at.year,
        sequence=sequence,
        number=f"Q-{sequence:06d}",
        donor_email=payment.email,
        description=payment.description,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        issued_at=payment.paid_at,
        voided_at=timezone.now() if payment.amount_refunded_minor else None,
        access_key=f"{sequence:032d}",
    )


def add_history(membership: Membership, *, months: int, staff) -> None:
    """`months` renewals, each with its payment, receipt, email and timeline row; every third payment refunded by
    staff; one provider event behind the first."""
    user = membership.user
    webhook_event = WebhookEvent.objects.create(
        provider="sandbox",
        event_id=f"evt_q{next(_serial)}",
        type="checkout.session.completed",
        created_at_provider=timezone.now(),
        payload={"id": "evt"},
        status=WebhookEvent.Status.PROCESSED,
    )
    for number in range(months):
        refunded = number % 3 == 2
        payment = add_payment(user, number=number, membership=membership, refunded=refunded)
        add_receipt(payment)
        SentEmail.objects.create(
            key=f"q-{next(_serial)}", kind="membership_receipt", to=user.email, subject=f"Receipt {number}"
        )
        MemberEvent.objects.create(
            user=user,
            membership=membership,
            kind=MemberEvent.Kind.RENEWED,
            summary=f"Payment {number} received",
            webhook_event=webhook_event if number == 0 else None,
            created_at=payment.paid_at,
        )
        if refunded:
            MemberEvent.objects.create(
                user=user,
                membership=membership,
                kind=MemberEvent.Kind.REFUNDED,
                summary="Refunded",
                staff_user=staff,
                created_at=payment.paid_at + timedelta(days=1),
            )


def add_members(count: int, *, tiers: dict, staff) -> list[Membership]:
    """Members in every status and source, in three currencies, each with a short history."""
    memberships = []
    for _ in range(count):
        n = next(_serial)
        user = UserFactory(
            username=f"member{n}", email=f"member{n}@example.org", first_name="Nino", last_name=f"Beridze{n}"
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=n % 2 == 0)
        comp = n % 5 == 0
        membership = Membership.objects.create(
            user=user,
            tier=list(tiers.values())[n % len(tiers)],
            status=STATUSES[n % len(STATUSES)],
            source="comp" if comp else "paid",
            started_at=timezone.now() - timedelta(days=40 + n),
            current_period_end=timezone.now() + timedelta(days=n % 20 - 5),
            interval="" if comp else ("month", "year")[n % 2],
            currency="" if comp else ("GEL", "USD", "EUR")[n % 3],
            amount_minor=None if comp else 1500 + n,
            provider="" if comp else "sandbox",
            provider_customer_id="" if comp else f"cus_q{n}",
            provider_subscription_id="" if comp else f"sub_q{n}",
            cancel_at_period_end=n % 4 == 2,
        )
        MemberEvent.objects.create(
            user=user,
            membership=membership,
            kind=MemberEvent.Kind.COMPED if comp else MemberEvent.Kind.JOINED,
            summary="Became a member",
            staff_user=staff if comp else None,
            created_at=membership.started_at,
        )
        if not comp:
            add_history(membership, months=2, staff=staff)
        memberships.append(membership)
    return memberships


def add_gifts(count: int, *, fundraisers) -> None:
    """Gifts through the sandbox, as donors make them: two fundraisers, two currencies, some monthly, receipts
    issued."""
    for _ in range(count):
        n = next(_serial)
        give(
            fundraisers[n % 2],
            email=f"donor{n}@example.org",
            name=f"Donor {n}",
            gift_minor=2000 + n,
            currency=("GEL", "USD")[n % 2],
            interval="month" if n % 4 == 0 else "once",
        )


def url_or_none(name: str, *args, query: str = "") -> str | None:
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def staff_pages(*, fundraiser, searched_email: str) -> dict[str, str | None]:
    """The pages the issue's scale proof names, their filters and exports, and every list of the revenue apps."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    last_30_days = urlencode(
        {
            "campaign__id__exact": fundraiser.pk,
            "donated_at__gte": str(midnight - timedelta(days=30)),
            "donated_at__lt": str(midnight + timedelta(days=1)),
        }
    )  # as the admin's date filter links
    pages = {
        "members: search by email": url_or_none("admin:members_membership_changelist", query=f"q={searched_email}"),
        "members: past due": url_or_none("admin:members_membership_changelist", query="status__exact=past_due"),
        "members: CSV export": url_or_none("admin:members_membership_export"),
        "gifts: one campaign": url_or_none(
            "admin:donations_donation_changelist", query=f"campaign__id__exact={fundraiser.pk}"
        ),
        "gifts: one campaign, last 30 days": url_or_none("admin:donations_donation_changelist", query=last_30_days),
        "gifts: CSV export of one campaign": url_or_none(
            "admin:donations_donation_export", query=f"campaign__id__exact={fundraiser.pk}"
        ),
        "campaign page": url_or_none("admin:donations_campaign_change", fundraiser.pk),
        "revenue dashboard": url_or_none("revenue:dashboard"),
    }
    for model in admin.site._registry:
        if model._meta.app_label in {"members", "donations", "payments"}:
            opts = model._meta
            pages[f"list of {opts.verbose_name_plural}"] = url_or_none(
                f"admin:{opts.app_label}_{opts.model_name}_changelist"
            )
    return pages


def queries_of(client: Client, url: str) -> int:
    client.get(
        url, follow=True
    )  # the first view may fill caches (filter choices); the count is of a page staff open again
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, follow=True)  # a one-row settings page redirects to its row
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


def test_staff_pages_cost_the_same_with_5_or_30_members_and_gifts(staff_client, priced_tiers, fundraisers):
    staff, client = staff_client
    members = add_members(5, tiers=priced_tiers, staff=staff)
    add_gifts(5, fundraisers=fundraisers)
    pages = staff_pages(fundraiser=fundraisers[0], searched_email=members[2].user.email)
    missing = sorted(name for name, url in pages.items() if url is None)
    assert not missing, f"pages not found: {missing}"
    small = {name: queries_of(client, url) for name, url in pages.items()}

    add_members(25, tiers=priced_tiers, staff=staff)
    add_gifts(25, fundraisers=fundraisers)
    large = {name: queries_of(client, url) for name, url in pages.items()}

    assert large == small


def test_a_member_page_costs_the_same_for_a_short_or_a_long_history(staff_client, priced_tiers, fundraisers):
    staff, client = staff_client
    membership = add_members(1, tiers={"one": priced_tiers["supporter"]}, staff=staff)[0]
    if membership.source == Membership.Source.COMP:  # a paid member, whatever the serial number
        Membership.objects.filter(pk=membership.pk).update(
            source="paid",
            interval="month",
            currency="GEL",
            amount_minor=1500,
            provider="sandbox",
            provider_customer_id="cus_long",
            provider_subscription_id="sub_long",
        )
        membership.refresh_from_db()
    user = membership.user
    give(fundraisers[0], email=user.email, name="Nino", gift_minor=3000, user_id=user.pk)
    url = reverse("admin:members_membership_change", args=[membership.pk])
    short = queries_of(client, url)

    add_history(membership, months=30, staff=staff)
    for n in range(4):
        give(
            fundraisers[n % 2],
            email=user.email,
            name="Nino",
            gift_minor=3000 + n,
            user_id=user.pk,
            interval="month" if n == 0 else "once",
        )
    SentEmail.objects.create(key="q-long-welcome", kind="membership_welcome", to=user.email, subject="Welcome")
    long = queries_of(client, url)

    assert long == short
    page = client.get(url).content.decode()
    assert "Payment 29 received" in page and "Q-" in page, "the long history is on the page that was counted"
