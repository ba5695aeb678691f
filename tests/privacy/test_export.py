"""A reader asks for a copy of their data from the account page, a task builds the zip, an email brings the link,
and only they, signed in, can download it until it expires."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outlet.privacy import services
from outlet.privacy.models import DataExport
from tests.factories import UserFactory
from tests.privacy.conftest import EMAIL, FULL_NAME

pytestmark = pytest.mark.django_db(transaction=True)


def _link(message) -> str:
    return re.search(r"http://\S+/download/", message.body).group(0)


def test_a_reader_asks_for_their_data_and_downloads_a_zip_of_everything(history, settings):
    mail.outbox.clear()
    page = history.client.get("/accounts/privacy/")
    assert page.status_code == 200 and "Prepare a copy of my data" in page.content.decode()

    response = history.client.post("/accounts/privacy/export/")  # eager Celery: built at commit
    assert response.status_code == 302
    export = DataExport.objects.get(user=history.user)
    assert export.status == DataExport.Status.READY
    assert export.expires_at - export.ready_at == timedelta(days=settings.PRIVACY_EXPORT_DAYS)
    [message] = [m for m in mail.outbox if m.to == [EMAIL] and "/download/" in m.body]
    assert "Ready" in history.client.get("/accounts/privacy/").content.decode()

    download = history.client.get(_link(message).replace("http://testserver", "").split("testserver")[-1])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["account"][0]["email"] == EMAIL
    assert {gift["name"] for gift in data["gifts"]} == {FULL_NAME}
    assert data["gift_allocations"] and data["monthly_gifts"] and data["membership_timeline"]
    assert data["receipts"] and data["emails_sent"] and data["payments"] and data["memberships"]
    assert {(c["topic"], c["subscribed"]) for c in data["email_choices"]} == {
        ("fundraising", True),
        ("(every optional email)", False),
    }
    assert [d["newsletter"] for d in data["newsletter_deliveries"]] == ["The Weekly"]
    names = archive.namelist()
    assert {"gifts.csv", "receipts.csv", "emails_sent.csv", "membership_timeline.csv"} <= set(names)
    assert {"email_choices.csv", "newsletter_deliveries.csv"} <= set(names)
    pdfs = [n for n in names if n.startswith("receipts/") and n.endswith(".pdf")]
    assert len(pdfs) == len(data["receipts"]) and archive.read(pdfs[0]).startswith(b"%PDF")


def test_only_its_owner_signed_in_can_download_it(history):
    history.client.post("/accounts/privacy/export/")
    export = DataExport.objects.get(user=history.user)
    address = f"/accounts/privacy/export/{export.pk}/download/"
    assert Client().get(address).status_code == 302  # to sign in
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(address).status_code == 404


def test_a_second_request_while_one_is_preparing_starts_nothing_new(history, monkeypatch):
    monkeypatch.setattr("outlet.privacy.services.build_export", lambda **kwargs: False)  # the worker is slow
    first, created = services.request_export(user_id=history.user.pk)
    again, created_again = services.request_export(user_id=history.user.pk)
    assert created and not created_again and again.pk == first.pk
    history.client.post("/accounts/privacy/export/")
    assert DataExport.objects.filter(user=history.user).count() == 1
    assert "Preparing" in history.client.get("/accounts/privacy/").content.decode()


def test_an_expired_export_loses_its_file_and_its_link(history):
    history.client.post("/accounts/privacy/export/")
    export = DataExport.objects.get(user=history.user)
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    assert services.expire_exports(now=export.expires_at + timedelta(seconds=1)) == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED and not storage.exists(name)
    assert history.client.get(f"/accounts/privacy/export/{export.pk}/download/").status_code == 404
    assert "expired" in history.client.get("/accounts/privacy/").content.decode()


def test_the_archive_is_written_as_it_goes_with_a_bounded_number_of_queries(history):
    """Each kind is one query (plus the receipts' lookups), however many rows a long history has."""
    owner_id = history.user.pk
    export = DataExport.objects.create(user_id=owner_id, requested_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        services.build_export(export_id=export.pk)
    assert len(queries) < 60, len(queries)
