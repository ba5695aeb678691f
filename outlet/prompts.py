"""Which call-to-action a reader meets in each placement."""

from __future__ import annotations

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


def dismissed_banners(request) -> frozenset[int]:
    raw = request.COOKIES.get(BANNER_DISMISS_COOKIE, "")
    return frozenset(int(part) for part in raw.split(".") if part.isdigit())


def remember_dismissal(response, dismissed: frozenset[int], prompt_id: int, *, secure: bool) -> None:
    # Newest ids are the largest; keeping the last 40 bounds the cookie without forgetting current banners.
    ids = ".".join(str(i) for i in sorted(dismissed | {prompt_id})[-40:])
    response.set_cookie(BANNER_DISMISS_COOKIE, ids, max_age=180 * 24 * 3600, samesite="Lax", secure=secure)
