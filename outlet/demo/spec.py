"""The shape of one demo story, and tiny helpers that keep the story modules readable.

Bodies are lists of top-level blocks written with the helpers below, so they only ever use markup the article
editor can produce (and that `outlet.common.sanitize.sanitize_body` leaves unchanged).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    title: str
    dek: str
    section: str  # Section slug
    region: str  # Region slug
    dateline: str
    tags: tuple[str, ...]  # Tag slugs
    authors: tuple[str, ...]  # Author slugs, in byline order
    body: tuple[str, ...]  # top-level HTML blocks
    scene: str  # which kind of hero illustration (see outlet.demo.images.SCENES)
    caption: str
    days_ago: float | None  # negative: scheduled in the future; None: a draft with no date
    additional: tuple[str, ...] = ()  # "Additional reporting by"
    status: str = "published"
    access: str = "public"
    tiers: tuple[str, ...] = ()  # Tier slugs, for access == "tiers"
    featured: bool = False
    snow: bool = False
    time_of_day: str | None = None  # dawn / day / dusk / night; None lets the slug decide

    def body_html(self) -> str:
        return "\n".join(self.body)


def blocks(text: str) -> tuple[str, ...]:
    """Body blocks from a light plain-text layout, so the stories read like prose in the source.

    Blocks are separated by blank lines; lines inside a block are joined with spaces. A block starting with
    "## " is a subheading, "> " a pull quote, and "- " lines make a bulleted list. Anything else is a paragraph.
    Inline HTML (<em>, <strong>, links) passes through as written.
    """
    out = []
    for chunk in re.split(r"\n\s*\n", textwrap.dedent(text).strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if lines[0].startswith("## "):
            out.append(h2(" ".join(lines)[3:]))
        elif lines[0].startswith("> "):
            out.append(quote(" ".join(line.removeprefix(">").strip() for line in lines)))
        elif lines[0].startswith("- "):
            items: list[list[str]] = []
            for line in lines:
                if line.startswith("- "):
                    items.append([line[2:]])
                else:
                    items[-1].append(line)
            out.append(ul(*(" ".join(item) for item in items)))
        else:
            out.append(p(" ".join(lines)))
    return tuple(out)


def p(text: str) -> str:
    return f"<p>{text}</p>"


def h2(text: str) -> str:
    return f"<h2>{text}</h2>"


def quote(text: str) -> str:
    return f"<blockquote><p>{text}</p></blockquote>"


def ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


@dataclass(frozen=True)
class TranslatedArticle:
    """One demo story written again in another language: an article of its own, linked to its original.

    Only the words are here. Section, region, tags, bylines, access, the hero illustration and the dates are the
    original's, so the versions of a story never drift apart.
    """

    original: DemoArticle
    language: str  # a code from settings.LANGUAGES other than English
    slug: str  # ASCII, globally unique
    title: str
    dek: str
    dateline: str
    caption: str
    hero_alt: str  # the original's illustration, described in this language
    body: tuple[str, ...]  # top-level HTML blocks, written with the helpers above like the original's

    def body_html(self) -> str:
        return "\n".join(self.body)


# The order of the texts in CatalogueTranslation's tuples, as the models name them.
PROMPT_FIELDS = ("kicker", "headline", "body", "cta_label")
CAMPAIGN_FIELDS = ("title", "summary", "story", "hero_alt")
UPDATE_FIELDS = ("title", "body")


@dataclass(frozen=True)
class CatalogueTranslation:
    """One language's texts for the newsroom around the stories (outlet.demo.catalogue and .fundraiser).

    Keys are the demo's own: slugs, a prompt's name, an update's English title. Names of newsrooms and people are
    proper names and are not translated here.
    """

    language: str
    sections: dict[str, tuple[str, str]]  # slug -> (name, description)
    regions: dict[str, str]  # slug -> name
    tags: dict[str, str]  # slug -> name
    authors: dict[str, tuple[str, str]]  # slug -> (role, bio)
    tiers: dict[str, tuple[str, str, str]]  # slug -> (name, description, benefits)
    prompts: dict[str, tuple[str, str, str, str]]  # prompt name -> (kicker, headline, body, cta_label)
    campaign: tuple[str, str, str, str]  # (title, summary, story HTML, hero image description)
    newsrooms: dict[str, str]  # beneficiary slug -> description
    updates: dict[str, tuple[str, str]]  # the update's English title -> (title, body)
    hero_credit: str  # the credit line under the demo's illustrations
