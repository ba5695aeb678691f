"""A NUL byte in the path, the query string or a form field is refused with a 400 that says why, before any view:
PostgreSQL refuses NUL in text, and the admin's list filters, for one, pass query values straight to a query."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(username="desk", is_staff=True, is_superuser=True))  # with two-factor (tests.staff)
    return client


@pytest.mark.parametrize(
    "address",
    [
        "/admin/auth/user/?username=%00",  # a 500 on PostgreSQL before the guard
        "/admin/donations/donation/?status__exact=%00",  # likewise
        "/admin/auth/user/?q=ok&%00=1",
        "/admin/auth/user/a%00/change/",
        "/fundraisers/gifts/a%00b/",
    ],
)
def test_a_nul_anywhere_in_the_address_is_a_bad_request(staff_client, address):
    response = staff_client.get(address)
    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.content.decode()


def test_a_nul_in_a_posted_field_or_its_name_is_a_bad_request():
    assert Client().post("/accounts/login/", {"login": "a\x00@example.org", "password": "x"}).status_code == 400
    assert Client().post("/accounts/login/", {"log\x00in": "a@example.org"}).status_code == 400
    upload = {"name": "a\x00", "file": SimpleUploadedFile("ghost.csv", b"id,email\n")}
    assert Client().post("/accounts/login/", upload).status_code == 400


def test_what_is_not_a_form_is_left_to_its_view():
    """A webhook's JSON body is the intake's to judge (its escaped NUL is not a raw one), and so is an uploaded
    file's content."""
    body = json.dumps({"id": "evt_1", "note": "a\u0000b"})
    response = Client().post("/payments/webhooks/sandbox/", body, content_type="application/json")
    assert response.status_code != 400 or "NUL character" not in response.content.decode()
    upload = {"login": "reader@example.org", "file": SimpleUploadedFile("x.bin", b"\x00\x00")}
    assert Client().post("/accounts/login/", upload).status_code != 400


def test_an_ordinary_request_passes(staff_client):
    assert Client().get("/?page=2&q=ქართული").status_code == 200
    assert staff_client.get("/admin/auth/user/?q=desk").status_code == 200


def test_a_multipart_body_posted_to_the_webhook_intake_is_left_for_it_to_read():
    """The intake reads its body raw; the guard parsing it first was a 500 (RawPostDataException)."""
    response = Client().post("/payments/webhooks/sandbox/", {"id": "evt_1", "note": "a\x00b"})
    assert response.status_code == 400 and "NUL character" not in response.content.decode()
