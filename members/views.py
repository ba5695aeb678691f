"""Membership pages. Thin: each view reads a form and calls one service."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from members import services
from members.forms import ChangePlanForm, JoinForm, OfferFilter
from members.models import MemberEvent, Membership, MembershipCheckout
from outlet.page_cache import keep_private
from outlet.payments.models import Payment


@require_GET
def membership(request):
    """The "Become a member" page: tiers side by side, monthly/yearly, in the reader's chosen currency."""
    currencies = services.offered_currencies()
    currency, interval = OfferFilter(request.GET).choice(currencies)
    response = render(request, "members/membership.html", {
        "offers": services.tier_offers(currency=currency), "currencies": currencies, "currency": currency,
        "interval": interval, "standing": services.standing_for_request(request), "canonical_path": "/membership/",
    })
    keep_private(response)
    return response


@require_POST
def join(request):
    form = JoinForm(request.POST)
    if not request.user.is_authenticated:
        # Keep the choice through signup and verification: the reader comes back to the same tier, preselected.
        back = "/membership/?" + urlencode({"currency": request.POST.get("currency", ""), "interval": request.POST.get("interval", "")})
        messages.info(request, "Create a free account (or sign in) first; then choose your membership again to pay.")
        return redirect(f"{reverse('account_signup')}?{urlencode({'next': back})}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("members:membership")
    data = form.cleaned_data
    try:
        url = services.start_membership_checkout(user=request.user, tier=data["tier"], interval=data["interval"], currency=data["currency"])
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('members:membership')}?currency={data['currency']}&interval={data['interval']}")
    return HttpResponseRedirect(url)


@login_required
@require_GET
def welcome(request, reference: str):
    """Where the provider sends the reader back. It shows what the provider's events have confirmed so far."""
    checkout = get_object_or_404(MembershipCheckout, reference=reference, user=request.user)
    membership = Membership.objects.filter(user=request.user).select_related("tier").first()
    confirmed = services.checkout_confirmed(checkout=checkout, membership=membership, now=timezone.now())
    response = render(request, "members/welcome.html", {"checkout": checkout, "membership": membership, "confirmed": confirmed})
    keep_private(response)
    return response


@login_required
@require_GET
def account(request):
    membership = Membership.objects.filter(user=request.user).select_related("tier").first()
    response = render(request, "members/account.html", {
        "membership": membership,
        "payments": Payment.objects.filter(user=request.user).order_by("-paid_at")[:50],
        "timeline": MemberEvent.objects.filter(user=request.user, reader_visible=True)[:30],
        "change_options": services.plan_change_offers(membership),
    })
    keep_private(response)
    return response


def _back_to_account(request, message: str | None = None, error: str | None = None):
    if message:
        messages.success(request, message)
    if error:
        messages.error(request, error)
    return redirect("members:account")


@login_required
@require_POST
def change_plan(request):
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        return _back_to_account(request, error="Choose a tier and a billing interval.")
    try:
        services.change_membership_plan(user=request.user, tier=form.cleaned_data["tier"], interval=form.cleaned_data["interval"])
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    return _back_to_account(request, "Your plan change has been sent to our payment provider; the difference is prorated on your next invoice.")


RENEWAL_CONFIRMATIONS = {
    False: "Your membership will not renew. You keep full access until the end of the period you paid for.",
    True: "Your membership will renew as before. Thank you for staying.",
}


@login_required
@require_POST
def set_renewal(request, renew: bool):
    """Cancel at period end (renew=False) or resume before it (renew=True)."""
    try:
        services.set_membership_renewal(user=request.user, renew=renew)
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    return _back_to_account(request, RENEWAL_CONFIRMATIONS[renew])


@login_required
@require_POST
def billing_portal(request):
    try:
        url = services.billing_portal_url(user=request.user, return_url=f"{settings.SITE_URL}{reverse('members:account')}")
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    return HttpResponseRedirect(url)
