"""Year-end statements: a schedule staff can see and change, and one PDF summary per donor, emailed once."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from pypdf import PdfReader

from donations import statements, tasks
from donations.models import Donation
from outlet.celery import app as celery_app
from outlet.payments.providers import get_provider
from tests.donations.conftest import give

pytestmark = pytest.mark.django_db(transaction=True)

LAST_YEAR = timezone.localdate().year - 1


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\xa0", " ")


def statements_sent(mailoutbox):
    return [m for m in mailoutbox if "statement of gifts" in m.subject]


def move_to_last_year(email: str) -> None:
    Donation.objects.filter(email__iexact=email).update(
        donated_at=datetime(LAST_YEAR, 6, 15, 12, tzinfo=timezone.get_current_timezone())
    )


# Not transactional: pytest-django runs these before any transactional test flushes the migrated data away.
@pytest.mark.django_db
def test_the_statement_schedule_is_a_periodic_task_staff_can_see_and_change():
    task = PeriodicTask.objects.get(name="Year-end donation statements")
    assert task.enabled and task.task == "donations.tasks.send_year_end_statements"
    assert task.task in celery_app.tasks
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year) == ("0", "6", "10", "1")
    assert json.loads(task.args) == [] and json.loads(task.kwargs) == {}  # year=None: the year just ended


def test_each_donor_gets_one_statement_of_last_years_gifts_however_often_the_task_runs(campaign, mailoutbox):
    give(campaign, email="nino@example.org", name="ნინო ბერიძე", gift_minor=5000)
    give(campaign, email="Nino@Example.org", name="ნინო ბერიძე", gift_minor=2000, currency="USD")
    give(campaign, email="lasha@example.org", name="Lasha", gift_minor=3000)
    give(campaign, email="this-year@example.org", gift_minor=1000)  # stays in this year: no statement for last year
    for email in ("nino@example.org", "lasha@example.org"):
        move_to_last_year(email)

    assert tasks.send_year_end_statements.apply().get() == 2
    tasks.send_year_end_statements.apply()  # staff press "run" again, or beat fires twice
    sent = statements_sent(mailoutbox)
    assert sorted(m.to[0] for m in sent) == ["lasha@example.org", "nino@example.org"]
    nino = next(m for m in sent if m.to == ["nino@example.org"])
    [(name, content, mimetype)] = nino.attachments
    assert name == f"statement-{LAST_YEAR}.pdf" and mimetype == "application/pdf"
    text = pdf_text(content)
    assert f"Statement of gifts, {LAST_YEAR}" in text and "ნინო ბერიძე" in text
    assert "GEL 50" in text and "$20" in text and "Keep reporters safe" in text
    body = nino.body.replace("\xa0", " ")
    assert "GEL 50" in body and "$20" in body


def test_a_statement_leaves_out_gifts_refunded_in_full_and_shows_partial_refunds(campaign, mailoutbox):
    sandbox = get_provider("sandbox")
    kept = give(campaign, email="ana@example.org", gift_minor=5000)
    gone = give(campaign, email="ana@example.org", gift_minor=7700)
    only = give(campaign, email="refunded@example.org", gift_minor=4000)
    sandbox.refund(payment_ref=kept["payment"], amount_minor=1000, idempotency_key="part")
    sandbox.refund(payment_ref=gone["payment"], amount_minor=None, idempotency_key="full")
    sandbox.refund(payment_ref=only["payment"], amount_minor=None, idempotency_key="only")
    year = timezone.localdate().year

    statement = statements.build_statement(year=year, email="ana@example.org")
    assert [(line.amount_minor, line.refunded_minor, line.kept_minor) for line in statement.lines] == [
        (5000, 1000, 4000)
    ]
    assert [(t.currency, t.kept_minor, t.refunded_minor) for t in statement.totals] == [("GEL", 4000, 1000)]
    assert statement.lines[0].receipt_number.endswith("-000004")  # the corrected receipt in force, not the void one
    assert statements.build_statement(year=year, email="refunded@example.org") is None
    assert statements.donor_emails(year=year) == ["ana@example.org"]

    tasks.send_year_end_statements.apply(kwargs={"year": year})
    [message] = statements_sent(mailoutbox)
    text = pdf_text(message.attachments[0][1])
    assert "GEL 40" in text and "refunded GEL 10" in text and "GEL 77" not in text


def test_anonymised_gifts_appear_on_no_statement(campaign, mailoutbox):
    give(campaign, email="old@example.org")
    Donation.objects.update(email="", name="", anonymised_at=timezone.now())
    year = timezone.localdate().year
    assert statements.donor_emails(year=year) == []
    assert tasks.send_year_end_statements.apply(kwargs={"year": year}).get() == 0
    assert statements_sent(mailoutbox) == []
