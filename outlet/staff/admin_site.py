"""The staff admin, reachable only after a two-factor sign-in.

A stolen or guessed password alone must never open the admin: it can refund payments, export every member and
email them. So the admin site lets a request in only when the user is an active staff member, has an authenticator
(allauth.mfa: TOTP app, recovery codes as the backup) AND this very session passed the second factor. allauth keeps
a log of how the session was authenticated (`get_authentication_records`); an "mfa" entry is written when the code
was typed at sign-in, at re-authentication, or (see `record_enrolment_as_second_factor`) when the authenticator was
just set up by typing its first code.

There is no admin password form any more: /admin/login/ sends everyone through allauth's sign-in (email, password,
then the authenticator code), and back to the admin page they asked for.

A staff account with no authenticator app yet reaches nothing here but its enrolment: first a proof the password
alone does not give (a code emailed to its verified address, or an administrator's enrolment link), then the
setup page (outlet/staff/staff_enrolment.py). Administrators issue those links, and see who is still to enrol, on the
"Staff two-factor enrolment" page (outlet/staff/admin_enrolment.py), listed with Users.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

_CACHE_ATTRIBUTE = "_outlet_admin_second_factor"


def session_passed_second_factor(request: HttpRequest) -> bool:
    """True when the signed-in user has an authenticator and this session proved it (allauth's session log)."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    from allauth.account.authentication import get_authentication_records

    user = request.user
    passed = False
    if user.is_authenticated and hasattr(request, "session"):
        records = get_authentication_records(request, user)
        passed = any(record.get("method") == "mfa" for record in records) and has_authenticator(user)
    setattr(request, _CACHE_ATTRIBUTE, passed)
    return passed


def has_authenticator(user) -> bool:
    """An authenticator app (recovery codes alone are only its backup, never a second factor of their own)."""
    from outlet.staff.staff_enrolment import has_authenticator_app

    return has_authenticator_app(user)


class OutletAdminSite(admin.AdminSite):
    # Translators: the admin's header and page titles; {site_name} is the site's name, e.g. "Caucasus Ledger staff"
    site_header = site_title = format_lazy(gettext_lazy("{site_name} staff"), site_name=settings.SITE_NAME)
    index_title = gettext_lazy("Newsroom administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return session_passed_second_factor(request) if settings.ADMIN_REQUIRES_MFA else True

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Send the visitor to the one place that can sign them in fully, never to a password-only form."""
        next_url = self._next_url(request)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        if not (user.is_active and user.is_staff):
            context = {
                **self.each_context(request),
                "title": _("No staff access"),
                "has_permission": False,
                "signed_in_as": user.email or user.get_username(),
                "next_url": next_url,
            }
            return TemplateResponse(request, "admin/no_staff_access.html", context, status=403)
        if not has_authenticator(user):
            from outlet.staff.staff_enrolment import session_may_enrol

            if session_may_enrol(request, user=user):
                messages.warning(
                    request,
                    _(
                        "Staff accounts need two-factor authentication. Set up an authenticator app below, then "
                        "continue to the admin."
                    ),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            messages.warning(
                request,
                _(
                    "Staff accounts need two-factor authentication. Before you set up an authenticator app, show it "
                    "is you with a code we email you."
                ),
            )
            return HttpResponseRedirect(reverse("staff_enrolment"))
        # A staff member with an authenticator whose session never typed a code (signed in before, or by an
        # emailed sign-in code): ask for the code now, then continue.
        messages.info(request, _("Enter the code from your authenticator app to continue to the admin."))
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")

    def get_urls(self):
        from django.urls import path

        from outlet.staff.admin_enrolment import staff_enrolment_view

        own = [path("staff-enrolment/", self.admin_view(staff_enrolment_view(self)), name="staff_enrolment")]
        return own + super().get_urls()

    def index(self, request: HttpRequest, extra_context=None) -> TemplateResponse:
        """The home page tells whoever can act on it what the payment pipeline gave up on (also in /healthz)."""
        extra_context = extra_context or {}
        if request.user.has_perm("payments.view_webhookevent"):
            from outlet.payments.services import events_needing_staff

            extra_context["payment_events_needing_staff"] = events_needing_staff()
        return super().index(request, extra_context)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """Administrators find the enrolment page beside Users (it is a page, not a model)."""
        from outlet.staff.admin_enrolment import app_list_entry, may_manage_enrolment

        app_list = super().get_app_list(request, app_label)
        if may_manage_enrolment(request.user):
            for app in app_list:
                if app["app_label"] == "auth":
                    app["models"].append(app_list_entry(self))
                    app["models"].sort(key=lambda model: model["name"])
        return app_list

    def _next_url(self, request: HttpRequest) -> str:
        index = reverse("admin:index", current_app=self.name)
        candidate = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return index
        return candidate


def record_enrolment_as_second_factor(sender, request, user, authenticator, **kwargs) -> None:
    """Typing the first code of a new authenticator app proves the second factor, like typing it at sign-in; without
    this a staff member who just set up the app would be asked to sign out and in again before reaching the admin.
    (A staff account opens that setup page only after its enrolment proof: outlet/staff/staff_enrolment_views.py.)"""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    if request is None or authenticator.type != Authenticator.Type.TOTP or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True)
