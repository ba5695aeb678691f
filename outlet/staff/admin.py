"""Staff accounts in the admin: who holds which role, and who has set up two-factor sign-in."""

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class TwoFactorFilter(admin.SimpleListFilter):
    title = gettext_lazy("two-factor sign-in")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return [("yes", _("Set up")), ("no", _("Not set up"))]

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
        authenticator_apps = Authenticator.objects.filter(user=OuterRef("pk")).exclude(
            type=Authenticator.Type.RECOVERY_CODES
        )
        return (
            super()
            .get_queryset(request)
            .annotate(has_authenticator=Exists(authenticator_apps))
            .prefetch_related("groups")
        )

    @admin.display(description=gettext_lazy("Roles"))
    def roles(self, obj) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "—"

    @admin.display(description=gettext_lazy("Two-factor"), boolean=True, ordering="has_authenticator")
    def two_factor(self, obj) -> bool:
        return obj.has_authenticator
