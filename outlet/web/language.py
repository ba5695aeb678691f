"""The language switcher's one address: remember the reader's choice and show them the page they were on in it."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

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
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",  # a link from another site keeps the reader's language
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response
