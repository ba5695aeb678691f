from django.conf import settings
from django.core.cache import cache

from members.services import standing_for_request
from outlet.models import Section

NAVIGATION_CACHE_KEY = "navigation-sections:v1"


def navigation_sections() -> list[tuple[str, str]]:
    """(name, url) of navigation sections; cached briefly because every page shows them."""
    sections = cache.get(NAVIGATION_CACHE_KEY)
    if sections is None:
        sections = [(s.name, s.get_absolute_url()) for s in Section.objects.filter(in_navigation=True)]
        cache.set(NAVIGATION_CACHE_KEY, sections, 60)
    return sections


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "navigation_sections": navigation_sections,
        # Lazy: pages that never show the header's membership link cost no query.
        "reader_is_member": lambda: standing_for_request(request).is_member,
    }
