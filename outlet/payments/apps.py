from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "outlet.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from outlet.payments import services
        from outlet.payments.providers import sandbox

        def store_and_queue(provider_id, event) -> None:
            services.ingest_event(provider_id=provider_id, event=event)

        sandbox.hand_inbox(store_and_queue)
