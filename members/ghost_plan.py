"""Planning a Ghost import: what each row of the file will do (members.ghost_import describes the actions), read
against the accounts, Ghost records, provider customers and memberships already here and the tier mapping staff
chose (members.ghost_tiers). Planning changes nothing; the preview shows the plan and apply carries out a fresh
plan only when it is the one the preview showed (its fingerprint)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from members import ghost_tiers, services
from members.ghost_csv import GhostRow
from members.ghost_tiers import Mapping, quoted
from members.models import GhostMember, Membership, Tier
from outlet.common.local_time import date_text
from outlet.payments.models import ProviderCustomer

if TYPE_CHECKING:
    from django.contrib.auth import models as auth_models

CHUNK = 2000
ACTIONS = ("create", "update", "unchanged", "link", "comp", "gift", "provisional", "skip", "error")


@dataclass
class Lookups:
    """Everything the plan compares against, loaded in a few queries per 2,000 rows (no per-row queries)."""

    tiers_by_id: dict[int, Tier]
    default_tier: Tier | None
    mapping: Mapping
    ghost_by_id: dict[str | None, GhostMember]  # keyed by GhostMember.ghost_id (nullable; never None here)
    ghost_by_user: dict[int, GhostMember]
    users_by_email: dict[str, auth_models.User]
    users_by_pk: dict[int, auth_models.User]
    owner_of_customer: dict[str, int]
    customer_of_user: dict[int, str]
    memberships: dict[int, Membership]


def chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def load_lookups(
    rows: list[GhostRow], *, provider_id: str, mapping: Mapping, tiers: list[Tier] | None = None
) -> Lookups:
    User = get_user_model()
    tiers = list(Tier.objects.order_by("position", "name")) if tiers is None else tiers
    ghost_by_id = {
        gm.ghost_id: gm
        for chunk in chunks({r.ghost_id for r in rows if r.ghost_id})
        for gm in GhostMember.objects.filter(ghost_id__in=chunk).select_related("user")
    }
    users_by_email: dict[str, auth_models.User] = {}
    for chunk in chunks({r.email for r in rows if r.email}):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk).order_by("-pk"):
            users_by_email[user.email_lower] = user  # the oldest account wins when two share an address
    users_by_pk = {u.pk: u for u in users_by_email.values()} | {gm.user_id: gm.user for gm in ghost_by_id.values()}
    user_ids = set(users_by_pk)
    customers = {r.stripe_customer_id for r in rows if r.stripe_customer_id}
    return Lookups(
        tiers_by_id={tier.pk: tier for tier in tiers},
        mapping=mapping,
        default_tier=min((t for t in tiers if t.is_active), key=lambda t: (t.position, t.name), default=None),
        ghost_by_id=ghost_by_id,
        users_by_email=users_by_email,
        users_by_pk=users_by_pk,
        ghost_by_user={
            gm.user_id: gm for chunk in chunks(user_ids) for gm in GhostMember.objects.filter(user_id__in=chunk)
        },
        owner_of_customer={
            c.customer_id: c.user_id
            for chunk in chunks(customers)
            for c in ProviderCustomer.objects.filter(provider=provider_id, customer_id__in=chunk)
        },
        customer_of_user={
            c.user_id: c.customer_id
            for chunk in chunks(user_ids)
            for c in ProviderCustomer.objects.filter(provider=provider_id, user_id__in=chunk)
        },
        memberships={
            m.user_id: m
            for chunk in chunks(user_ids)
            for m in Membership.objects.filter(user_id__in=chunk).select_related("tier")
        },
    )


def ghost_fields(row: GhostRow, *, provider_id: str) -> dict:
    """What the Ghost record of this member holds after the import (compared to find 'unchanged' rows)."""
    return {
        "email": row.email,
        "name": row.name[:255],
        "note": row.note,
        "labels": row.labels,
        "tiers": row.tiers,
        "subscribed_to_emails": row.subscribed_to_emails,
        "complimentary": row.complimentary,
        "gift_id": row.gift_id[:255],
        "ghost_created_at": row.created_at,
        "stripe_customer_id": row.stripe_customer_id,
        "provider": provider_id if row.stripe_customer_id else "",
    }


def plan_rows(rows: list[GhostRow], lookups: Lookups, *, provider_id: str) -> list[dict]:
    now = timezone.now()
    seen: dict[tuple[str, str], int] = {}
    return [_plan_row(row, lookups, seen, now=now, provider_id=provider_id) for row in rows]


def _plan_row(row: GhostRow, lk: Lookups, seen: dict, *, now: datetime, provider_id: str) -> dict:
    plan: dict[str, Any] = {
        "row": row.number,
        "email": row.email,
        "name": row.name,
        "ghost_id": row.ghost_id,
        "actions": [],
        "tier": "",
        "notes": [],
        "errors": list(row.errors),
        "user_id": None,
        "sync": False,
        "standing": ghost_tiers.ghost_standing(row, lk.mapping),
        "ghost_tiers": row.tiers,
        "access_signal": bool(
            row.stripe_customer_id or row.complimentary or row.gift_id or row.status in ("paid", "comped")
        ),
        "since": row.created_at.isoformat() if row.created_at else "",
    }
    errors, notes, actions = plan["errors"], plan["notes"], plan["actions"]
    for key, label in (("email", row.email), ("ghost_id", row.ghost_id), ("customer", row.stripe_customer_id)):
        if label and (key, label) in seen:
            errors.append(f"the same {key.replace('_', ' ')} is on row {seen[key, label]}")
        elif label:
            seen[key, label] = row.number
    if errors:
        actions.append("error")
        return plan
    if row.deleted_at:
        actions.append("skip")
        notes.append(f"deleted in Ghost on {date_text(row.deleted_at)}")
        return plan
    gm = lk.ghost_by_id.get(row.ghost_id) if row.ghost_id else None
    user = gm.user if gm else lk.users_by_email.get(row.email)
    if gm is None and user is not None:
        gm = lk.ghost_by_user.get(user.pk)
        if gm is not None and gm.ghost_id and gm.ghost_id != row.ghost_id:
            errors.append(f"the account {user.email} was imported from another Ghost member ({gm.ghost_id})")
            actions.append("error")
            return plan
    if gm is not None and user is not None and user.email.lower() != row.email:  # a Ghost record has its user
        notes.append(
            f"Ghost now has {row.email}; the account keeps {user.email} (change it in the user admin if right)"
        )
    cus = row.stripe_customer_id
    if cus and lk.owner_of_customer.get(cus) not in (None, getattr(user, "pk", None)):
        errors.append(
            f"Stripe customer {cus} is already linked to another account here (user #{lk.owner_of_customer[cus]})"
        )
        actions.append("error")
        return plan
    if user is None:
        actions.append("create")
    else:
        plan["user_id"] = user.pk
        current = {name: getattr(gm, name) for name in ghost_fields(row, provider_id=provider_id)} if gm else None
        names_missing = row.name and not (user.first_name or user.last_name)
        earlier_in_ghost = row.created_at is not None and row.created_at < user.date_joined
        if earlier_in_ghost:
            notes.append(
                f"member since {date_text(row.created_at)}, as in Ghost (the account here dates from "
                f"{date_text(user.date_joined)})"
            )
        changed = (
            gm is None or current != ghost_fields(row, provider_id=provider_id) or names_missing or earlier_in_ghost
        )
        actions.append("update" if changed else "unchanged")
    if cus:
        linked = lk.customer_of_user.get(user.pk) if user else None
        if linked is None and lk.owner_of_customer.get(cus) is None:
            actions.append("link")
        elif linked and linked != cus:
            notes.append(
                f"the account already has Stripe customer {linked}; {cus} is kept on the Ghost record and asked "
                "about too"
            )
        plan["sync"] = gm is None or gm.stripe_customer_id != cus or gm.sync_status != GhostMember.SyncStatus.SYNCED
    _plan_membership(plan, row, lk, user, gm, now=now)
    return plan


def _refuse(plan: dict, error: str) -> None:
    plan["errors"].append(error)
    plan["actions"][:], plan["tier"], plan["sync"] = ["error"], "", False


STANDING_WORDS = {"comped": "complimentary", "paid": "a paying member", "gift": "a gift member"}


def _plan_membership(plan: dict, row: GhostRow, lk: Lookups, user, gm, *, now) -> None:
    """What membership the row brings: none for a free member; for a paid, comped or gift member, one on the tier
    their Ghost tier maps to, unless they already have access here (which they keep, whatever Ghost says)."""
    standing = plan["standing"]
    if standing == "free":
        if row.tiers:
            plan["notes"].append(
                f"free in Ghost: a free account here, no membership (tier {quoted(row.tiers)} gives none)"
            )
        if row.tiers and row.stripe_customer_id:
            plan["notes"].append(
                "has a Stripe customer: the payment provider is asked after the import, and a live "
                "subscription there shows under Ghost members"
            )
        return
    resolved = ghost_tiers.resolve(row.tiers, lk.mapping, lk.tiers_by_id)
    if resolved.unchosen:
        return _refuse(
            plan,
            f"{STANDING_WORDS[standing]} in Ghost with tier {quoted(resolved.unchosen)}, which is not mapped to one "
            "of our tiers: choose one for it under “Ghost tiers” (or add the tier under Tiers)",
        )
    if resolved.free and resolved.tier is None:
        return _refuse(
            plan,
            f"{STANDING_WORDS[standing]} in Ghost with tier {quoted(resolved.free)}, which is mapped to a free "
            "account: map it to one of our tiers, so they keep the access they have in Ghost",
        )
    tier = resolved.tier
    membership = lk.memberships.get(user.pk) if user else None
    has_access = membership is not None and services.membership_grants_access(membership, now=now)
    paid_here = has_access and membership is not None and membership.source == Membership.Source.PAID
    keeps = (
        f"keeps their {membership.get_source_display().lower()} {membership.tier} membership here"
        if has_access and membership is not None
        else ""
    )
    if standing == "comped":
        comp_tier = tier or lk.default_tier
        if comp_tier is None:
            _refuse(plan, "complimentary, but there is no active tier to give (add a tier first)")
        elif has_access:
            plan["notes"].append(
                keeps + (": a paying member is never turned into a complimentary one" if paid_here else "")
            )
        else:
            plan["actions"].append("comp")
            plan["tier"] = comp_tier.name
    elif standing == "paid" and row.stripe_customer_id:
        if has_access:
            plan["notes"].append(keeps + "; the payment provider decides after the import")
        elif tier is None:
            plan["notes"].append("paid in Ghost with no tier named: the payment provider decides after the import")
        elif (
            gm is not None
            and gm.sync_status == GhostMember.SyncStatus.SYNCED
            and gm.stripe_customer_id == row.stripe_customer_id
        ):
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
    else:
        _refuse(
            plan,
            "paid in Ghost, but the file has neither a Stripe customer nor a gift for them: we cannot tell what they "
            "paid (add the customer id, or mark them complimentary)",
        )


def summarise(plans: list[dict], mapping: Mapping) -> tuple[dict, str]:
    """Rows per action (with the free accounts and the tier mapping that produced them) and the plan's fingerprint."""
    counts = Counter(action for plan in plans for action in plan["actions"])
    free = sum(1 for plan in plans if plan["standing"] == "free" and not {"error", "skip"} & set(plan["actions"]))
    summary = {action: counts.get(action, 0) for action in ACTIONS} | {
        "rows": len(plans),
        "free_accounts": free,
        "tier_mapping": mapping,
    }
    promised = [[p["row"], p["actions"], p["tier"], p["user_id"], p["errors"], p["sync"]] for p in plans]
    return summary, hashlib.sha256(json.dumps([promised, mapping], sort_keys=True).encode()).hexdigest()


def plan_file(
    rows: list[GhostRow], *, provider_id: str, mapping: Mapping | None
) -> tuple[list[dict], dict, str, Lookups]:
    tiers = list(Tier.objects.order_by("position", "name"))
    if mapping is None:
        mapping = ghost_tiers.default_mapping(
            ghost_tiers.tier_names_in(rows), tiers=tiers, remembered=ghost_tiers.remembered_mapping()
        )
    lookups = load_lookups(rows, provider_id=provider_id, mapping=mapping, tiers=tiers)
    plans = plan_rows(rows, lookups, provider_id=provider_id)
    counts, fingerprint = summarise(plans, mapping)
    return plans, counts, fingerprint, lookups
