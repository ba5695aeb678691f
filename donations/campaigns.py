"""Staff-side rules for setting up a campaign. The admin calls these; so can an import script, and then the same
rules and the same sanitising apply.

The checks take plain values (not forms), so they say in one place what a campaign must have before it can split
a gift: a newsroom to give to, one newsroom that takes the odd minor unit, and a currency the goal can be counted in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import get_currency_name
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from donations import services
from donations.models import Campaign
from donations.services import CampaignProgress
from outlet.common.money import format_money
from outlet.common.sanitize import sanitize_body

# The story is edited with the same editor and allow-list as article bodies (outlet.common.sanitize.BODY_EXTENSIONS).


def sanitize_story(html: str) -> str:
    """Only the markup the editor can produce reaches a donor, whoever wrote the story (admin, script, import)."""
    return sanitize_body(html)


@transaction.atomic
def save_campaign(*, campaign: Campaign) -> Campaign:
    """Save a campaign as staff edited it, with its story sanitised in every language it is written in."""
    for code, _name in settings.LANGUAGES:
        field = f"story_{code}"
        setattr(campaign, field, sanitize_story(getattr(campaign, field) or ""))
    campaign.save()
    return campaign


# --- What a campaign must have ------------------------------------------------------------------------------


def is_known_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows (it returns the code itself for names it does not)."""
    code = (code or "").strip().upper()
    return len(code) == 3 and code.isalpha() and get_currency_name(code, locale="en") != code


@dataclass(frozen=True)
class BeneficiarySetup:
    """One newsroom row as staff left it on the form (deleted rows are not passed)."""

    name: str
    share: int
    is_active: bool
    receives_rounding_remainder: bool


def beneficiary_problems(beneficiaries: Sequence[BeneficiarySetup]) -> list[str]:
    """Why these newsrooms could not split a gift, in words staff can act on; empty when they can."""
    problems = []
    receiving = [b for b in beneficiaries if b.is_active and b.share > 0]
    if not receiving:
        problems.append(
            _(
                "Add at least one active newsroom with a share above 0: gifts are split between active newsrooms "
                "by share."
            )
        )
    remainder = [b for b in beneficiaries if b.receives_rounding_remainder]
    if not remainder:
        problems.append(
            _(
                'Tick "receives rounding remainder" for one newsroom: it gets the odd minor unit when a gift '
                "does not split exactly."
            )
        )
    elif len(remainder) > 1:
        names = ", ".join(b.name or _("(unnamed)") for b in remainder)
        # Translators: names lists the newsrooms, separated by commas.
        message = _("Only one newsroom can receive the rounding remainder; ticked for: %(names)s.")
        problems.append(message % {"names": names})
    elif remainder[0] not in receiving:
        if remainder[0].name:
            message = _(
                "%(name)s receives the rounding remainder but is inactive or has a share of 0; tick the remainder "
                "for a newsroom that takes part in the split."
            ) % {"name": remainder[0].name}
        else:
            message = _(
                "The newsroom receives the rounding remainder but is inactive or has a share of 0; tick the "
                "remainder for a newsroom that takes part in the split."
            )
        problems.append(message)
    return problems


def currency_problems(*, goal_currency: str, currencies: Iterable[str]) -> list[str]:
    codes = {code.strip().upper() for code in currencies if code}
    goal = (goal_currency or "").strip().upper()
    if not codes:
        return [_("Add at least one currency donors can give in.")]
    if goal and goal not in codes:
        # Translators: currency is a code such as GEL, USD or EUR.
        message = _(
            "The goal is in %(currency)s, so donors must be able to give in %(currency)s: add it to the campaign's "
            "currencies or change the goal's currency."
        )
        return [message % {"currency": goal}]
    return []


def preset_problems(*, presets: object, min_amount_minor: int, max_amount_minor: int, currency: str) -> list[str]:
    """Preset buttons must be amounts the form would accept."""
    if presets in (None, ""):
        return []
    if not isinstance(presets, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in presets):
        return [_("Preset amounts are a list of whole numbers in minor units, e.g. [1000, 2500, 5000] for 10, 25, 50.")]
    outside = [p for p in presets if p < min_amount_minor or p > max_amount_minor]
    if outside:
        shown = ", ".join(format_money(p, currency) if is_known_currency(currency) else str(p) for p in outside)
        # Translators: amounts lists the preset amounts outside the limits, separated by commas.
        message = _("Preset amounts must lie between the minimum and the maximum; these do not: %(amounts)s.")
        return [message % {"amounts": shown}]
    return []


# --- Progress for many campaigns at once --------------------------------------------------------------------


def progress_from_prefetched(campaign: Campaign) -> CampaignProgress:
    """services.campaign_progress for a campaign fetched with `prefetch_related("currencies", "totals")` and
    `select_related("donor_count")`: the changelist shows every row's progress in three queries, not three per row.
    The arithmetic is services.progress_from_counters, shared with the campaign page."""
    try:
        donors = campaign.donor_count.donors
    except Campaign.donor_count.RelatedObjectDoesNotExist:
        donors = 0
    return services.progress_from_counters(campaign, totals=campaign.totals.all(), donors=donors)
