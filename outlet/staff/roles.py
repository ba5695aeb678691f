# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
"""Staff roles: which Django group may do what in the admin, kept as data here and synced into the database.

Four roles, each a Django group (a staff user can hold several):

- **Editor** writes and publishes: articles, authors, bylines, sections, regions, tags, the media library's pictures,
  the membership/fundraiser prompts, the newsletters (compose, test, schedule, send) and the privacy policy and
  terms pages. Sees (not edits) campaigns, so a prompt can name a fundraiser, and tiers, so an article can be limited
  to a tier. No reader, member or money data (a newsletter's delivery list shows addresses, read-only: who got an
  issue).
- **Membership manager** runs members: tiers and their prices (the revenue team's membership half: this role edits
  tiers), the member list and page with its timeline and checkouts, and the member actions: comp, cancel, refund a
  membership payment, resend receipts/verification email, export and import (Ghost). Sees the payments and receipts
  the member page shows, the addresses the email service reported bouncing (and lifts a suppression) and readers'
  email choices. No gifts, no campaigns, no dashboard.
- **Finance** runs the money side of fundraising: campaigns with their currencies, beneficiaries and updates (the
  revenue team's fundraising half: this role edits campaigns), gifts, monthly gifts, receipts, the allocation
  ledger, the card-testing shield, gift refunds, receipt resends, gift export, payout reports, the payments and
  webhook log (with reprocess) and the revenue dashboard. No member actions.
- **Administrator** holds every permission (user accounts, groups, schedules included) except seeing private donors
  unmasked (Finance's need-to-know; they reveal one with a logged button) and rewriting history:
  no role may change or delete money records (payments, gifts, monthly gifts, receipts, the allocation ledger) or
  audit trails (member timeline, webhook log, admin history), nor delete a membership row (that would bypass the
  provider, which would keep billing; staff cancel through the member actions). Deliberately not a superuser:
  the superuser flag bypasses every check, a group does not, so nothing is granted by accident; new permissions
  reach the role on the next migrate.

Why data in code: the matrix is reviewed like code and tested (tests/staff/test_permission_matrix.py).
`sync_roles` makes each group hold exactly its permissions; it runs after every `migrate` (post_migrate, once all
apps' permissions exist) and from `manage.py setup_roles`. A permission added to a role group by hand in the
admin is removed on the next sync: change this file instead. Users' own (non-group) permissions are never touched.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, router, transaction

logger = logging.getLogger(__name__)

EDITOR = "Editor"
MEMBERSHIP_MANAGER = "Membership manager"
FINANCE = "Finance"
ADMINISTRATOR = "Administrator"
ALL_PERMISSIONS = "__all__"

CRUD = ("add", "change", "delete", "view")


def model_permissions(app_label: str, model_name: str, actions: tuple[str, ...] = CRUD) -> list[str]:
    return [f"{app_label}.{action}_{model_name}" for action in actions]


# History is never rewritten through the admin, whatever the role: corrections go through the services (refunds,
# voided receipts, reversing ledger entries) so the record of what happened stays whole.
NEVER_GRANTED = frozenset(
    {
        "payments.change_payment",
        "payments.delete_payment",
        "payments.change_webhookevent",
        "payments.delete_webhookevent",
        "donations.change_donation",
        "donations.delete_donation",
        "donations.change_recurringdonation",
        "donations.delete_recurringdonation",
        "receipts.change_receipt",
        "receipts.delete_receipt",
        "donations.change_allocationentry",
        "donations.delete_allocationentry",
        "members.change_memberevent",
        "members.delete_memberevent",
        "members.delete_membership",
        "admin.change_logentry",
        "admin.delete_logentry",
    }
)

# Need-to-know: seeing who the donors are who chose privacy is Finance's alone; an Administrator holds every other
# permission, and reveals a private donor like any other staff member (logged, outlet/privacy/admin_donors.py).
FINANCE_ONLY = frozenset({"privacy.see_private_donors"})

ROLE_PERMISSIONS: dict[str, list[str] | str] = {
    EDITOR: [
        *[
            perm
            for model in ("article", "byline", "author", "section", "region", "tag", "prompt", "mediaimage")
            for perm in model_permissions("outlet", model)
        ],
        *model_permissions("privacy", "legalpage", ("add", "change", "view")),  # the privacy policy and terms
        "donations.view_campaign",  # a prompt names a fundraiser
        "members.view_tier",  # an article may be limited to tiers (the tier picker)
        # Newsletters: the editors write, test, schedule and send them; the delivery list shows who got an issue.
        *model_permissions("newsletters", "newsletter"),
        *model_permissions("newsletters", "newslettersend"),
        *model_permissions("newsletters", "sendstory"),
        "newsletters.view_delivery",
        "newsletters.send_newsletter",
    ],
    MEMBERSHIP_MANAGER: [
        *model_permissions("members", "tier", ("add", "change", "view")),
        *model_permissions("members", "tierprice"),
        *model_permissions("members", "membership", ("change", "view")),
        "members.view_memberevent",
        "members.view_membershipcheckout",
        "members.comp_membership",
        "members.cancel_membership",
        "members.refund_membership_payment",
        "members.email_member",
        "members.export_members",
        "members.import_members",
        "payments.view_payment",  # the member page lists the member's payments
        "receipts.view_receipt",  # ... and the receipts issued for them
        "common.view_suppressedaddress",  # addresses the email service reported bouncing (the member timeline)
        "common.delete_suppressedaddress",  # "Lift suppression" when the reader's mailbox works again
        "common.view_emailconsent",  # readers' own yes and no to optional emails
    ],
    FINANCE: [
        *model_permissions("donations", "campaign", ("add", "change", "view")),
        *model_permissions("donations", "campaigncurrency"),
        *model_permissions("donations", "beneficiary"),
        *model_permissions("donations", "campaignupdate"),
        "donations.view_donation",
        "donations.view_recurringdonation",
        "receipts.view_receipt",
        "donations.view_allocationentry",
        *model_permissions("donations", "checkoutshield", ("change", "view")),
        "donations.refund_donation",
        "donations.export_donations",
        "donations.download_payout_report",
        "receipts.resend_receipt",
        "payments.view_payment",
        "payments.view_webhookevent",
        "payments.reprocess_webhookevent",
        "payments.view_revenue_dashboard",
        "privacy.see_private_donors",  # donors who chose privacy, unmasked (outlet/privacy/admin_donors.py)
    ],
    ADMINISTRATOR: ALL_PERMISSIONS,
}


def _permissions_for(spec: list[str] | str, *, using: str):
    """The Permission rows a role names, and the names that match no row (an app not migrated yet, or a typo)."""
    from django.contrib.auth.models import Permission

    permissions = Permission.objects.using(using)
    if spec == ALL_PERMISSIONS:
        every = permissions.select_related("content_type")
        return [p for p in every if f"{p.content_type.app_label}.{p.codename}" not in NEVER_GRANTED | FINANCE_ONLY], []
    if wanted_but_never := sorted(set(spec) & NEVER_GRANTED):
        raise ImproperlyConfigured(f"No role may rewrite history: {wanted_but_never}")
    wanted = set(spec)
    found = [
        perm
        for perm in permissions.select_related("content_type").filter(
            codename__in={name.split(".", 1)[1] for name in wanted}
        )
        if f"{perm.content_type.app_label}.{perm.codename}" in wanted
    ]
    missing = sorted(wanted - {f"{p.content_type.app_label}.{p.codename}" for p in found})
    return found, missing


def sync_roles(*, using: str = DEFAULT_DB_ALIAS, strict: bool = True) -> dict[str, int]:
    """Create each role's group if missing and set its permissions to exactly the role's; returns role -> count.

    strict: a permission named here that does not exist is an error (`setup_roles`); after a partial migrate it is
    only logged, and the next full migrate grants it.
    """
    from django.contrib.auth.models import Group

    counts = {}
    with transaction.atomic(using=using):
        for role, spec in ROLE_PERMISSIONS.items():
            permissions, missing = _permissions_for(spec, using=using)
            if missing:
                if strict:
                    raise ImproperlyConfigured(f"Role {role!r} names permissions that do not exist: {missing}")
                logger.warning("Role %r: permissions not in the database yet, skipped: %s", role, missing)
            group, _ = Group.objects.using(using).get_or_create(name=role)
            group.permissions.set(permissions)
            counts[role] = len(permissions)
    return counts


def sync_roles_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate is sent once per app; permissions for an app are created when its own signal is handled, so the
    roles are synced when the last app's signal arrives, after every app's permissions exist."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    apps_with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if not apps_with_models or sender.label != apps_with_models[-1].label:
        return
    if not router.allow_migrate_model(using, Group):
        return
    sync_roles(using=using, strict=False)
