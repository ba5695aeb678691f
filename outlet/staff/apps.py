# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class StaffConfig(AppConfig):
    """Staff access: the admin's two-factor sign-in, the first enrolment's proofs, and the roles kept in code."""

    name = "outlet.staff"
    label = "staff"
    verbose_name = gettext_lazy("Staff access")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from outlet.staff.admin_site import record_enrolment_as_second_factor
        from outlet.staff.roles import sync_roles_after_migrate

        authenticator_added.connect(record_enrolment_as_second_factor, dispatch_uid="outlet-mfa-enrolment")
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="outlet-sync-roles")


class OutletAdminConfig(AdminConfig):
    """Django's admin app with our site (two-factor sign-in), so every `@admin.register` lands on it."""

    default_site = "outlet.staff.admin_site.OutletAdminSite"
