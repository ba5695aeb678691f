"""Who gets a newsletter: the audience allows the address AND its owner wants it (their yes, or the default) AND it
is not suppressed; streamed in batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership
from outlet.common import email_preferences
from outlet.newsletters import audience
from outlet.newsletters.models import Newsletter
from tests.factories import MembershipFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


def addresses(newsletter, **kwargs) -> set[str]:
    return {r.address for batch in audience.recipient_batches(newsletter, **kwargs) for r in batch}


def test_a_member_of_the_newsletters_tier_gets_it_until_they_say_no(weekly, supporter):
    member = MembershipFactory(tier=supporter, user=UserFactory(email="Nino@Example.org")).user
    assert addresses(weekly) == {"nino@example.org"}

    email_preferences.set_choice(address=member.email, topic=weekly.topic, subscribed=False, source="test")
    assert addresses(weekly) == set()


def test_anyone_else_gets_it_only_after_saying_yes(weekly):
    UserFactory(email="free@example.org")
    MembershipFactory(tier=TierFactory(slug="insider"), user=UserFactory(email="insider@example.org"))
    assert addresses(weekly) == set()

    email_preferences.set_choice(address="free@example.org", topic=weekly.topic, subscribed=True, source="test")
    email_preferences.set_choice(address="guest@example.org", topic=weekly.topic, subscribed=True, source="test")
    assert addresses(weekly) == {"free@example.org", "guest@example.org"}


def test_a_suppressed_address_gets_nothing_whatever_it_said(weekly, supporter):
    MembershipFactory(tier=supporter, user=UserFactory(email="bounce@example.org"))
    email_preferences.set_choice(address="yes@example.org", topic=weekly.topic, subscribed=True, source="test")
    email_preferences.suppress(address="bounce@example.org", reason="bounce")
    email_preferences.suppress(address="yes@example.org", reason="complaint")
    assert addresses(weekly) == set()


def test_a_lapsed_member_stops_getting_members_newsletters(supporter):
    members_letter = Newsletter.objects.create(
        name="Members' briefing", slug="briefing", audience=Newsletter.Audience.MEMBERS
    )
    members_letter.tiers.add(supporter)
    staying = MembershipFactory(tier=supporter, user=UserFactory(email="stays@example.org"))
    leaving = MembershipFactory(tier=supporter, user=UserFactory(email="leaves@example.org"))
    # Even a yes does not keep a lapsed member on a members' newsletter: the audience no longer allows them.
    email_preferences.set_choice(address="leaves@example.org", topic=members_letter.topic, subscribed=True, source="t")
    assert addresses(members_letter) == {"stays@example.org", "leaves@example.org"}

    leaving.status, leaving.ended_at = Membership.Status.LAPSED, timezone.now()
    leaving.save()
    assert addresses(members_letter) == {"stays@example.org"}
    # Past its period end (and the renewal leeway) a cancelled one is out too, before the sweep marks it lapsed.
    staying.status, staying.current_period_end = Membership.Status.CANCELLED, timezone.now() - timedelta(minutes=1)
    staying.save()
    assert addresses(members_letter) == set()


def test_members_in_grace_still_get_it_and_other_tiers_do_not(supporter):
    letter = Newsletter.objects.create(name="Briefing", slug="briefing", audience=Newsletter.Audience.MEMBERS)
    letter.tiers.add(supporter)
    MembershipFactory(
        tier=supporter,
        user=UserFactory(email="grace@example.org"),
        status=Membership.Status.PAST_DUE,
        current_period_end=timezone.now() - timedelta(days=2),
        grace_until=timezone.now() + timedelta(days=5),
    )
    MembershipFactory(tier=TierFactory(slug="other"), user=UserFactory(email="other@example.org"))
    assert addresses(letter) == {"grace@example.org"}


def test_the_query_agrees_with_the_standing_rule_for_every_kind_of_membership(supporter):
    from members.services import members_with_access, membership_grants_access

    now = timezone.now()
    for status in Membership.Status.values:
        for source in Membership.Source.values:
            for end in (None, now - timedelta(days=3), now - timedelta(hours=1), now + timedelta(days=3)):
                for grace in (None, now - timedelta(hours=1), now + timedelta(days=1)):
                    MembershipFactory(
                        tier=supporter, status=status, source=source, current_period_end=end, grace_until=grace
                    )
    expected = {m.pk for m in Membership.objects.all() if membership_grants_access(m, now=now)}
    assert set(members_with_access(now=now).values_list("pk", flat=True)) == expected


@pytest.mark.django_db(transaction=True)
def test_donors_newsletters_go_to_donors_who_said_yes():
    from tests.donations.conftest import give, make_campaign

    letter = Newsletter.objects.create(
        name="Donor news", slug="donor-news", audience=Newsletter.Audience.DONORS, category="fundraising"
    )
    assert letter.topic == email_preferences.FUNDRAISING
    give(make_campaign(), email="Giver@Example.org")
    email_preferences.set_choice(address="giver@example.org", topic="fundraising", subscribed=True, source="t")
    email_preferences.set_choice(address="nongiver@example.org", topic="fundraising", subscribed=True, source="t")
    assert addresses(letter) == {"giver@example.org"}


def test_recipients_come_in_batches_each_address_once(weekly, supporter):
    for n in range(7):
        member = MembershipFactory(tier=supporter, user=UserFactory(email=f"m{n}@example.org")).user
        if n % 2:  # said yes as well: found by both sources, listed once
            email_preferences.set_choice(address=member.email, topic=weekly.topic, subscribed=True, source="t")
    for n in range(5):
        email_preferences.set_choice(address=f"s{n}@example.org", topic=weekly.topic, subscribed=True, source="t")
    batches = list(audience.recipient_batches(weekly, size=3))
    assert max(len(batch) for batch in batches) <= 3
    found = [r.address for batch in batches for r in batch]
    assert len(found) == len(set(found)) == 12
    variants = {r.address: r.variant for batch in batches for r in batch}
    assert variants["m0@example.org"] == f"member:{supporter.pk}" and variants["s0@example.org"] == audience.READER


def test_the_choices_page_offers_each_newsletter_with_its_default(weekly, supporter):
    member = MembershipFactory(tier=supporter, user=UserFactory(email="member@example.org")).user
    briefing = Newsletter.objects.create(name="Briefing", slug="briefing", audience=Newsletter.Audience.MEMBERS)
    briefing.tiers.add(supporter)
    offered = {t.key: t.default for t in email_preferences.topics_for(member.email)}
    assert offered["newsletter:weekly"] is True and offered["newsletter:briefing"] is True
    offered = {t.key: t.default for t in email_preferences.topics_for("reader@example.org")}
    assert offered["newsletter:weekly"] is False and "newsletter:briefing" not in offered
    assert email_preferences.may_send(address="reader@example.org", topic=weekly.topic) is False
