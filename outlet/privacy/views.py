"""The reader's privacy pages: their data (export, account deletion), a guest donor's erasure from their receipt
email, and the privacy policy and terms. Thin: each view reads a form and calls one service."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outlet.common.page_cache import keep_private, keep_url_secret
from outlet.common.personal_data import address_for_guest_erasure_token
from outlet.privacy import services
from outlet.privacy.models import DataExport, LegalPage

ACCOUNT = "account"
GUEST = "guest"
ERASED_REFERENCE = "privacy-erased-reference"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the email"),
        max_length=12,
        error_messages={"required": gettext_lazy("Type the code from the email we sent you.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _provider_failed_text() -> str:
    return _(
        "We could not reach our payment provider to stop your membership or monthly gift, so we have deleted "
        "nothing: your account and your payments are as they were. Please try again in a little while."
    )


@login_required
@never_cache
@require_GET
def account_privacy(request):
    """The account's privacy section: the state of their latest export, and the way to delete the account."""
    latest = services.latest_export(user_id=request.user.pk)
    response = render(
        request,
        "privacy/account.html",
        {"export": latest, "days": settings.PRIVACY_EXPORT_DAYS, "statuses": DataExport.Status},
    )
    keep_private(response)
    return response


@login_required
@require_POST
def request_export(request):
    _row, created = services.request_export(user_id=request.user.pk)
    if created:
        messages.success(request, _("We are preparing your data. We will email you a link when it is ready."))
    else:
        messages.info(request, _("Your data is already being prepared. We will email you a link when it is ready."))
    return HttpResponseRedirect(reverse("privacy:account"))


@login_required
@never_cache
@require_GET
def download(request, pk: int):
    row = services.export_for_download(user_id=request.user.pk, export_id=pk)
    if row is None:
        raise Http404("No such export, or it has expired")
    response = FileResponse(row.file.open("rb"), as_attachment=True, filename="my-data.zip")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Step one: what deleting does; the button emails a code to the account's address."""
    if request.method == "POST":
        services.send_code(request.session, purpose=ACCOUNT, email=request.user.email, for_account=True)
        return HttpResponseRedirect(reverse("privacy:delete_confirm"))
    return render(request, "privacy/delete.html", {"retention_years": settings.DONOR_DATA_RETENTION_YEARS})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete_confirm(request):
    """Step two: the code from the email; then the provider is told to stop charging, and the data is erased."""
    if not services.code_was_sent(request.session, purpose=ACCOUNT):
        return HttpResponseRedirect(reverse("privacy:delete"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.check_code(request.session, purpose=ACCOUNT, code=form.cleaned_data["code"])
        if check.ok and check.email == request.user.email:
            try:
                record = services.delete_account(user_id=request.user.pk)
            except services.ErasureBlocked:
                messages.error(request, _provider_failed_text())
                return HttpResponseRedirect(reverse("privacy:account"))
            logout(request)
            request.session[ERASED_REFERENCE] = {"reference": record.reference, "kind": ACCOUNT}
            return HttpResponseRedirect(reverse("privacy:deleted"))
        if check.expired:
            messages.error(request, _("That code has expired or was tried too many times. Ask for a new one."))
            return HttpResponseRedirect(reverse("privacy:delete"))
        form.add_error("code", _("That is not the code we sent. Check the email and try again."))
    return render(
        request,
        "privacy/delete_confirm.html",
        {"form": form, "email": request.user.email, "minutes": settings.PRIVACY_CODE_MINUTES},
        status=400 if form.errors else 200,
    )


@never_cache
@require_GET
def deleted(request):
    """What was erased and what was kept, shown once after the erasure (the reference is in the new session)."""
    erased = request.session.get(ERASED_REFERENCE)
    if not isinstance(erased, dict):
        return HttpResponseRedirect(reverse("outlet:home"))
    return render(
        request,
        "privacy/deleted.html",
        {
            "reference": erased["reference"],
            "was_account": erased["kind"] == ACCOUNT,
            "retention_years": settings.DONOR_DATA_RETENTION_YEARS,
        },
    )


def _guest_address(token: str) -> str:
    address = address_for_guest_erasure_token(token, max_age_days=settings.PRIVACY_GUEST_LINK_DAYS)
    if address is None:
        raise Http404("This link is not valid or has expired")
    return address


@never_cache
@require_http_methods(["GET", "POST"])
def guest_erase(request, token: str):
    """A guest donor's page from their receipt email: the button emails a code to the gift's address."""
    address = _guest_address(token)
    if request.method == "POST":
        services.send_code(request.session, purpose=GUEST, email=address, for_account=False)
        return HttpResponseRedirect(reverse("privacy:guest_erase_confirm", args=[token]))
    response = render(
        request,
        "privacy/guest_erase.html",
        {"token": token, "retention_years": settings.DONOR_DATA_RETENTION_YEARS},
    )
    keep_url_secret(response)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def guest_erase_confirm(request, token: str):
    address = _guest_address(token)
    if not services.code_was_sent(request.session, purpose=GUEST):
        return HttpResponseRedirect(reverse("privacy:guest_erase", args=[token]))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.check_code(request.session, purpose=GUEST, code=form.cleaned_data["code"])
        if check.ok and check.email == address:
            try:
                record = services.erase_guest(email=address)
            except services.ErasureBlocked:
                messages.error(request, _provider_failed_text())
                return HttpResponseRedirect(reverse("privacy:guest_erase", args=[token]))
            request.session.flush()
            request.session[ERASED_REFERENCE] = {"reference": record.reference, "kind": GUEST}
            return HttpResponseRedirect(reverse("privacy:deleted"))
        if check.expired:
            messages.error(request, _("That code has expired or was tried too many times. Ask for a new one."))
            return HttpResponseRedirect(reverse("privacy:guest_erase", args=[token]))
        form.add_error("code", _("That is not the code we sent. Check the email and try again."))
    response = render(
        request,
        "privacy/guest_erase_confirm.html",
        {"form": form, "token": token, "minutes": settings.PRIVACY_CODE_MINUTES},
        status=400 if form.errors else 200,
    )
    keep_url_secret(response)
    return response


# What staff may write in a legal page to state a period the site applies: filled in from settings when shown, so
# the page never states a period the site no longer keeps.
PERIODS = {
    "[retention_years]": lambda: settings.DONOR_DATA_RETENTION_YEARS,
    "[webhook_days]": lambda: settings.WEBHOOK_PAYLOAD_RETENTION_DAYS,
    "[export_days]": lambda: settings.PRIVACY_EXPORT_DAYS,
}


@require_GET
def legal_page(request, kind: str):
    """The privacy policy or the terms in the page's language (English where staff left a language empty)."""
    page = get_object_or_404(LegalPage, kind=kind)
    body = page.body or ""
    for token, value in PERIODS.items():
        body = body.replace(token, str(value()))
    return render(request, "privacy/legal_page.html", {"page": page, "body": body})
