"""Load the demo newsroom into an empty (or half-empty) database, creating only what is missing.

`make run` calls this on every start, so it must be cheap when everything is already there and must never
touch a row staff may have edited: rows are matched by slug (prompts by placement, the editor by username or
email) and an existing match is left exactly as it is.

The site speaks five languages. The newsroom's short texts (section, region and tag names, author roles and bios,
tiers, prompts, the fundraiser's texts) have a column per language (django-modeltranslation: name_ka, title_ru,
...), and the demo writes its Georgian, Armenian, Azerbaijani and Russian texts (outlet.demo.translations_*) into
them. On a row that already exists, for instance one an older demo loaded before the site had languages, a
language's column is filled ONLY when it is empty (NULL or ""), and only while the row's English is still the
demo's: whatever staff wrote in any language is never overwritten, and a text staff rewrote in English is not
given a translation of the demo's old wording (outlet.demo.multilingual). Three stories also exist in every
language, each as an article of its own (Article.language) linked to its English original
(Article.translation_of), created after the originals like any other missing story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.html import escape

from members.models import Tier, TierPrice
from outlet.common.sanitize import sanitize_body
from outlet.demo import catalogue
from outlet.demo.articles import ARTICLES, TRANSLATIONS
from outlet.demo.fundraiser import ensure_demo_fundraiser, fill_fundraiser_translations
from outlet.demo.images import describe_hero, render_hero
from outlet.demo.multilingual import SOURCE_LANGUAGE, fill_empty_translations, taken_values
from outlet.demo.newsletters import ensure_demo_newsletters
from outlet.demo.spec import PROMPT_FIELDS, DemoArticle, TranslatedArticle
from outlet.demo.staff import DEMO_STAFF, DEMO_TOTP_SECRET, ensure_demo_staff
from outlet.publishing.media_library import clean_article_body
from outlet.publishing.models import Article, Author, Byline, MediaImage, Prompt, Region, Section, Tag

if TYPE_CHECKING:
    # The models the demo finds by slug (each has a slug and a name).
    _BySlug = TypeVar("_BySlug", Section, Region, Tag, Author, Tier)

    class _HeroOptions(TypedDict):
        snow: bool
        time_of_day: str | None


DEMO_STAFF_PASSWORD = "outlet-demo-password"  # local demo only; never created when IS_PRODUCTION
HERO_CREDIT = "Illustration: Caucasus Ledger"

KINDS = [
    "sections",
    "regions",
    "tags",
    "authors",
    "tiers",
    "tier prices",
    "prompts",
    "articles",
    "translated articles",
    "translated texts",
    "library pictures",
    "staff accounts",
    "newsletters",
]


@dataclass
class Tally:
    created: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, *, created: int = 0, present: int = 0) -> None:
        self.created[kind] += created
        self.present[kind] += present

    def summary(self) -> str:
        def listing(counter: Counter) -> str:
            parts = [(counter[kind], kind) for kind in KINDS if counter[kind]]
            return ", ".join(f"{n} {kind.removesuffix('s') if n == 1 else kind}" for n, kind in parts)

        created, present = listing(self.created), listing(self.present)
        if not created:
            return f"Demo content: nothing to create; already present: {present}."
        return f"Demo content: created {created}" + (f"; already present: {present}." if present else ".")


def load_demo_content(*, now: datetime | None = None) -> Tally:
    # The rows are written through the models' plain fields (name, title, ...), which django-modeltranslation
    # stores in the active language's column: the demo's own texts are English, whatever language is active.
    with translation.override(SOURCE_LANGUAGE):
        return _load(now=now or timezone.now())


def _load(*, now: datetime) -> Tally:
    tally = Tally()
    sections = _ensure_by_slug(
        tally,
        "sections",
        Section,
        [
            {"slug": slug, "name": name, "description": description, "position": (index + 1) * 10}
            for index, (slug, name, description) in enumerate(catalogue.SECTIONS)
        ],
    )
    regions = _ensure_by_slug(tally, "regions", Region, [{"slug": s, "name": n} for s, n in catalogue.REGIONS])
    tags = _ensure_by_slug(tally, "tags", Tag, [{"slug": s, "name": n} for s, n in catalogue.TAGS])
    authors = _ensure_by_slug(
        tally,
        "authors",
        Author,
        [{"slug": slug, "name": name, "role": role, "bio": bio} for slug, name, role, bio in catalogue.AUTHORS],
        unique_names=False,
    )
    tiers = _ensure_by_slug(
        tally,
        "tiers",
        Tier,
        [
            {"slug": slug, "name": name, "position": position, "description": description, "is_active": True}
            for slug, name, position, description in catalogue.TIERS
        ],
    )
    _ensure_tier_prices(tally, tiers)
    _ensure_prompts(tally)
    _fill_catalogue_translations(tally, sections=sections, regions=regions, tags=tags, authors=authors, tiers=tiers)

    existing = set(Article.objects.filter(slug__in=[a.slug for a in ARTICLES]).values_list("slug", flat=True))
    for spec in ARTICLES:
        if spec.slug in existing:
            tally.count("articles", present=1)
            continue
        _create_article(spec, now=now, sections=sections, regions=regions, tags=tags, authors=authors, tiers=tiers)
        tally.count("articles", created=1)
    _ensure_translated_articles(
        tally, now=now, sections=sections, regions=regions, tags=tags, authors=authors, tiers=tiers
    )

    _ensure_library_picture(tally)
    ensure_demo_fundraiser(tally, now=now)  # after the prompts: its appeal takes the end-of-article slot by priority
    tally.count("translated texts", created=fill_fundraiser_translations(catalogue.TRANSLATED))
    _ensure_editor(tally)
    ensure_demo_newsletters(tally, now=now)  # after the articles: each has a sent issue of that language's stories
    return tally


def _ensure_tier_prices(tally: Tally, tiers: dict) -> None:
    for slug, by_currency in catalogue.TIER_PRICES.items():
        tier = tiers[slug]
        if not tier.benefits:
            tier.benefits = catalogue.TIER_BENEFITS[slug]
            tier.save(update_fields=["benefits"])
        for currency, amounts in by_currency.items():
            for interval, amount in zip(("month", "year"), amounts, strict=True):
                _, created = TierPrice.objects.get_or_create(
                    tier=tier,
                    interval=interval,
                    currency=currency,
                    defaults={"amount_minor": amount},
                )
                tally.count("tier prices", created=int(created), present=int(not created))


def _ensure_by_slug(
    tally: Tally, kind: str, model: type[_BySlug], rows: list[dict], *, unique_names: bool = True
) -> dict[str, _BySlug]:
    """Create the rows whose slug is missing; returns every row by its demo slug.

    A row staff re-slugged but kept the name of is found by name instead (creating it again would break the
    unique name, and would duplicate it anyway).
    """
    found = {obj.slug: obj for obj in model.objects.filter(slug__in=[row["slug"] for row in rows])}
    missing = [row for row in rows if row["slug"] not in found]
    if missing and unique_names:
        by_name = {obj.name: obj for obj in model.objects.filter(name__in=[row["name"] for row in missing])}
        for row in missing:
            if row["name"] in by_name:
                found[row["slug"]] = by_name[row["name"]]
        missing = [row for row in missing if row["slug"] not in found]
    for row in missing:
        found[row["slug"]] = model.objects.create(**row)
    tally.count(kind, created=len(missing), present=len(rows) - len(missing))
    return found


def _ensure_prompts(tally: Tally) -> None:
    """One demo prompt per placement, only where staff have no prompt of that placement at all.

    Prompts have no slug; keying on placement means a renamed or rewritten demo prompt is never duplicated, and
    a site whose staff wrote their own banner does not get a second one.
    """
    taken = set(Prompt.objects.values_list("placement", flat=True).distinct())
    for row in catalogue.PROMPTS:
        if row["placement"] in taken:
            tally.count("prompts", present=1)
            continue
        Prompt.objects.create(**row, show_to_anonymous=True, show_to_free=True, show_to_lapsed=True, is_active=True)
        tally.count("prompts", created=1)


def _fill_catalogue_translations(tally: Tally, *, sections, regions, tags, authors, tiers) -> None:
    """The catalogue's texts in the other languages, into the columns that are still empty (see the docstring)."""
    texts = catalogue.TRANSLATED
    filled = _fill_by_slug(
        Section,
        sections,
        ("name", "description"),
        {slug: (name, description) for slug, name, description in catalogue.SECTIONS},
        {language: t.sections for language, t in texts.items()},
        unique="name",
    )
    filled += _fill_by_slug(
        Region,
        regions,
        ("name",),
        {slug: (name,) for slug, name in catalogue.REGIONS},
        {language: {slug: (name,) for slug, name in t.regions.items()} for language, t in texts.items()},
        unique="name",
    )
    filled += _fill_by_slug(
        Tag,
        tags,
        ("name",),
        {slug: (name,) for slug, name in catalogue.TAGS},
        {language: {slug: (name,) for slug, name in t.tags.items()} for language, t in texts.items()},
        unique="name",
    )
    filled += _fill_by_slug(
        Author,
        authors,
        ("role", "bio"),
        {slug: (role, bio) for slug, _name, role, bio in catalogue.AUTHORS},
        {language: t.authors for language, t in texts.items()},
    )
    filled += _fill_by_slug(
        Tier,
        tiers,
        ("name", "description", "benefits"),
        {
            slug: (name, description, catalogue.TIER_BENEFITS[slug])
            for slug, name, _position, description in catalogue.TIERS
        },
        {language: t.tiers for language, t in texts.items()},
        unique="name",
    )
    # The demo's prompts by their name: a prompt staff wrote themselves is theirs to translate.
    english = {row["name"]: row for row in catalogue.PROMPTS}
    for prompt in Prompt.objects.filter(name__in=english):
        filled += len(
            fill_empty_translations(
                prompt,
                {field: str(english[prompt.name][field]) for field in PROMPT_FIELDS},
                {
                    language: dict(zip(PROMPT_FIELDS, t.prompts[prompt.name], strict=True))
                    for language, t in texts.items()
                },
            )
        )
    tally.count("translated texts", created=filled)


def _fill_by_slug(
    model: type[models.Model],
    rows: Mapping[str, models.Model],
    fields: tuple[str, ...],
    english: Mapping[str, Sequence[str]],
    translated: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    unique: str | None = None,
) -> int:
    """Fill the rows' (demo slug -> row) empty columns of `fields` in every language of `translated` (language ->
    demo slug -> texts, in the order of `fields`); `unique` names a field whose every language is unique."""
    taken = taken_values(model, unique, list(translated)) if unique else None
    filled = 0
    for slug, row in rows.items():
        filled += len(
            fill_empty_translations(
                row,
                dict(zip(fields, english[slug], strict=True)),
                {language: dict(zip(fields, by_slug[slug], strict=True)) for language, by_slug in translated.items()},
                taken=taken,
            )
        )
    return filled


def _publication_time(spec: DemoArticle, now: datetime) -> datetime | None:
    if spec.days_ago is None:
        return None
    when = now - timedelta(days=spec.days_ago)
    if spec.days_ago < 0:  # scheduled: on the hour, so it reads like an editor's choice
        return when.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return when.replace(second=0, microsecond=0)


@transaction.atomic
def _create_article(spec: DemoArticle, *, now: datetime, sections, regions, tags, authors, tiers) -> Article:
    article = Article(
        title=spec.title,
        dek=spec.dek,
        slug=spec.slug,
        body=sanitize_body(spec.body_html()),
        section=sections[spec.section],
        region=regions[spec.region],
        dateline=spec.dateline,
        status=spec.status,
        published_at=_publication_time(spec, now),
        featured=spec.featured,
        access=spec.access,
        hero_caption=spec.caption,
        hero_credit=HERO_CREDIT,
    )
    _attach_hero(article, spec)
    article.save()
    article.tags.set([tags[slug] for slug in spec.tags])
    if spec.tiers:
        article.allowed_tiers.set([tiers[slug] for slug in spec.tiers])
    Byline.objects.bulk_create(
        _bylines(article, authors, Byline.Role.AUTHOR, spec.authors)
        + _bylines(article, authors, Byline.Role.ADDITIONAL, spec.additional)
    )
    return article


def _ensure_translated_articles(tally: Tally, *, now: datetime, sections, regions, tags, authors, tiers) -> None:
    """Each story's version in another language, unless it exists: by its slug, or as staff's own version of that
    story in that language (one version per language). A version needs its original; a missing original (staff
    deleted or re-slugged it) is noted, not recreated here."""
    present = set(Article.objects.filter(slug__in=[t.slug for t in TRANSLATIONS]).values_list("slug", flat=True))
    originals = {a.slug: a for a in Article.objects.filter(slug__in={t.original.slug for t in TRANSLATIONS})}
    versions = set(
        Article.objects.filter(translation_of__in=originals.values()).values_list("translation_of_id", "language")
    )
    for spec in TRANSLATIONS:
        original = originals.get(spec.original.slug)
        if spec.slug in present or (original is not None and (original.pk, spec.language) in versions):
            tally.count("translated articles", present=1)
            continue
        if original is None:
            tally.notes.append(
                f"Demo content: not creating {spec.slug!r}: its original story {spec.original.slug!r} is missing."
            )
            continue
        _create_translated_article(
            spec, original, now=now, sections=sections, regions=regions, tags=tags, authors=authors, tiers=tiers
        )
        tally.count("translated articles", created=1)


@transaction.atomic
def _create_translated_article(
    spec: TranslatedArticle, original: Article, *, now: datetime, sections, regions, tags, authors, tiers
) -> Article:
    """The words are the version's own; everything else is the original story's (its demo spec's), including its
    illustration and its publication time, so the versions read as one story in several languages."""
    story = spec.original
    article = Article(
        title=spec.title,
        dek=spec.dek,
        slug=spec.slug,
        body=sanitize_body(spec.body_html()),
        section=sections[story.section],
        region=regions[story.region],
        dateline=spec.dateline,
        status=story.status,
        published_at=original.published_at or _publication_time(story, now),
        featured=story.featured,
        access=story.access,
        hero_caption=spec.caption,
        hero_credit=catalogue.TRANSLATED[spec.language].hero_credit,
        language=spec.language,
        translation_of=original,
    )
    _attach_hero(article, story)  # the original's picture (the same file when it is on disk)
    article.hero_alt = spec.hero_alt
    article.save()
    article.tags.set([tags[slug] for slug in story.tags])
    if story.tiers:
        article.allowed_tiers.set([tiers[slug] for slug in story.tiers])
    Byline.objects.bulk_create(
        _bylines(article, authors, Byline.Role.AUTHOR, story.authors)
        + _bylines(article, authors, Byline.Role.ADDITIONAL, story.additional)
    )
    return article


def _bylines(article: Article, authors: dict, role: str, slugs: Iterable[str]) -> list[Byline]:
    return [Byline(article=article, author=authors[slug], role=role, position=i) for i, slug in enumerate(slugs)]


def _attach_hero(article: Article, spec: DemoArticle) -> None:
    """Draw the illustration, or reuse the one an earlier load left on disk (after a database reset)."""
    options: _HeroOptions = {"snow": spec.snow, "time_of_day": spec.time_of_day}
    filename = f"{spec.slug}.jpg"
    field_file = article.hero_image
    name = field_file.field.generate_filename(article, filename)
    if field_file.storage.exists(name):
        article.hero_image = name  # the descriptor reads the stored file's width and height
        article.hero_alt = describe_hero(spec.slug, spec.scene, **options)
        return
    hero = render_hero(spec.slug, spec.scene, **options)
    field_file.save(filename, ContentFile(hero.jpeg), save=False)
    article.hero_alt = hero.alt


# One story shows a picture from the media library inside its body, as an editor would place it, so the demo (and
# the width checks and screenshots that run on it) includes a figure with its caption.
LIBRARY_STORY = "aragats-shepherds-dry-spring"
LIBRARY_PICTURE = {
    "slug": "demo-library-aragats-pasture",
    "scene": "pasture",
    "caption": "Flocks move higher each week as the lower pastures dry out.",
    "credit": "Illustration: Caucasus Ledger demo",
}


def _ensure_library_picture(tally: Tally) -> None:
    article = Article.objects.filter(slug=LIBRARY_STORY).first()
    if article is None or "<figure" in article.body:
        return
    picture = MediaImage.objects.filter(caption=LIBRARY_PICTURE["caption"]).first()
    if picture is None:
        hero = render_hero(LIBRARY_PICTURE["slug"], LIBRARY_PICTURE["scene"], time_of_day="day")
        picture = MediaImage(alt_text=hero.alt, caption=LIBRARY_PICTURE["caption"], credit=LIBRARY_PICTURE["credit"])
        picture.file.save(f"{LIBRARY_PICTURE['slug']}.jpg", ContentFile(hero.jpeg), save=False)
        picture.save()
        tally.count("library pictures", created=1)
    figure = (
        f'<figure class="figure"><img src="{picture.file.url}" alt="{escape(picture.alt_text)}">'
        f'<figcaption class="figure-caption">{escape(picture.caption_with_credit())}</figcaption></figure>'
    )
    blocks = article.body.split("</p>", 3)
    if len(blocks) == 4:  # after the third paragraph, where an editor would break up the text
        body = "</p>".join(blocks[:3]) + "</p>\n" + figure + blocks[3]
    else:
        body = article.body + "\n" + figure
    article.body = clean_article_body(body)
    article.save(update_fields=["body"])


def _ensure_editor(tally: Tally) -> None:
    if settings.IS_PRODUCTION:
        tally.notes.append(
            "WARNING: not creating the demo staff accounts because IS_PRODUCTION is true; create real staff "
            "accounts with `manage.py createsuperuser` and give them roles (groups) in the admin."
        )
        return
    created, present = ensure_demo_staff(password=DEMO_STAFF_PASSWORD)
    tally.count("staff accounts", created=created, present=present)
    accounts = ", ".join(f"{staff.email} ({staff.role or 'superuser'})" for staff in DEMO_STAFF)
    tally.notes.append(
        f"Staff sign-in for the local demo only: {accounts}, password {DEMO_STAFF_PASSWORD}, at /admin/. "
        f"The admin asks for an authenticator code: `manage.py demo_totp_code` prints it (secret {DEMO_TOTP_SECRET}). "
        "Local demo only, never use these credentials anywhere else."
    )
