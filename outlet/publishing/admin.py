from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from modeltranslation.admin import TranslationAdmin

from outlet.common.local_time import datetime_text
from outlet.publishing import services
from outlet.publishing.media_library import stories_using
from outlet.publishing.models import Article, Author, Byline, MediaImage, MeteredRead, Prompt, Region, Section, Tag


class AutocompleteTakesOnlyIds:
    """Django's autocomplete widgets look the posted values up to show them again with the form's errors; a value
    that is not an id (a hostile or broken post) made that lookup raise, a 500. Such values are dropped from what is
    shown; the field's own validation still says the choice is not valid."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _ids_only(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, self)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _ids_only(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, self)


def _ids_only(formfield, db_field, model_admin):
    if formfield is None or db_field.name not in model_admin.get_autocomplete_fields(None):
        return formfield
    widget = getattr(formfield.widget, "widget", formfield.widget)  # inside the admin's related-field wrapper
    shown = widget.optgroups

    def optgroups(name, value, attr=None):
        return shown(name, [v for v in value if str(v).isascii() and str(v).isdigit() and len(str(v)) <= 18], attr)

    widget.optgroups = optgroups
    return formfield


class BylineInline(AutocompleteTakesOnlyIds, admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    fields = ["author", "role", "position"]


@admin.register(Article)
class ArticleAdmin(AutocompleteTakesOnlyIds, admin.ModelAdmin):
    list_display = ["title", "language", "section", "status_badge", "published_at", "access", "featured"]
    list_filter = [
        "language",
        "status",
        "access",
        "section",
        "region",
        "featured",
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "dek", "slug", "bylines__author__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags", "allowed_tiers", "translation_of"]
    date_hierarchy = "published_at"
    inlines = [BylineInline]
    list_select_related = ["section"]
    actions = ["publish_now", "unpublish"]
    save_on_top = True

    class Media:
        css = {"all": ["admin_extra/article_editor.css"]}

    fieldsets = [
        (None, {"fields": ["title", "dek", "slug", "body"]}),
        (gettext_lazy("Photo"), {"fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"]}),
        (gettext_lazy("Filing"), {"fields": ["section", "tags", "region", "dateline"]}),
        (
            gettext_lazy("Language"),
            {
                "fields": ["language", "translation_of"],
                "description": gettext_lazy(
                    "A story in several languages is one article per language: link each version to the original, "
                    "and readers are offered the others."
                ),
            },
        ),
        (gettext_lazy("Publishing"), {"fields": ["status", "published_at", "featured"]}),
        (
            gettext_lazy("Access"),
            {
                "fields": ["access", "allowed_tiers"],
                "description": gettext_lazy(
                    "Metered articles count against the free allowance; members read everything except articles "
                    "limited to specific tiers."
                ),
            },
        ),
    ]

    @admin.display(description=gettext_lazy("Status"), ordering="status")
    def status_badge(self, obj: Article) -> str:
        if obj.status == Article.Status.SCHEDULED and obj.published_at and obj.published_at > timezone.now():
            # Translators: an article's status on the article list, e.g. "Scheduled for 6 Dec, 09:00 Tbilisi time"
            return format_html(_("Scheduled for {time}"), time=datetime_text(obj.published_at, "j M"))
        return obj.get_status_display()

    @admin.action(description=gettext_lazy("Publish now"), permissions=["change"])
    def publish_now(self, request, queryset):
        published = services.publish_now(article_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("Published %(count)s article(s).", "Published %(count)s article(s).", published.count)
            % {"count": published.count},
            messages.SUCCESS,
        )
        if published.without_text:
            titles = ", ".join(f"“{title}”" for title in published.without_text)
            self.message_user(
                request,
                _("Not published, the story has no text yet: %(titles)s. Write it first.") % {"titles": titles},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Unpublish (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = services.unpublish(article_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("Moved %(count)s article(s) back to draft.", "Moved %(count)s article(s) back to draft.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Author)
class AuthorAdmin(TranslationAdmin):
    list_display = ["name", "role"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]


@admin.register(Section)
class SectionAdmin(TranslationAdmin):
    list_display = ["name", "position", "in_navigation"]
    list_editable = ["position", "in_navigation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Region, Tag)
class NamedAdmin(TranslationAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Prompt)
class PromptAdmin(TranslationAdmin):
    list_display = ["name", "placement", "headline", "priority", "is_active", "starts_at", "ends_at", "audiences"]
    list_filter = ["placement", "is_active"]
    list_editable = ["priority", "is_active"]
    search_fields = ["name", "headline", "body"]
    fieldsets = [
        (None, {"fields": ["name", "placement", "is_active", "priority"]}),
        (gettext_lazy("Copy"), {"fields": ["kicker", "headline", "body", "cta_label", "cta_url"]}),
        (
            gettext_lazy("Who sees it"),
            {
                "fields": ["show_to_anonymous", "show_to_free", "show_to_lapsed"],
                "description": gettext_lazy("Paying members never see membership prompts."),
            },
        ),
        (gettext_lazy("When and where"), {"fields": ["starts_at", "ends_at", "after_paragraph"]}),
        (
            gettext_lazy("Fundraiser"),
            {
                "fields": ["campaign"],
                "description": gettext_lazy(
                    "An end-of-article prompt that names a fundraiser shows its progress bar and a Give link under the "
                    "copy (while the fundraiser is open)."
                ),
            },
        ),
    ]

    @admin.display(description=gettext_lazy("Audience"))
    def audiences(self, obj: Prompt) -> str:
        names = [
            label
            for flag, label in (
                ("show_to_anonymous", pgettext("prompt audience", "anonymous")),
                ("show_to_free", pgettext("prompt audience", "free")),
                ("show_to_lapsed", pgettext("prompt audience", "lapsed")),
            )
            if getattr(obj, flag)
        ]
        return ", ".join(names) or pgettext("prompt audience", "nobody")


@admin.register(MeteredRead)
class MeteredReadAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "read_at"]
    raw_id_fields = ["user", "article"]
    search_fields = ["user__email"]


# --- The media library: pictures uploaded once, placed in any story, and its picker for the story editor -----

PICKER_PARAMETER = "CKEditorFuncNum"  # the editor's picture dialog opens this list with it (outlet/common/sanitize.py)
THUMBNAIL_BOX = (120, 80)


class _PickerAwareChangeList(ChangeList):
    """The picker's callback number rides along in the list's query string, but it filters nothing."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(PICKER_PARAMETER, None)
        return lookup_params


def _picture_tag(picture: MediaImage, box: tuple[int, int]) -> str:
    if not (picture.width and picture.height):
        return format_html('<img src="{}" alt="" class="library-thumb" loading="lazy">', picture.file.url)
    scale = min(box[0] / picture.width, box[1] / picture.height, 1)
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" class="library-thumb" loading="lazy">',
        picture.file.url,
        max(1, round(picture.width * scale)),
        max(1, round(picture.height * scale)),
    )


@admin.register(MediaImage)
class MediaImageAdmin(admin.ModelAdmin):
    """Upload once, reuse anywhere. Opened from the story editor's picture dialog (“Browse…”) the list
    becomes a picker: each row gets an Insert button that hands the picture back to the editor."""

    list_display = ["thumbnail", "alt_text", "caption", "credit", "uploaded_by", "uploaded_at"]
    list_display_links = ["thumbnail", "alt_text"]
    list_select_related = ["uploaded_by"]
    search_fields = ["alt_text", "caption", "credit", "file"]
    date_hierarchy = "uploaded_at"
    fieldsets = [
        (
            None,
            {
                "fields": ["file", "preview", "alt_text", "caption", "credit"],
                "description": gettext_lazy(
                    "A story takes the description, caption and credit as they are when the picture is inserted; "
                    "editing them here later leaves stories already published as they are."
                ),
            },
        ),
        (gettext_lazy("In use"), {"fields": ["size", "uploaded_by", "uploaded_at", "used_in"]}),
    ]
    readonly_fields = ["preview", "size", "uploaded_by", "uploaded_at", "used_in"]

    class Media:
        css = {"all": ["admin_extra/media_library.css"]}
        js = ["admin_extra/media_picker.js"]

    @staticmethod
    def is_picking(request) -> bool:
        return PICKER_PARAMETER in request.GET

    def get_changelist(self, request, **kwargs):
        return _PickerAwareChangeList

    def get_list_display(self, request):
        if self.is_picking(request):
            return ["thumbnail", "alt_text", "caption", "credit", "insert_button"]
        return super().get_list_display(request)

    def get_list_display_links(self, request, list_display):
        return None if self.is_picking(request) else super().get_list_display_links(request, list_display)

    def get_actions(self, request):
        return {} if self.is_picking(request) else super().get_actions(request)

    def changelist_view(self, request, extra_context=None):
        if self.is_picking(request):
            extra_context = {
                **(extra_context or {}),
                "picking": True,
                "is_nav_sidebar_enabled": False,
                "title": _("Choose a picture for the story"),
            }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        """A picture a story shows stays: deleting it would leave a hole in the story."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for picture in objs:
            for story in stories_using(picture):
                protected.append(
                    format_html(
                        _('Story <a href="{url}">{title}</a> shows “{picture}”'),
                        url=reverse("admin:outlet_article_change", args=[story.pk]),
                        title=story.title,
                        picture=picture,
                    )
                )
        return deleted, counts, perms_needed, protected

    @admin.display(description=gettext_lazy("Picture"))
    def thumbnail(self, picture: MediaImage) -> str:
        return _picture_tag(picture, THUMBNAIL_BOX)

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, picture: MediaImage) -> str:
        return _picture_tag(picture, (480, 360)) if picture.pk else "—"

    @admin.display(description=gettext_lazy("Size"))
    def size(self, picture: MediaImage) -> str:
        if not picture.width:
            return "—"
        return _("%(width)s × %(height)s px") % {"width": picture.width, "height": picture.height}

    @admin.display(description=gettext_lazy("Used in"))
    def used_in(self, picture: MediaImage) -> str:
        stories = list(stories_using(picture)) if picture.pk else []
        if not stories:
            return _("No story yet")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:outlet_article_change", args=[story.pk]), story.title) for story in stories),
        )

    @admin.display(description="")
    def insert_button(self, picture: MediaImage) -> str:
        return format_html(
            '<button type="button" class="button" data-library-pick data-src="{}" data-id="{}" data-alt="{}" '
            'data-caption="{}">{}</button>',
            picture.file.url,
            picture.pk,
            picture.alt_text,
            picture.caption_with_credit(),
            # Translators: the button that puts a library picture into the story being edited
            _("Insert"),
        )
