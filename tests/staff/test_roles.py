"""The staff role groups exist after migrate, hold exactly their permissions, and re-syncing is harmless."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from outlet.staff.roles import (
    ADMINISTRATOR,
    EDITOR,
    FINANCE,
    FINANCE_ONLY,
    MEMBERSHIP_MANAGER,
    NEVER_GRANTED,
    ROLE_PERMISSIONS,
    sync_roles,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def codenames(group_name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=group_name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_migrate_leaves_the_four_roles_in_place():
    """pytest-django built this database with `migrate`: the post_migrate hook already created the groups."""
    assert set(Group.objects.values_list("name", flat=True)) >= {EDITOR, MEMBERSHIP_MANAGER, FINANCE, ADMINISTRATOR}
    for role, spec in ROLE_PERMISSIONS.items():
        if role != ADMINISTRATOR:
            assert codenames(role) == set(spec)


def test_the_administrator_holds_every_permission_except_rewriting_history_and_is_not_a_superuser():
    every = {
        f"{app}.{codename}" for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert NEVER_GRANTED < every  # each name is a real permission
    assert codenames(ADMINISTRATOR) == every - NEVER_GRANTED - FINANCE_ONLY  # private donors: Finance's need-to-know
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name=ADMINISTRATOR))
    assert not admin.is_superuser
    assert admin.has_perm("auth.change_user") and admin.has_perm("payments.view_revenue_dashboard")
    assert not admin.has_perm("payments.delete_payment") and not admin.has_perm("members.delete_memberevent")
    assert not admin.has_perm("privacy.see_private_donors")


def test_no_role_may_be_given_a_permission_that_rewrites_history(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setitem(ROLE_PERMISSIONS, FINANCE, [*ROLE_PERMISSIONS[FINANCE], "donations.delete_donation"])
    with pytest.raises(ImproperlyConfigured, match="donations.delete_donation"):
        sync_roles()


def test_setup_roles_restores_a_role_edited_by_hand_and_keeps_other_groups(capsys):
    finance = Group.objects.get(name=FINANCE)
    finance.permissions.add(Permission.objects.get(codename="comp_membership"))
    finance.permissions.remove(Permission.objects.get(codename="refund_donation"))
    interns = Group.objects.create(name="Interns")
    interns.permissions.add(Permission.objects.get(codename="view_article"))

    call_command("setup_roles")
    call_command("setup_roles")  # twice: idempotent

    assert codenames(FINANCE) == set(ROLE_PERMISSIONS[FINANCE])
    assert codenames("Interns") == {"outlet.view_article"}
    assert Group.objects.filter(name=FINANCE).count() == 1
    assert "Finance: " in capsys.readouterr().out


def test_a_role_naming_a_permission_that_does_not_exist_is_an_error(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setitem(ROLE_PERMISSIONS, EDITOR, [*ROLE_PERMISSIONS[EDITOR], "outlet.publish_everything"])
    with pytest.raises(ImproperlyConfigured, match="outlet.publish_everything"):
        sync_roles()
    assert sync_roles(strict=False)[EDITOR] == len(ROLE_PERMISSIONS[EDITOR]) - 1


def test_roles_are_separate_where_it_matters():
    """Editors see no money; the membership side and the fundraising side do not act on each other's money."""
    editor, members, finance = codenames(EDITOR), codenames(MEMBERSHIP_MANAGER), codenames(FINANCE)
    assert not {p for p in editor if p.startswith(("payments.", "members.")) and p != "members.view_tier"}
    assert "members.refund_membership_payment" not in finance and "donations.refund_donation" not in members
    assert "payments.view_revenue_dashboard" in finance and "payments.view_revenue_dashboard" not in members
    assert not any(p.startswith("auth.") for p in editor | members | finance)


@pytest.mark.django_db
def test_not_even_a_superuser_edits_or_deletes_money_records_or_the_audit_trail_in_the_admin(admin_client):
    """Corrections go through the services (refunds, voided receipts); the record of what happened stays whole."""
    from django.contrib import admin as django_admin

    from donations.models import Donation
    from members.models import MemberEvent
    from outlet.payments.models import Payment, WebhookEvent
    from outlet.receipts.models import Receipt

    request = admin_client.get("/admin/").wsgi_request
    for model in (Payment, WebhookEvent, Donation, Receipt, MemberEvent):
        model_admin = django_admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model.__name__
        assert not model_admin.has_change_permission(request), model.__name__
        assert not model_admin.has_delete_permission(request), model.__name__
