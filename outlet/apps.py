from django.apps import AppConfig


class OutletConfig(AppConfig):
    name = "outlet"
    label = "outlet"
    verbose_name = "Publishing"
