"""Webhook intake: verify, store, queue, answer. Nothing here changes members or donations."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from outlet.payments import services
from outlet.payments.group_commit import BatchNotStored
from outlet.payments.providers import PROVIDER_IDS, get_provider
from outlet.payments.providers.base import InvalidSignature
from outlet.payments.storable import UnstorableEvent


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider_id: str) -> JsonResponse:
    """200 for anything verified (stored; unknown and foreign events are marked later), 400 for a bad signature,
    503 when the database could not store it."""
    if provider_id not in PROVIDER_IDS:
        raise Http404("no such payment provider")
    if provider_id == "sandbox" and settings.PAYMENT_PROVIDER != "sandbox":
        # The sandbox signs its own events; where real money flows (Stripe) nothing may be posted as the sandbox.
        raise Http404("the sandbox provider is not active")
    provider = get_provider(provider_id)
    try:
        event = provider.parse_webhook(body=request.body, headers=request.headers)
    except InvalidSignature as exc:  # a bad signature, a stale timestamp or a body that is no event
        return JsonResponse({"error": f"refused: {exc}"}, status=400)
    try:
        event_id, created = services.ingest_event(provider_id=provider_id, event=event)
    except UnstorableEvent as exc:  # verified, but no column could hold it: nothing stored, never retried usefully
        return JsonResponse({"error": f"refused: {exc}"}, status=400)
    except BatchNotStored:  # the database failed the commit: nothing stored; the provider delivers it again
        return JsonResponse({"error": "not stored, try again"}, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"received": True, "duplicate": not created, "id": event_id})
