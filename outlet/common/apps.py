from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The bottom layer as an app: the email choke point's models (SentEmail, OutboxTask, EmailConsent,
    SuppressedAddress), its sweep task, the receiver of the email service's bounce and complaint reports, and the
    template tag libraries every page loads ({% load money %}, {% load local_time %})."""

    name = "outlet.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from anymail.signals import tracking

        from outlet.common import email_tracking, languages

        user_signed_up.connect(languages.remember_on_sign_up, dispatch_uid="common-language-on-sign-up")
        # Bounces, complaints and unsubscribes the email service reports (outlet/common/email_tracking.py).
        tracking.connect(email_tracking.on_tracking_event, dispatch_uid="common-email-tracking")
