"""The staff admin reads as staff write: every row has a name (never "AllocationEntry object (13)"), money reads
"GEL 50" (never "5000 GEL" or a column called "Amount minor"), rates are not "ppm", and a time of day names its
zone, on every list and item page of the membership, fundraising and payment admins."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import reverse

from members.models import MembershipCheckout, TierPrice
from outlet.payments.models import Payment, ReconciliationCursor, WebhookEvent
from tests.donations.conftest import give, make_campaign
from tests.factories import MembershipFactory, UserFactory
from tests.members import factories_member_admin as make

pytestmark = pytest.mark.django_db(transaction=True)

APPS = ("members", "donations", "payments")
LATE_EVENING_UTC = datetime(2026, 12, 6, 21, 30, tzinfo=UTC)  # 01:30 on 7 December in Tbilisi


@pytest.fixture
def superuser():
    client = Client()
    client.force_login(UserFactory(username="chief", email="chief@example.org", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def a_bit_of_everything(priced_tiers):
    """One of each row these admins show, made as the product makes them where it can (gifts through the sandbox)."""
    with time_machine.travel(LATE_EVENING_UTC, tick=False):  # the fundraiser opens a day before, then, not now
        campaign = make_campaign()
        give(campaign, email="nino@example.org", gift_minor=5000)
        give(campaign, email="tamar@example.org", gift_minor=2500, interval="month")
    reader = UserFactory(username="levan", email="levan@example.org")
    membership = MembershipFactory(
        user=reader, tier=priced_tiers["supporter"], currency="GEL", amount_minor=1500, interval="month"
    )
    paid = make.payment(reader)
    make.receipt(paid)
    make.event(membership)
    MembershipCheckout.objects.create(
        reference="chk_words",
        user=reader,
        tier=priced_tiers["supporter"],
        interval="month",
        currency="GEL",
        amount_minor=1500,
        provider="sandbox",
    )
    ReconciliationCursor.objects.create(provider="sandbox", synced_until=LATE_EVENING_UTC)
    return campaign


def visible_text(html: str) -> str:
    """What a person reads: no tags, no attribute values (input names such as goal_minor are not text)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def problems_on(text: str) -> list[str]:
    found = []
    if "object (" in text:
        found.append("a row without a name: " + re.search(r".{0,40}object \(\d+\)", text).group(0))
    if match := re.search(r"\w+ minor\b(?! unit)", text, re.I):
        found.append(f"a label in database words: {match.group(0)!r}")
    if match := re.search(r"(?<![\d,.\w])\d{3,} (GEL|USD|EUR)\b", text):
        found.append(f"an amount in minor units: {match.group(0)!r}")
    if re.search(r"\bppm\b", text):
        found.append("a rate in ppm")
    return found


def test_every_model_these_admins_can_show_has_a_name_of_its_own():
    nameless = [
        model._meta.label
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model.__str__ is models.Model.__str__
    ]
    assert nameless == []


def test_every_list_and_item_page_reads_in_words(superuser, a_bit_of_everything):
    pages = {}
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in APPS:
            continue
        pages[f"list of {opts.verbose_name_plural}"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        item = model._default_manager.order_by("pk").first()
        if item is not None:
            pages[f"a {opts.verbose_name}"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk]
            )
    assert len(pages) > 20
    problems = {}
    for name, url in pages.items():
        response = superuser.get(url, follow=True)
        assert response.status_code == 200, (name, response.status_code)
        if found := problems_on(visible_text(response.content.decode())):
            problems[name] = found
    assert problems == {}


def test_times_on_lists_and_item_pages_are_the_newsrooms_with_the_zone_named(superuser, a_bit_of_everything):
    event = WebhookEvent.objects.filter(type="payment.succeeded").first()
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=LATE_EVENING_UTC)
    listing = visible_text(superuser.get(reverse("admin:payments_webhookevent_changelist")).content.decode())
    assert "Received (Tbilisi time)" in listing and "7 Dec 2026, 01:30" in listing
    page = visible_text(superuser.get(reverse("admin:payments_webhookevent_change", args=[event.pk])).content.decode())
    assert "7 December 2026, 01:30 Tbilisi time" in page
    payment = Payment.objects.filter(purpose="donation").first()
    page = visible_text(superuser.get(reverse("admin:payments_payment_change", args=[payment.pk])).content.decode())
    assert "7 December 2026, 01:30 Tbilisi time" in page and "GEL 50" in page.replace("\xa0", " ")


def test_the_payment_list_shows_amounts_as_money(superuser, a_bit_of_everything):
    html = superuser.get(reverse("admin:payments_payment_changelist")).content.decode()
    assert "GEL\u00a050" in html and "GEL\u00a025" in html and "GEL\u00a015" in html
    assert "Amount minor" not in html and ">5000<" not in html


# --- Tier prices, typed as people write them ----------------------------------------------------------------


def tier_form(client, tier) -> dict:
    """The tier page's form posted back as it stands, the first price changed by the test."""
    html = client.get(reverse("admin:members_tier_change", args=[tier.pk])).content.decode()
    data = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or "__prefix__" in name.group(1) or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
        else:
            data[name.group(1)] = value.group(1) if value else ""
    for select in re.finditer(r'<select name="([^"]+)".*?</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
        data[select.group(1)] = chosen.group(1) if chosen else ""
    data["description"] = tier.description
    data["benefits"] = tier.benefits
    return data


def test_staff_type_a_tier_price_as_they_would_write_it(superuser, priced_tiers):
    tier = priced_tiers["supporter"]
    first = TierPrice.objects.filter(tier=tier).order_by("pk").first()
    data = tier_form(superuser, tier)
    index = next(key.split("-")[1] for key, value in data.items() if key.endswith("-id") and value == str(first.pk))
    assert data[f"prices-{index}-amount_minor"] == f"{first.amount_minor // 100}"

    data[f"prices-{index}-amount_minor"] = "15,5"
    refused = superuser.post(
        reverse("admin:members_tier_change", args=[tier.pk]), data | {f"prices-{index}-amount_minor": "fifteen"}
    )
    assert refused.status_code == 200 and "Enter an amount like 38.42." in refused.content.decode()
    saved = superuser.post(reverse("admin:members_tier_change", args=[tier.pk]), data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    first.refresh_from_db()
    assert first.amount_minor == 1550
    assert str(first) == f"Supporter, {first.get_interval_display().lower()}, GEL\u00a015.50"
    assert "GEL\u00a015.50" in superuser.get(reverse("admin:members_tier_changelist")).content.decode()


def test_a_timeline_event_of_a_late_evening_reads_the_next_day_in_tbilisi(superuser, priced_tiers):
    membership = MembershipFactory(tier=priced_tiers["supporter"])
    made = make.event(membership)
    made.created_at = LATE_EVENING_UTC
    made.save(update_fields=["created_at"])
    page = visible_text(
        superuser.get(reverse("admin:members_membership_change", args=[membership.pk])).content.decode()
    )
    assert "When (Tbilisi time)" in page and "7 Dec 2026, 01:30" in page
    assert str(made).startswith("7 Dec 2026 ")
