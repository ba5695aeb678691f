from django.shortcuts import render
from django.views.decorators.http import require_GET

from members.models import Tier
from members.services import standing_for_request


@require_GET
def membership(request):
    """The "Become a member" destination: the tiers on offer, and the reader's own standing."""
    return render(request, "members/membership.html", {
        "tiers": Tier.objects.filter(is_active=True),
        "standing": standing_for_request(request),
        "canonical_path": "/membership/",
    })
