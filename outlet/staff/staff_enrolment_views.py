"""The pages a staff account meets before its first authenticator app (rules in outlet/staff/staff_enrolment.py).

`activate_totp` stands in front of allauth's setup page at the same address (outlet/urls.py lists it first), so
no route around the admin reaches the setup page without the proof: a staff account that needs one is sent to
`enrolment` instead. Everyone else, readers turning two-factor on for themselves included, gets allauth's page as
it is.

The proof is the second of two: the session must also have typed the account's password (at sign-in, or now).
A session signed in with an emailed sign-in code has shown the mailbox only, and an emailed enrolment code is the
same mailbox again, so it is asked for the password first.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import activate_totp as allauth_activate_totp
from django import forms
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from outlet.staff import staff_enrolment
from outlet.staff.staff_enrolment import EnrolmentRefused


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the email"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _setup_page() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("mfa_activate_totp"))


def _typed_password(request: HttpRequest) -> bool:
    return any(record.get("method") == "password" for record in get_authentication_records(request, request.user))


def _ask_for_password(request: HttpRequest, *, then: str = "") -> HttpResponseRedirect:
    messages.info(
        request,
        _(
            "Type your password first: setting up two-factor sign-in for a staff account takes your password as well "
            "as a code we email you."
        ),
    )
    query = urlencode({REDIRECT_FIELD_NAME: then or request.path})
    return HttpResponseRedirect(f"{reverse('account_reauthenticate')}?{query}")


def _not_for_this_account(request: HttpRequest) -> HttpResponseRedirect:
    """An account that needs no proof (a reader, or staff with an app already) goes on to its two-factor settings."""
    return HttpResponseRedirect(reverse("mfa_index"))


@never_cache
def activate_totp(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """allauth's setup page, opened to a staff account without an app only in a session that showed a proof; a
    staff member's first app is written to their History in the same transaction that creates it."""
    user = request.user
    if not staff_enrolment.is_staff_account(user):
        return allauth_activate_totp(request, *args, **kwargs)
    proved = staff_enrolment.session_may_enrol(request, user=user)
    if staff_enrolment.enrolment_needs_proof(user) and not proved:
        messages.warning(
            request,
            _(
                "Staff accounts need two-factor sign-in. First show it is you with a code we email you (or an "
                "administrator's enrolment link), then set up your authenticator app."
            ),
        )
        return HttpResponseRedirect(reverse("staff_enrolment"))
    if request.method != "POST" or staff_enrolment.has_authenticator_app(user):
        return allauth_activate_totp(request, *args, **kwargs)
    with transaction.atomic():
        response = allauth_activate_totp(request, *args, **kwargs)
        added = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
        if added is not None:
            staff_enrolment.record_enrolment(request, user=user, authenticator=added)
    return response


@never_cache
@login_required
def enrolment(request: HttpRequest) -> HttpResponse:
    """Ask for the emailed code (or point to the administrator's link) before the setup page opens."""
    user = request.user
    if not staff_enrolment.enrolment_needs_proof(user):
        return _not_for_this_account(request)
    if staff_enrolment.session_may_enrol(request, user=user):
        return _setup_page()
    if not _typed_password(request):
        return _ask_for_password(request)
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proof = staff_enrolment.accept_enrolment_code(user=user, code=form.cleaned_data["code"])
        except EnrolmentRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            staff_enrolment.remember_proof(request, user=user, proof=proof)
            # The code just came from the account's mailbox: as fresh a proof as allauth's own emailed
            # re-authentication code, so the setup page does not ask for the password once more. It is never a
            # second factor: the admin counts only "mfa" records (outlet/staff/admin_site.py).
            record_authentication(request, user, "code", reauthenticated=True, enrolment=True)
            return _setup_page()
    context = {"form": form, "address": staff_enrolment.verified_address(user), "code": staff_enrolment.open_code(user)}
    return render(request, "admin/enrolment/prove.html", context)


@never_cache
@login_required
@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not staff_enrolment.enrolment_needs_proof(user):
        return _not_for_this_account(request)
    if not _typed_password(request):
        return _ask_for_password(request, then=reverse("staff_enrolment"))
    try:
        proof = staff_enrolment.email_enrolment_code(user=user)
    except EnrolmentRefused as refusal:
        messages.error(request, str(refusal))
    except Exception:  # whatever the mail backend raises (SMTP, a provider's API): no code was recorded, try again
        staff_enrolment.logger.exception("Could not email a staff enrolment code to account %s", user.pk)
        messages.error(
            request,
            _(
                "The email could not be sent just now. Try again in a few minutes, or ask an administrator for an "
                "enrolment link."
            ),
        )
    else:
        messages.success(
            request,
            _("We emailed a code to %(address)s. It works for %(minutes)s minutes.")
            % {"address": proof.sent_to, "minutes": int(staff_enrolment.CODE_LIFETIME.total_seconds() // 60)},
        )
    return HttpResponseRedirect(reverse("staff_enrolment"))


@never_cache
def enrolment_link(request: HttpRequest, token: str) -> HttpResponse:
    """An administrator's link: opening it (GET) only shows what it does, so a mail scanner or a link preview
    cannot spend it; the staff member, signed in as the account it was issued for, presses Continue (POST)."""
    proof = staff_enrolment.find_enrolment_link(token=token)
    user = request.user
    context = {"proof": proof, "signed_in": user.is_authenticated}
    if proof is None:
        return render(request, "admin/enrolment/link.html", context, status=404)
    if not user.is_authenticated:
        return render(request, "admin/enrolment/link.html", context)
    if proof.user_id != user.pk:
        context["other_account"] = True
        return render(request, "admin/enrolment/link.html", context, status=403)
    if not staff_enrolment.enrolment_needs_proof(user):
        return _not_for_this_account(request)
    if request.method == "POST":
        if not _typed_password(request):
            return _ask_for_password(request)
        try:
            accepted = staff_enrolment.accept_enrolment_link(user=user, token=token)
        except EnrolmentRefused as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(reverse("staff_enrolment"))
        staff_enrolment.remember_proof(request, user=user, proof=accepted)
        return _setup_page()
    return render(request, "admin/enrolment/link.html", context)
