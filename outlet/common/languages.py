"""The site's five languages: which one a reader gets, where its pages live, and how Babel names its locale.

English is the source and lives at the site's root; the others under /ka/, /hy/, /az/ and /ru/ (i18n_patterns in
outlet/urls.py). A reader's language is remembered in a cookie once they choose one with the switcher; before that,
their browser's Accept-Language decides on the first visit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Babel's locale per language. English dates follow the newsroom's British style ("6 December 2026"); English
# money keeps Babel's plain "en" symbols ("$15", not "US$15").
_DATE_LOCALES = {"en": "en_GB"}
_NUMBER_LOCALES = {"en": "en"}


def codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported(code: str | None) -> str:
    """A language we publish in for `code` ("ru-RU" -> "ru"); the source language for anything else."""
    if code:
        base = code.lower().replace("_", "-").split("-")[0]
        if base in codes():
            return base
    return settings.LANGUAGE_CODE


def active() -> str:
    return supported(translation.get_language())


def date_locale(language: str | None = None) -> str:
    code = supported(language) if language else active()
    return _DATE_LOCALES.get(code, code)


def number_locale(language: str | None = None) -> str:
    code = supported(language) if language else active()
    return _NUMBER_LOCALES.get(code, code)


def language_of_path(path: str) -> str | None:
    """The language an address is in when it carries a prefix (/ka/...), else None."""
    return translation.get_language_from_path(path)


def preferred(request) -> str:
    """The reader's remembered choice (the cookie the switcher sets); failing that, their browser's first language
    we publish in; failing that, English."""
    return supported(translation.get_language_from_request(request, check_path=False))


def address_in(path: str, language: str) -> str:
    """The same page in another language, or `path` itself when the page has no per-language address."""
    # An address only resolves in its own language (/ru/... while Russian is active), so read it in that one.
    with translation.override(language_of_path(path.split("?", 1)[0]) or settings.LANGUAGE_CODE):
        return translate_url(path, language)


class RememberedLanguageMiddleware:
    """Send a reader who prefers another language from an English (unprefixed) page to the same page in theirs.

    Runs after Django's LocaleMiddleware. Only reading requests move: a form posted to an English address is never
    redirected, and webhooks, media and the health check have no per-language address, so they stay put."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        unprefixed = language_of_path(request.path_info) is None
        if unprefixed and request.method in ("GET", "HEAD"):
            wanted = preferred(request)
            if wanted != settings.LANGUAGE_CODE:
                here = request.get_full_path()
                there = address_in(here, wanted)
                if there != here:
                    response = HttpResponseRedirect(there)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        response = self.get_response(request)
        if unprefixed:
            # An English address answers differently by the reader's cookie and browser: shared caches must know.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


def for_user(user, *, default: str | None = None) -> str:
    """The language a person with an account asked for (their account setting), else `default`, else English."""
    from outlet.common.models import PreferredLanguage

    user_id = getattr(user, "pk", user)
    if user_id is None:
        return supported(default)
    stored = PreferredLanguage.objects.filter(user_id=user_id).values_list("language", flat=True).first()
    return supported(stored or default)


def remember_for_user(user, language: str) -> str:
    from outlet.common.models import PreferredLanguage

    code = supported(language)
    PreferredLanguage.objects.update_or_create(user_id=user.pk, defaults={"language": code})
    return code


def remember_on_sign_up(sender, request, user, **kwargs) -> None:
    """A new account reads in the language of the page it signed up on, until its owner says otherwise."""
    remember_for_user(user, active())
