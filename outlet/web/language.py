"""The reader's language: the switcher's address (remember the choice and show the page they were on in it), and
the account's setting, the language every email, receipt and statement to them is written in."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from outlet.common import languages
from outlet.publishing import versions


@never_cache
def choose_language(request, code: str):
    """A plain link, not a form, so a cached anonymous page needs no CSRF token to carry the switcher. Setting a
    cookie is the only thing it does, and doing it twice changes nothing."""
    if code not in languages.codes():
        raise Http404("No such language")
    back = request.GET.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    # A story goes to its own version in that language; any other page (or a story without one) to the same address.
    response = HttpResponseRedirect(versions.address_in_language(back, code) or languages.address_in(back, code))
    _remember_in_cookie(response, code)
    return response


def _remember_in_cookie(response, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",  # a link from another site keeps the reader's language
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


class LanguageSettingForm(forms.Form):
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        error_messages={
            "required": gettext_lazy("Choose a language."),
            "invalid_choice": gettext_lazy("Choose one of the languages listed."),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def language_setting(request):
    """The account's language: every email, receipt and statement is written in it (outlet.common.languages)."""
    form = LanguageSettingForm(
        request.POST or None, initial={"language": languages.for_user(request.user, default=languages.active())}
    )
    if request.method == "POST" and form.is_valid():
        code = languages.remember_for_user(request.user, form.cleaned_data["language"])
        with translation.override(code):
            messages.success(request, _("Saved. We will write to you in this language."))
            response = HttpResponseRedirect(reverse("account_language"))
        _remember_in_cookie(response, code)
        return response
    return render(request, "web/language_setting.html", {"form": form}, status=400 if form.errors else 200)
