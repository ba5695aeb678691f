"""A member with years of history, built through the sandbox provider as a reader would make it: a membership
and its renewals, gifts once and monthly with a name and a message on the donor wall, receipts, the emails that
went with them, and the provider's events (which carry the reader's address) as received."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from donations.models import Campaign
from members.models import GhostMember, MemberEvent, Membership
from members.services import record_member_event
from outlet.common.models import PreferredLanguage
from outlet.payments.providers import get_provider
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

EMAIL = "tamar.kvara@example.org"
SURNAME = "Kvaratskhelia"
FULL_NAME = f"Tamar {SURNAME}"


@dataclass
class History:
    user: object
    client: Client
    campaign: Campaign
    membership: Membership


def build_history(priced_tiers) -> History:
    user = UserFactory(username="tamar", email=EMAIL, first_name="Tamar", last_name=SURNAME)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    PreferredLanguage.objects.create(user=user, language="ka")
    client = Client()
    client.force_login(user)
    journey.join_and_pay(client)
    membership = Membership.objects.get(user=user)
    get_provider("sandbox").renew(membership.provider_subscription_id)
    campaign = make_campaign()
    for interval in ("once", "month"):
        give(
            campaign,
            email=EMAIL,
            user_id=user.pk,
            interval=interval,
            name=FULL_NAME,
            display_name="Tamar K.",
            show_on_wall=True,
            message=f"From {FULL_NAME}, for the reporters in Gori",
        )
    record_member_event(
        user_id=user.pk,
        membership=membership,
        kind=MemberEvent.Kind.STAFF_ACTION,
        reader_visible=False,
        summary=f"Staff resent receipt to {EMAIL} after a call from {FULL_NAME}",
    )
    LogEntry.objects.create(
        user_id=UserFactory(is_staff=True).pk,
        content_type=ContentType.objects.get_for_model(Membership),
        object_id=str(membership.pk),
        object_repr=str(Membership.objects.get(pk=membership.pk)),
        action_flag=CHANGE,
        change_message=f"Changed the note about {FULL_NAME}",
    )
    GhostMember.objects.create(user=user, ghost_id="gh-1", email=EMAIL, name=FULL_NAME, note="Met at the Gori event")
    # Their email choices, a suppression the email service reported, and a newsletter issue sent to them.
    from outlet.common import email_preferences
    from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend

    email_preferences.set_choice(address=EMAIL, topic="fundraising", subscribed=True, source="account page")
    email_preferences.suppress(address=EMAIL, reason="bounced", detail=f"550 no mailbox {EMAIL}", source="mailgun")
    weekly = Newsletter.objects.create(name="The Weekly", slug="weekly")
    issue = NewsletterSend.objects.create(newsletter=weekly, subject="This week")
    Delivery.objects.create(send=issue, address=EMAIL, user=user, status=Delivery.Status.SENT, sent_at=timezone.now())
    return History(user=user, client=client, campaign=campaign, membership=membership)


@pytest.fixture
def history(priced_tiers):
    return build_history(priced_tiers)
