"""Importing Ghost members: the preview changes nothing, apply does exactly what the preview said (all or nothing),
a re-import changes nothing, and nobody with paid time left ends up free or comped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from members import ghost_import, services
from members.ghost_import import ImportRefused, apply_import, preview_import
from members.models import GhostMember, MemberEvent, MemberImport, Membership
from members.services import Audience, reader_standing
from outlet.payments.models import ProviderCustomer
from tests.factories import MembershipFactory, UserFactory
from tests.members.ghost_exports.helpers import export, ghost_subscription, subscriptions_of

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


def state() -> dict:
    """Everything an import may touch, counted."""
    return {
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
        "ghost": GhostMember.objects.count(),
        "customers": ProviderCustomer.objects.count(),
        "memberships": Membership.objects.count(),
        "events": MemberEvent.objects.count(),
    }


def preview(name: str, staff, **kwargs) -> MemberImport:
    return preview_import(filename=name, data=export(name), staff_user=staff, **kwargs)


def live_subscription_for_giorgi(stripe_http, **overrides):
    overrides = {
        "sub_id": "sub_ghost_giorgi",
        "customer": "cus_ghost_paid",
        "amount": 1500,
        "currency": "gel",
        **overrides,
    }
    stripe_http.respond(subscriptions_of(ghost_subscription(**overrides)), method="GET", path="/v1/subscriptions")


def test_the_preview_changes_no_member(priced_tiers, importer):
    before = state()

    member_import = preview("ghost_old_header.csv", importer)

    assert state() == before
    assert member_import.status == "previewed" and member_import.row_count == 5 and member_import.error_count == 0
    counts = member_import.counts
    assert (
        counts["create"],
        counts["link"],
        counts["comp"],
        counts["provisional"],
        counts["skip"],
        counts["error"],
    ) == (4, 1, 2, 1, 1, 0)
    by_email = {row["email"]: row for row in member_import.preview_rows}
    assert by_email["giorgi.paid@example.org"]["actions"] == ["create", "link", "provisional"]
    assert by_email["giorgi.paid@example.org"]["tier"] == "Supporter"
    assert by_email["board@example.org"]["tier"] == "Supporter"  # comped with no tier named: the first active tier
    assert by_email["gone@example.org"]["actions"] == ["skip"]


def test_apply_creates_exactly_what_the_preview_said(priced_tiers, importer, stripe_http):
    live_subscription_for_giorgi(stripe_http)
    member_import = preview("ghost_old_header.csv", importer)

    apply_import(import_id=member_import.pk, staff_user=importer)

    member_import.refresh_from_db()
    assert member_import.status == "applied" and member_import.applied_by == importer
    assert state()["users"] == 1 + 4  # the importer and the four members (the deleted one skipped)
    assert not User.objects.filter(email="gone@example.org").exists()
    nino = User.objects.get(email="nino@example.org")
    assert (nino.first_name, nino.last_name, nino.has_usable_password()) == ("ნინო", "ბერიძე", False)
    assert nino.date_joined.year == 2021  # member since, as in Ghost
    address = EmailAddress.objects.get(user=nino)
    assert (address.email, address.primary, address.verified) == ("nino@example.org", True, False)
    assert nino.ghost_member.labels == ["VIP", "Early bird"] and nino.ghost_member.note.startswith("Early supporter")
    assert reader_standing(user=nino).audience is Audience.FREE  # a free member stays free

    comped = Membership.objects.get(user__email="comped@example.org")
    assert (comped.source, comped.tier.name, comped.current_period_end) == ("comp", "Insider", None)
    assert MemberEvent.objects.get(user__email="comped@example.org", kind="comped").staff_user == importer
    assert Membership.objects.get(user__email="board@example.org").tier.name == "Supporter"

    giorgi = User.objects.get(email="giorgi.paid@example.org")
    assert ProviderCustomer.objects.get(user=giorgi).customer_id == "cus_ghost_paid"
    membership = Membership.objects.get(user=giorgi)  # the sync ran after commit and followed the live subscription
    assert (membership.source, membership.status, membership.provider_subscription_id) == (
        "paid",
        "active",
        "sub_ghost_giorgi",
    )
    assert not membership.awaiting_provider_sync
    assert [(r.method, r.path) for r in stripe_http.requests] == [("GET", "/v1/subscriptions")]  # listed, never billed


def test_reimporting_the_same_file_changes_nothing(priced_tiers, importer, stripe_http):
    live_subscription_for_giorgi(stripe_http)
    apply_import(import_id=preview("ghost_old_header.csv", importer).pk, staff_user=importer)
    after_first = state()
    memberships = list(Membership.objects.order_by("pk").values())

    again = preview("ghost_old_header.csv", importer)
    assert again.counts["unchanged"] == 4 and again.counts["skip"] == 1
    assert sum(again.counts[a] for a in ("create", "update", "link", "comp", "gift", "provisional", "error")) == 0
    apply_import(import_id=again.pk, staff_user=importer)

    assert state() == after_first
    assert list(Membership.objects.order_by("pk").values()) == memberships
    assert len(stripe_http.requests) == 1  # Stripe was not asked again


def test_an_overlapping_newer_file_only_brings_what_is_new(priced_tiers, importer, stripe_http):
    live_subscription_for_giorgi(stripe_http)
    apply_import(import_id=preview("ghost_old_header.csv", importer).pk, staff_user=importer)
    newer = (
        export("ghost_old_header.csv").decode().replace(',"VIP,Early bird",', ',"VIP,Early bird,Donor",', 1)
        + "6501a1b2c3d4e5f600000099,new@example.org,New Reader,,true,,,2024-09-09T09:09:09.000Z,,,\r\n"
    )
    member_import = preview_import(filename="newer.csv", data=newer.encode(), staff_user=importer)
    assert [
        (row["email"], row["actions"])
        for row in member_import.preview_rows
        if row["actions"] not in (["unchanged"], ["skip"])
    ] == [("nino@example.org", ["update"]), ("new@example.org", ["create"])]

    apply_import(import_id=member_import.pk, staff_user=importer)

    assert GhostMember.objects.get(user__email="nino@example.org").labels == ["VIP", "Early bird", "Donor"]
    assert (
        User.objects.filter(email="new@example.org").count() == 1
        and User.objects.filter(email="nino@example.org").count() == 1
    )


def test_an_existing_account_is_matched_by_email_in_any_case_and_keeps_its_name(priced_tiers, importer, stripe_http):
    live_subscription_for_giorgi(stripe_http)
    reader = UserFactory(username="giorgi", email="GIORGI.paid@example.org", first_name="Gio")
    member_import = preview("ghost_old_header.csv", importer)
    assert next(r for r in member_import.preview_rows if r["row"] == 2)["actions"] == ["update", "link", "provisional"]

    apply_import(import_id=member_import.pk, staff_user=importer)

    reader.refresh_from_db()
    assert (reader.first_name, reader.email, reader.ghost_member.ghost_id) == (
        "Gio",
        "GIORGI.paid@example.org",
        "6501a1b2c3d4e5f600000002",
    )
    assert User.objects.filter(email__iexact="giorgi.paid@example.org").count() == 1


@pytest.mark.parametrize("where", ["link", "memberships"])
def test_a_failure_mid_apply_rolls_everything_back(priced_tiers, importer, monkeypatch, where):
    member_import = preview("ghost_old_header.csv", importer)
    before = state()
    done = []

    def then_fail(real):
        def wrapped(**kwargs):
            done.append(real(**kwargs))  # the change is made, then the database fails
            raise RuntimeError("database hiccup")

        return wrapped

    if where == "link":
        monkeypatch.setattr(ghost_import.payments, "link_customers", then_fail(ghost_import.payments.link_customers))
    else:
        monkeypatch.setattr(
            ghost_import.lifecycle,
            "create_imported_memberships",
            then_fail(ghost_import.lifecycle.create_imported_memberships),
        )
    with pytest.raises(ImportRefused, match="nothing was changed"):
        apply_import(import_id=member_import.pk, staff_user=importer)

    assert len(done) == 1  # users, Ghost records and events were written before it, then rolled back with them
    assert state() == before
    member_import.refresh_from_db()
    assert member_import.status == "failed" and "database hiccup" in member_import.failure


def test_a_preview_gone_stale_is_refreshed_not_applied(priced_tiers, importer):
    member_import = preview("ghost_old_header.csv", importer)
    UserFactory(username="nino", email="nino@example.org")  # signs up between preview and apply

    with pytest.raises(ImportRefused, match="changed since this preview"):
        apply_import(import_id=member_import.pk, staff_user=importer)

    assert GhostMember.objects.count() == 0
    member_import.refresh_from_db()
    assert (
        member_import.status == "previewed"
        and member_import.counts["create"] == 3
        and member_import.counts["update"] == 1
    )


def test_rows_with_errors_block_apply_unless_staff_import_only_the_valid_ones(priced_tiers, importer):
    member_import = preview("ghost_bad_rows.csv", importer)
    errors = {row["row"]: row["errors"] for row in member_import.preview_rows}
    assert errors[1] == []
    assert errors[2] == ["email 'not-an-email' is not a valid address"]
    assert "a paying member in Ghost with tier 'Gold', which is not mapped to one of our tiers" in errors[4][0]
    assert errors[5] == ["the same email is on row 1"]
    assert errors[6] == []  # free in Ghost (no customer, comp or gift), whatever tier it names
    assert member_import.error_count == 5

    with pytest.raises(ImportRefused, match="5 row"):
        apply_import(import_id=member_import.pk, staff_user=importer)
    assert GhostMember.objects.count() == 0

    apply_import(import_id=member_import.pk, staff_user=importer, only_valid_rows=True)
    assert sorted(GhostMember.objects.values_list("email", flat=True)) == ["fine@example.org", "nocus@example.org"]
    assert not ProviderCustomer.objects.exists() and not Membership.objects.exists()


def test_a_paid_member_with_time_left_is_never_turned_into_a_comp_or_free(priced_tiers, importer):
    paying = UserFactory(username="comped", email="comped@example.org")
    MembershipFactory(
        user=paying,
        tier=priced_tiers["supporter"],
        source="paid",
        status="active",
        current_period_end=timezone.now() + timedelta(days=200),
        provider="stripe",
        provider_subscription_id="sub_ours",
    )
    also_paying = UserFactory(username="nino", email="nino@example.org")  # free in Ghost, paying here
    MembershipFactory(
        user=also_paying,
        tier=priced_tiers["insider"],
        source="paid",
        status="cancelled",
        current_period_end=timezone.now() + timedelta(days=20),
        provider="stripe",
        provider_subscription_id="sub_ours_2",
    )
    member_import = preview("ghost_old_header.csv", importer)
    row = next(r for r in member_import.preview_rows if r["email"] == "comped@example.org")
    assert "comp" not in row["actions"] and any(
        "a paying member is never turned into a complimentary one" in note for note in row["notes"]
    )

    apply_import(import_id=member_import.pk, staff_user=importer)

    for user, tier, status in ((paying, "Supporter", "active"), (also_paying, "Insider", "cancelled")):
        membership = Membership.objects.get(user=user)
        assert (membership.source, membership.tier.name, membership.status) == ("paid", tier, status)
        assert reader_standing(user=user).is_member


def test_provisional_access_while_the_provider_cannot_be_reached(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()  # the task's first try (eager Celery: its retry is scheduled, not run)
    member_import = preview("ghost_old_header.csv", importer)

    apply_import(import_id=member_import.pk, staff_user=importer)

    giorgi = User.objects.get(email="giorgi.paid@example.org")
    membership = Membership.objects.get(user=giorgi)
    assert (membership.source, membership.status, membership.tier.name) == ("paid", "active", "Supporter")
    assert membership.awaiting_provider_sync and membership.provider_subscription_id == ""
    days = (membership.current_period_end - timezone.now()).days
    assert ghost_import.PROVISIONAL_DAYS - 1 <= days <= ghost_import.PROVISIONAL_DAYS  # bounded
    assert reader_standing(user=giorgi).is_member  # never free because Stripe was down
    assert not services._is_changeable(membership)  # no plan change or cancel until the provider answers
    ghost = giorgi.ghost_member
    assert (ghost.sync_status, ghost.sync_attempts) == ("pending", 1) and "asking again" in ghost.sync_note
    event = MemberEvent.objects.get(user=giorgi, kind="imported", membership=membership)
    assert event.staff_user == importer and "Provisional Supporter membership" in event.summary


def test_the_provisional_member_is_not_sent_to_checkout_again(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()
    apply_import(import_id=preview("ghost_old_header.csv", importer).pk, staff_user=importer)
    giorgi = User.objects.get(email="giorgi.paid@example.org")
    with pytest.raises(services.MembershipError, match="already a member"):
        services.start_membership_checkout(user=giorgi, tier=priced_tiers["insider"], interval="month", currency="GEL")


def test_a_gift_member_gets_an_open_ended_comp_and_a_paid_yearly_member_is_provisional(
    priced_tiers, importer, stripe_http
):
    stripe_http.respond(
        subscriptions_of(
            ghost_subscription(
                sub_id="sub_yearly", customer="cus_ghost_yearly", interval="year", amount=30000, currency="gel"
            )
        )
    )
    apply_import(import_id=preview("ghost_new_header_gift_id.csv", importer).pk, staff_user=importer)

    gift = Membership.objects.get(user__email="gift@example.org")
    assert (gift.source, gift.tier.name, gift.current_period_end) == ("comp", "Supporter", None)
    yearly = Membership.objects.get(user__email="yearly@example.org")
    assert (yearly.tier.name, yearly.interval, yearly.amount_minor, yearly.provider_subscription_id) == (
        "Insider",
        "year",
        30000,
        "sub_yearly",
    )
    assert not Membership.objects.filter(user__email="free@example.org").exists()


def _export_of(count: int, offset: int = 0) -> bytes:
    header = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,"
        "labels,tiers"
    )
    rows = [
        f"q{i},q{i}@example.org,Reader {i},,true,{'true' if i % 3 == 0 else ''},{f'cus_q{i}' if i % 3 == 1 else ''},"
        f"2022-01-01T00:00:00.000Z,,,{'Supporter' if i % 3 == 1 else ''}"
        for i in range(offset, offset + count)
    ]
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


@pytest.mark.parametrize("count", [6, 60])
def test_the_preview_asks_the_database_the_same_few_questions_for_any_number_of_members(
    priced_tiers, importer, count, django_assert_max_num_queries
):
    for i in range(count):  # every member already has an account and a membership here: the costliest plan
        MembershipFactory(user=UserFactory(username=f"q{i}", email=f"q{i}@example.org"), tier=priced_tiers["supporter"])
    with django_assert_max_num_queries(12):
        member_import = preview_import(filename="q.csv", data=_export_of(count), staff_user=importer)
    assert member_import.counts["update"] == count
