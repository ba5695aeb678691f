from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.html import format_html

from outlet import services
from outlet.models import Article, Author, Byline, MeteredRead, Prompt, Region, Section, Tag


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    fields = ["author", "role", "position"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "section", "status_badge", "published_at", "access", "featured"]
    list_filter = ["status", "access", "section", "region", "featured", ("published_at", admin.DateFieldListFilter)]
    search_fields = ["title", "dek", "slug", "bylines__author__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags", "allowed_tiers"]
    date_hierarchy = "published_at"
    inlines = [BylineInline]
    list_select_related = ["section"]
    actions = ["publish_now", "unpublish"]
    save_on_top = True

    class Media:
        css = {"all": ["admin_extra/article_editor.css"]}

    fieldsets = [
        (None, {"fields": ["title", "dek", "slug", "body"]}),
        ("Photo", {"fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"]}),
        ("Filing", {"fields": ["section", "tags", "region", "dateline"]}),
        ("Publishing", {"fields": ["status", "published_at", "featured"]}),
        ("Access", {"fields": ["access", "allowed_tiers"],
                    "description": "Metered articles count against the free allowance; members read everything "
                                   "except articles limited to specific tiers."}),
    ]

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Article) -> str:
        if obj.status == Article.Status.SCHEDULED and obj.published_at and obj.published_at > timezone.now():
            return format_html("Scheduled for {}", timezone.localtime(obj.published_at).strftime("%d %b %H:%M"))
        return obj.get_status_display()

    @admin.action(description="Publish now", permissions=["change"])
    def publish_now(self, request, queryset):
        count = services.publish_now(article_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Published {count} article(s).", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        count = services.unpublish(article_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Moved {count} article(s) back to draft.", messages.SUCCESS)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "role"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "in_navigation"]
    list_editable = ["position", "in_navigation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Region, Tag)
class NamedAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["name", "placement", "headline", "priority", "is_active", "starts_at", "ends_at", "audiences"]
    list_filter = ["placement", "is_active"]
    list_editable = ["priority", "is_active"]
    search_fields = ["name", "headline", "body"]
    fieldsets = [
        (None, {"fields": ["name", "placement", "is_active", "priority"]}),
        ("Copy", {"fields": ["kicker", "headline", "body", "cta_label", "cta_url"]}),
        ("Who sees it", {"fields": ["show_to_anonymous", "show_to_free", "show_to_lapsed"],
                         "description": "Paying members never see membership prompts."}),
        ("When and where", {"fields": ["starts_at", "ends_at", "after_paragraph"]}),
        ("Fundraiser", {"fields": ["campaign"],
                        "description": "An end-of-article prompt that names a fundraiser shows its progress bar and a "
                                       "Give link under the copy (while the fundraiser is open)."}),
    ]

    @admin.display(description="Audience")
    def audiences(self, obj: Prompt) -> str:
        names = [label for flag, label in (("show_to_anonymous", "anonymous"), ("show_to_free", "free"),
                                            ("show_to_lapsed", "lapsed")) if getattr(obj, flag)]
        return ", ".join(names) or "nobody"


@admin.register(MeteredRead)
class MeteredReadAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "read_at"]
    raw_id_fields = ["user", "article"]
    search_fields = ["user__email"]


# --- Staff accounts: who holds which role, and who has set up two-factor sign-in -----------------------------

class TwoFactorFilter(admin.SimpleListFilter):
    title = "two-factor sign-in"
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return [("yes", "Set up"), ("no", "Not set up")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(has_authenticator=self.value() == "yes")
        return queryset


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin, with each account's roles and whether it can pass the admin's two-factor sign-in."""

    list_display = ["username", "email", "first_name", "last_name", "is_staff", "roles", "two_factor"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", TwoFactorFilter]

    def get_queryset(self, request):
        authenticator_apps = Authenticator.objects.filter(user=OuterRef("pk")).exclude(type=Authenticator.Type.RECOVERY_CODES)
        return super().get_queryset(request).annotate(has_authenticator=Exists(authenticator_apps)).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "—"

    @admin.display(description="Two-factor", boolean=True, ordering="has_authenticator")
    def two_factor(self, obj) -> bool:
        return obj.has_authenticator
