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


@register.simple_tag
def names_in_a_list(people, schema: bool = False) -> str:
    """People's names, each linked to their page, joined as the active language joins a list ("A, B and C",
    "A, B და C", "A, B и C"). With `schema`, each carries schema.org Person markup (article bylines)."""
    from babel.lists import format_list
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    if schema:
        links = [
            format_html(
                '<span itemprop="author" itemscope itemtype="https://schema.org/Person"><a href="{}" itemprop="url">'
                '<span itemprop="name">{}</span></a></span>',
                person.get_absolute_url(),
                person.name,
            )
            for person in people
        ]
    else:
        links = [format_html('<a href="{}">{}</a>', person.get_absolute_url(), person.name) for person in people]
    # Every piece is escaped by format_html, and Babel adds only the language's separators.
    return mark_safe(format_list(links, locale=languages.date_locale())) if links else ""  # noqa: S308
