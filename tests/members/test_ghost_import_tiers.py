"""The tier mapping of a Ghost import, as staff use it in the admin: Ghost's free tier ("Member") becomes a free
account, a Ghost tier with one of our names becomes that tier, staff choose the rest in the preview, the preview
is planned again from their choice and apply uses it. Free members in Ghost arrive as free accounts whatever tier
they carry, and everyone keeps the date they joined Ghost as "member since"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from members.ghost_import import ImportRefused, apply_import, preview_import
from members.ghost_tiers import FREE_ACCOUNT
from members.models import GhostMember, MemberEvent, MemberImport, Membership
from members.services import reader_standing
from outlet.payments.models import ProviderCustomer
from tests.factories import TierFactory, UserFactory
from tests.members.ghost_exports.helpers import export, ghost_subscription, subscriptions_of

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()
FILE = "ghost_default_tier.csv"
ANA_JOINED_GHOST = datetime(2020, 2, 2, 21, 30, tzinfo=UTC)  # 3 February 2020, 01:30 in Tbilisi
EKA_JOINED_GHOST = datetime(2019, 11, 30, 23, 10, tzinfo=UTC)  # 1 December 2019 in Tbilisi
LEVAN_JOINED_GHOST = datetime(2021, 6, 15, 22, 45, tzinfo=UTC)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)  # tests.staff: a staff session that passed the second factor
    return client


def upload(client: Client, name: str = FILE, data: bytes | None = None) -> MemberImport:
    file = SimpleUploadedFile(name, export(name) if data is None else data, content_type="text/csv")
    response = client.post(reverse("admin:members_membership_ghost_import"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return MemberImport.objects.latest("id")


def preview_page(client: Client, member_import: MemberImport, **query) -> str:
    response = client.get(reverse("admin:members_membership_ghost_import_preview", args=[member_import.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def choose_tiers(client: Client, member_import: MemberImport, choices: dict[str, str]):
    """Post the mapping form as the page renders it: one select per Ghost tier, in the order the page lists them."""
    form = client.get(reverse("admin:members_membership_ghost_import_preview", args=[member_import.pk])).context[
        "mapping_form"
    ]
    data = {
        f"tier_{index}": choices.get(name, form.fields[f"tier_{index}"].initial)
        for index, name in enumerate(form.names)
    }
    return client.post(
        reverse("admin:members_membership_ghost_import_tiers", args=[member_import.pk]), data, follow=True
    )


def apply(client: Client, member_import: MemberImport, **extra):
    member_import.refresh_from_db()
    data = {"confirm": "on", "plan_fingerprint": member_import.plan_fingerprint, **extra}
    return client.post(
        reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk]), data, follow=True
    )


def rows_by_email(member_import: MemberImport) -> dict[str, dict]:
    member_import.refresh_from_db()
    return {row["email"]: row for row in member_import.preview_rows}


def levan_pays_for_insider_at_stripe(stripe_http) -> None:
    stripe_http.respond(
        subscriptions_of(
            ghost_subscription(sub_id="sub_levan", customer="cus_ghost_levan", amount=3000, currency="gel")
        ),
        method="GET",
        path="/v1/subscriptions",
    )


def test_ghosts_member_tier_defaults_to_a_free_account_and_a_tier_named_like_ours_to_ours(priced_tiers, importer):
    client = client_for(importer)
    member_import = upload(client)

    assert member_import.counts["tier_mapping"] == {"Member": FREE_ACCOUNT, "Supporter": priced_tiers["supporter"].pk}
    html = preview_page(client, member_import)
    assert '<option value="free" selected>Free account, no membership</option>' in html  # Member
    assert f'<option value="{priced_tiers["supporter"].pk}" selected>Supporter</option>' in html
    rows = rows_by_email(member_import)
    assert rows["ana.free@example.org"]["actions"] == ["create"] and rows["ana.free@example.org"]["errors"] == []
    assert (
        rows["eka.comped@example.org"]["actions"] == ["create", "comp"]
        and rows["eka.comped@example.org"]["tier"] == "Supporter"
    )
    # Premium is not one of ours: nobody chose for it yet, so the paying member waits for staff to choose
    assert rows["levan.paid@example.org"]["actions"] == ["error"]
    assert "tier 'Premium', which is not mapped to one of our tiers" in rows["levan.paid@example.org"]["errors"][0]
    assert not GhostMember.objects.exists()


def test_staff_map_a_ghost_tier_to_one_of_ours_the_preview_follows_and_apply_uses_it(
    priced_tiers, importer, stripe_http
):
    levan_pays_for_insider_at_stripe(stripe_http)
    client = client_for(importer)
    member_import = upload(client)

    page = choose_tiers(client, member_import, {"Premium": str(priced_tiers["insider"].pk)})

    assert "The preview now uses your tier mapping: 0 row(s) with errors" in page.content.decode()
    levan = rows_by_email(member_import)["levan.paid@example.org"]
    assert (levan["actions"], levan["tier"]) == (["create", "link", "provisional"], "Insider")
    assert not GhostMember.objects.exists()  # still only a preview
    assert LogEntry.objects.filter(
        object_id=str(member_import.pk), action_flag=CHANGE, change_message__contains="Premium → Insider"
    ).exists()

    result = apply(client, member_import)

    assert "Imported: 4 new and 0 updated members" in result.content.decode()
    membership = Membership.objects.get(user__email="levan.paid@example.org")
    # Stripe answered with Ghost's own price (no lookup key of ours): the tier staff chose stands
    assert (membership.tier.name, membership.source, membership.provider_subscription_id) == (
        "Insider",
        "paid",
        "sub_levan",
    )
    assert Membership.objects.get(user__email="eka.comped@example.org").tier.name == "Supporter"
    assert ProviderCustomer.objects.get(customer_id="cus_ghost_levan").user.email == "levan.paid@example.org"


def test_a_free_member_carrying_a_tier_becomes_a_free_account(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()  # Levan's sync waits; not what this test is about
    client = client_for(importer)
    member_import = upload(client)
    rows = rows_by_email(member_import)
    assert rows["dato.free@example.org"]["notes"] == [
        "free in Ghost: a free account here, no membership (tier 'Supporter' gives none)"
    ]
    assert "Free in Ghost: free accounts, no membership" in preview_page(client, member_import)
    assert member_import.counts["free_accounts"] == 2
    choose_tiers(client, member_import, {"Premium": str(priced_tiers["insider"].pk)})

    apply(client, member_import)

    for email in ("ana.free@example.org", "dato.free@example.org"):
        reader = User.objects.get(email=email)
        assert not Membership.objects.filter(user=reader).exists()
        assert not reader_standing(user=reader).is_member
        assert reader.ghost_member.tiers in (["Member"], ["Supporter"])  # what Ghost said is kept on the record


def test_ghosts_created_at_is_member_since_shown_in_the_newsrooms_zone(
    priced_tiers, importer, stripe_http, admin_client
):
    stripe_http.fail_connection()  # Levan keeps provisional access
    existing = UserFactory(username="dato", email="Dato.Free@example.org")  # signed up here after joining Ghost
    client = client_for(importer)
    member_import = upload(client)
    html = preview_page(client, member_import, show="all")
    assert "3 February 2020" in html  # Ana joined Ghost at 21:30 UTC on the 2nd: the 3rd in Tbilisi
    assert (
        "member since 8 August 2022, as in Ghost" in rows_by_email(member_import)["dato.free@example.org"]["notes"][0]
    )
    choose_tiers(client, member_import, {"Premium": str(priced_tiers["insider"].pk)})

    apply(client, member_import)

    assert User.objects.get(email="ana.free@example.org").date_joined == ANA_JOINED_GHOST
    existing.refresh_from_db()
    assert existing.date_joined == datetime(2022, 8, 8, 8, tzinfo=UTC)
    assert Membership.objects.get(user__email="eka.comped@example.org").started_at == EKA_JOINED_GHOST
    levan = Membership.objects.get(user__email="levan.paid@example.org")
    assert levan.awaiting_provider_sync and levan.started_at == LEVAN_JOINED_GHOST
    imported = MemberEvent.objects.get(user__email="eka.comped@example.org", kind="imported")
    assert "in Ghost since 1 December 2019" in imported.summary
    member_page = admin_client.get(reverse("admin:members_membership_change", args=[levan.pk])).content.decode()
    assert "16 June 2021" in member_page  # member since, in Tbilisi


def test_reimporting_the_same_file_keeps_the_mapping_and_changes_nothing(priced_tiers, importer, stripe_http):
    levan_pays_for_insider_at_stripe(stripe_http)
    client = client_for(importer)
    first = upload(client)
    choose_tiers(client, first, {"Premium": str(priced_tiers["insider"].pk)})
    apply(client, first)
    memberships = list(Membership.objects.order_by("pk").values())
    accounts = list(User.objects.order_by("pk").values("pk", "email", "date_joined"))
    events = MemberEvent.objects.count()

    again = upload(client)

    assert again.counts["tier_mapping"]["Premium"] == priced_tiers["insider"].pk  # the earlier choice, remembered
    assert {row["email"]: row["actions"] for row in again.preview_rows} == {
        "ana.free@example.org": ["unchanged"],
        "levan.paid@example.org": ["unchanged"],
        "eka.comped@example.org": ["unchanged"],
        "dato.free@example.org": ["unchanged"],
    }
    apply(client, again)
    assert list(Membership.objects.order_by("pk").values()) == memberships
    assert list(User.objects.order_by("pk").values("pk", "email", "date_joined")) == accounts
    assert MemberEvent.objects.count() == events
    assert len(stripe_http.requests) == 1  # Stripe was not asked again


def test_a_complimentary_member_keeps_access_even_when_their_tier_is_mapped_to_a_free_account(priced_tiers, importer):
    client = client_for(importer)
    member_import = upload(client)

    choose_tiers(client, member_import, {"Supporter": FREE_ACCOUNT, "Premium": str(priced_tiers["insider"].pk)})

    rows = rows_by_email(member_import)
    assert rows["eka.comped@example.org"]["errors"] == [
        "complimentary in Ghost with tier 'Supporter', which is mapped to a free account: map it to one of our "
        "tiers, so they keep the access they have in Ghost"
    ]
    assert rows["dato.free@example.org"]["errors"] == []  # a free member: the mapping does not matter
    assert "1 row(s) have errors" in apply(client, member_import).content.decode()
    assert not GhostMember.objects.exists()


def test_a_stripe_customer_on_a_tier_mapped_to_a_free_account_is_a_free_member_whose_customer_is_linked(
    priced_tiers, importer, stripe_http
):
    """Ghost keeps the Stripe customer of a member who stopped paying and lists its free tier on free members; the
    provider, asked after the import, has the last word."""
    stripe_http.respond(
        subscriptions_of(ghost_subscription(sub_id="sub_old", customer="cus_former", status="canceled"))
    )
    data = (
        b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n"
        b"f,former@example.org,Former Payer,,true,false,cus_former,2021-01-01T00:00:00.000Z,,,Member\r\n"
    )
    member_import = preview_import(filename="former.csv", data=data, staff_user=importer)
    (row,) = member_import.preview_rows
    assert (row["standing"], row["actions"], row["tier"]) == ("free", ["create", "link"], "")
    assert "a live subscription there shows under Ghost members" in row["notes"][1]

    apply_import(import_id=member_import.pk, staff_user=importer)

    former = User.objects.get(email="former@example.org")
    assert ProviderCustomer.objects.get(user=former).customer_id == "cus_former"
    assert not Membership.objects.filter(user=former).exists()
    assert former.ghost_member.sync_status == "synced" and "No live paid subscription" in former.ghost_member.sync_note


def test_apply_refuses_a_preview_whose_mapping_changed_after_the_page_was_opened(priced_tiers, importer):
    client = client_for(importer)
    member_import = upload(client)
    seen = member_import.plan_fingerprint
    choose_tiers(client_for(importer), member_import, {"Premium": str(priced_tiers["insider"].pk)})  # a colleague

    response = apply(client, member_import, plan_fingerprint=seen)

    assert "The preview changed since you opened it" in response.content.decode()
    assert not GhostMember.objects.exists()


def test_the_mapping_cannot_change_once_applied(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()
    client = client_for(importer)
    member_import = upload(client)
    choose_tiers(client, member_import, {"Premium": str(priced_tiers["insider"].pk)})
    apply(client, member_import)

    page = choose_tiers(client, member_import, {"Premium": str(priced_tiers["supporter"].pk)})

    assert "its tier mapping can no longer change" in page.content.decode()
    assert Membership.objects.get(user__email="levan.paid@example.org").tier.name == "Insider"
    assert "Premium</th>" in page.content.decode() and "<select" not in page.content.decode().split("What was done")[0]


def test_a_mapped_tier_is_chosen_over_a_tier_of_the_same_name_by_the_sync(priced_tiers, importer, stripe_http):
    """Staff may map Ghost's "Supporter" to our Insider on purpose; the provider sync must not undo that."""
    stripe_http.respond(
        subscriptions_of(ghost_subscription(sub_id="sub_g", customer="cus_g", amount=3000, currency="gel"))
    )
    data = (
        b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n"
        b"g,paid@example.org,Paid,,true,,cus_g,2022-01-01T00:00:00.000Z,,,Supporter\r\n"
    )
    member_import = preview_import(
        filename="g.csv", data=data, staff_user=importer, tier_mapping={"Supporter": priced_tiers["insider"].pk}
    )
    apply_import(import_id=member_import.pk, staff_user=importer)

    membership = Membership.objects.get(user__email="paid@example.org")
    assert (membership.tier.name, membership.provider_subscription_id) == ("Insider", "sub_g")  # not our "Supporter"


def test_a_status_column_says_who_is_free(priced_tiers, importer):
    data = (
        b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers,status\r\n"
        b"s1,former@example.org,Former Payer,,true,,cus_former,2022-01-01T00:00:00.000Z,,,Supporter,free\r\n"
        b"s2,nocustomer@example.org,No Customer,,true,,,2022-01-01T00:00:00.000Z,,,Supporter,paid\r\n"
    )

    member_import = preview_import(filename="status.csv", data=data, staff_user=importer)

    former, no_customer = member_import.preview_rows
    assert former["actions"] == ["create", "link"] and former["standing"] == "free"  # linked, never given access
    assert no_customer["actions"] == ["error"] and "neither a Stripe customer nor a gift" in no_customer["errors"][0]


def test_a_new_ghost_tier_named_like_a_new_tier_of_ours_maps_by_slug(importer):
    premium = TierFactory(name="Premium readers", slug="premium")
    data = (
        b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n"
        b"p,p@example.org,P,,true,true,,2022-01-01T00:00:00.000Z,,,Premium\r\n"
    )
    member_import = preview_import(filename="p.csv", data=data, staff_user=importer)
    assert member_import.counts["tier_mapping"] == {"Premium": premium.pk}
    assert member_import.preview_rows[0]["tier"] == "Premium readers"


def test_remapping_is_refused_for_an_applied_import_by_the_service_too(priced_tiers, importer, stripe_http):
    from members.ghost_import import remap_import

    stripe_http.fail_connection()
    member_import = preview_import(
        filename=FILE,
        data=export(FILE),
        staff_user=importer,
        tier_mapping={
            "Member": FREE_ACCOUNT,
            "Premium": priced_tiers["insider"].pk,
            "Supporter": priced_tiers["supporter"].pk,
        },
    )
    apply_import(import_id=member_import.pk, staff_user=importer)
    with pytest.raises(ImportRefused, match="no longer change"):
        remap_import(import_id=member_import.pk, tier_mapping={})


def test_a_tampered_or_outdated_choice_is_shown_as_a_form_error_not_a_500(priced_tiers, importer):
    client = client_for(importer)
    member_import = upload(client)
    before = MemberImport.objects.get().plan_fingerprint

    response = client.post(
        reverse("admin:members_membership_ghost_import_tiers", args=[member_import.pk]),
        {"tier_0": "free", "tier_1": "999999", "tier_2": "nonsense"},
    )

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert MemberImport.objects.get().plan_fingerprint == before


def test_only_staff_who_may_import_change_the_mapping(priced_tiers, importer):
    member_import = upload(client_for(importer))
    clerk = client_for(UserFactory(username="clerk", email="clerk@example.org", is_staff=True))

    response = clerk.post(
        reverse("admin:members_membership_ghost_import_tiers", args=[member_import.pk]), {"tier_1": "free"}
    )

    assert response.status_code == 403
    assert "Premium" not in MemberImport.objects.get().counts["tier_mapping"]
