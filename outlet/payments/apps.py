from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "outlet.payments"
    label = "payments"
    verbose_name = "Payments"
