"""{% newsletter_signup %}: the sign-up box on articles and the home page. It is rendered inside pages the page
cache keeps whole for anonymous readers, so it carries nothing personal and no CSRF token (the endpoint it posts
to explains why it needs none). A signed-in reader's address is filled in here; where their page is shared with
readers of the same standing (outlet/common/page_cache.py), the address is a hole filled in for each reader.
A newsletter added or switched off appears on cached pages when they expire (PAGE_CACHE_SECONDS); an old box
posting a switched-off newsletter is told it is gone."""

from django import template

from outlet.newsletters import services

register = template.Library()


@register.inclusion_tag("newsletters/_signup.html", takes_context=True)
def newsletter_signup(context, placement: str = "article"):
    user = getattr(context.get("request"), "user", None)
    email = user.email if user is not None and user.is_authenticated else ""
    return {"newsletters": services.signup_newsletters_cached(), "email": email, "placement": placement}
