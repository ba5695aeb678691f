from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """The reader's own data: export, account deletion (and a guest donor's erasure), the privacy policy and
    terms pages, staff's need-to-know view of donors who chose privacy, and scrubbing old provider payloads."""

    name = "outlet.privacy"
    label = "privacy"
    verbose_name = "Privacy"
