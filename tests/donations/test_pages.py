"""The campaign page and the thank-you page, as a donor (or anyone holding a link) sees them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from donations import services
from donations.models import Campaign, CampaignUpdate, DonationCheckout
from outlet.payments.providers import get_provider
from tests.donations.conftest import give, make_campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def page(path: str, client: Client | None = None):
    response = (client or Client()).get(path)
    return response, response.content.decode()


def test_the_campaign_page_shows_the_story_goal_newsrooms_and_progress(campaign):
    campaign.story = '<p>Three newsrooms.</p><script>alert("x")</script><p onclick="x()">One appeal.</p>'
    campaign.save()
    CampaignUpdate.objects.create(
        campaign=campaign,
        title="Helmets ordered",
        body="First line.\n\nSecond line.",
        published_at=timezone.now() - timedelta(hours=2),
    )
    CampaignUpdate.objects.create(
        campaign=campaign, title="Not yet", body="Scheduled.", published_at=timezone.now() + timedelta(days=1)
    )
    give(campaign, gift_minor=10000, email="a@example.org")
    give(campaign, gift_minor=5000, email="b@example.org")

    response, html = page("/fundraisers/safety-fund/")
    assert response.status_code == 200
    assert '<h1 class="page-header__title">Keep reporters safe</h1>' in html
    assert "<p>Three newsrooms.</p>" in html and "<script>alert" not in html and "onclick" not in html
    assert "Goal: GEL\xa050,000." in html
    # 150 of 50,000 GEL is 0 %; two different donors.
    assert 'value="0"' in html and "GEL\xa0150</strong> raised" in html and "2 donors" in html
    for name, percent in (("Mountain Voice", 50), ("Valley Dispatch", 30), ("Border Radio", 20)):
        assert re.search(rf"{name}.*?Receives {percent}% of each gift", html, re.S), name
    assert 'href="https://example.org/mv"' in html
    assert "Helmets ordered" in html and "<p>Second line.</p>" in html and "Not yet" not in html


def test_the_progress_bar_counts_other_currencies_at_the_campaigns_rate(campaign):
    campaign.goal_minor = 20000
    campaign.save()
    give(campaign, gift_minor=5000, currency="GEL", email="a@example.org")
    give(campaign, gift_minor=2000, currency="USD", email="b@example.org")  # 20 USD at 2.7 = 54 GEL
    _, html = page("/fundraisers/safety-fund/")
    assert "GEL\xa0104</strong> raised" in html and "(52%)" in html
    assert re.search(r'<progress[^>]*max="100" value="52"[^>]*aria-label="Raised so far: 52% of the goal"', html)


def test_the_donor_wall_shows_only_donors_who_opted_in_under_the_name_they_chose(campaign):
    give(campaign, email="quiet@example.org", name="Quiet Person", message="not for the wall")
    give(
        campaign,
        email="nika@example.org",
        name="Nika Beridze",
        display_name="Nika from Batumi",
        show_on_wall=True,
        message="For the reporters on the border.",
    )
    give(
        campaign,
        email="hidden@example.org",
        name="Secret Name",
        show_on_wall=True,
        anonymous=True,
        message="Stay safe.",
    )
    _, html = page("/fundraisers/safety-fund/")
    wall = html.split('id="wall-heading"', 1)[1]
    assert "Nika from Batumi" in wall and "For the reporters on the border." in wall and "Nika Beridze" not in html
    assert "Anonymous" in wall and "Stay safe." in wall and "Secret Name" not in html
    assert "Quiet Person" not in html and "not for the wall" not in html
    assert "@example.org" not in html


def test_a_refunded_gift_leaves_the_wall_and_the_totals(campaign):
    paid = give(campaign, email="nika@example.org", display_name="Nika", show_on_wall=True, message="Onward")
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=None, idempotency_key="r1")
    _, html = page("/fundraisers/safety-fund/")
    assert "Onward" not in html and "0 donors" in html


@pytest.mark.parametrize(
    "change",
    [
        {"is_published": False},
        {"starts_at": timezone.now() + timedelta(days=2), "ends_at": None},
    ],
)
def test_unpublished_or_future_campaigns_are_not_found_by_readers_but_staff_can_preview(campaign, change):
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    assert Client().get("/fundraisers/safety-fund/").status_code == 404
    assert Client().post("/fundraisers/safety-fund/give/", {"amount": "2000"}).status_code == 404
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    response, html = page("/fundraisers/safety-fund/", staff)
    assert response.status_code == 200 and ("Preview" in html or "not taking gifts right now" in html)


@pytest.mark.parametrize(
    "query", ["?currency=", "?currency=usd", "?currency=XXXX&currency=GEL", "?currency=" + "A" * 5000]
)
def test_a_bad_currency_in_the_address_falls_back_to_the_campaigns_own(campaign, query):
    response, html = page(f"/fundraisers/safety-fund/{query}")
    expected = "USD" if query == "?currency=usd" else "GEL"
    assert response.status_code == 200 and f'name="currency" value="{expected}"' in html


def test_a_nul_in_the_address_is_a_bad_request_not_an_error(campaign):
    """No address on the site can hold a NUL (outlet/common/request_guard.py refuses it before any view)."""
    response, _ = page("/fundraisers/safety-fund/?currency=%00")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/fundraisers/no-such-campaign/",
        "/fundraisers/%E2%9C%93/",
        "/fundraisers/thanks/not-a-uuid/",
        f"/fundraisers/thanks/{uuid.uuid4()}/",
        "/fundraisers/safety-fund/give/",
    ],
)
def test_bad_addresses_answer_not_found_or_not_allowed_never_an_error(campaign, path):
    assert Client().get(path).status_code in {404, 405}


def test_an_ended_campaign_shows_its_result_and_takes_no_more_gifts(campaign):
    give(campaign, gift_minor=5000)
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=1)
    )
    response, html = page("/fundraisers/safety-fund/")
    assert response.status_code == 200 and "This fundraiser has ended" in html and "Continue to payment" not in html
    response = Client().post(
        "/fundraisers/safety-fund/give/", {"amount": "2000", "currency": "GEL", "email": "a@example.org"}
    )
    assert response.status_code == 302 and DonationCheckout.objects.count() == 1


def test_the_donate_link_goes_straight_to_the_one_open_fundraiser(campaign):
    response = Client().get("/fundraisers/")
    assert response.status_code == 302 and response["Location"] == "/fundraisers/safety-fund/"
    make_campaign(slug="second-fund")
    _, html = page("/fundraisers/")
    assert "/fundraisers/safety-fund/" in html and "/fundraisers/second-fund/" in html


def test_the_campaign_page_costs_the_same_sql_for_any_number_of_gifts(campaign, django_assert_max_num_queries):
    for n in range(12):
        give(campaign, email=f"donor{n}@example.org", show_on_wall=True, message=f"Message {n}")
    CampaignUpdate.objects.create(campaign=campaign, title="Update", body="Body", published_at=timezone.now())
    Client().get("/fundraisers/safety-fund/")  # warms the navigation cache and the abuse shield's row
    # campaign, currencies, beneficiaries, totals, donor count, the abuse shield's state (story, newsrooms, updates
    # and wall come from the fragment cache while no gift has arrived)
    with django_assert_max_num_queries(6):
        response = Client().get("/fundraisers/safety-fund/")
    assert response.status_code == 200 and "Message 11" in response.content.decode()
    give(campaign, email="late@example.org", show_on_wall=True, message="Late message")
    with django_assert_max_num_queries(8):  # the gift changed the counters: the wall and updates load again
        response = Client().get("/fundraisers/safety-fund/")
    assert "Late message" in response.content.decode()


@pytest.mark.integration
def test_on_postgresql_and_redis_the_page_reads_counters_and_never_sums_donations(real_postgres, real_redis, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(5):
        give(campaign, email=f"donor{n}@example.org", show_on_wall=True, message=f"Message {n}")
    Client().get("/fundraisers/safety-fund/")
    with CaptureQueriesContext(connection) as warm:
        assert "Message 4" in Client().get("/fundraisers/safety-fund/").content.decode()
    assert len(warm) <= 6 and not [q for q in warm.captured_queries if "donations_donation" in q["sql"]]
    give(campaign, email="late@example.org", show_on_wall=True, message="Late")
    with CaptureQueriesContext(connection) as cold:
        assert "Late" in Client().get("/fundraisers/safety-fund/").content.decode()
    reads = [q["sql"] for q in cold.captured_queries if "donations_donation" in q["sql"]]
    assert len(reads) == 1 and "LIMIT 30" in reads[0] and "SUM(" not in reads[0] and "COUNT(" not in reads[0]


# --- Thank-you page -----------------------------------------------------------------------------------------


def _start(campaign, **choices) -> DonationCheckout:
    checkout, _ = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign,
            email="donor@example.org",
            currency="GEL",
            gift_minor=5000,
            name="Private Name",
            **choices,
        ),
        success_url="http://testserver/fundraisers/thanks/{reference}/",
        cancel_url="http://testserver/",
    )
    return checkout


def test_the_thank_you_page_waits_for_the_providers_event_then_thanks_the_donor(campaign):
    checkout = _start(campaign, message="A private note")
    response, html = page(f"/fundraisers/thanks/{checkout.reference}/")
    assert response.status_code == 200
    assert "confirming your gift" in html and '<meta http-equiv="refresh" content="3">' in html
    assert response["Referrer-Policy"] == "same-origin" and "private" in response["Cache-Control"]

    get_provider("sandbox").complete_checkout(checkout.session_id)
    _, html = page(f"/fundraisers/thanks/{checkout.reference}/")
    assert "Thank you for your gift" in html and 'http-equiv="refresh"' not in html
    assert "gift of GEL\xa050" in html and "Keep reporters safe" in html
    assert "receipt is on its way by email" in html
    assert "GEL\xa050</strong> raised" in html and "1 donor" in html
    # Anyone with the link sees the gift, never who gave it.
    assert "donor@example.org" not in html and "Private Name" not in html and "A private note" not in html


def test_the_thank_you_page_offers_plain_share_links_without_third_party_scripts(campaign, settings):
    settings.SITE_URL = "https://news.example"
    _, html = page(f"/fundraisers/thanks/{_start(campaign).reference}/")
    for start in (
        "mailto:?subject=",
        "https://x.com/intent/tweet?",
        "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fnews.example%2Ffundraisers%2Fsafety-fund%2F",
        "https://t.me/share/url?",
        "https://wa.me/?text=",
    ):
        assert f'href="{start}' in html.replace("&amp;", "&"), start
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    assert all(src.startswith("/static/") for src in scripts), scripts


def test_the_thank_you_page_stops_refreshing_when_the_confirmation_never_comes(campaign):
    checkout = _start(campaign)
    DonationCheckout.objects.filter(pk=checkout.pk).update(created_at=timezone.now() - timedelta(hours=1))
    _, html = page(f"/fundraisers/thanks/{checkout.reference}/")
    assert "confirming your gift" in html and 'http-equiv="refresh"' not in html


def test_the_demo_fundraiser_is_loaded_once_with_gifts_from_the_sandbox(settings, tmp_path):
    from outlet.demo.fundraiser import SLUG, ensure_demo_fundraiser
    from outlet.demo.loader import Tally
    from outlet.publishing.models import Prompt

    settings.MEDIA_ROOT = tmp_path
    for _ in range(2):
        ensure_demo_fundraiser(Tally(), now=timezone.now())
    demo = Campaign.objects.get(slug=SLUG)
    assert demo.beneficiaries.count() == 3 and demo.updates.count() == 2
    assert Prompt.objects.get(campaign=demo).placement == Prompt.Placement.END_OF_ARTICLE
    progress = services.campaign_progress(demo)
    assert (progress.donations, progress.donors) == (4, 4)
    _, html = page(f"/fundraisers/{SLUG}/")
    assert "Nino from Kutaisi" in html and "Anonymous" in html and "Quiet Demo" not in html
    assert 'alt="' in html.split('class="fund__hero"', 1)[1][:400]
