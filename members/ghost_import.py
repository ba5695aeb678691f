"""Importing members from Ghost's member export: a preview plans every row and changes nothing; applying carries
out exactly that plan, in one transaction; then the payment provider is asked about every linked customer
(members.ghost_sync). Re-importing the same file, or a newer overlapping one, changes nothing already imported.

Per row (the plan's actions):
- error: a bad email or date, an email or Ghost id repeated in the file, a Stripe customer that belongs to another
  account here, or a paid, complimentary or gift member whose Ghost tier maps to none of ours (staff choose in the
  preview's tier mapping, members.ghost_tiers). Rows with errors are never imported; staff either fix the file or
  explicitly import the rest.
- skip: deleted in Ghost (deleted_at set).
- free in Ghost (members.ghost_tiers.ghost_standing): a free account, no membership, whatever tier name the row
  carries (Ghost sites list their free tier, "Free" or e.g. "Member", on free members).
- create / update / unchanged: matched by Ghost id (an earlier import) first, then by email in any case. A new
  account has no password and an unverified address: the first sign-in by emailed code proves it. An existing
  account keeps its login email and its name; the Ghost record (note, labels, tiers, newsletter consent) is
  updated. "Member since" is Ghost's created_at: a new account's date_joined, an existing account's when Ghost's is
  earlier, and the start of every membership the import creates.
- link: the Stripe customer is linked to the account; nobody is sent to checkout, no subscription is created.
- comp: complimentary_plan true gives a complimentary membership on the mapped tier (the first active tier when
  the row names none), recorded with the staff user; a member with access here keeps it (paid is never turned to comp).
- gift: a Ghost gift membership (gift_id, a tier, no customer) becomes an open-ended complimentary membership:
  the export does not say when the gift ends and paid-for time must not be lost; staff set an end date by comping
  with one (find them with the Ghost members "gift" filter).
- provisional: a paid Ghost member (Stripe customer and a tier, not comped) who has no access here yet gets paid
  access on their Ghost tier ending PROVISIONAL_DAYS after the import, marked awaiting_provider_sync (a staff
  filter on memberships and Ghost members). After the import commits, a task lists the customer's subscriptions
  at the provider and applies the live one (tier, status, period end, cancel-at-period-end) through
  lifecycle.apply_subscription_state, which clears the mark; with no live paid subscription the provisional access
  ends at once. While the provider cannot be reached the task retries and a sweep re-queues it; if nothing answers
  for PROVISIONAL_DAYS the access lapses like any ended period. 31 days covers the rest of a monthly member's
  period and bounds what a member who had cancelled in Ghost could get for free. Never granted twice: once the
  provider has been asked, a re-import takes its word.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import cast

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from members import ghost_tiers, lifecycle, services
from members.ghost_csv import GhostFileError, GhostRow, decode_upload, read_rows
from members.ghost_plan import Lookups, chunks, ghost_fields, plan_file
from members.ghost_tiers import Mapping
from members.models import GhostMember, MemberEvent, MemberImport, Membership, Tier
from outlet.common.local_time import date_text
from outlet.payments import services as payments

logger = logging.getLogger(__name__)

PROVISIONAL_DAYS = 31
GHOST_PROVIDER = "stripe"  # Ghost only ever took payments through Stripe
_IMPORT_LOCK = 0x6768_6F73  # pg advisory lock: one import applies at a time


class ImportRefused(Exception):
    """Apply was refused or failed; nothing changed. The message is for staff."""


def preview_import(
    *, filename: str, data: bytes, staff_user, provider_id: str = GHOST_PROVIDER, tier_mapping: Mapping | None = None
) -> MemberImport:
    """Read and plan the file (with the default tier mapping unless one is given); stores the import record (the
    history) and changes no member. Raises GhostFileError."""
    text = decode_upload(data)
    plans, counts, fingerprint, _ = plan_file(read_rows(text), provider_id=provider_id, mapping=tier_mapping)
    return MemberImport.objects.create(
        filename=filename[:255],
        content=text,
        content_sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=staff_user,
        row_count=len(plans),
        error_count=counts["error"],
        counts=counts,
        preview_rows=plans,
        plan_fingerprint=fingerprint,
    )


def remap_import(*, import_id: int, tier_mapping: Mapping, provider_id: str = GHOST_PROVIDER) -> MemberImport:
    """Plan the previewed file again with the tier mapping staff chose; still nothing changes but the preview."""
    with transaction.atomic():
        member_import = MemberImport.objects.select_for_update().get(pk=import_id)
        if member_import.status == MemberImport.Status.APPLIED:
            raise ImportRefused("This file was already imported: its tier mapping can no longer change.")
        rows = read_rows(member_import.content)
        names = ghost_tiers.tier_names_in(rows)
        mapping = {name: choice for name, choice in tier_mapping.items() if name in names}
        plans, counts, fingerprint, _ = plan_file(rows, provider_id=provider_id, mapping=mapping)
        member_import.counts, member_import.preview_rows, member_import.plan_fingerprint = counts, plans, fingerprint
        member_import.error_count = counts["error"]
        member_import.save(update_fields=["counts", "preview_rows", "plan_fingerprint", "error_count"])
    return member_import


def apply_import(
    *,
    import_id: int,
    staff_user,
    only_valid_rows: bool = False,
    provider_id: str = GHOST_PROVIDER,
    expected_fingerprint: str | None = None,
) -> MemberImport:
    """Carry out the previewed plan, with its tier mapping, in one transaction: all of it, or (on any failure) none of
    it. `expected_fingerprint` is the plan the staff member looked at; another one (the mapping changed meanwhile)
    is refused."""
    from members.ghost_sync import enqueue_syncs

    try:
        with transaction.atomic():
            member_import = MemberImport.objects.select_for_update().get(pk=import_id)
            if member_import.status == MemberImport.Status.APPLIED:
                raise ImportRefused(
                    "This file was already imported. Upload it again to see what a new import would change."
                )
            if expected_fingerprint is not None and expected_fingerprint != member_import.plan_fingerprint:
                raise ImportRefused(
                    "The preview changed since you opened it (someone changed the tier mapping): check it "
                    "and apply again."
                )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
            rows = read_rows(member_import.content)
            plans, counts, fingerprint, lookups = plan_file(
                rows, provider_id=provider_id, mapping=ghost_tiers.mapping_of(member_import)
            )
            if fingerprint != member_import.plan_fingerprint:
                raise _Outdated(counts, fingerprint, plans)
            if counts["error"] and not only_valid_rows:
                raise ImportRefused(
                    f"{counts['error']} row(s) have errors. Fix them and upload the file again, or choose "
                    "to import only the valid rows."
                )
            sync_ids = _carry_out(rows, plans, lookups, member_import, staff_user=staff_user, provider_id=provider_id)
            member_import.status, member_import.only_valid_rows = MemberImport.Status.APPLIED, bool(counts["error"])
            member_import.applied_by, member_import.applied_at, member_import.failure = staff_user, timezone.now(), ""
            member_import.save()
            transaction.on_commit(lambda: enqueue_syncs(sync_ids), robust=True)
            return member_import
    except _Outdated as outdated:
        MemberImport.objects.filter(pk=import_id).update(
            counts=outdated.counts,
            plan_fingerprint=outdated.fingerprint,
            preview_rows=outdated.plans,
            error_count=outdated.counts["error"],
        )
        raise ImportRefused(
            "Members changed since this preview (someone signed up or was imported meanwhile). The "
            "preview is now up to date: check it and apply again."
        ) from None
    except (ImportRefused, GhostFileError):
        raise
    except Exception as exc:
        logger.exception("Ghost import %s failed; rolled back", import_id)
        MemberImport.objects.filter(pk=import_id).update(
            status=MemberImport.Status.FAILED, failure=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise ImportRefused(
            f"The import failed and nothing was changed ({type(exc).__name__}: {exc}). "
            "Try again; if it fails again, send this message to the developers."
        ) from exc


class _Outdated(Exception):
    def __init__(self, counts, fingerprint, plans):
        super().__init__("plan changed since the preview")
        self.counts, self.fingerprint, self.plans = counts, fingerprint, plans


def _link_customers(provider_id: str, user_id_by_customer: dict[str, int]) -> None:
    """payments.link_customers (bulk, same rules) when the payments app offers it, else link_customer one by one."""
    link_many = getattr(payments, "link_customers", None)
    if link_many is not None:
        link_many(provider_id=provider_id, user_id_by_customer=user_id_by_customer)
        return
    for customer_id, user_id in user_id_by_customer.items():
        payments.link_customer(provider_id=provider_id, customer_id=customer_id, user_id=user_id)


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first[:150], last.strip()[:150]


def _carry_out(
    rows: list[GhostRow], plans: list[dict], lk: Lookups, member_import: MemberImport, *, staff_user, provider_id: str
) -> list[int]:
    """The plan, row by row where a service must decide (links, memberships), in bulk where nothing is decided."""
    User = get_user_model()
    now = timezone.now()
    todo = [
        (row, plan) for row, plan in zip(rows, plans, strict=True) if not ({"error", "skip"} & set(plan["actions"]))
    ]
    new_users = {}
    for row, plan in todo:
        if "create" in plan["actions"]:
            first, last = _split_name(row.name)
            username = f"ghost-{row.ghost_id}" if row.ghost_id else f"ghost-{uuid.uuid4().hex}"
            new_users[row.number] = User(
                username=username,
                email=row.email,
                first_name=first,
                last_name=last,
                date_joined=row.created_at or now,
                password=make_password(None),
            )
    taken = {
        u
        for chunk in chunks({u.username for u in new_users.values()})
        for u in User.objects.filter(username__in=chunk).values_list("username", flat=True)
    }
    for user in new_users.values():
        if user.username in taken:
            user.username = f"ghost-{uuid.uuid4().hex}"
    User.objects.bulk_create(new_users.values(), batch_size=500)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=False, primary=True) for u in new_users.values()], batch_size=500
    )
    users = {row.number: new_users.get(row.number) or lk.users_by_pk[plan["user_id"]] for row, plan in todo}

    records_new, records_changed, events, sync_rows = [], [], [], []
    for row, plan in todo:
        user = users[row.number]
        if "update" in plan["actions"]:
            _update_account(user, row)
        fields = ghost_fields(row, provider_id=provider_id) | {"last_import": member_import}
        gm = lk.ghost_by_user.get(user.pk) or (lk.ghost_by_id.get(row.ghost_id) if row.ghost_id else None)
        if gm is None:
            gm = GhostMember(user=user, ghost_id=row.ghost_id or None, first_import=member_import, **fields)
            records_new.append(gm)
        elif "unchanged" not in plan["actions"]:
            for name, value in fields.items():
                setattr(gm, name, value)
            gm.ghost_id = gm.ghost_id or row.ghost_id or None
            records_changed.append(gm)
        if plan["sync"]:
            gm.sync_status = GhostMember.SyncStatus.PENDING
            sync_rows.append(gm)
        if "unchanged" not in plan["actions"]:
            since = f"; in Ghost since {date_text(row.created_at)}" if row.created_at else ""
            labels = f"; labels: {', '.join(row.labels)}" if row.labels else ""
            events.append(
                MemberEvent(
                    user=user,
                    kind=MemberEvent.Kind.IMPORTED,
                    staff_user=staff_user,
                    reader_visible=False,
                    summary=f"Imported from Ghost (member {row.ghost_id or 'without id'}{since}{labels})"[:300],
                )
            )
    GhostMember.objects.bulk_create(records_new, batch_size=500)
    GhostMember.objects.bulk_update(
        records_changed, [*ghost_fields(rows[0], provider_id=provider_id), "last_import", "ghost_id"], batch_size=500
    )
    MemberEvent.objects.bulk_create(events, batch_size=500)
    sync_ids = [gm.pk for gm in sync_rows]
    for chunk in chunks(sync_ids):
        GhostMember.objects.filter(pk__in=chunk).update(sync_status=GhostMember.SyncStatus.PENDING)

    tiers_by_name = {tier.name: tier for tier in lk.tiers_by_id.values()}
    until = now + timedelta(days=PROVISIONAL_DAYS)
    provisional = (
        "Provisional {tier} membership until {until}: a paying member in Ghost, waiting for the payment provider "
        "to confirm the subscription"
    )
    bulk: list[lifecycle.ImportedMembership] = []
    ghost_since: dict[int, datetime] = {}
    _link_customers(
        provider_id, {row.stripe_customer_id: users[row.number].pk for row, plan in todo if "link" in plan["actions"]}
    )
    for row, plan in todo:
        user, actions = users[row.number], plan["actions"]
        tier = tiers_by_name.get(plan["tier"])
        if tier is not None and row.created_at and row.created_at < now and lk.memberships.get(user.pk) is None:
            ghost_since[user.pk] = row.created_at  # a membership the import creates started when Ghost's did
        if "create" in actions and tier is not None:
            comp = "provisional" not in actions
            bulk.append(
                lifecycle.ImportedMembership(
                    user_id=user.pk,
                    tier=tier,
                    comp=comp,
                    provider=provider_id,
                    customer_id=row.stripe_customer_id,
                    until=None if comp else until,
                    summary=f"Complimentary {tier.name} membership with no end date"
                    if comp
                    else provisional.format(tier=tier.name, until=date_text(until)),
                )
            )
        # The plan names a tier with every comp, gift and provisional action (members.ghost_plan).
        elif "comp" in actions or "gift" in actions:
            services.comp_membership(user=user, tier=cast(Tier, tier), until=None, staff_user=staff_user)
        elif "provisional" in actions:
            tier = cast(Tier, tier)
            lifecycle.grant_provisional_membership(
                user_id=user.pk,
                tier=tier,
                provider=provider_id,
                customer_id=row.stripe_customer_id,
                until=until,
                staff_user=staff_user,
                summary=provisional.format(tier=tier.name, until=date_text(until)),
            )
    lifecycle.create_imported_memberships(grants=bulk, staff_user=staff_user)
    _start_memberships_when_ghost_did(ghost_since)
    return sync_ids


def _update_account(user, row: GhostRow) -> None:
    """An existing account gets Ghost's name when it has none, and Ghost's signup date when that is earlier."""
    changed = []
    if row.name and not (user.first_name or user.last_name):
        user.first_name, user.last_name = _split_name(row.name)
        changed += ["first_name", "last_name"]
    if row.created_at and row.created_at < user.date_joined:
        user.date_joined = row.created_at
        changed.append("date_joined")
    if changed:
        user.save(update_fields=changed)


def _start_memberships_when_ghost_did(started_at_by_user: dict[int, datetime]) -> None:
    """The services start a membership now; one brought from Ghost started when the member joined Ghost."""
    for chunk in chunks(started_at_by_user):
        memberships = list(Membership.objects.filter(user_id__in=chunk).only("pk", "user_id", "started_at"))
        for membership in memberships:
            membership.started_at = started_at_by_user[membership.user_id]
        Membership.objects.bulk_update(memberships, ["started_at"], batch_size=500)
