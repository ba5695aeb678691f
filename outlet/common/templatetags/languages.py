"""The language switcher and the alternates a search engine reads: the same page in each of the five languages."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from outlet.common import languages

register = template.Library()


@register.simple_tag(takes_context=True)
def language_choices(context) -> list[dict]:
    """One entry per language: its own name, whether it is the page's, and the switcher's link for this page."""
    request = context.get("request")
    here = request.path if request is not None else "/"
    current = languages.active()
    return [
        {
            "code": code,
            "name": name,
            "current": code == current,
            "url": f"{reverse('choose_language', args=[code])}?{urlencode({'next': here})}",
        }
        for code, name in settings.LANGUAGES
    ]


@register.simple_tag(takes_context=True)
def language_alternates(context) -> list[dict]:
    """hreflang links: every language's address of this page (English is also the x-default), absolute."""
    request = context.get("request")
    if request is None:
        return []
    here = request.path
    alternates = [
        {"hreflang": code, "href": settings.SITE_URL + languages.address_in(here, code)} for code in languages.codes()
    ]
    english = settings.SITE_URL + languages.address_in(here, settings.LANGUAGE_CODE)
    if len({alternate["href"] for alternate in alternates}) == 1:  # a page with one address for every language
        return []
    return [*alternates, {"hreflang": "x-default", "href": english}]
