"""Donor-facing pages: campaigns, the donation form, thank-you pages and monthly gifts. Thin: each view reads a
form and calls services (or donations.recurring); nothing here decides an amount, a split or a limit."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from donations import abuse, recurring, services
from donations.forms import ChangeMonthlyAmountForm, DonationForm, share_percents
from donations.models import Beneficiary, Campaign, CampaignCurrency, DonationCheckout, RecurringDonation
from outlet.common import front_cache
from outlet.common.client_address import client_address
from outlet.common.money import major_text
from outlet.common.page_cache import keep_private, keep_url_secret, may_cache
from outlet.common.sanitize import sanitize_body
from outlet.payments.providers.base import ProviderError

UPDATES_SHOWN = 10
# How long the reader-independent part of a campaign page may be reused: a new gift, a refund or an edit of the
# campaign changes its key at once; a newly published update or an anonymised donor shows within this time.
FRAGMENT_SECONDS = 60
# The thank-you page refreshes itself this often while the provider's event is on its way, and stops after a while.
CONFIRMING_REFRESH_SECONDS = 3
CONFIRMING_GIVE_UP_AFTER = timedelta(minutes=15)


# --- Campaign page and the donation form -------------------------------------------------------------------


def _visible_campaign(request, slug: str) -> Campaign:
    """Readers see published campaigns that have started; staff may preview the rest."""
    queryset = Campaign.objects.prefetch_related(
        "currencies",
        Prefetch("beneficiaries", queryset=Beneficiary.objects.order_by("position", "id")),
    )
    campaign = get_object_or_404(queryset, slug=slug)
    if not (campaign.is_published and campaign.starts_at <= timezone.now()) and not request.user.is_staff:
        raise Http404("No such fundraiser")
    return campaign


def _currency_option(campaign: Campaign, code: str | None) -> CampaignCurrency | None:
    options = list(campaign.currencies.all())
    by_code = {o.currency: o for o in options}
    return by_code.get((code or "").upper()) or by_code.get(campaign.currency) or (options[0] if options else None)


def _donation_form(request, campaign: Campaign, option: CampaignCurrency, data=None) -> DonationForm:
    return DonationForm(
        data, campaign=campaign, option=option, beneficiaries=services.beneficiaries_for(campaign), user=request.user
    )


def _render_campaign(
    request, campaign: Campaign, *, form: DonationForm | None, status: int = 200, show_challenge: bool = False
):
    # Read before the page is built, so a gift recorded meanwhile replaces it and the page is not shared stale.
    shared = request.method == "GET" and status == 200 and may_cache(request)
    page_token = front_cache.current_tokens([services.campaign_page_token_key(campaign.pk)]) if shared else {}
    progress = services.campaign_progress(campaign)
    beneficiaries = services.beneficiaries_for(campaign)
    percents = share_percents(beneficiaries)
    open_now = services.campaign_is_open(campaign)
    challenge = None
    if form is not None and open_now and (show_challenge or abuse.challenge_required()):
        challenge = abuse.new_challenge()
    path = reverse("donations:campaign", args=[campaign.slug])
    response = render(
        request,
        "donations/campaign.html",
        {
            "campaign": campaign,
            # The story, newsrooms, updates and wall sit in a fragment cache keyed by the campaign's edits and counters;
            # these load only when it misses (the template calls them).
            "story_html": lambda: sanitize_body(campaign.story),
            "progress": progress,
            "beneficiaries": [(b, percents[b.pk]) for b in beneficiaries],
            "wall": lambda: services.donor_wall(campaign),
            "updates": lambda: list(campaign.updates.filter(published_at__lte=timezone.now())[:UPDATES_SHOWN]),
            "fragment_seconds": min(FRAGMENT_SECONDS, settings.PAGE_CACHE_SECONDS),
            "form": form if open_now else None,
            "open_now": open_now,
            "has_ended": campaign.ends_at is not None and campaign.ends_at <= timezone.now(),
            "currencies": [o.currency for o in campaign.currencies.all()],
            "fee_basis_points": settings.DONATION_FEE_BASIS_POINTS,
            "statement_descriptor": settings.DONATION_STATEMENT_DESCRIPTOR,
            "fee_fixed_minor": settings.DONATION_FEE_FIXED_MINOR.get(form.option.currency, 0) if form else 0,
            "challenge": challenge,
            "canonical_path": path,
            "share": _share_links(campaign),
        },
        status=status,
    )
    keep_private(response)  # the form carries the reader's CSRF token and, signed in, their address
    if shared and challenge is None:
        # Shared with later anonymous readers until a gift, a refund or an edit replaces the campaign's token; an
        # update published meanwhile shows within the fragment's minute, as it does for the page's own fragment.
        now = timezone.now()
        ends = campaign.ends_at if campaign.ends_at and campaign.ends_at > now else None
        front_cache.share(
            request,
            response,
            depends_on=page_token,
            fresh_until=min(m for m in (now + timedelta(seconds=FRAGMENT_SECONDS), ends) if m is not None),
        )
    return response


@require_GET
def index(request):
    """The "Donate" link: straight to the one open fundraiser, or a short list when there are several."""
    now = timezone.now()
    running = [
        c
        for c in Campaign.objects.filter(is_published=True, starts_at__lte=now).order_by("-starts_at")[:20]
        if services.campaign_is_open(c, now=now)
    ]
    if len(running) == 1:
        return redirect("donations:campaign", slug=running[0].slug)
    return render(request, "donations/index.html", {"campaigns": running, "canonical_path": reverse("donations:index")})


@require_GET
def campaign(request, slug: str):
    campaign = _visible_campaign(request, slug)
    option = _currency_option(campaign, request.GET.get("currency"))
    form = _donation_form(request, campaign, option) if option else None
    return _render_campaign(request, campaign, form=form)


@require_POST
def give(request, slug: str):
    campaign = _visible_campaign(request, slug)
    option = _currency_option(campaign, request.POST.get("currency"))
    if option is None or not services.campaign_is_open(campaign):
        messages.error(request, _("This fundraiser is not taking gifts right now."))
        return redirect("donations:campaign", slug=campaign.slug)
    form = _donation_form(request, campaign, option, data=request.POST)
    if not form.is_valid():
        return _render_campaign(request, campaign, form=form, status=400)
    try:
        abuse.guard_checkout_start(
            ip=client_address(request), email=form.cleaned_data["email"], challenge_solution=request.POST.get("altcha")
        )
    except abuse.CheckoutBlocked as blocked:
        form.add_error(None, blocked.message)
        response = _render_campaign(
            request, campaign, form=form, status=blocked.status, show_challenge=blocked.needs_challenge
        )
        if blocked.retry_later:
            response["Retry-After"] = "120"  # the cache that counts checkout starts is down: it usually returns soon
        return response
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        _checkout, checkout_redirect = services.start_donation_checkout(
            request=form.donation_request(user_id=user_id),
            success_url=f"{settings.SITE_URL}/fundraisers/thanks/{{reference}}/",
            cancel_url=(
                f"{settings.SITE_URL}{reverse('donations:campaign', args=[campaign.slug])}"
                f"?{urlencode({'currency': option.currency})}"
            ),
        )
    except (services.DonationError, ProviderError) as exc:
        form.add_error(None, str(exc))
        return _render_campaign(request, campaign, form=form, status=400)
    return HttpResponseRedirect(checkout_redirect.url)


# --- Thank-you page ----------------------------------------------------------------------------------------


def _share_links(campaign: Campaign) -> dict[str, str]:
    """Plain links, no third-party scripts: the networks' own share addresses with our campaign URL."""
    url = f"{settings.SITE_URL}{reverse('donations:campaign', args=[campaign.slug])}"
    # Translators: the text of a share link (email, X, Telegram, WhatsApp); the fundraiser's address follows it.
    text = _("I gave to %(title)s. Join me:") % {"title": campaign.title}
    return {
        "url": url,
        "email": f"mailto:?{urlencode({'subject': campaign.title, 'body': f'{text} {url}'}, quote_via=quote)}",
        "x": f"https://x.com/intent/tweet?{urlencode({'text': text, 'url': url})}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?{urlencode({'u': url})}",
        "telegram": f"https://t.me/share/url?{urlencode({'url': url, 'text': text})}",
        "whatsapp": f"https://wa.me/?{urlencode({'text': f'{text} {url}'})}",
    }


@require_GET
def thanks(request, reference):
    """Anyone holding the link may open it, so it shows the gift and the campaign, never who gave or their address."""
    checkout = get_object_or_404(DonationCheckout.objects.select_related("campaign"), reference=reference)
    confirmed = checkout.completed_at is not None
    waiting = not confirmed and timezone.now() - checkout.created_at < CONFIRMING_GIVE_UP_AFTER
    response = render(
        request,
        "donations/thanks.html",
        {
            "checkout": checkout,
            "campaign": checkout.campaign,
            "confirmed": confirmed,
            "refresh_seconds": CONFIRMING_REFRESH_SECONDS if waiting else None,
            "progress": services.campaign_progress(checkout.campaign),
            "share": _share_links(checkout.campaign),
        },
    )
    keep_private(response)
    keep_url_secret(response)  # the reference in this URL must not leak to the share links' sites
    return response


# --- Monthly gifts: from the account page (owner signed in), or from the signed link in a receipt email ------
# Both routes resolve a gift and then share the same actions; `base` is where the gift's forms post.


def _owned_gift(request, gift_id: int) -> RecurringDonation:
    try:
        return recurring.monthly_gift_for_owner(user=request.user, gift_id=gift_id)
    except RecurringDonation.DoesNotExist:
        raise Http404("No such monthly gift") from None


class _GoElsewhere(Exception):
    def __init__(self, response) -> None:
        self.response = response


def _linked_gift(request, token: str) -> RecurringDonation:
    """The gift a private link is for. An expired link shows how to get a new one; a gift made signed in is
    managed from its owner's account, so its link asks them to sign in instead of opening the gift to anyone."""
    try:
        gift = recurring.monthly_gift_for_token(token=token)
    except RecurringDonation.DoesNotExist:
        raise Http404("No such monthly gift") from None
    except recurring.ManageLinkExpired as expired:
        response = render(
            request, "donations/gift_link_expired.html", {"gift": expired.gift, "token": token}, status=410
        )
        keep_private(response)
        keep_url_secret(response)
        raise _GoElsewhere(response) from None
    if gift.user_id:
        if request.user.is_authenticated and request.user.pk == gift.user_id:
            raise _GoElsewhere(redirect("donations:gifts"))
        messages.info(request, _("This monthly gift belongs to an account: sign in to manage it."))
        raise _GoElsewhere(redirect(f"{reverse('account_login')}?{urlencode({'next': reverse('donations:gifts')})}"))
    return gift


def _through_link(view):
    """Link views answer with what _linked_gift decided when the link cannot open the gift here."""

    def run(request, token: str, *args, **kwargs):
        try:
            return view(request, token, *args, **kwargs)
        except _GoElsewhere as elsewhere:
            return elsewhere.response

    return run


def _gift_rows(gifts, *, base) -> list[dict]:
    return [
        {
            "gift": g,
            "gift_minor": recurring.gift_part_minor(g),
            "gift_text": major_text(recurring.gift_part_minor(g), g.currency),
            "base": base(g),
        }
        for g in gifts
    ]


def _render_gifts(request, rows, *, linked: bool):
    response = render(request, "donations/gifts.html", {"rows": rows, "linked": linked})
    keep_private(response)
    keep_url_secret(response)
    return response


@login_required
@require_GET
def gifts(request):
    rows = _gift_rows(
        recurring.monthly_gifts_for(user=request.user), base=lambda g: reverse("donations:gifts") + f"{g.pk}/"
    )
    return _render_gifts(request, rows, linked=False)


@require_GET
@_through_link
def gift_link(request, token: str):
    gift = _linked_gift(request, token)
    return _render_gifts(
        request, _gift_rows([gift], base=lambda g: reverse("donations:gift_link", args=[token])), linked=True
    )


def _change_amount(request, gift: RecurringDonation, back: str):
    form = ChangeMonthlyAmountForm(request.POST, currency=gift.currency)
    if not form.is_valid():
        messages.error(request, form.errors["amount"][0])  # type: ignore[arg-type]  # ErrorList's items read as str
        return redirect(back)
    try:
        recurring.change_monthly_amount(gift=gift, gift_minor=form.cleaned_data["amount"])
    except recurring.MonthlyGiftError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(
        request, _("Your new monthly amount has been sent to our payment provider; it applies from your next charge.")
    )
    return redirect(back)


RENEWAL_CONFIRMATIONS = {
    False: gettext_lazy(
        "Your monthly gift will stop at the end of the month you have paid for. Thank you for your support."
    ),
    True: gettext_lazy("Your monthly gift will continue. Thank you for staying with us."),
}


def _set_renewal(request, gift: RecurringDonation, back: str, *, renew: bool):
    try:
        recurring.set_monthly_renewal(gift=gift, renew=renew)
    except recurring.MonthlyGiftError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, RENEWAL_CONFIRMATIONS[renew])
    return redirect(back)


def _open_card_portal(request, gift: RecurringDonation, back: str):
    try:
        url = recurring.card_portal_url(gift=gift, return_url=f"{settings.SITE_URL}{back}")
    except recurring.MonthlyGiftError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return HttpResponseRedirect(url)


@login_required
@require_POST
def gift_amount(request, gift_id: int):
    return _change_amount(request, _owned_gift(request, gift_id), reverse("donations:gifts"))


@login_required
@require_POST
def gift_renewal(request, gift_id: int, renew: bool):
    return _set_renewal(request, _owned_gift(request, gift_id), reverse("donations:gifts"), renew=renew)


@login_required
@require_POST
def gift_card(request, gift_id: int):
    return _open_card_portal(request, _owned_gift(request, gift_id), reverse("donations:gifts"))


@require_POST
@_through_link
def gift_link_amount(request, token: str):
    return _change_amount(request, _linked_gift(request, token), reverse("donations:gift_link", args=[token]))


@require_POST
@_through_link
def gift_link_renewal(request, token: str, renew: bool):
    return _set_renewal(
        request, _linked_gift(request, token), reverse("donations:gift_link", args=[token]), renew=renew
    )


@require_POST
@_through_link
def gift_link_card(request, token: str):
    return _open_card_portal(request, _linked_gift(request, token), reverse("donations:gift_link", args=[token]))


@require_POST
def gift_link_renew(request, token: str):
    """From an expired link: email a new one to the address the gift was given with."""
    try:
        recurring.monthly_gift_for_token(token=token)
    except RecurringDonation.DoesNotExist:
        raise Http404("No such monthly gift") from None
    except recurring.ManageLinkExpired as expired:
        recurring.email_a_new_manage_link(gift=expired.gift)
        messages.success(
            request,
            _(
                "We have emailed a new link to the address you gave with this gift. It may take a "
                "minute to arrive; the old link no longer works."
            ),
        )
        return redirect("donations:campaign", slug=expired.gift.campaign.slug)
    return redirect("donations:gift_link", token=token)  # still valid: nothing to renew
