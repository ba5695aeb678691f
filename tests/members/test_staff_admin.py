"""Staff work on memberships from the admin: prices, comps, the timeline, and reprocessing provider events."""

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
from outlet.payments.models import WebhookEvent
from outlet.publishing.models import Article
from tests.factories import ArticleFactory, MembershipFactory, UserFactory
from tests.members import sandbox_journey as journey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(db):
    staff = UserFactory(username="revenue", email="revenue@example.org", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return staff, client


def test_staff_edit_tier_prices_on_the_tier_page(priced_tiers, staff_client):
    _, client = staff_client
    html = client.get(f"/admin/members/tier/{priced_tiers['supporter'].pk}/change/").content.decode()
    assert "Tier prices" in html and 'value="15"' in html


def test_staff_comp_a_membership_until_a_date_and_it_opens_members_only_articles(priced_tiers, staff_client):
    staff, client = staff_client
    reader = UserFactory(username="journalist", email="guest@example.org")
    until = timezone.localdate() + timedelta(days=30)
    response = client.post(
        "/admin/members/membership/comp/",
        {"email": "GUEST@example.org", "tier": priced_tiers["insider"].pk, "until": until.isoformat()},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=reader)
    assert (membership.source, membership.status, membership.tier.slug) == ("comp", "active", "insider")
    event = MemberEvent.objects.get(user=reader, kind="comped")
    assert event.staff_user == staff and date_text(until) in event.summary
    assert reader_standing(user=reader).is_member

    article = ArticleFactory(access=Article.Access.MEMBERS)
    reader_client = Client()
    reader_client.force_login(reader)
    assert f"{article.slug}-P8" in reader_client.get(article.get_absolute_url()).content.decode()
    assert "complimentary" in reader_client.get("/accounts/membership/").content.decode()

    with time_machine.travel(membership.current_period_end + timedelta(minutes=1)):
        assert lapse_ended_memberships() == 1
        assert reader_standing(user=reader).audience is Audience.LAPSED
    assert MemberEvent.objects.filter(user=reader, kind="comp_ended").exists()


def test_an_open_ended_comp_never_lapses(priced_tiers, staff_client):
    _, client = staff_client
    reader = UserFactory(username="board", email="board@example.org")
    client.post(
        "/admin/members/membership/comp/",
        {"email": "board@example.org", "tier": priced_tiers["supporter"].pk, "until": ""},
    )
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert lapse_ended_memberships() == 0
        assert reader_standing(user=reader).is_member


@pytest.mark.parametrize(
    "form, error",
    [
        ({"email": "nobody@example.org"}, "No account has this email"),
        ({"email": "guest@example.org", "until": "2001-01-01"}, "in the past"),
    ],
)
def test_a_bad_comp_request_gets_a_clear_error_and_changes_nothing(priced_tiers, staff_client, form, error):
    _, client = staff_client
    UserFactory(username="guest", email="guest@example.org")
    response = client.post("/admin/members/membership/comp/", {"tier": priced_tiers["supporter"].pk, **form})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Membership.objects.exists()


def test_a_paying_member_is_not_silently_turned_into_a_comp(priced_tiers, staff_client):
    _, client = staff_client
    reader = UserFactory(username="payer", email="payer@example.org")
    reader_client = Client()
    reader_client.force_login(reader)
    journey.join_and_pay(reader_client)
    response = client.post(
        "/admin/members/membership/comp/", {"email": "payer@example.org", "tier": priced_tiers["insider"].pk}
    )
    assert "has a paid membership" in response.content.decode()
    assert Membership.objects.get(user=reader).source == "paid"


def test_the_member_page_shows_the_timeline_with_causes(priced_tiers, staff_client):
    _, client = staff_client
    reader = UserFactory(username="timeline", email="timeline@example.org")
    reader_client = Client()
    reader_client.force_login(reader)
    journey.join_and_pay(reader_client)
    reader_client.post("/accounts/membership/cancel/")
    html = client.get(f"/admin/members/membership/{Membership.objects.get(user=reader).pk}/change/").content.decode()
    assert "Became a member: Supporter" in html and "Set to end on" in html
    assert "sandbox event sbx_evt_" in html


def test_staff_can_reprocess_webhook_events_without_changing_the_outcome(priced_tiers, staff_client):
    _, client = staff_client
    reader = UserFactory(username="again", email="again@example.org")
    reader_client = Client()
    reader_client.force_login(reader)
    journey.join_and_pay(reader_client)
    before = (
        Membership.objects.get(user=reader).status,
        MemberEvent.objects.filter(user=reader, kind="joined").count(),
    )
    pks = list(WebhookEvent.objects.values_list("pk", flat=True))
    confirm = client.post("/admin/payments/webhookevent/", {"action": "reprocess", "_selected_action": pks})
    assert confirm.status_code == 200 and b"Process these events again?" in confirm.content  # nothing done yet
    response = client.post(
        "/admin/payments/webhookevent/", {"action": "reprocess", "_selected_action": pks, "confirmed": "yes"}
    )
    assert response.status_code == 302
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    after = (Membership.objects.get(user=reader).status, MemberEvent.objects.filter(user=reader, kind="joined").count())
    assert before == after == ("active", 1)
    assert client.get(f"/admin/payments/webhookevent/{pks[0]}/change/").status_code == 200


def test_memberships_cannot_be_edited_by_hand_in_the_admin(staff_client):
    _, client = staff_client
    membership = MembershipFactory()
    client.post(f"/admin/members/membership/{membership.pk}/change/", {"status": "lapsed"})
    membership.refresh_from_db()
    assert membership.status == "active"
