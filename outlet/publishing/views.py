"""Publishing pages. Decisions live in access.py, prompts.py and meter.py; these functions only wire them up."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from members.services import standing_for_request
from outlet.common import front_cache, page_cache
from outlet.common.sanitize import sanitize_body
from outlet.publishing import content_cache, versions
from outlet.publishing.access import decide_access
from outlet.publishing.body import insertion_index, split_blocks, teaser
from outlet.publishing.meter import Meter, load_meter, save_meter, shared_page_fresh_until
from outlet.publishing.models import Article, Author, Prompt, Region, Section, Tag
from outlet.publishing.prompts import (
    active_prompts,
    choose_prompt,
    dismissed_banners,
    fundraiser_teaser,
    prompts_for_article,
    remember_dismissal,
)
from outlet.publishing.reader_pass import reader_shape

HOME_LATEST = 9
HOME_SECTION_ITEMS = 3
FRONT_CACHE_FUNDRAISER_SECONDS = 30


def _banner(request: HttpRequest, standing, prompts: list[Prompt]) -> Prompt | None:
    return choose_prompt(
        prompts, placement=Prompt.Placement.BANNER, audience=standing.audience, dismissed=dismissed_banners(request)
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    standing = standing_for_request(request)
    banner = _banner(request, standing, active_prompts())

    def render_page() -> HttpResponse:
        recent = list(Article.objects.live().in_language().for_listing()[:60])
        lead = next((a for a in recent if a.featured), recent[0] if recent else None)
        rest = [a for a in recent if a is not lead]
        by_section: dict[Section, list[Article]] = {}
        for article in rest[HOME_LATEST:]:
            items = by_section.setdefault(article.section, [])
            if len(items) < HOME_SECTION_ITEMS:
                items.append(article)
        return render(
            request,
            "outlet/home.html",
            {
                "lead": lead,
                "latest": rest[:HOME_LATEST],
                "section_rails": [(s, items) for s, items in by_section.items() if s.in_navigation],
                "banner": banner,
                "canonical_path": "/",
            },
        )

    cache_key = signed_in_shape = None
    if page_cache.may_cache(request):
        version = content_cache.content_version()
        # The next scheduled story or prompt is part of the key: when its time comes, the cached page stops.
        scheduled = content_cache.next_scheduled_change(timezone.now(), version=version)
        cache_key = page_cache.home_key(version=f"{version}|{scheduled}", banner=banner)
    elif page_cache.may_cache_for_reader(request):
        version = content_cache.content_version()  # read before the page, so an edit meanwhile shows
        signed_in_shape = _shape_of_signed_in_reader(request, standing, None)
    response = page_cache.fetch_or_render(cache_key, render_page)
    page_cache.keep_private(response)
    if cache_key is not None or signed_in_shape is not None:
        _share_with_readers(request, response, version=version, reader_shape=signed_in_shape)
    return response


def _share_with_readers(
    request: HttpRequest,
    response: HttpResponse,
    *,
    version: str,
    language: str | None = None,
    fresh_until=None,
    refreshers=(),
    reader_shape: str | None = None,
) -> None:
    """Offer a page to the front cache (an anonymous reader's, or with `reader_shape` a signed-in reader's): it is
    filed under the content version it was built from and stops at the next scheduled story or prompt (or earlier,
    at `fresh_until`)."""
    now = timezone.now()
    moments = [m for m in (content_cache.next_scheduled_change(now, version=version), fresh_until) if m is not None]
    front_cache.share(
        request,
        response,
        depends_on=content_cache.version_tokens(version, language),
        fresh_until=min(moments) if moments else None,
        refreshers=refreshers,
        reader_shape=reader_shape,
    )


def _shape_of_signed_in_reader(request: HttpRequest, standing, meter: Meter | None) -> str:
    """The shape this page shows (see reader_pass). A read counted just now is in `meter.reads` and in the count
    the page prints, so the page is filed for the reads after it: what this reader's next request will look up."""
    if meter is not None:
        reads = meter.reads
    else:
        reads = {} if standing.is_member else load_meter(request).reads
    return reader_shape(standing, reads)


def _paginated_listing(request, *, queryset, template: str, context: dict) -> HttpResponse:
    shared = page_cache.may_cache(request)
    signed_in = not shared and page_cache.may_cache_for_reader(request)
    # Read before the page, so an edit meanwhile shows.
    version = content_cache.content_version() if shared or signed_in else ""
    page = Paginator(queryset.for_listing(), settings.ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    standing = standing_for_request(request)
    context |= {"page": page, "banner": _banner(request, standing, active_prompts())}
    response = render(request, template, context)
    if shared or signed_in:
        page_cache.keep_private(response)
        shape = _shape_of_signed_in_reader(request, standing, None) if signed_in else None
        _share_with_readers(request, response, version=version, reader_shape=shape)
    return response


@require_GET
def section(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    return _paginated_listing(
        request,
        queryset=Article.objects.live().in_language().filter(section=section),
        template="outlet/listing.html",
        context={
            "heading": section.name,
            "description": section.description,
            "listing_object": section,
            "feed_url": section.get_absolute_url() + "feed/",
        },
    )


@require_GET
def region(request: HttpRequest, slug: str) -> HttpResponse:
    region = get_object_or_404(Region, slug=slug)
    return _paginated_listing(
        request,
        queryset=Article.objects.live().in_language().filter(region=region),
        template="outlet/listing.html",
        # Translators: small label above a region's name on its page of stories.
        context={"heading": region.name, "kicker": _("Region"), "listing_object": region},
    )


@require_GET
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    return _paginated_listing(
        request,
        queryset=Article.objects.live().in_language().filter(tags=tag),
        template="outlet/listing.html",
        # Translators: small label above a topic's name on its page of stories.
        context={"heading": tag.name, "kicker": _("Topic"), "listing_object": tag},
    )


@require_GET
def author(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    return _paginated_listing(
        request,
        queryset=Article.objects.live().in_language().filter(bylines__author=author).distinct(),
        template="outlet/author.html",
        context={"author": author, "listing_object": author},
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    content = content_cache.article_page_content(slug, now=now)
    article = content.article
    if article is None or (not article.is_live(now) and not request.user.is_staff):
        raise Http404("No such article")
    standing = standing_for_request(request, now=now)
    needs_meter = article.access == Article.Access.METERED and not standing.is_member and not standing.is_staff
    meter = load_meter(request) if needs_meter else None
    decision = decide_access(article=article, standing=standing, meter=meter, allowed_tier_ids=article.allowed_tier_ids)
    if decision.counts_against_meter:
        meter.record(article.pk)  # type: ignore[union-attr]  # counts_against_meter only with a meter

    chosen = prompts_for_article(
        content.prompts, full_text=decision.full_text, audience=standing.audience, dismissed=dismissed_banners(request)
    )
    meter_remaining = meter.remaining if meter is not None else None
    # The metered wall says when a free story opens up again: that day is part of what the page shows (and its keys).
    meter_next_free_on = meter.next_free_on() if meter is not None and not decision.full_text else None
    is_preview = not article.is_live(now)
    # A fundraiser's bar moves with every gift: its numbers join the cache keys, so cached pages move with it.
    fundraiser = fundraiser_teaser(chosen.end_of_article, now=now)
    variant = f"{decision.variant}|{fundraiser.cache_part}" if fundraiser else decision.variant
    if meter_next_free_on:
        variant = f"{variant}|next-free:{meter_next_free_on.isoformat()}"

    def render_page() -> HttpResponse:
        story_versions = versions.live_versions(article, now=now)
        blocks = split_blocks(sanitize_body(article.body))
        shown = blocks if decision.full_text else teaser(blocks)
        slot = insertion_index(shown, chosen.in_article.after_paragraph) if chosen.in_article else None
        context = {
            "article": article,
            "decision": decision,
            "blocks_before": shown if slot is None else shown[:slot],
            "blocks_after": [] if slot is None else shown[slot:],
            "in_article_prompt": chosen.in_article if slot is not None else None,
            "end_of_article_prompt": chosen.end_of_article,
            "fundraiser": fundraiser,
            "paywall_prompt": chosen.paywall,
            "banner": chosen.banner,
            "meter_remaining": meter_remaining,
            "meter_allowance": settings.METERED_FREE_ARTICLES,
            "meter_next_free_on": meter_next_free_on,
            "is_preview": is_preview,
            "related": Article.objects.live(now)
            .in_language()
            .filter(section_id=article.section_id)
            .exclude(pk=article.pk)
            .for_listing()[:4],
            "canonical_path": article.get_absolute_url(),
            # The story's other languages ("Also in"), and the alternates search engines read when it has any.
            "also_in": [version for version in story_versions if not version.current],
            "versions": story_versions if len(story_versions) > 1 else [],
            "content_version": content.version,
            "fragment_cache_seconds": settings.PAGE_CACHE_SECONDS,
            "story_fragment_key": page_cache.story_fragment_key(
                version=content.version,
                article=article,
                variant=variant,
                meter_remaining=meter_remaining,
                prompts=(chosen.in_article, chosen.end_of_article, chosen.paywall),
                signed_in=request.user.is_authenticated,
                preview=is_preview,
            ),
        }
        return render(request, "outlet/article.html", context)

    cache_key = None
    if page_cache.may_cache(request):
        cache_key = page_cache.article_key(
            version=f"{content.version}|{content_cache.next_scheduled_change(now, version=content.version)}",
            article=article,
            variant=variant,
            meter_remaining=meter_remaining,
            prompts=chosen.all,
        )
    signed_in_shape = None
    if cache_key is None and page_cache.may_cache_for_reader(request) and not is_preview:
        reader_key = page_cache.reader_article_key(
            version=f"{content.version}|{content_cache.next_scheduled_change(now, version=content.version)}",
            article=article,
            variant=variant,
            meter_remaining=meter_remaining,
            prompts=chosen.all,
            audience=standing.audience,
            is_member=standing.is_member,
        )
        response = page_cache.fetch_or_render_for_reader(reader_key, render_page, request)
        signed_in_shape = _shape_of_signed_in_reader(request, standing, meter)
    else:
        response = page_cache.fetch_or_render(cache_key, render_page)
    if meter is not None:
        save_meter(meter, response)
    page_cache.keep_private(response)
    if cache_key is not None or signed_in_shape is not None:
        # A fundraiser's bar is at most a minute old when read; a page showing it is shared for half a minute more.
        moments = [
            m
            for m in (
                now + timedelta(seconds=FRONT_CACHE_FUNDRAISER_SECONDS) if fundraiser else None,
                shared_page_fresh_until(meter) if meter is not None else None,
            )
            if m is not None
        ]
        _share_with_readers(
            request,
            response,
            version=content.version,
            language=article.language if article.language != translation.get_language() else None,
            fresh_until=min(moments) if moments else None,
            # A signed-in reader's reads are in the database and in their shape; an anonymous one's in a cookie.
            refreshers=[("meter", str(article.pk))] if decision.counts_against_meter and cache_key else [],
            reader_shape=signed_in_shape,
        )
    return response


@csrf_exempt  # Dismissing a banner changes only the reader's own cookie; a forged request can do no harm.
@require_POST
def dismiss_prompt(request: HttpRequest, prompt_id: int) -> HttpResponse:
    """Works without JavaScript: a form post that remembers the dismissal and returns to the page."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = (
        HttpResponse(status=204) if request.headers.get("X-Requested-With") == "fetch" else HttpResponseRedirect(target)
    )
    if Prompt.objects.filter(pk=prompt_id, placement=Prompt.Placement.BANNER).exists():
        remember_dismissal(response, dismissed_banners(request), prompt_id, secure=settings.SESSION_COOKIE_SECURE)
    return response


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return render(request, "robots.txt", {"site_url": settings.SITE_URL}, content_type="text/plain")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors' database work: the database may be why we are here."""
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({"site_name": settings.SITE_NAME}), status=500)
