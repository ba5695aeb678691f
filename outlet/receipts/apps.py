# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    """Numbered receipts for every payment, whatever the product. The products tell it what to say about their
    payments (outlet.receipts.describers, filled in their own AppConfig.ready()); it imports none of them."""

    name = "outlet.receipts"
    label = "receipts"
    verbose_name = "Receipts"

    def ready(self) -> None:
        from outlet.payments import registry
        from outlet.receipts.services import RECEIPTS_FOLLOW_PAYMENTS

        # Every payment the pipeline records gets its receipt, every refund its void or correction.
        registry.register_listener(RECEIPTS_FOLLOW_PAYMENTS)
