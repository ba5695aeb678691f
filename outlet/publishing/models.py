"""The publishing side: articles and who wrote them, and the membership prompts readers meet."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django_prose_editor.fields import ProseEditorField

from outlet.common import languages
from outlet.common.sanitize import ARTICLE_BODY_EXTENSIONS
from outlet.publishing.body import has_readable_text
from outlet.publishing.media_library import clean_article_body

EMPTY_BODY_MESSAGE = (
    "A published or scheduled story needs its text: write the story here, or set the status to Draft to save it "
    "unfinished."
)
LIBRARY_IMAGE_MAX_BYTES = 15 * 1024 * 1024


class Section(models.Model):
    objects: ClassVar[models.Manager[Section]]  # for type checkers: modeltranslation swaps the class at start-up

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the site navigation (lowest first).")
    in_navigation = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outlet:section", kwargs={"slug": self.slug})


class Region(models.Model):
    """Where a story happened, so readers can follow one place across sections."""

    objects: ClassVar[models.Manager[Region]]  # for type checkers: modeltranslation swaps the class at start-up

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outlet:region", kwargs={"slug": self.slug})


class Tag(models.Model):
    objects: ClassVar[models.Manager[Tag]]  # for type checkers: modeltranslation swaps the class at start-up

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outlet:tag", kwargs={"slug": self.slug})


class Author(models.Model):
    objects: ClassVar[models.Manager[Author]]  # for type checkers: modeltranslation swaps the class at start-up

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=120, blank=True, help_text="e.g. Staff reporter, Tbilisi")
    bio = models.TextField(blank=True)
    photo = models.ImageField(upload_to="authors/", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="author_profile"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outlet:author", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def live(self, now=None):
        """Articles the public may see: not drafts, and their publish time has come (scheduled ones included)."""
        now = now or timezone.now()
        return self.filter(
            status__in=[Article.Status.SCHEDULED, Article.Status.PUBLISHED],
            published_at__isnull=False,
            published_at__lte=now,
        )

    def in_language(self, language: str | None = None):
        """The articles written in `language` (the active one by default): each language's pages list its own."""
        return self.filter(language=language or translation.get_language() or settings.LANGUAGE_CODE)

    def for_listing(self):
        return self.select_related("section", "region").prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    class Access(models.TextChoices):
        PUBLIC = "public", "Public: free for everyone"
        METERED = "metered", "Metered: counts against the free monthly allowance"
        MEMBERS = "members", "Members only: any membership tier"
        TIERS = "tiers", "Specific tiers only"

    title = models.CharField(max_length=200)
    dek = models.CharField(
        "standfirst", max_length=300, blank=True, help_text="One or two sentences under the headline."
    )
    slug = models.SlugField(max_length=200, unique=True)
    body = ProseEditorField(
        extensions=ARTICLE_BODY_EXTENSIONS,
        sanitize=clean_article_body,
        blank=True,
        help_text="The story. A draft may be saved empty; to publish or schedule it, the story needs text. Pictures "
        "come from the media library: the picture button, then “Browse…”.",
    )
    hero_image = models.ImageField(
        upload_to="articles/%Y/%m/", blank=True, width_field="hero_width", height_field="hero_height"
    )
    hero_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_alt = models.CharField(
        "hero image description", max_length=300, blank=True, help_text="For readers using screen readers."
    )
    hero_caption = models.CharField(max_length=400, blank=True)
    hero_credit = models.CharField(max_length=200, blank=True, help_text="e.g. Photo: Nino K. for the Ledger")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    dateline = models.CharField(
        max_length=120, blank=True, help_text="The place the story was reported from, e.g. Gyumri"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, help_text="For a scheduled article, when it goes live.")
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)
    featured = models.BooleanField("lead story", default=False, help_text="The newest lead story tops the home page.")
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.PUBLIC)
    allowed_tiers = models.ManyToManyField(
        "members.Tier", blank=True, related_name="articles", help_text="Only for the 'Specific tiers' access level."
    )
    # Each language's version of a story is an article of its own (its slug, headline, body and bylines), listed
    # on that language's pages; staff link the versions to the original so readers are offered the others.
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="en", help_text="The language this version is written in."
    )
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text="The original story, when this article is its version in another language.",
    )

    objects = ArticleQuerySet.as_manager()
    # Not a column: content_cache sets it on the article it caches (the allowed tiers' ids, for the access check).
    allowed_tier_ids: frozenset[int]
    # Not a column either: the story's versions in every language (outlet.publishing.versions.VersionRow).
    version_rows: list

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            models.Index(fields=["language", "status", "published_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="article_scheduled_or_published_has_date",
            ),
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=Q(translation_of__isnull=False),
                name="article_one_version_per_language",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Editors start drafts empty, but readers must never get a story without words."""
        super().clean()
        if self.status != self.Status.DRAFT and not has_readable_text(self.body):
            raise ValidationError({"body": EMPTY_BODY_MESSAGE})
        if self.translation_of is not None:
            root = self.translation_of.translation_of or self.translation_of
            if root.pk == self.pk:
                raise ValidationError({"translation_of": _("A story cannot be a translation of itself.")})
            if root.language == self.language:
                raise ValidationError({"language": _("A translation is in another language than its original.")})

    def save(self, *args, **kwargs) -> None:
        # Versions hang from the original, never from another translation: one hop finds every version.
        if self.translation_of is not None and self.translation_of.translation_of_id:
            self.translation_of_id = self.translation_of.translation_of_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The address in the article's own language (/ka/articles/... for a Georgian version)."""
        with translation.override(self.language):
            return reverse("outlet:article", kwargs={"slug": self.slug})

    def original_id(self) -> int | None:
        return self.translation_of_id or self.pk

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status != self.Status.DRAFT and self.published_at is not None and self.published_at <= now

    def authors(self) -> list[Author]:
        return [b.author for b in self.bylines.all() if b.role == Byline.Role.AUTHOR]

    def additional_reporters(self) -> list[Author]:
        return [b.author for b in self.bylines.all() if b.role == Byline.Role.ADDITIONAL]


class Byline(models.Model):
    """An author's credit on an article. Pages list writers and 'additional reporting by' separately, each in the
    order staff set with `position`."""

    class Role(models.TextChoices):
        AUTHOR = "author", "Author"
        ADDITIONAL = "additional", "Additional reporting"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.AUTHOR)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "author", "role"], name="byline_once_per_role")]

    def __str__(self) -> str:
        return f"{self.author} ({self.get_role_display()})"


DEFAULT_BUTTON_LABEL = "Join today"


class Prompt(models.Model):
    """Call-to-action copy that staff place on the site: a banner, an in-article box or an end-of-article appeal."""

    objects: ClassVar[models.Manager[Prompt]]  # for type checkers: modeltranslation swaps the class at start-up

    class Placement(models.TextChoices):
        BANNER = "banner", "Site banner"
        IN_ARTICLE = "in_article", "Inside an article, after N paragraphs"
        END_OF_ARTICLE = "end_of_article", "End-of-article appeal"
        PAYWALL = "paywall", "Paywall: shown instead of the rest of a locked article"

    name = models.CharField(max_length=120, help_text="For staff only.")
    placement = models.CharField(max_length=20, choices=Placement.choices)
    kicker = models.CharField(
        max_length=80, blank=True, help_text="Small line above the headline, e.g. 'Become a member'"
    )
    headline = models.CharField(max_length=160)
    body = models.TextField(blank=True, help_text="Plain text; blank lines separate paragraphs.")
    cta_label = models.CharField("button label", max_length=60, default=DEFAULT_BUTTON_LABEL)
    cta_url = models.CharField(
        "button link",
        max_length=300,
        default="/membership/",
        help_text="A path on this site (/membership/) or a full https:// address.",
    )
    show_to_anonymous = models.BooleanField("anonymous readers", default=True)
    show_to_free = models.BooleanField("signed-in readers who are not members", default=True)
    show_to_lapsed = models.BooleanField("lapsed members", default=True)
    after_paragraph = models.PositiveSmallIntegerField(
        default=3, help_text="In-article prompts only: shown after this many paragraphs."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    priority = models.SmallIntegerField(default=0, help_text="When several prompts fit, the highest priority wins.")
    is_active = models.BooleanField(default=True)
    campaign = models.ForeignKey(
        "donations.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="End-of-article prompts only: show this fundraiser's progress and a Give link with the copy.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["placement", "-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="prompt_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def body_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]

    def button_label(self) -> str:
        """The button's words in the reader's language. The field's default stands in every language staff have not
        written one for (modeltranslation copies it there), so it is said in that language's own words."""
        label = self.cta_label
        return _("Join today") if label in ("", DEFAULT_BUTTON_LABEL) else label

    def button_url(self) -> str:
        """A path on this site leads to that page in the reader's language (/membership/ is /ka/membership/ on a
        Georgian page); another site's address is left as staff wrote it."""
        url = self.cta_url or ""
        if url.startswith("https://"):
            return url
        if not url.startswith("/") or url.startswith("//"):
            return reverse("members:membership")
        return languages.address_in(url, languages.active())


class MeteredRead(models.Model):
    """A signed-in reader opened a metered article; counted once per article within the meter window."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metered_reads")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="metered_read_once_per_article")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user} read “{self.article}”"


def validate_picture_size(upload) -> None:
    if upload.size > LIBRARY_IMAGE_MAX_BYTES:
        raise ValidationError(
            "This picture is over 15 MB, too heavy for readers on a phone. Export it as a JPEG about 2,000 px wide "
            "and upload that."
        )


class MediaImage(models.Model):
    """A picture staff upload once and place in any number of stories; its description (alt text) travels with it.

    Bodies refer to it by its URL (outlet.common.sanitize lets an <img> through only when it points into the
    library), so a picture a story shows cannot be deleted (MediaImageAdmin.get_deleted_objects)."""

    file = models.ImageField(
        "picture",
        upload_to="library/%Y/%m/",
        width_field="width",
        height_field="height",
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"]), validate_picture_size],
        help_text="JPEG, PNG, WebP or GIF, up to 15 MB.",
    )
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    alt_text = models.CharField(
        "description (alt text)",
        max_length=300,
        help_text="What the picture shows, read aloud to readers who cannot see it, e.g. “Miners at the gate of "
        "the Chiatura plant at dawn”.",
    )
    caption = models.CharField(max_length=400, blank=True, help_text="Shown under the picture in stories.")
    credit = models.CharField(max_length=200, blank=True, help_text="e.g. Photo: Nino K. for the Ledger")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "library picture"
        verbose_name_plural = "media library"

    def __str__(self) -> str:
        return Truncator(self.alt_text).chars(70) or self.file.name  # type: ignore[return-value]  # always has a file

    def caption_with_credit(self) -> str:
        """What a story shows under the picture: the caption, then the credit."""
        return " ".join(part for part in (self.caption.strip(), self.credit.strip()) if part)
