"""The payout report tells each newsroom what it is owed for a period. Its numbers are checked against a small ledger
worked out by hand: gifts and refunds on both sides of the period's edges (in the site's time zone, Tbilisi, UTC+4),
a refund inside the period of a gift made before it, and gifts in two currencies."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from donations import reports
from donations.models import Campaign, DonationCheckout
from outlet.payments import services as payment_pipeline
from outlet.payments.providers.base import OUR_MARKER, PaymentRefunded, PaymentSucceeded
from tests.factories import UserFactory

TBILISI = ZoneInfo("Asia/Tbilisi")
pytestmark = pytest.mark.django_db


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TBILISI)


def paid(campaign: Campaign, *, ref: str, amount: int, currency: str, at: datetime, weights: dict | None = None) -> str:
    """A gift recorded from the provider's event, as the webhook handler would record it."""
    checkout = DonationCheckout.objects.create(
        campaign=campaign,
        email=f"{ref}@example.org",
        currency=currency,
        gift_minor=amount,
        provider="sandbox",
        weights={str(k): v for k, v in (weights or {}).items()},
    )
    payment_pipeline.apply_domain_event(
        PaymentSucceeded(
            provider="sandbox",
            event_id=f"evt_{ref}",
            occurred_at=at,
            payment_ref=ref,
            amount_minor=amount,
            currency=currency,
            email=checkout.email,
            metadata={OUR_MARKER: "donation", "outlet_checkout": str(checkout.reference)},
        )
    )
    return ref


def refunded(ref: str, *, cumulative: int, currency: str, at: datetime) -> None:
    payment_pipeline.apply_domain_event(
        PaymentRefunded(
            provider="sandbox",
            event_id=f"evt_refund_{uuid.uuid4().hex[:8]}",
            occurred_at=at,
            payment_refs=(ref,),
            amount_refunded_minor=cumulative,
            currency=currency,
        )
    )


@pytest.fixture
def march_ledger(campaign, settings):
    """No processing fee, so each gift's net is its amount and the split is easy to follow: shares 50/30/20, the
    odd unit to Mountain Voice."""
    settings.DONATION_FEE_BASIS_POINTS = 0
    settings.DONATION_FEE_FIXED_MINOR = {}
    border = campaign.beneficiaries.get(slug="border-radio")
    g1 = paid(
        campaign, ref="g1", amount=10_000, currency="GEL", at=local(2026, 3, 1, 0, 10)
    )  # Feb 28 in UTC: in March here
    paid(campaign, ref="g2", amount=3_333, currency="GEL", at=local(2026, 3, 15, 12))  # 1666+2 / 999 / 666
    g3 = paid(campaign, ref="g3", amount=5_000, currency="GEL", at=local(2026, 2, 20, 9))  # before the period...
    refunded(g3, cumulative=5_000, currency="GEL", at=local(2026, 3, 10, 9))  # ...refunded within it
    g4 = paid(
        campaign, ref="g4", amount=2_000, currency="GEL", at=local(2026, 3, 31, 23, 50)
    )  # the last minutes of March...
    refunded(g4, cumulative=1_000, currency="GEL", at=local(2026, 4, 1, 0, 5))  # ...refunded in part in April
    paid(campaign, ref="g5", amount=7_000, currency="GEL", at=local(2026, 4, 1, 0, 0))  # April: outside
    refunded(g1, cumulative=1_001, currency="GEL", at=local(2026, 3, 20, 8))  # 500+1 / 300 / 200 back
    paid(
        campaign, ref="u1", amount=2_500, currency="USD", at=local(2026, 3, 10), weights={border.pk: 1}
    )  # all to Border Radio
    paid(campaign, ref="u2", amount=1_000, currency="USD", at=local(2026, 3, 11))  # 500 / 300 / 200
    return campaign


EXPECTED_MARCH = [
    # newsroom, slug, currency, gifts, refunds, net owed, number of gifts
    ["Mountain Voice", "mountain-voice", "GEL", "76.68", "-30.01", "46.67", "3"],  # 5000+1668+1000; -2500-501
    ["Mountain Voice", "mountain-voice", "USD", "5.00", "0.00", "5.00", "1"],
    ["Valley Dispatch", "valley-dispatch", "GEL", "45.99", "-18.00", "27.99", "3"],  # 3000+999+600; -1500-300
    ["Valley Dispatch", "valley-dispatch", "USD", "3.00", "0.00", "3.00", "1"],
    ["Border Radio", "border-radio", "GEL", "30.66", "-12.00", "18.66", "3"],  # 2000+666+400; -1000-200
    ["Border Radio", "border-radio", "USD", "27.00", "0.00", "27.00", "2"],  # 2500 + 200
]


@pytest.fixture
def finance_client(db):
    client = Client()
    client.force_login(UserFactory(username="finance", email="finance@example.org", is_staff=True, is_superuser=True))
    return client


def download(client, **params):
    return client.get("/admin/donations/campaign/payout-report/", {**params, "download": "1"})


def test_staff_download_what_each_newsroom_is_owed_for_march(march_ledger, finance_client):
    response = download(finance_client, campaign=march_ledger.pk, date_from="2026-03-01", date_to="2026-03-31")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="payout-safety-fund-2026-03-01-to-2026-03-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == reports.CSV_HEADER
    assert [row[:7] for row in rows[1:]] == EXPECTED_MARCH
    assert {tuple(row[7:]) for row in rows[1:]} == {("2026-03-01", "2026-03-31")}


def test_the_april_report_carries_the_refund_of_a_march_gift_and_the_gift_at_midnight(march_ledger):
    lines = {
        (line.slug, line.currency): line
        for line in reports.beneficiary_lines(
            campaign=march_ledger, date_from=date(2026, 4, 1), date_to=date(2026, 4, 1)
        )
    }
    mountain = lines[("mountain-voice", "GEL")]
    assert (mountain.gifts_minor, mountain.refunds_minor, mountain.net_minor, mountain.number_of_gifts) == (
        3500,
        -500,
        3000,
        1,
    )
    assert ("border-radio", "USD") not in lines


def test_over_all_time_every_newsrooms_net_adds_up_to_what_the_donors_gave_less_refunds(march_ledger):
    lines = reports.beneficiary_lines(campaign=march_ledger, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    by_currency: dict[str, int] = {}
    for line in lines:
        by_currency[line.currency] = by_currency.get(line.currency, 0) + line.net_minor
    assert by_currency == {"GEL": 10_000 + 3_333 + 2_000 + 7_000 - 1_001 - 1_000, "USD": 3_500}


def test_a_period_without_activity_gives_just_the_header(march_ledger, finance_client):
    response = download(finance_client, campaign=march_ledger.pk, date_from="2025-01-01", date_to="2025-01-31")
    assert b"".join(response.streaming_content).decode().splitlines() == [",".join(reports.CSV_HEADER)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-02-30", "date_to": "2026-03-31"}, "Enter the first day as a date"),
        ({"date_from": "2026-03-01", "date_to": "yesterday"}, "Enter the last day as a date"),
        ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, "The last day cannot be before the first day."),
        ({"date_from": "0001-01-01", "date_to": "2026-03-01"}, "Choose a date between 2000 and 2999."),
        ({"date_from": "2026-03-01", "date_to": "9999-12-31"}, "Choose a date between 2000 and 2999."),
        ({"date_from": "", "date_to": ""}, "This field is required."),
    ],
)
def test_bad_dates_come_back_as_a_form_error_not_a_crash(campaign, finance_client, params, message):
    response = download(finance_client, campaign=campaign.pk, **params)
    assert response.status_code == 200 and not response.streaming
    assert message in response.content.decode()


@pytest.mark.parametrize("campaign_param", ["", "999999", "not-a-number"])
def test_a_missing_or_unknown_campaign_is_a_form_error(campaign, finance_client, campaign_param):
    response = download(finance_client, campaign=campaign_param, date_from="2026-03-01", date_to="2026-03-31")
    assert response.status_code == 200 and not response.streaming
    assert "errornote" in response.content.decode()


def test_the_report_form_is_linked_from_the_campaign_list(campaign, finance_client):
    assert (
        "/admin/donations/campaign/payout-report/" in finance_client.get("/admin/donations/campaign/").content.decode()
    )
    with time_machine.travel(local(2026, 5, 14, 12)):
        form = finance_client.get(f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}").content.decode()
    assert f'<option value="{campaign.pk}" selected>' in form and "Asia/Tbilisi" in form
    assert 'value="2026-05-01"' in form and 'value="2026-05-31"' in form and "errornote" not in form


@pytest.mark.parametrize(
    "utc_now",
    [
        datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC")),  # 03:30 on 1 February in Tbilisi
        datetime(2026, 1, 31, 20, 30, tzinfo=ZoneInfo("UTC")),  # 00:30 on 1 February in Tbilisi
    ],
)
def test_the_report_opens_on_the_newsrooms_current_month_even_when_utc_is_still_in_the_last_one(
    campaign, finance_client, utc_now
):
    with time_machine.travel(utc_now, tick=False):
        form = finance_client.get(f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}").content.decode()
    assert 'name="date_from" value="2026-02-01"' in form and 'name="date_to" value="2026-02-28"' in form


def test_on_the_last_evening_of_a_month_in_tbilisi_the_report_still_opens_on_that_month(campaign, finance_client):
    with time_machine.travel(datetime(2026, 2, 28, 19, 30, tzinfo=ZoneInfo("UTC")), tick=False):  # 23:30 in Tbilisi
        form = finance_client.get(f"/admin/donations/campaign/payout-report/?campaign={campaign.pk}").content.decode()
    assert 'name="date_from" value="2026-02-01"' in form and 'name="date_to" value="2026-02-28"' in form
