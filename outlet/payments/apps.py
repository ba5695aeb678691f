# (django-stubs loads every installed app's models for a module that imports django.apps, and allauth and
# django_celery_beat ship no type hints.)
from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from outlet.payments.providers.base import ProviderEvent


class PaymentsConfig(AppConfig):
    name = "outlet.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from outlet.payments import services
        from outlet.payments.providers.sandbox import provider as sandbox

        def store_and_queue(provider_id: str, event: ProviderEvent) -> None:
            services.ingest_event(provider_id=provider_id, event=event)

        sandbox.hand_inbox(store_and_queue)
