# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class OutletConfig(AppConfig):
    name = "outlet"
    label = "outlet"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from outlet import content_cache
        from outlet.admin_site import record_enrolment_as_second_factor
        from outlet.roles import sync_roles_after_migrate

        content_cache.connect_signals()
        authenticator_added.connect(record_enrolment_as_second_factor, dispatch_uid="outlet-mfa-enrolment")
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="outlet-sync-roles")


class OutletAdminConfig(AdminConfig):
    """Django's admin app with our site (two-factor sign-in), so every `@admin.register` lands on it."""

    default_site = "outlet.admin_site.OutletAdminSite"
