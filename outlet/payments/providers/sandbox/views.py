"""The sandbox's hosted pages: a checkout and a card portal, standing in for Stripe's on this machine.

They answer 404 unless the sandbox is the active provider, so production (Stripe) never serves them."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outlet.payments.models import SandboxObject
from outlet.payments.providers import get_provider
from outlet.payments.providers.base import ProviderError
from outlet.payments.providers.sandbox.provider import SANDBOX_CARDS, SandboxProvider


def _sandbox() -> SandboxProvider:
    provider = get_provider("sandbox")
    assert isinstance(provider, SandboxProvider)
    return provider


def _object(kind: str, object_id: str) -> SandboxObject:
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404("the sandbox provider is not active")
    row = SandboxObject.objects.filter(kind=kind, object_id=object_id).first()
    if row is None:
        raise Http404(f"no sandbox {kind} here")
    return row


def _safe(url: str, request: HttpRequest) -> str:
    """Only ever send the reader back to this site (the URLs were ours, but the rows are editable data)."""
    allowed = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=allowed) else "/"


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _object("checkout", session_id)
    context = {"session": session.data, "session_id": session_id, "step": "choose"}
    if session.data["status"] == "complete":
        return HttpResponseRedirect(_safe(session.data["success_url"], request))
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice in {"pay", "authenticated"}:
            _sandbox().complete_checkout(session_id)
            return HttpResponseRedirect(_safe(session.data["success_url"], request))
        if choice == "decline":
            _sandbox().decline_checkout(session_id)
            context["error"] = _("Your card was declined. No money moved. Choose another option to try again.")
        elif choice == "requires_action":
            context["step"] = "authenticate"
        elif choice == "authentication_failed":
            context["error"] = _("Authentication failed, so the payment was not taken. You can try again.")
        else:
            context["error"] = _("Choose one of the options below.")
    return render(request, "payments/sandbox_checkout.html", context, status=402 if context.get("error") else 200)


@require_http_methods(["GET", "POST"])
def portal(request: HttpRequest, portal_id: str) -> HttpResponse:
    portal_row = _object("portal", portal_id)
    customer_id = portal_row.data["customer"]
    customer = _object("customer", customer_id)
    provider = _sandbox()
    message = error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        subscription_id = request.POST.get("subscription", "")
        owned = SandboxObject.objects.filter(
            kind="subscription", object_id=subscription_id, data__customer=customer_id
        ).exists()
        try:
            if action == "card":
                provider.replace_card(customer_id, request.POST.get("card", ""))
                message = _("Card updated.")
            elif action in {"renew", "cancel"} and not owned:
                error = _("That subscription is not on this account.")
            elif action == "renew":
                outcome = provider.renew(subscription_id)
                message = {
                    "paid": _("Renewal charged."),
                    "failed": _("Renewal declined: the subscription is past due."),
                    "ended": _("The subscription ended at its period end."),
                }[outcome]
            elif action == "cancel":
                provider.set_cancel_at_period_end(
                    subscription_id=subscription_id, cancel=True, idempotency_key=f"portal-{portal_id}"
                )
                message = _("The subscription will end at its period end.")
            else:
                error = _("Choose an action.")
        except ProviderError as exc:
            error = str(exc)
        customer.refresh_from_db()
    subscriptions = SandboxObject.objects.filter(kind="subscription", data__customer=customer_id).order_by(
        "-created_at"
    )
    charges = SandboxObject.objects.filter(kind="charge", data__customer=customer_id).order_by("-created_at")
    return render(
        request,
        "payments/sandbox_portal.html",
        {
            "customer": customer.data,
            "card_label": SANDBOX_CARDS.get(customer.data["card"], customer.data["card"]),
            "cards": SANDBOX_CARDS,
            "subscriptions": [s.data for s in subscriptions],
            "charges": [c.data for c in charges],
            "return_url": _safe(portal_row.data["return_url"], request),
            "message": message,
            "error": error,
        },
        status=400 if error else 200,
    )
