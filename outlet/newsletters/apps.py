from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    """Newsletters: their sends, one Delivery row per recipient, the sign-up form and the compose admin. Each active
    newsletter is a topic on the reader's email choices page (registered here, so outlet.common needs no import)."""

    name = "outlet.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"

    def ready(self) -> None:
        from outlet.common import email_preferences, personal_data
        from outlet.newsletters import audience, services

        email_preferences.register_topics(audience.topics_offered)
        # A person's export lists the issues sent to them; their erasure removes those rows (outlet.privacy).
        personal_data.register_address_holder(
            "newsletter_deliveries", rows=services.delivery_rows, forget=services.forget_addresses
        )
