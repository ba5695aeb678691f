"""Which call-to-action a reader meets in each placement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from members.services import Audience
from outlet.content_cache import running_prompts
from outlet.models import Prompt

BANNER_DISMISS_COOKIE = "outlet_dismissed"

_AUDIENCE_FLAG = {
    Audience.ANONYMOUS: "show_to_anonymous",
    Audience.FREE: "show_to_free",
    Audience.LAPSED: "show_to_lapsed",
}


def active_prompts(*, now: datetime | None = None) -> list[Prompt]:
    """All prompts running now, best first; one cached list serves every placement on a page."""
    return running_prompts(now=now)


def choose_prompt(prompts: list[Prompt], *, placement: str, audience: Audience, dismissed: frozenset[int] = frozenset()) -> Prompt | None:
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


def prompts_for_article(prompts: list[Prompt], *, full_text: bool, audience: Audience, dismissed: frozenset[int]) -> ArticlePrompts:
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
    return frozenset(int(part) for part in raw.split(".") if part.isdigit())


def remember_dismissal(response, dismissed: frozenset[int], prompt_id: int, *, secure: bool) -> None:
    # Newest ids are the largest; keeping the last 40 bounds the cookie without forgetting current banners.
    ids = ".".join(str(i) for i in sorted(dismissed | {prompt_id})[-40:])
    response.set_cookie(BANNER_DISMISS_COOKIE, ids, max_age=180 * 24 * 3600, samesite="Lax", secure=secure)
