"""What an issue says, as each audience variant reads it: rendered once per variant in the newsletter's language,
then wrapped per recipient (only the footer's links differ) by `outlet.common.emails.compose`.

A story the reader may not open on the site (members only, or another tier's) appears as a teaser with a note and a
link to the site: the same access rules as the article page (`outlet.publishing.access`) and the same teaser
(`outlet.publishing.body`). Metered stories count on the site, not in the inbox, so the email treats them as open."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from members.services import Audience, ReaderStanding
from outlet.common import email_preferences, emails
from outlet.common.sanitize import sanitize_body
from outlet.newsletters.audience import READER
from outlet.newsletters.models import Newsletter, NewsletterSend
from outlet.publishing.access import decide_access
from outlet.publishing.body import split_blocks, teaser
from outlet.publishing.models import Article

_TAGS = re.compile(r"<[^>]+>")


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL.rstrip("/") + url


def _text(html: str) -> str:
    return " ".join(unescape(_TAGS.sub(" ", html)).split())


def standing_for_variant(variant: str) -> ReaderStanding:
    if variant.startswith("member:"):
        return ReaderStanding(Audience.MEMBER, tier_id=int(variant.split(":", 1)[1]))
    return ReaderStanding(Audience.FREE)


def _locked(article: Article, standing: ReaderStanding) -> bool:
    if article.access == Article.Access.METERED:
        return False
    allowed = frozenset(tier.pk for tier in article.allowed_tiers.all())
    return not decide_access(article=article, standing=standing, meter=None, allowed_tier_ids=allowed).full_text


def stories(send: NewsletterSend, variant: str) -> list[dict]:
    standing = standing_for_variant(variant)
    rows = send.story_rows.select_related("article").prefetch_related("article__allowed_tiers")
    items = []
    for row in rows:
        article = row.article
        paragraphs = [b.html for b in teaser(split_blocks(sanitize_body(article.body))) if b.is_paragraph][:2]
        items.append(
            {
                "title": article.title,
                "dek": article.dek,
                "url": absolute(article.get_absolute_url()),
                "image_url": absolute(article.hero_image.url) if article.hero_image else "",
                "image_alt": article.hero_alt or article.hero_caption,
                "caption": article.hero_caption,
                "paragraphs": [mark_safe(p) for p in paragraphs],  # noqa: S308  # sanitised by sanitize_body
                "paragraphs_text": [_text(p) for p in paragraphs],
                "locked": _locked(article, standing),
            }
        )
    return items


@dataclass(frozen=True)
class Parts:
    """An issue's content for one variant: everything but the recipient's own links."""

    stories_html: str
    stories_text: str
    introduction_html: str
    introduction_text: str
    topic_label: str  # "You get this email because you signed up for <this>": named once, not per recipient


def render_parts(send: NewsletterSend, variant: str) -> Parts:
    with translation.override(send.newsletter.language):
        context = {
            "stories": stories(send, variant),
            "membership_url": absolute("/membership/"),
            "is_member": variant != READER,
        }
        introduction = sanitize_body(send.introduction)
        return Parts(
            stories_html=render_to_string("emails/_newsletter_stories.html", context),
            stories_text=render_to_string("emails/_newsletter_stories.txt", context),
            introduction_html=introduction,
            introduction_text="\n\n".join(_text(block.html) for block in split_blocks(introduction)),
            topic_label=topic_label(send.newsletter),
        )


def topic_label(newsletter: Newsletter) -> str:
    if newsletter.category == Newsletter.Category.NEWSLETTER:
        return newsletter.name
    return str(email_preferences.topic_label("", newsletter.topic))  # the site-wide topics' own names


def message_id(send: NewsletterSend, delivery_id: int | str) -> str:
    """The same for every attempt at one delivery: a message sent twice after a crash is one message to a mail client
    that merges by Message-ID."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "outlet.invalid"
    return f"<newsletter-{send.pk}-{delivery_id}@{domain}>"


def compose_issue(
    send: NewsletterSend, parts: Parts, *, to: str, delivery_id: int | str, connection=None, test: bool = False
):
    """One recipient's email (in the newsletter's language), with its List-Unsubscribe headers."""
    newsletter = send.newsletter
    with translation.override(newsletter.language):
        message = emails.compose(
            kind="newsletter",
            to=to,
            topic=newsletter.topic,
            connection=connection,
            context={
                "subject": send.subject,
                "test": test,
                "newsletter_name": newsletter.name,
                "introduction_html": mark_safe(parts.introduction_html),  # noqa: S308  # sanitised
                "introduction_text": parts.introduction_text,
                "stories_html": mark_safe(parts.stories_html),  # noqa: S308  # our template's output
                "stories_text": parts.stories_text,
                "unsubscribe_topic": parts.topic_label,
            },
        )
    message.extra_headers["Message-ID"] = message_id(send, delivery_id)
    return message
