"""The demo newsroom in all five languages: the catalogue's texts, the fundraiser's and three stories in Georgian,
Armenian, Azerbaijani and Russian besides English; a second load writes nothing; nothing staff wrote, in any
language, is overwritten by a reload."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.text import slugify

from donations.models import Beneficiary, Campaign, CampaignUpdate
from members.models import Tier
from outlet.common.sanitize import sanitize_body
from outlet.demo import catalogue, fundraiser
from outlet.demo.articles import ARTICLES, TRANSLATIONS
from outlet.demo.images import describe_hero
from outlet.demo.loader import load_demo_content
from outlet.demo.spec import PROMPT_FIELDS
from outlet.newsletters.models import NewsletterSend
from outlet.publishing.models import Article, Author, Prompt, Region, Section, Tag

OTHER_LANGUAGES = ["ka", "hy", "az", "ru"]
STORIES = ["zemo-lasili-villagers-hydro-dam", "gyumri-library-winter-reading-room", "sheki-silk-weavers-online"]
DEMO_PROMPTS = [row["name"] for row in catalogue.PROMPTS] + [fundraiser.APPEAL["name"]]

# The letters each language is written in (Azerbaijani: Latin, and its schwa is the tell).
SCRIPTS = {
    "en": lambda ch: "a" <= ch.lower() <= "z",
    "ka": lambda ch: "\u10d0" <= ch <= "\u10ff",  # Mkhedruli
    "hy": lambda ch: "\u0531" <= ch <= "\u058f",
    "az": lambda ch: unicodedata.name(ch, "").startswith("LATIN"),
    "ru": lambda ch: "\u0400" <= ch <= "\u04ff",
}


def share_in_script(text: str, language: str) -> float:
    """How much of a text's lettering is in the language's script (tags and the Latin masthead aside)."""
    words = re.sub(r"<[^>]+>|Caucasus Ledger|Wi-Fi|UNESCO|Border Dispatch|Mountain Voice", " ", text)
    letters = [ch for ch in words if ch.isalpha()]
    return sum(SCRIPTS[language](ch) for ch in letters) / len(letters) if letters else 0.0


def written_in(text: str | None, language: str) -> bool:
    return bool(text) and share_in_script(text, language) >= 0.95  # type: ignore[arg-type]


def reads_in(obj, field: str, language: str) -> bool:
    """The field as a reader of `language` sees it: in that language's script and, but for English, not the
    English it would fall back to (Azerbaijani shares the Latin letters)."""
    shown = getattr(obj, field)
    return written_in(shown, language) and (language == "en" or shown != getattr(obj, f"{field}_en"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- The texts themselves (no database) ---------------------------------------------------------------------


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_language_translates_every_catalogue_text_and_fits_the_columns(language):
    texts = catalogue.TRANSLATED[language]
    assert texts.language == language
    assert set(texts.sections) == {slug for slug, *_ in catalogue.SECTIONS}
    assert set(texts.regions) == {slug for slug, _ in catalogue.REGIONS}
    assert set(texts.tags) == {slug for slug, _ in catalogue.TAGS}
    assert set(texts.authors) == {slug for slug, *_ in catalogue.AUTHORS}
    assert set(texts.tiers) == {slug for slug, *_ in catalogue.TIERS}
    assert set(texts.prompts) == set(DEMO_PROMPTS)
    assert set(texts.newsrooms) == {slug for slug, *_ in fundraiser.NEWSROOMS}
    assert set(texts.updates) == {title for _, title, _ in fundraiser.UPDATES}
    columns = [
        (Section, "name", [name for name, _ in texts.sections.values()]),
        (Section, "description", [description for _, description in texts.sections.values()]),
        (Region, "name", list(texts.regions.values())),
        (Tag, "name", list(texts.tags.values())),
        (Author, "role", [role for role, _ in texts.authors.values()]),
        (Tier, "name", [name for name, *_ in texts.tiers.values()]),
        (Campaign, "title", [texts.campaign[0]]),
        (Campaign, "summary", [texts.campaign[1]]),
        (Campaign, "hero_alt", [texts.campaign[3]]),
        (Beneficiary, "description", list(texts.newsrooms.values())),
        (CampaignUpdate, "title", [title for title, _ in texts.updates.values()]),
        *[
            (Prompt, field, [prompt[index] for prompt in texts.prompts.values()])
            for index, field in enumerate(PROMPT_FIELDS)
            if field != "body"
        ],
    ]
    for model, field, values in columns:
        limit = model._meta.get_field(f"{field}_{language}").max_length
        for value in values:
            assert value.strip() == value and value, (model.__name__, field, value)
            assert len(value) <= limit, f"{model.__name__}.{field}_{language} takes {limit}: {value!r}"
    for model, field, names in columns:
        if model._meta.get_field(f"{field}_{language}").unique:
            assert len(set(names)) == len(names), f"{model.__name__} names repeat in {language}: the column is unique"
    # Every benefit on its own line, like the English.
    for slug, (_name, _description, benefits) in texts.tiers.items():
        assert benefits.count("\n") == catalogue.TIER_BENEFITS[slug].count("\n")
    # The campaign's story keeps the English markup (two paragraphs) and survives the campaign's sanitiser.
    from donations.campaigns import sanitize_story

    story = texts.campaign[2]
    assert re.findall(r"</?\w+", story) == re.findall(r"</?\w+", fundraiser.STORY)
    assert sanitize_story(story) == story


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_language_is_written_in_its_own_script(language):
    texts = catalogue.TRANSLATED[language]
    prose = [
        *(name + " " + description for name, description in texts.sections.values()),
        *(role + " " + bio for role, bio in texts.authors.values()),
        *(" ".join(tier) for tier in texts.tiers.values()),
        *(" ".join(prompt) for prompt in texts.prompts.values()),
        " ".join(texts.campaign),
        *texts.newsrooms.values(),
        *(" ".join(update) for update in texts.updates.values()),
    ]
    for text in prose:
        assert share_in_script(text, language) >= 0.95, text
    for name in [*texts.regions.values(), *texts.tags.values()]:
        assert share_in_script(name, language) == 1.0, name


def test_three_stories_in_four_languages_with_ascii_slugs_and_clean_bodies():
    assert sorted((t.original.slug, t.language) for t in TRANSLATIONS) == sorted(
        (slug, language) for slug in STORIES for language in OTHER_LANGUAGES
    )
    slugs = [t.slug for t in TRANSLATIONS] + [a.slug for a in ARTICLES]
    assert len(set(slugs)) == len(slugs)
    for version in TRANSLATIONS:
        assert version.slug.isascii() and slugify(version.slug) == version.slug and len(version.slug) <= 200
        assert len(version.title) <= 200 and len(version.dek) <= 300 and len(version.caption) <= 400
        assert len(version.hero_alt) <= 300 and len(version.dateline) <= 120
        body = version.body_html()
        assert sanitize_body(body) == body, version.slug
        # The same shape as the original: its subheadings, its quote, its list, its links.
        for tag in ("<h2>", "<blockquote>", "<ul>", "<li>", "<a ", "<em>"):
            assert body.count(tag) == version.original.body_html().count(tag), (version.slug, tag)
        assert len(version.body) == len(version.original.body), version.slug
        for text in (version.title, version.dek, version.caption, version.hero_alt, body):
            assert written_in(text, version.language), (version.slug, text[:60])


def test_the_translated_picture_descriptions_still_describe_the_pictures():
    """The versions' alt texts were written from these descriptions; a change to the drawing needs new ones."""
    described = {
        story.slug: describe_hero(story.slug, story.scene, snow=story.snow, time_of_day=story.time_of_day)
        for story in {t.original for t in TRANSLATIONS}
    }
    assert described == {
        "zemo-lasili-villagers-hydro-dam": "Illustration of a river winding out of a mountain valley, with snow on the "
        "far peaks, at dawn, in blue and apricot tones.",
        "gyumri-library-winter-reading-room": "Illustration of a city skyline in front of distant mountains, with snow "
        "on the far peaks, at night under a starry sky, in deep teal tones.",
        "sheki-silk-weavers-online": "Illustration of a river winding out of a mountain valley, under a bright sky, in "
        "soft indigo tones.",
    }
    assert describe_hero(fundraiser.SLUG, fundraiser.HERO["scene"], time_of_day=fundraiser.HERO["time_of_day"]) == (
        "Illustration of a road winding up towards a mountain pass, at dawn, in violet and amber tones."
    )


# --- Loaded into the database ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_language_reads_its_own_catalogue_fundraiser_and_stories(media):
    load_demo_content()
    for language in ["en", *OTHER_LANGUAGES]:
        with translation.override(language):
            sections = list(Section.objects.all())
            assert len(sections) == len(catalogue.SECTIONS)
            for section in sections:
                assert reads_in(section, "name", language) and reads_in(section, "description", language)
            for tier in Tier.objects.all():
                assert all(reads_in(tier, field, language) for field in ("name", "description", "benefits"))
            for row in [*Region.objects.all(), *Tag.objects.all()]:
                assert reads_in(row, "name", language), row.slug
            for author in Author.objects.all():
                assert reads_in(author, "role", language) and reads_in(author, "bio", language), author.slug
            prompts = Prompt.objects.filter(name__in=DEMO_PROMPTS)
            assert prompts.count() == len(DEMO_PROMPTS)
            for prompt in prompts:
                for field in PROMPT_FIELDS:
                    assert reads_in(prompt, field, language), (prompt.name, field)
            campaign = Campaign.objects.get(slug=fundraiser.SLUG)
            for field in ("title", "summary", "story", "hero_alt"):
                assert reads_in(campaign, field, language), field
            for newsroom in campaign.beneficiaries.all():
                assert reads_in(newsroom, "description", language), newsroom.slug
            for update in campaign.updates.all():
                assert reads_in(update, "title", language) and reads_in(update, "body", language)

    for slug in STORIES:
        original = Article.objects.get(slug=slug)
        assert original.language == "en" and original.translation_of is None
        versions = {version.language: version for version in original.translations.all()}
        assert set(versions) == set(OTHER_LANGUAGES)
        for language, version in versions.items():
            assert version.status == Article.Status.PUBLISHED and version.is_live()
            assert written_in(version.body, language) and written_in(version.title, language), version.slug
            assert version.body.startswith("<p>") and len(version.body) > 2000
            if language == "az":
                assert "ə" in version.body and "ə" in version.dek
            assert version.published_at == original.published_at and version.featured == original.featured
            assert (version.section_id, version.region_id, version.access) == (
                original.section_id,
                original.region_id,
                original.access,
            )
            assert set(version.tags.all()) == set(original.tags.all())
            assert [(b.author_id, b.role) for b in version.bylines.all()] == [
                (b.author_id, b.role) for b in original.bylines.all()
            ]
            assert version.hero_image.name == original.hero_image.name  # the same picture
            assert written_in(version.hero_alt, language) and version.hero_credit != original.hero_credit
            assert version.get_absolute_url() == f"/{language}/articles/{version.slug}/"


@pytest.mark.django_db
def test_the_georgian_lead_story_reads_at_its_own_address(media):
    load_demo_content()
    lead = Article.objects.get(slug="zemo-lasili-villagers-hydro-dam").translations.get(language="ka")
    response = Client().get(lead.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert lead.title in page and "ზემო ლასილი" in page


@pytest.mark.django_db
def test_a_second_load_creates_and_writes_nothing(media):
    load_demo_content()
    counts = {model: model.objects.count() for model in (Article, Section, Tier, Prompt, Campaign)}
    with CaptureQueriesContext(connection) as queries:
        tally = load_demo_content()
    assert tally.summary().startswith("Demo content: nothing to create; already present:")
    assert tally.present["translated articles"] == len(TRANSLATIONS)
    assert counts == {model: model.objects.count() for model in counts}
    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)]
    assert writes == []
    assert len(queries) < 60  # cheap on every `make run`


@pytest.mark.django_db
def test_a_reload_keeps_what_staff_wrote_in_any_language(media):
    load_demo_content()
    Section.objects.filter(slug="politics").update(name_ka="პოლიტიკა და ხელისუფლება")
    Tier.objects.filter(slug="supporter").update(description_hy="Մեր սեփական նկարագրությունը։")
    Prompt.objects.filter(placement="banner").update(headline_ru="Наш собственный заголовок", cta_label_az="")
    Campaign.objects.filter(slug=fundraiser.SLUG).update(title_az="Bizim öz başlığımız")
    lead = Article.objects.get(slug="zemo-lasili-villagers-hydro-dam").translations.get(language="ru")
    Article.objects.filter(pk=lead.pk).update(title="Заголовок редактора", body="<p>Текст редактора.</p>")

    tally = load_demo_content()

    assert Section.objects.get(slug="politics").name_ka == "პოლიტიკა და ხელისუფლება"
    assert Tier.objects.get(slug="supporter").description_hy == "Մեր սեփական նկարագրությունը։"
    banner = Prompt.objects.get(placement="banner")
    assert banner.headline_ru == "Наш собственный заголовок"
    assert banner.cta_label_az == catalogue.TRANSLATED["az"].prompts[banner.name][3]  # emptied: filled again
    assert Campaign.objects.get(slug=fundraiser.SLUG).title_az == "Bizim öz başlığımız"
    lead.refresh_from_db()
    assert (lead.title, lead.body) == ("Заголовок редактора", "<p>Текст редактора.</p>")
    assert tally.created["translated texts"] == 1 and tally.created["translated articles"] == 0


@pytest.mark.django_db
def test_an_older_demo_gets_its_translations_except_where_staff_rewrote_the_english(media):
    """A database an older demo loaded has the English only (and the button label modeltranslation defaulted)."""
    load_demo_content()
    NewsletterSend.objects.all().delete()  # the newsletters came with the translations; an older demo had neither
    Article.objects.exclude(language="en").delete()
    for model, fields in {
        Section: ["name", "description"],
        Region: ["name"],
        Tag: ["name"],
        Author: ["role", "bio"],
        Tier: ["name", "description", "benefits"],
        Campaign: ["title", "summary", "story", "hero_alt"],
        Beneficiary: ["description"],
        CampaignUpdate: ["title", "body"],
    }.items():
        model.objects.update(**{f"{field}_{language}": None for field in fields for language in OTHER_LANGUAGES})
    Prompt.objects.update(
        **{
            f"{field}_{language}": None
            for field in PROMPT_FIELDS
            for language in OTHER_LANGUAGES
            if field != "cta_label"
        },
        **{f"cta_label_{language}": "Join today" for language in OTHER_LANGUAGES},  # the migration's default
    )
    Section.objects.filter(slug="culture").update(description_en="Our own words about culture.")
    Tag.objects.filter(slug="water").update(name_ru="Климат")  # staff's mistake, but theirs: "Климат" is now taken

    tally = load_demo_content()

    assert tally.created["translated articles"] == len(TRANSLATIONS)
    culture = Section.objects.get(slug="culture")
    assert culture.name_ka == "კულტურა" and culture.description_ka is None  # the English changed: left to staff
    assert Tag.objects.get(slug="water").name_ru == "Климат" and Tag.objects.get(slug="climate").name_ru is None
    with translation.override("hy"):
        assert Prompt.objects.get(placement="paywall").cta_label == "Անդամակցության տարբերակները"
        assert Campaign.objects.get(slug=fundraiser.SLUG).title == catalogue.TRANSLATED["hy"].campaign[0]
    assert load_demo_content().summary().startswith("Demo content: nothing to create")
