from django.apps import AppConfig


class DemoConfig(AppConfig):
    """An app only for its management commands: `load_demo_content` (make demo), `run_local` (make run) and
    `demo_totp_code`. It has no models."""

    name = "outlet.demo"
    label = "demo"
    verbose_name = "Demo"
