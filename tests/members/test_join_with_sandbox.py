"""A reader joins, pays, manages and leaves a membership through the sandbox provider: the same intake, task
and handlers as Stripe, so these prove the pipeline end to end (tasks run eagerly here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from members.lifecycle import lapse_ended_memberships
from members.models import MemberEvent, Membership
from members.services import Audience, reader_standing
from outlet.common.local_time import date_text
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, WebhookEvent
from outlet.payments.providers import get_provider
from outlet.publishing.models import Article
from tests.factories import ArticleFactory, UserFactory
from tests.members import sandbox_journey as journey

# Real commits: the intake queues processing with transaction.on_commit, exactly as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader(db):
    user = UserFactory(username="nino", email="nino@example.org", first_name="Nino")
    client = Client()
    client.force_login(user)
    return user, client


def test_the_membership_page_shows_tiers_side_by_side_with_prices_and_the_yearly_saving(priced_tiers):
    html = Client().get("/membership/?currency=GEL&interval=year").content.decode()
    assert html.index("Supporter") < html.index("Insider")
    assert "GEL\u00a0150 a year" in html.replace("</span>", "")
    # 12 x 15 = 180 monthly against 150 yearly: 30 saved, 16 %.
    assert "Save GEL\u00a030 (16%)" in html
    assert "The weekly letter" in html
    monthly = Client().get("/membership/?currency=USD").content.decode()
    assert "$6" in monthly and "a month" in monthly and 'name="interval" value="month"' in monthly


def test_a_bad_currency_or_interval_in_the_address_falls_back_instead_of_failing(priced_tiers):
    response = Client().get("/membership/?currency=XXX&interval=fortnight")
    assert response.status_code == 200 and "GEL" in response.content.decode()


def test_an_anonymous_reader_who_joins_is_sent_to_sign_up_and_comes_back_to_the_same_choice(priced_tiers):
    response = journey.join(Client(), tier="insider", interval="year", currency="EUR")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/signup/?next=")
    assert (
        "%2Fmembership%2Fjoin%2Fcontinue%2F%3Fchoice%3D" in response["Location"]
    )  # the signed choice (test_join_choice.py)


def test_a_reader_becomes_a_member_only_when_the_provider_says_the_payment_succeeded(priced_tiers, reader, mailoutbox):
    user, client = reader
    start = journey.join(client, tier="supporter", interval="month", currency="GEL")
    checkout_url = start["Location"]
    assert not Membership.objects.filter(user=user).exists(), "starting a checkout grants nothing"

    welcome = client.get(checkout_url)
    assert welcome.status_code == 200 and "Sandbox payment provider" in welcome.content.decode()
    # Going straight to the welcome page (the redirect alone) does not make a member.
    reference = user.membership_checkouts.get().reference
    early = client.get(f"/membership/welcome/{reference}/").content.decode()
    assert "confirming your payment" in early
    assert reader_standing(user=user).audience is Audience.FREE

    paid = journey.pay(client, checkout_url)
    assert paid.status_code == 302 and paid["Location"].endswith(f"/membership/welcome/{reference}/")
    membership = Membership.objects.get(user=user)
    assert (
        membership.status,
        membership.tier.slug,
        membership.interval,
        membership.currency,
        membership.amount_minor,
    ) == ("active", "supporter", "month", "GEL", 1500)
    assert membership.current_period_end > timezone.now() + timedelta(days=27)
    assert reader_standing(user=user).is_member
    assert "you are a member" in client.get(paid["Location"]).content.decode()

    payment = Payment.objects.get(user=user)
    assert (payment.amount_minor, payment.currency, payment.purpose, payment.provider) == (
        1500,
        "GEL",
        "membership",
        "sandbox",
    )
    welcome_mails = [m for m in mailoutbox if "welcome" in m.subject]
    assert len(welcome_mails) == 1 and welcome_mails[0].to == ["nino@example.org"]
    assert "Supporter" in welcome_mails[0].body and "GEL\u00a015 / monthly" in welcome_mails[0].body
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    kinds = set(MemberEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert {"checkout_started", "checkout_completed", "joined", "renewed", "email_sent"} <= kinds


def test_paying_twice_for_one_checkout_changes_nothing(priced_tiers, reader, mailoutbox):
    user, client = reader
    checkout_url = journey.join(client)["Location"]
    journey.pay(client, checkout_url)
    journey.pay(client, checkout_url)
    assert Payment.objects.filter(user=user).count() == 1
    assert len([m for m in mailoutbox if "welcome" in m.subject]) == 1


def test_a_declined_card_or_failed_authentication_makes_no_member(priced_tiers, reader):
    user, client = reader
    checkout_url = journey.join(client)["Location"]
    declined = journey.pay(client, checkout_url, "decline")
    assert declined.status_code == 402 and "declined" in declined.content.decode()
    assert journey.pay(client, checkout_url, "requires_action").status_code == 200
    failed = journey.pay(client, checkout_url, "authentication_failed")
    assert "Authentication failed" in failed.content.decode()
    assert not Membership.objects.filter(user=user).exists() and not Payment.objects.exists()
    # Authentication that succeeds pays.
    journey.pay(client, checkout_url, "requires_action")
    assert journey.pay(client, checkout_url, "authenticated").status_code == 302
    assert Membership.objects.get(user=user).status == "active"


def test_a_member_cannot_start_a_second_paid_membership(priced_tiers, reader):
    _, client = reader
    journey.join_and_pay(client)
    again = client.post("/membership/join/", {"tier": "insider", "interval": "month", "currency": "GEL"}, follow=True)
    assert "already a member" in again.content.decode()


@pytest.mark.date_sensitive
def test_the_account_page_shows_tier_status_next_charge_and_payments(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client, tier="insider", interval="year", currency="USD")
    html = client.get("/accounts/membership/").content.decode()
    membership = Membership.objects.get(user=user)
    assert "Insider" in html and "Active" in html
    assert date_text(membership.current_period_end) in html and "$120" in html
    assert "Became a member: Insider" in html
    assert "Payment of $120 received" in html


@pytest.mark.date_sensitive
def test_a_member_cancels_at_period_end_keeps_access_and_can_resume(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client)
    end = Membership.objects.get(user=user).current_period_end
    page = client.post("/accounts/membership/cancel/", follow=True).content.decode()
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.cancel_at_period_end) == ("cancelled", True)
    assert f"ends on {date_text(end)}" in page
    assert reader_standing(user=user).is_member, "access continues to the end of the paid period"
    client.post("/accounts/membership/resume/")
    membership.refresh_from_db()
    assert (membership.status, membership.cancel_at_period_end) == ("active", False)
    assert list(
        MemberEvent.objects.filter(user=user, kind__in=["cancel_requested", "resumed"]).values_list("kind", flat=True)
    ) == ["resumed", "cancel_requested"]


def test_a_cancelled_membership_ends_at_period_end_and_the_reader_becomes_lapsed(priced_tiers, reader, mailoutbox):
    user, client = reader
    journey.join_and_pay(client)
    client.post("/accounts/membership/cancel/")
    # At period end the provider ends the subscription (the portal's "next renewal" plays that moment).
    client.post(journey.portal(client), {"action": "renew", "subscription": journey.subscription_id()})
    membership = Membership.objects.get(user=user)
    assert membership.status == "lapsed" and membership.ended_at is not None
    assert reader_standing(user=user).audience is Audience.LAPSED


def test_changing_tier_goes_through_the_provider_and_its_event(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client, tier="supporter", interval="month", currency="EUR")
    client.post("/accounts/membership/change/", {"tier_interval": "insider|year"})
    membership = Membership.objects.get(user=user)
    assert (membership.tier.slug, membership.interval, membership.amount_minor, membership.currency) == (
        "insider",
        "year",
        10000,
        "EUR",
    )
    assert MemberEvent.objects.filter(user=user, kind="plan_changed").exists()
    same = client.post("/accounts/membership/change/", {"tier_interval": "insider|year"}, follow=True).content.decode()
    assert "already your plan" in same
    bad = client.post("/accounts/membership/change/", {"tier_interval": "nonsense"}, follow=True)
    assert bad.status_code == 200 and "Choose a tier" in bad.content.decode()


def test_a_renewal_extends_the_paid_period(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client)
    first_end = Membership.objects.get(user=user).current_period_end
    client.post(journey.portal(client), {"action": "renew", "subscription": journey.subscription_id()})
    membership = Membership.objects.get(user=user)
    assert membership.current_period_end > first_end + timedelta(days=27)
    assert Payment.objects.filter(user=user).count() == 2


def test_a_failed_renewal_keeps_access_for_the_grace_period_then_the_membership_lapses(
    priced_tiers, reader, mailoutbox, settings
):
    settings.MEMBERSHIP_GRACE_DAYS = 7
    user, client = reader
    journey.join_and_pay(client)
    portal_url = journey.portal(client)
    client.post(portal_url, {"action": "card", "card": "0341"})
    client.post(portal_url, {"action": "renew", "subscription": journey.subscription_id()})
    membership = Membership.objects.get(user=user)
    assert membership.status == "past_due"
    assert membership.grace_until > timezone.now() + timedelta(days=6)
    assert reader_standing(user=user).is_member, "past due keeps access during the grace period"
    assert len([m for m in mailoutbox if "did not go through" in m.subject]) == 1
    assert "Payment overdue" in client.get("/accounts/membership/").content.decode()

    with time_machine.travel(membership.grace_until + timedelta(hours=1)):
        assert lapse_ended_memberships() == 1
        assert lapse_ended_memberships() == 0
        assert reader_standing(user=user).audience is Audience.LAPSED
    assert Membership.objects.get(user=user).status == "lapsed"
    assert len([m for m in mailoutbox if "has ended" in m.subject]) == 1


def test_a_recovered_payment_returns_a_past_due_member_to_active(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client)
    portal_url = journey.portal(client)
    client.post(portal_url, {"action": "card", "card": "0341"})
    client.post(portal_url, {"action": "renew", "subscription": journey.subscription_id()})
    client.post(portal_url, {"action": "card", "card": "4242"})
    client.post(portal_url, {"action": "renew", "subscription": journey.subscription_id()})
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.grace_until) == ("active", None)
    assert MemberEvent.objects.filter(user=user, kind="recovered").exists()


def test_a_lapsed_member_can_rejoin_and_is_welcomed_again(priced_tiers, reader, mailoutbox):
    user, client = reader
    journey.join_and_pay(client)
    client.post("/accounts/membership/cancel/")
    client.post(journey.portal(client), {"action": "renew", "subscription": journey.subscription_id()})
    assert Membership.objects.get(user=user).status == "lapsed"
    journey.join_and_pay(client, tier="insider")
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.tier.slug) == ("active", "insider")
    assert len([m for m in mailoutbox if "welcome" in m.subject]) == 2


def test_refunds_and_disputes_are_recorded_on_the_payment_and_the_timeline(priced_tiers, reader):
    user, client = reader
    journey.join_and_pay(client)
    payment = Payment.objects.get(user=user)
    provider = get_provider("sandbox")
    provider.refund(payment_ref=payment.provider_ref, amount_minor=500, idempotency_key="t-1")
    provider.refund(payment_ref=payment.provider_ref, amount_minor=500, idempotency_key="t-1")  # retried: same refund
    payment.refresh_from_db()
    assert (payment.amount_refunded_minor, payment.status) == (500, "partially_refunded")
    provider.refund(payment_ref=payment.provider_ref, amount_minor=None, idempotency_key="t-2")
    payment.refresh_from_db()
    assert (payment.amount_refunded_minor, payment.status) == (1500, "refunded")
    provider.dispute(payment.provider_ref)
    payment.refresh_from_db()
    assert payment.status == "disputed"
    summaries = list(
        MemberEvent.objects.filter(user=user, kind__in=["refunded", "disputed"]).values_list("summary", flat=True)
    )
    assert summaries == [
        "Payment of GEL\u00a015 disputed (fraudulent)",
        "Refunded GEL\u00a015 of GEL\u00a015",
        "Refunded GEL\u00a05 of GEL\u00a015",
    ]


def test_members_only_articles_open_after_joining(priced_tiers, reader):
    _, client = reader
    article = ArticleFactory(access=Article.Access.MEMBERS)
    assert f"{article.slug}-P8" not in client.get(article.get_absolute_url()).content.decode()
    journey.join_and_pay(client)
    assert f"{article.slug}-P8" in client.get(article.get_absolute_url()).content.decode()


def test_emails_are_sent_once_per_key_whatever_retries():
    from members.tasks import send_welcome_email
    from tests.factories import MembershipFactory

    membership = MembershipFactory()
    assert send_welcome_email(membership.pk, "welcome:x") is True
    assert send_welcome_email(membership.pk, "welcome:x") is False
    assert SentEmail.objects.filter(key="welcome:x").count() == 1


def test_a_member_of_another_tier_is_offered_a_change_of_tier_and_reads_after_changing(priced_tiers, reader):
    _, client = reader
    article = ArticleFactory(access=Article.Access.TIERS)
    article.allowed_tiers.set([priced_tiers["insider"]])
    journey.join_and_pay(client, tier="supporter")
    locked = client.get(article.get_absolute_url()).content.decode()
    assert f"{article.slug}-P8" not in locked
    assert "for members of another tier" in locked and 'href="/accounts/membership/">Change your tier' in locked
    client.post("/accounts/membership/change/", {"tier_interval": "insider|month"})
    assert f"{article.slug}-P8" in client.get(article.get_absolute_url()).content.decode()
