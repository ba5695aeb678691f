"""A member reads their timeline in their own language; staff read it as it was written. The lines are built when
they are read, from the sentence's name and its values (the tier, a day, an amount), so the Georgian page says
Georgian and the English one English for the same events."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from members.models import MemberEvent
from outlet.common.money import format_money
from tests.factories import UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_events_read_in_each_language(priced_tiers):
    member = UserFactory(email="lela@example.org")
    client = Client()
    client.force_login(member)
    journey.join_and_pay(client, tier="supporter", interval="month", currency="GEL")
    priced_tiers["supporter"].name_ka = "მხარდამჭერი"
    priced_tiers["supporter"].save()

    kinds = set(MemberEvent.objects.filter(user=member, reader_visible=True).values_list("summary_key", flat=True))
    assert {"joined", "paid"} <= kinds

    english = client.get("/accounts/membership/").content.decode()
    assert "Became a member: Supporter" in english
    assert f"Payment of {format_money(1500, 'GEL')} received" in english

    georgian = client.get("/ka/accounts/membership/").content.decode()
    with translation.override("ka"):
        joined = gettext("Became a member: %(tier)s") % {"tier": "მხარდამჭერი"}
        paid = gettext("Payment of %(amount)s received") % {"amount": format_money(1500, "GEL")}
    assert joined in georgian and paid in georgian
    assert "Became a member" not in georgian

    # Staff read the line as it was written, whatever the member's language.
    assert MemberEvent.objects.get(user=member, summary_key="joined").summary == "Became a member: Supporter"
