from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The bottom layer as an app: the email choke point's models (SentEmail, OutboxTask), its sweep task and the
    template tag libraries every page loads ({% load money %}, {% load local_time %})."""

    name = "outlet.common"
    label = "common"
    verbose_name = "Common"
