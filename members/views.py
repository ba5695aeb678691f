"""Membership pages. Thin: each view reads a form and calls one service."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members import account_rows, join_choice, services
from members.forms import ChangePlanForm, JoinForm, OfferFilter
from members.models import MemberEvent, Membership, MembershipCheckout, Tier, TierPrice
from outlet.common.local_time import date_text
from outlet.common.page_cache import keep_private
from outlet.payments.models import Payment


def _story_the_reader_came_from(request) -> str:
    """Where to send the reader back after paying: ?return_to= (our own prompts add it), else the page of this site
    that linked here (the banner, a paywall, an end-of-article appeal)."""
    explicit = join_choice.safe_return_path(request.GET.get("return_to"))
    if explicit:
        return explicit
    try:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    except ValueError:  # not an address at all ("http://[::1/"): nothing to go back to
        return ""
    if referer.netloc and referer.netloc != request.get_host():
        return ""
    return join_choice.safe_return_path(referer.path)


@require_GET
def membership(request):
    """The "Become a member" page: tiers side by side, monthly/yearly, in the reader's chosen currency."""
    currencies = services.offered_currencies()
    currency, interval = OfferFilter(request.GET).choice(currencies)
    response = render(
        request,
        "members/membership.html",
        {
            "offers": services.tier_offers(currency=currency),
            "currencies": currencies,
            "currency": currency,
            "interval": interval,
            "standing": services.standing_for_request(request),
            "canonical_path": reverse("members:membership"),
            "return_to": _story_the_reader_came_from(request),
        },
    )
    keep_private(response)
    return response


def _back_to_offers(data: dict):
    query = urlencode(
        {
            k: v
            for k, v in {
                "currency": data.get("currency", ""),
                "interval": data.get("interval", ""),
                "return_to": data.get("return_to", ""),
            }.items()
            if v
        }
    )
    return redirect(f"{reverse('members:membership')}?{query}" if query else reverse("members:membership"))


def _go_to_checkout(request, *, tier, interval: str, currency: str, return_path: str):
    try:
        url = services.start_membership_checkout(
            user=request.user, tier=tier, interval=interval, currency=currency, return_path=return_path
        )
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return _back_to_offers({"currency": currency, "interval": interval, "return_to": return_path})
    return HttpResponseRedirect(url)


@require_POST
def join(request):
    form = JoinForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return _back_to_offers(request.POST)
    data = form.cleaned_data
    return_path = join_choice.safe_return_path(request.POST.get("return_to"))
    if not request.user.is_authenticated:
        # The choice rides through sign-up and email verification in a signed token, straight on to the checkout.
        choice = join_choice.JoinChoice(data["tier"].slug, data["interval"], data["currency"], return_path)
        onward = f"{reverse('members:join_continue')}?{urlencode({'choice': join_choice.sign_join_choice(choice)})}"
        messages.info(
            request,
            # Translators: %(interval)s is "monthly" or "yearly".
            _("You chose %(tier)s, %(interval)s. Create a free account, or sign in, and you go straight on to payment.")
            % {"tier": data["tier"].name, "interval": TierPrice.Interval(data["interval"]).label.lower()},
        )
        return redirect(f"{reverse('account_signup')}?{urlencode({'next': onward})}")
    return _go_to_checkout(
        request, tier=data["tier"], interval=data["interval"], currency=data["currency"], return_path=return_path
    )


def _timeline(user, membership: Membership | None) -> list[tuple[MemberEvent, str]]:
    """The member's own timeline, each line in the page's language. Tier names come from the membership already
    loaded; only a timeline naming other tiers (a member who changed plan) asks for theirs."""
    events = list(MemberEvent.objects.filter(user=user, reader_visible=True)[:30])
    named = {event.summary_values["tier"] for event in events if "tier" in (event.summary_values or {})}
    tier_names = {membership.tier_id: membership.tier.name} if membership is not None else {}
    if named - set(tier_names):
        tier_names |= {tier.pk: tier.name for tier in Tier.objects.filter(pk__in=named)}
    return [(event, event.reader_summary(tier_names)) for event in events]


@login_required
@require_GET
def join_continue(request):
    """Where sign-up (or sign-in) lands with the choice made before it: on to the provider's checkout. Opening a
    checkout moves no money; the reader still confirms and pays on the provider's page."""
    choice = join_choice.read_join_choice(request.GET.get("choice", ""))
    tier = services.tier_by_slug(choice.tier_slug) if choice else None
    if choice is None or tier is None or not tier.is_active:
        messages.error(request, _("That choice has expired. Choose your membership again."))
        return redirect("members:membership")
    return _go_to_checkout(
        request, tier=tier, interval=choice.interval, currency=choice.currency, return_path=choice.return_path
    )


@login_required
@require_GET
def welcome(request, reference: str):
    """Where the provider sends the reader back. It shows what the provider's events have confirmed so far."""
    checkout = get_object_or_404(MembershipCheckout, reference=reference, user=request.user)
    membership = Membership.objects.filter(user=request.user).select_related("tier").first()
    confirmed = services.checkout_confirmed(checkout=checkout, membership=membership, now=timezone.now())
    response = render(
        request, "members/welcome.html", {"checkout": checkout, "membership": membership, "confirmed": confirmed}
    )
    keep_private(response)
    return response


@login_required
@require_GET
def account(request):
    membership = Membership.objects.filter(user=request.user).select_related("tier").first()
    pending = services.pending_change(membership)
    payments = list(Payment.objects.filter(user=request.user).prefetch_related("receipts").order_by("-paid_at")[:50])
    response = render(
        request,
        "members/account.html",
        {
            "membership": membership,
            "pending": pending,
            "refresh_seconds": PENDING_REFRESH_SECONDS if pending else None,
            "payments": [account_rows.payment_row(payment) for payment in payments],
            "statement_years": account_rows.statement_years(request.user),
            "timeline": _timeline(request.user, membership),
            "change_options": services.plan_change_offers(membership) if not pending else [],
        },
    )
    keep_private(response)
    return response


# While a change waits for the provider's confirmation the account page reloads itself this often (no JavaScript).
PENDING_REFRESH_SECONDS = 3


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
        return _back_to_account(request, error=_("Choose a tier and a billing interval."))
    tier, interval = form.cleaned_data["tier"], form.cleaned_data["interval"]
    try:
        change = services.change_membership_plan(user=request.user, tier=tier, interval=interval)
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    plan = {"tier": tier.name, "interval": TierPrice.Interval(interval).label.lower()}
    if change.confirmed_at:
        return _back_to_account(
            request,
            # Translators: %(interval)s is "monthly" or "yearly".
            _(
                "Your membership is now %(tier)s, %(interval)s. You get credit for the unused part of your "
                "previous plan on your next invoice; we have emailed you the details."
            )
            % plan,
        )
    return _back_to_account(
        request,
        # Translators: %(interval)s is "monthly" or "yearly".
        _(
            "We have asked our payment provider to move you to %(tier)s, %(interval)s. It usually confirms "
            "within seconds: until then this page shows the change as pending, and we will "
            "email you when it is done."
        )
        % plan,
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_renewal(request, renew: bool):
    """Stop renewing at period end (renew=False; asked to confirm first) or resume before it (renew=True)."""
    if not renew and request.method == "GET":
        membership = Membership.objects.filter(user=request.user).select_related("tier").first()
        if (
            membership is None
            or membership.source != Membership.Source.PAID
            or membership.status == Membership.Status.LAPSED
        ):
            return redirect("members:account")
        response = render(request, "members/cancel_confirm.html", {"membership": membership})
        keep_private(response)
        return response
    if request.method == "GET":
        return redirect("members:account")
    try:
        change = services.set_membership_renewal(user=request.user, renew=renew)
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    membership = Membership.objects.get(user=request.user)
    confirmed = change is None or change.confirmed_at is not None
    confirming = _("Our payment provider is confirming it now; we will email you when it is done.")
    if renew:
        renewed = _("Your membership will renew as before. Thank you for staying.")
        return _back_to_account(request, renewed if confirmed else f"{renewed} {confirming}")
    until = date_text(membership.current_period_end, empty=_("the end of the period you paid for"))
    then = _("We have emailed you a confirmation.") if confirmed else confirming
    stopped = _(
        "Your membership will not renew. You keep full access until %(until)s, and nothing more will be charged."
    ) % {"until": until}
    return _back_to_account(request, f"{stopped} {then}")


@login_required
@require_POST
def billing_portal(request):
    try:
        url = services.billing_portal_url(
            user=request.user, return_url=f"{settings.SITE_URL}{reverse('members:account')}"
        )
    except services.MembershipError as exc:
        return _back_to_account(request, error=str(exc))
    return HttpResponseRedirect(url)
