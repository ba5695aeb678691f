"""Importing members from Ghost's member export: a preview plans every row and changes nothing; applying carries
out exactly that plan, in one transaction; then the payment provider is asked about every linked customer
(members.ghost_sync). Re-importing the same file, or a newer overlapping one, changes nothing already imported.

Per row (the plan's actions):
- error: a bad email or date, an unknown tier, an email or Ghost id repeated in the file, a Stripe customer that
  belongs to another account here, or a tier with neither a Stripe customer, a comp nor a gift (we cannot tell
  what they paid). Rows with errors are never imported; staff either fix the file or explicitly import the rest.
- skip: deleted in Ghost (deleted_at set).
- create / update / unchanged: matched by Ghost id (an earlier import) first, then by email in any case. A new
  account has no password and an unverified address: the first sign-in by emailed code proves it. An existing
  account keeps its login email and its name; the Ghost record (note, labels, tiers, newsletter consent) is
  updated.
- link: the Stripe customer is linked to the account; nobody is sent to checkout, no subscription is created.
- comp: complimentary_plan true gives a complimentary membership on the Ghost tier (the first active tier when
  none is named), recorded with the staff user; a member with access here keeps it (paid is never turned to comp).
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
import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from members import lifecycle, services
from members.ghost_csv import GhostFileError, GhostRow, decode_upload, read_rows
from members.models import GhostMember, MemberEvent, MemberImport, Membership, Tier
from outlet.payments import services as payments
from outlet.payments.models import ProviderCustomer

logger = logging.getLogger(__name__)

PROVISIONAL_DAYS = 31
GHOST_PROVIDER = "stripe"  # Ghost only ever took payments through Stripe
CHUNK = 2000
ACTIONS = ("create", "update", "unchanged", "link", "comp", "gift", "provisional", "skip", "error")
_IMPORT_LOCK = 0x6768_6F73  # pg advisory lock: one import applies at a time


class ImportRefused(Exception):
    """Apply was refused or failed; nothing changed. The message is for staff."""


@dataclass
class Lookups:
    """Everything the plan compares against, loaded in a few queries per 2,000 rows (no per-row queries)."""

    tiers: dict[str, Tier]
    default_tier: Tier | None
    ghost_by_id: dict[str, GhostMember]
    ghost_by_user: dict[int, GhostMember]
    users_by_email: dict[str, object]
    users_by_pk: dict[int, object]
    owner_of_customer: dict[str, int]
    customer_of_user: dict[int, str]
    memberships: dict[int, Membership]


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def load_lookups(rows: list[GhostRow], *, provider_id: str) -> Lookups:
    User = get_user_model()
    tiers: dict[str, Tier] = {}
    for tier in Tier.objects.all():
        tiers.setdefault(tier.slug.lower(), tier)
        tiers[tier.name.lower()] = tier
    ghost_by_id = {gm.ghost_id: gm for chunk in _chunks({r.ghost_id for r in rows if r.ghost_id})
                   for gm in GhostMember.objects.filter(ghost_id__in=chunk).select_related("user")}
    users_by_email: dict[str, object] = {}
    for chunk in _chunks({r.email for r in rows if r.email}):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk).order_by("-pk"):
            users_by_email[user.email_lower] = user  # the oldest account wins when two share an address
    users_by_pk = {u.pk: u for u in users_by_email.values()} | {gm.user_id: gm.user for gm in ghost_by_id.values()}
    user_ids = set(users_by_pk)
    customers = {r.stripe_customer_id for r in rows if r.stripe_customer_id}
    return Lookups(
        tiers=tiers, default_tier=Tier.objects.filter(is_active=True).order_by("position", "name").first(),
        ghost_by_id=ghost_by_id, users_by_email=users_by_email, users_by_pk=users_by_pk,
        ghost_by_user={gm.user_id: gm for chunk in _chunks(user_ids) for gm in GhostMember.objects.filter(user_id__in=chunk)},
        owner_of_customer={c.customer_id: c.user_id for chunk in _chunks(customers)
                           for c in ProviderCustomer.objects.filter(provider=provider_id, customer_id__in=chunk)},
        customer_of_user={c.user_id: c.customer_id for chunk in _chunks(user_ids)
                          for c in ProviderCustomer.objects.filter(provider=provider_id, user_id__in=chunk)},
        memberships={m.user_id: m for chunk in _chunks(user_ids) for m in Membership.objects.filter(user_id__in=chunk).select_related("tier")},
    )


def ghost_fields(row: GhostRow, *, provider_id: str) -> dict:
    """What the Ghost record of this member holds after the import (compared to find 'unchanged' rows)."""
    return {"email": row.email, "name": row.name[:255], "note": row.note, "labels": row.labels, "tiers": row.tiers,
            "subscribed_to_emails": row.subscribed_to_emails, "complimentary": row.complimentary, "gift_id": row.gift_id[:255],
            "ghost_created_at": row.created_at, "stripe_customer_id": row.stripe_customer_id,
            "provider": provider_id if row.stripe_customer_id else ""}


def plan_rows(rows: list[GhostRow], lookups: Lookups, *, provider_id: str) -> list[dict]:
    now = timezone.now()
    seen: dict[tuple[str, str], int] = {}
    return [_plan_row(row, lookups, seen, now=now, provider_id=provider_id) for row in rows]


def _plan_row(row: GhostRow, lk: Lookups, seen: dict, *, now, provider_id: str) -> dict:
    plan = {"row": row.number, "email": row.email, "name": row.name, "ghost_id": row.ghost_id, "actions": [],
            "tier": "", "notes": [], "errors": list(row.errors), "user_id": None, "sync": False}
    errors, notes, actions = plan["errors"], plan["notes"], plan["actions"]
    for key, label in (("email", row.email), ("ghost_id", row.ghost_id), ("customer", row.stripe_customer_id)):
        if label and (key, label) in seen:
            errors.append(f"the same {key.replace('_', ' ')} is on row {seen[key, label]}")
        elif label:
            seen[key, label] = row.number
    tiers = [lk.tiers.get(name.lower()) for name in row.tiers]
    for name, tier in zip(row.tiers, tiers):
        if tier is None:
            errors.append(f"tier {name!r} does not exist here (add it under Tiers, or rename it in the file)")
    if errors:
        actions.append("error")
        return plan
    if row.deleted_at:
        actions.append("skip")
        notes.append(f"deleted in Ghost on {row.deleted_at:%d %B %Y}")
        return plan
    gm = lk.ghost_by_id.get(row.ghost_id) if row.ghost_id else None
    user = gm.user if gm else lk.users_by_email.get(row.email)
    if gm is None and user is not None:
        gm = lk.ghost_by_user.get(user.pk)
        if gm is not None and gm.ghost_id and gm.ghost_id != row.ghost_id:
            errors.append(f"the account {user.email} was imported from another Ghost member ({gm.ghost_id})")
            actions.append("error")
            return plan
    if gm is not None and user.email.lower() != row.email:
        notes.append(f"Ghost now has {row.email}; the account keeps {user.email} (change it in the user admin if right)")
    tier = tiers[0] if tiers else None
    cus = row.stripe_customer_id
    if cus and lk.owner_of_customer.get(cus) not in (None, getattr(user, "pk", None)):
        errors.append(f"Stripe customer {cus} is already linked to another account here (user #{lk.owner_of_customer[cus]})")
        actions.append("error")
        return plan
    if user is None:
        actions.append("create")
    else:
        plan["user_id"] = user.pk
        current = {name: getattr(gm, name) for name in ghost_fields(row, provider_id=provider_id)} if gm else None
        names_missing = row.name and not (user.first_name or user.last_name)
        changed = gm is None or current != ghost_fields(row, provider_id=provider_id) or names_missing
        actions.append("update" if changed else "unchanged")
    if cus:
        linked = lk.customer_of_user.get(user.pk) if user else None
        if linked is None and lk.owner_of_customer.get(cus) is None:
            actions.append("link")
        elif linked and linked != cus:
            notes.append(f"the account already has Stripe customer {linked}; {cus} is kept on the Ghost record and asked about too")
        plan["sync"] = gm is None or gm.stripe_customer_id != cus or gm.sync_status != GhostMember.SyncStatus.SYNCED
    _plan_membership(plan, row, lk, user, gm, tier, now=now)
    return plan


def _plan_membership(plan: dict, row: GhostRow, lk: Lookups, user, gm, tier: Tier | None, *, now) -> None:
    membership = lk.memberships.get(user.pk) if user else None
    has_access = membership is not None and services.membership_grants_access(membership, now=now)
    paid_here = has_access and membership.source == Membership.Source.PAID
    keeps = f"keeps their {membership.get_source_display().lower()} {membership.tier} membership here" if has_access else ""
    if row.complimentary:
        comp_tier = tier or lk.default_tier
        if comp_tier is None:
            plan["errors"].append("complimentary, but there is no active tier to give (add a tier first)")
            plan["actions"].append("error")
        elif has_access:
            plan["notes"].append(keeps + (": a paying member is never turned into a complimentary one" if paid_here else ""))
        else:
            plan["actions"].append("comp")
            plan["tier"] = comp_tier.name
    elif row.stripe_customer_id and tier:
        if has_access:
            plan["notes"].append(keeps + "; the payment provider decides after the import")
        elif gm is not None and gm.sync_status == GhostMember.SyncStatus.SYNCED and gm.stripe_customer_id == row.stripe_customer_id:
            plan["notes"].append("the payment provider was already asked about this member: its answer stands")
        else:
            plan["actions"].append("provisional")
            plan["tier"] = tier.name
    elif tier and row.gift_id:
        if has_access:
            plan["notes"].append(keeps)
        else:
            plan["actions"].append("gift")
            plan["tier"] = tier.name
    elif tier:
        plan["errors"].append(f"has tier {tier.name!r} but neither a Stripe customer, a complimentary plan nor a gift: "
                              "we cannot tell what they paid (add the customer id or mark them complimentary)")
        plan["actions"][:] = ["error"]


def summarise(plans: list[dict]) -> tuple[dict, str]:
    counts = Counter(action for plan in plans for action in plan["actions"])
    summary = {action: counts.get(action, 0) for action in ACTIONS} | {"rows": len(plans)}
    promised = [[p["row"], p["actions"], p["tier"], p["user_id"], p["errors"], p["sync"]] for p in plans]
    return summary, hashlib.sha256(json.dumps(promised).encode()).hexdigest()


def preview_import(*, filename: str, data: bytes, staff_user, provider_id: str = GHOST_PROVIDER) -> MemberImport:
    """Read and plan the file; stores the import record (the history) and changes no member. Raises GhostFileError."""
    text = decode_upload(data)
    rows = read_rows(text)
    plans = plan_rows(rows, load_lookups(rows, provider_id=provider_id), provider_id=provider_id)
    counts, fingerprint = summarise(plans)
    return MemberImport.objects.create(
        filename=filename[:255], content=text, content_sha256=hashlib.sha256(data).hexdigest(), uploaded_by=staff_user,
        row_count=len(plans), error_count=counts["error"], counts=counts, preview_rows=plans, plan_fingerprint=fingerprint,
    )


def apply_import(*, import_id: int, staff_user, only_valid_rows: bool = False, provider_id: str = GHOST_PROVIDER) -> MemberImport:
    """Carry out the previewed plan in one transaction: all of it, or (on any failure) none of it."""
    from members.ghost_sync import enqueue_syncs

    try:
        with transaction.atomic():
            member_import = MemberImport.objects.select_for_update().get(pk=import_id)
            if member_import.status == MemberImport.Status.APPLIED:
                raise ImportRefused("This file was already imported. Upload it again to see what a new import would change.")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
            rows = read_rows(member_import.content)
            lookups = load_lookups(rows, provider_id=provider_id)
            plans = plan_rows(rows, lookups, provider_id=provider_id)
            counts, fingerprint = summarise(plans)
            if fingerprint != member_import.plan_fingerprint:
                raise _Outdated(counts, fingerprint, plans)
            if counts["error"] and not only_valid_rows:
                raise ImportRefused(f"{counts['error']} row(s) have errors. Fix them and upload the file again, or choose "
                                    "to import only the valid rows.")
            sync_ids = _carry_out(rows, plans, lookups, member_import, staff_user=staff_user, provider_id=provider_id)
            member_import.status, member_import.only_valid_rows = MemberImport.Status.APPLIED, bool(counts["error"])
            member_import.applied_by, member_import.applied_at, member_import.failure = staff_user, timezone.now(), ""
            member_import.save()
            transaction.on_commit(lambda: enqueue_syncs(sync_ids), robust=True)
            return member_import
    except _Outdated as outdated:
        MemberImport.objects.filter(pk=import_id).update(counts=outdated.counts, plan_fingerprint=outdated.fingerprint,
                                                         preview_rows=outdated.plans, error_count=outdated.counts["error"])
        raise ImportRefused("Members changed since this preview (someone signed up or was imported meanwhile). The "
                            "preview is now up to date: check it and apply again.") from None
    except (ImportRefused, GhostFileError):
        raise
    except Exception as exc:
        logger.exception("Ghost import %s failed; rolled back", import_id)
        MemberImport.objects.filter(pk=import_id).update(status=MemberImport.Status.FAILED, failure=f"{type(exc).__name__}: {exc}"[:2000])
        raise ImportRefused(f"The import failed and nothing was changed ({type(exc).__name__}: {exc}). "
                            "Try again; if it fails again, send this message to the developers.") from exc


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


def _carry_out(rows: list[GhostRow], plans: list[dict], lk: Lookups, member_import: MemberImport, *, staff_user,
               provider_id: str) -> list[int]:
    """The plan, row by row where a service must decide (links, memberships), in bulk where nothing is decided."""
    User = get_user_model()
    now = timezone.now()
    todo = [(row, plan) for row, plan in zip(rows, plans) if not ({"error", "skip"} & set(plan["actions"]))]
    new_users = {}
    for row, plan in todo:
        if "create" in plan["actions"]:
            first, last = _split_name(row.name)
            username = f"ghost-{row.ghost_id}" if row.ghost_id else f"ghost-{uuid.uuid4().hex}"
            new_users[row.number] = User(username=username, email=row.email, first_name=first, last_name=last,
                                         date_joined=row.created_at or now, password=make_password(None))
    taken = {u for chunk in _chunks({u.username for u in new_users.values()})
             for u in User.objects.filter(username__in=chunk).values_list("username", flat=True)}
    for user in new_users.values():
        if user.username in taken:
            user.username = f"ghost-{uuid.uuid4().hex}"
    User.objects.bulk_create(new_users.values(), batch_size=500)
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=False, primary=True) for u in new_users.values()],
                                     batch_size=500)
    users = {row.number: new_users.get(row.number) or lk.users_by_pk[plan["user_id"]] for row, plan in todo}

    records_new, records_changed, events, sync_rows = [], [], [], []
    for row, plan in todo:
        user = users[row.number]
        if "update" in plan["actions"] and row.name and not (user.first_name or user.last_name):
            user.first_name, user.last_name = _split_name(row.name)
            user.save(update_fields=["first_name", "last_name"])
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
            since = f"; in Ghost since {row.created_at:%d %B %Y}" if row.created_at else ""
            labels = f"; labels: {', '.join(row.labels)}" if row.labels else ""
            events.append(MemberEvent(user=user, kind=MemberEvent.Kind.IMPORTED, staff_user=staff_user, reader_visible=False,
                                      summary=f"Imported from Ghost (member {row.ghost_id or 'without id'}{since}{labels})"[:300]))
    GhostMember.objects.bulk_create(records_new, batch_size=500)
    GhostMember.objects.bulk_update(records_changed, [*ghost_fields(rows[0], provider_id=provider_id), "last_import", "ghost_id"],
                                    batch_size=500)
    MemberEvent.objects.bulk_create(events, batch_size=500)
    sync_ids = [gm.pk for gm in sync_rows]
    for chunk in _chunks(sync_ids):
        GhostMember.objects.filter(pk__in=chunk).update(sync_status=GhostMember.SyncStatus.PENDING)

    tiers_by_name = {tier.name: tier for tier in lk.tiers.values()}
    until = now + timedelta(days=PROVISIONAL_DAYS)
    provisional = "Provisional {tier} membership until {until:%d %B %Y}: a paying member in Ghost, waiting for the payment provider to confirm the subscription"
    bulk: list[lifecycle.ImportedMembership] = []
    _link_customers(provider_id, {row.stripe_customer_id: users[row.number].pk for row, plan in todo if "link" in plan["actions"]})
    for row, plan in todo:
        user, actions = users[row.number], plan["actions"]
        tier = tiers_by_name.get(plan["tier"])
        if "create" in actions and tier is not None:
            comp = "provisional" not in actions
            bulk.append(lifecycle.ImportedMembership(
                user_id=user.pk, tier=tier, comp=comp, provider=provider_id, customer_id=row.stripe_customer_id,
                until=None if comp else until,
                summary=f"Complimentary {tier.name} membership with no end date" if comp else provisional.format(tier=tier.name, until=until)))
        elif "comp" in actions or "gift" in actions:
            services.comp_membership(user=user, tier=tier, until=None, staff_user=staff_user)
        elif "provisional" in actions:
            lifecycle.grant_provisional_membership(user_id=user.pk, tier=tier, provider=provider_id, customer_id=row.stripe_customer_id,
                                                   until=until, staff_user=staff_user, summary=provisional.format(tier=tier.name, until=until))
    lifecycle.create_imported_memberships(grants=bulk, staff_user=staff_user)
    return sync_ids
