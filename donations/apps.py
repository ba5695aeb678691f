from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = "Donations"

    def ready(self) -> None:
        from donations.handlers import register_handlers

        register_handlers()
