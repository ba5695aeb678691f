"""Finance staff download the gifts the list shows, as CSV: the same filters and search, streamed a batch at a time
with a fixed number of queries per batch, cells a spreadsheet will not run as formulas, and only with the export
permission."""

from __future__ import annotations

import csv
import io
from datetime import UTC

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from donations import exports
from donations.models import Donation
from outlet.common.local_time import csv_datetime
from outlet.payments.providers import get_provider
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.donations.factories_gift_admin import FINANCE, staff_with

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = "/admin/donations/donation/export/"
HEADER = [
    "donated at (Tbilisi time)",
    "campaign",
    "donor name",
    "email",
    "amount",
    "currency",
    "fee covered",
    "net to newsrooms",
    "refunded",
    "status",
    "monthly",
    "receipt numbers",
    "payment",
]


@pytest.fixture
def finance(db):
    return staff_with(*FINANCE)


def rows_of(response) -> list[dict]:
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=False)) for row in reader]


def test_the_export_has_every_column_staff_need(finance, campaign):
    _, client = finance
    paid = give(campaign, email="nino@example.org", name="Nino", gift_minor=5000, cover_fee=True)
    give(campaign, email="tamar@example.org", name="Tamar", gift_minor=2500, currency="USD", interval="month")
    get_provider("sandbox").refund(payment_ref=paid["payment"], amount_minor=1000, idempotency_key="partial")
    response = client.get(EXPORT)
    assert response["Content-Disposition"].startswith('attachment; filename="gifts-')
    rows = {row["donor name"]: row for row in rows_of(response)}
    nino, tamar = Donation.objects.get(name="Nino"), Donation.objects.get(name="Tamar")
    numbers = list(
        Receipt.objects.filter(payment=nino.payment).order_by("issued_at", "pk").values_list("number", flat=True)
    )
    assert len(numbers) == 2, "the original and the correction after the partial refund"
    assert rows["Nino"] == {
        "donated at (Tbilisi time)": csv_datetime(nino.donated_at),
        "campaign": "Keep reporters safe",
        "donor name": "Nino",
        "email": "nino@example.org",
        "amount": f"{nino.amount_minor / 100:.2f}",
        "currency": "GEL",
        "fee covered": f"{nino.fee_covered_minor / 100:.2f}",
        "net to newsrooms": f"{nino.net_minor / 100:.2f}",
        "refunded": "10.00",
        "status": "Partially refunded",
        "monthly": "no",
        "receipt numbers": " ".join(numbers),
        "payment": f"sandbox {nino.payment.provider_ref}",
    }
    assert (rows["Tamar"]["currency"], rows["Tamar"]["amount"], rows["Tamar"]["monthly"]) == ("USD", "25.00", "yes")
    assert rows["Tamar"]["receipt numbers"] == Receipt.objects.get(payment=tamar.payment).number


def test_the_export_applies_the_lists_filters_and_search(finance, campaign):
    _, client = finance
    other = make_campaign(slug="printing-press")
    give(campaign, email="nino@example.org", name="Nino")
    give(campaign, email="tamar@example.org", name="Tamar", interval="month")
    give(campaign, email="levan@example.org", name="Levan", currency="USD")
    give(other, email="nika@example.org", name="Nika")

    def names(query: str) -> set[str]:
        return {row["donor name"] for row in rows_of(client.get(f"{EXPORT}?{query}"))}

    assert names("") == {"Nino", "Tamar", "Levan", "Nika"}
    assert names(f"campaign__id__exact={campaign.pk}") == {"Nino", "Tamar", "Levan"}
    assert names(f"campaign__id__exact={campaign.pk}&monthly=no&currency=GEL") == {"Nino"}
    assert names("q=tamar@example.org") == {"Tamar"}
    assert names("q=ni") == {"Nino", "Nika"}
    assert names("status__exact=refunded") == set()


def test_the_export_streams_in_batches_with_a_fixed_number_of_queries_each(finance, campaign, monkeypatch):
    _, client = finance
    for i in range(7):
        give(campaign, email=f"d{i}@example.org", name=f"Donor {i}", interval="month" if i % 2 else "once")
    monkeypatch.setattr(exports, "BATCH_SIZE", 3)
    response = client.get(EXPORT)
    with CaptureQueriesContext(connection) as queries:
        rows = rows_of(response)
    assert len(rows) == 7 and [row["donor name"] for row in rows] == [f"Donor {i}" for i in range(7)]
    # Per batch of 3: the gifts with campaign and payment joined, and their receipts; then one empty batch.
    assert len(queries.captured_queries) == 3 * 2 + 1


def test_cells_that_a_spreadsheet_would_run_are_written_as_text(finance, campaign):
    _, client = finance
    give(campaign, email="attacker@example.org", name='=HYPERLINK("http://evil.example","click")')
    give(campaign, email="other@example.org", name="+1 Plus", display_name="@cmd")
    names = {row["donor name"] for row in rows_of(client.get(EXPORT))}
    assert names == {'\'=HYPERLINK("http://evil.example","click")', "'+1 Plus"}


def test_only_staff_with_the_export_permission_may_download(campaign):
    give(campaign, email="nino@example.org", name="Nino")
    _, reader = staff_with("donations.view_donation", username="reader")
    assert reader.get(EXPORT).status_code == 403
    _, exporter_without_view = staff_with("donations.export_donations", username="exporter")
    assert exporter_without_view.get(EXPORT).status_code == 403
    from django.test import Client

    response = Client().get(EXPORT)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_filter_the_list_does_not_know_is_not_a_500(finance, campaign):
    _, client = finance
    response = client.get(f"{EXPORT}?nonsense__field=1")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_a_list_too_big_for_one_download_is_refused_with_its_filters_kept(finance, campaign, settings):
    """Half a file (a web worker stopped at its timeout) would look complete in a spreadsheet: refuse instead."""
    _, client = finance
    settings.CSV_EXPORT_MAX_ROWS = 2
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        give(campaign, email=email, name=email[0].upper())
    response = client.get(f"{EXPORT}?campaign__id__exact={campaign.pk}")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/admin/donations/donation/?campaign__id__exact={campaign.pk}"
    )
    assert "more than 2 rows" in client.get(response["Location"]).content.decode()
    assert [row["donor name"] for row in rows_of(client.get(f"{EXPORT}?q=a@example.org"))] == ["A"]


def test_the_gift_time_is_the_newsrooms_and_the_header_names_the_zone(finance, campaign):
    from datetime import datetime

    import time_machine

    _, client = finance
    campaign.starts_at = datetime(2026, 12, 5, tzinfo=UTC)  # open by then, whatever day the suite runs
    campaign.save(update_fields=["starts_at"])
    with time_machine.travel(datetime(2026, 12, 6, 21, 30, tzinfo=UTC), tick=False):  # 01:30 on the 7th in Tbilisi
        give(campaign, email="late@example.org", name="Late")
    [row] = rows_of(client.get(EXPORT))
    assert row["donated at (Tbilisi time)"] == "2026-12-07 01:30"
