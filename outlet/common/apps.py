from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The bottom layer as an app: the email choke point's models (SentEmail, OutboxTask), its sweep task and the
    template tag libraries every page loads ({% load money %}, {% load local_time %})."""

    name = "outlet.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from outlet.common import languages

        user_signed_up.connect(languages.remember_on_sign_up, dispatch_uid="common-language-on-sign-up")
