from django.apps import AppConfig


class OutletConfig(AppConfig):
    name = "outlet"
    label = "outlet"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from outlet import content_cache

        content_cache.connect_signals()
