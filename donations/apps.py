# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = "Donations"

    def ready(self) -> None:
        from donations import receipt_content, services
        from donations.handlers import register_handlers

        services.connect_campaign_page_signals()
        register_handlers()
        receipt_content.register()
