"""Which call-to-action a reader meets in each placement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from donations import services as donations
from donations.models import Campaign
from members.services import Audience
from outlet.publishing.content_cache import running_prompts
from outlet.publishing.models import Prompt

BANNER_DISMISS_COOKIE = "outlet_dismissed"

_AUDIENCE_FLAG = {
    Audience.ANONYMOUS: "show_to_anonymous",
    Audience.FREE: "show_to_free",
    Audience.LAPSED: "show_to_lapsed",
}


def active_prompts(*, now: datetime | None = None) -> list[Prompt]:
    """All prompts running now, best first; one cached list serves every placement on a page."""
    return running_prompts(now=now)


def choose_prompt(
    prompts: list[Prompt], *, placement: str, audience: Audience, dismissed: frozenset[int] = frozenset()
) -> Prompt | None:
    """The highest-priority prompt for this placement and audience. Paying members never get one."""
    flag = _AUDIENCE_FLAG.get(audience)
    if flag is None:
        return None
    for prompt in prompts:
        if prompt.placement == placement and getattr(prompt, flag) and prompt.pk not in dismissed:
            return prompt
    return None


@dataclass(frozen=True)
class ArticlePrompts:
    banner: Prompt | None
    in_article: Prompt | None
    end_of_article: Prompt | None
    paywall: Prompt | None

    @property
    def all(self) -> tuple[Prompt | None, ...]:
        return (self.banner, self.in_article, self.end_of_article, self.paywall)


def prompts_for_article(
    prompts: list[Prompt], *, full_text: bool, audience: Audience, dismissed: frozenset[int]
) -> ArticlePrompts:
    """A reader given the full text meets the in-article and end-of-article appeals; a reader given a teaser meets
    the paywall box instead, so a locked page never stacks three asks."""

    def pick(placement: str) -> Prompt | None:
        return choose_prompt(prompts, placement=placement, audience=audience)

    return ArticlePrompts(
        banner=choose_prompt(prompts, placement=Prompt.Placement.BANNER, audience=audience, dismissed=dismissed),
        in_article=pick(Prompt.Placement.IN_ARTICLE) if full_text else None,
        end_of_article=pick(Prompt.Placement.END_OF_ARTICLE) if full_text else None,
        paywall=None if full_text else pick(Prompt.Placement.PAYWALL),
    )


def dismissed_banners(request) -> frozenset[int]:
    raw = request.COOKIES.get(BANNER_DISMISS_COOKIE, "")
    # ASCII digits of a sane length only: "²" passes isdigit() and a 5,000-digit part int(), both crashing int().
    return frozenset(int(part) for part in raw.split(".") if part.isascii() and part.isdigit() and len(part) <= 18)


def remember_dismissal(response, dismissed: frozenset[int], prompt_id: int, *, secure: bool) -> None:
    # Newest ids are the largest; keeping the last 40 bounds the cookie without forgetting current banners.
    ids = ".".join(str(i) for i in sorted(dismissed | {prompt_id})[-40:])
    response.set_cookie(BANNER_DISMISS_COOKIE, ids, max_age=180 * 24 * 3600, samesite="Lax", secure=secure)


# --- The end-of-article fundraiser ---------------------------------------------------------------------------

FUNDRAISER_TEASER_SECONDS = 60


@dataclass(frozen=True)
class FundraiserTeaser:
    """What an end-of-article prompt shows of the fundraiser it names. Cached briefly by itself, so an article
    page served from the page cache costs one cache read for it, never SQL, and the bar moves within a minute."""

    campaign_id: int
    title: str
    url: str
    progress: donations.CampaignProgress

    @property
    def cache_part(self) -> str:
        """For the page and story cache keys: a page cached with an older bar is not served once this one moves."""
        return f"fund:{self.campaign_id}:{self.progress.raised_minor}:{self.progress.donors}"


def fundraiser_teaser(prompt: Prompt | None, *, now: datetime | None = None) -> FundraiserTeaser | None:
    """The teaser for an end-of-article prompt that names an open fundraiser; None otherwise (the prompt then
    shows as an ordinary appeal)."""
    if prompt is None or prompt.placement != Prompt.Placement.END_OF_ARTICLE or not prompt.campaign_id:
        return None
    now = now or timezone.now()
    key = f"fundraiser-teaser:{prompt.campaign_id}"
    found = cache.get(key)
    # Freshness is judged by our clock, not the cache's expiry, so it means the same on Redis and in memory.
    if found is None or now.timestamp() - found[0] > FUNDRAISER_TEASER_SECONDS:
        found = (now.timestamp(), _load_fundraiser_teaser(prompt.campaign_id, now=now) or "closed")
        cache.set(key, found, FUNDRAISER_TEASER_SECONDS * 2)
    return found[1] if isinstance(found[1], FundraiserTeaser) else None


def _load_fundraiser_teaser(campaign_id: int, *, now: datetime | None) -> FundraiserTeaser | None:
    campaign = Campaign.objects.prefetch_related("currencies").filter(pk=campaign_id).first()
    if campaign is None or not donations.campaign_is_open(campaign, now=now):
        return None
    return FundraiserTeaser(
        campaign_id=campaign.pk,
        title=campaign.title,
        progress=donations.campaign_progress(campaign),
        url=reverse("donations:campaign", args=[campaign.slug]),
    )
