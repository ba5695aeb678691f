from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """Articles, their authors and sections, the metered paywall and the membership prompts readers meet.

    The label stays "outlet", the app's name from before it moved into outlet/publishing/: its tables, migration
    history, content types and permissions keep their names."""

    name = "outlet.publishing"
    label = "outlet"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from outlet.common import front_cache
        from outlet.publishing import content_cache, meter, reader_pass

        content_cache.connect_signals()
        front_cache.register_refresher("meter", meter.refresh_shared_page, cookie=meter.METER_COOKIE)
        front_cache.register_reader_check(reader_pass.signed_in_reader, warm_up=reader_pass.reader_page_addresses)
