"""The administrators' page for staff two-factor enrolment (outlet/staff/staff_enrolment.py): who has not set up an
authenticator app yet, the enrolment links issued (by whom, until when, used or not), and the buttons to issue and
withdraw a link. Issuing one is as strong as changing the account, so it takes the permission to change users.
Every step also lands in that account's History."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from outlet.staff import staff_enrolment
from outlet.staff.models import StaffEnrolmentProof
from outlet.staff.staff_enrolment import EnrolmentRefused

PERMISSION = "auth.change_user"
RECENT_PROOFS = 30


def may_manage_enrolment(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(PERMISSION)


def app_list_entry(site: admin.AdminSite) -> dict:
    """A row for the admin's app list and side bar, shaped like the rows Django builds for models."""
    return {
        "name": _("Staff two-factor enrolment"),
        "object_name": "StaffEnrolment",
        "model": None,
        "admin_url": reverse("admin:staff_enrolment", current_app=site.name),
        "add_url": None,
        "view_only": False,
        "perms": {"add": False, "change": True, "delete": False, "view": True},
    }


def staff_enrolment_view(site: admin.AdminSite):
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        if not may_manage_enrolment(request.user):
            raise PermissionDenied
        if request.method == "POST":
            return _issue_link(request, site) if request.POST.get("action") == "issue" else _withdraw_link(request)
        return _render(request, site, "admin/enrolment/index.html", {})

    return view


def _issue_link(request: HttpRequest, site: admin.AdminSite) -> HttpResponse:
    """The link is shown once, on this response, and never stored: the administrator hands it over in person or by
    a channel the password thief does not read."""
    account = _account(request.POST.get("user"))
    if account is None:
        messages.error(request, _("Choose a staff account from the list."))
        return HttpResponseRedirect(reverse("admin:staff_enrolment", current_app=site.name))
    try:
        issued = staff_enrolment.issue_enrolment_link(user=account, issued_by=request.user)
    except EnrolmentRefused as refusal:
        messages.error(request, str(refusal))
        return HttpResponseRedirect(reverse("admin:staff_enrolment", current_app=site.name))
    url = request.build_absolute_uri(reverse("staff_enrolment_link", args=[issued.token]))
    return _render(
        request, site, "admin/enrolment/issued.html", {"account": account, "issued": issued.proof, "link": url}
    )


def _withdraw_link(request: HttpRequest) -> HttpResponse:
    proof_id = request.POST.get("proof", "")
    withdrawn = proof_id.isdigit() and staff_enrolment.withdraw_enrolment_link(
        proof_id=int(proof_id), withdrawn_by=request.user
    )
    if withdrawn:
        messages.success(request, _("The enrolment link no longer works."))
    else:
        messages.error(request, _("That link was no longer open: it had been used, withdrawn or had expired."))
    return HttpResponseRedirect(reverse("admin:staff_enrolment"))


def _account(value: str | None):
    if value is None or not value.isdigit():
        return None
    return get_user_model().objects.filter(pk=int(value)).first()


def _render(request: HttpRequest, site: admin.AdminSite, template: str, extra: dict) -> TemplateResponse:
    from allauth.account.models import EmailAddress

    awaiting = list(staff_enrolment.staff_awaiting_enrolment().prefetch_related("groups"))
    open_links = {
        proof.user_id: proof
        for proof in StaffEnrolmentProof.objects.filter(
            kind=StaffEnrolmentProof.Kind.ADMIN_LINK,
            user__in=awaiting,
            used_at=None,
            withdrawn_at=None,
            expires_at__gt=timezone.now(),
        )
        .select_related("issued_by")
        .order_by("created_at")
    }  # the newest wins
    verified = set(EmailAddress.objects.filter(user__in=awaiting, verified=True).values_list("user_id", flat=True))
    rows = [{"user": user, "verified": user.pk in verified, "open_link": open_links.get(user.pk)} for user in awaiting]
    recent = StaffEnrolmentProof.objects.select_related("user", "issued_by")[:RECENT_PROOFS]
    context = {
        **site.each_context(request),
        "title": _("Staff two-factor enrolment"),
        "rows": rows,
        "recent": recent,
        "now": timezone.now(),
        "link_days": staff_enrolment.LINK_LIFETIME.days,
        "wrong_codes_allowed": staff_enrolment.WRONG_CODES_ALLOWED,
        **extra,
    }
    return TemplateResponse(request, template, context)
