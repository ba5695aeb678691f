from django.conf import settings

from members.services import standing_for_request
from outlet.publishing.content_cache import navigation_sections


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "navigation_sections": navigation_sections,
        # Lazy, and shared with the view's own lookup: at most one membership query per request.
        "reader_is_member": lambda: standing_for_request(request).is_member,
    }
