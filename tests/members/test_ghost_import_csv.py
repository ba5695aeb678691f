"""Reading Ghost's member export: both header generations, the BOM, Georgian names, quoted lists, Ghost's formula
escaping, and a clear refusal for every kind of file that is not one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from members import ghost_csv
from members.ghost_csv import GhostFileError, decode_upload, read_rows
from tests.members.ghost_exports.helpers import export


def rows_of(name: str):
    return read_rows(decode_upload(export(name)))


def test_the_old_header_reads_every_column():
    nino, giorgi, tamar, board, gone = rows_of("ghost_old_header.csv")
    assert (nino.ghost_id, nino.email, nino.name) == ("6501a1b2c3d4e5f600000001", "nino@example.org", "ნინო ბერიძე")
    assert nino.note == "Early supporter, met at the festival"
    assert nino.labels == ["VIP", "Early bird"]  # one quoted cell, names joined by commas
    assert nino.subscribed_to_emails is True and nino.complimentary is False and nino.tiers == []
    assert nino.created_at == datetime(2021, 3, 4, 10, 20, 30, tzinfo=UTC)
    assert giorgi.email == "giorgi.paid@example.org"  # addresses compare in lower case
    assert (giorgi.stripe_customer_id, giorgi.tiers, giorgi.complimentary) == ("cus_ghost_paid", ["Supporter"], False)
    assert tamar.note == '=HYPERLINK("x")'  # Ghost's apostrophe against spreadsheet formulas is taken off
    assert (tamar.complimentary, tamar.tiers, tamar.labels) == (True, ["Insider"], ["Press"])
    assert board.complimentary and board.tiers == []
    assert gone.deleted_at == datetime(2023, 5, 5, 12, tzinfo=UTC)
    assert not any(row.errors for row in (nino, giorgi, tamar, board, gone))


def test_the_new_header_with_gift_id_in_any_order_and_an_unknown_column():
    gift, yearly, free = rows_of("ghost_new_header_gift_id.csv")
    assert (gift.gift_id, gift.tiers, gift.labels) == ("gift_abc123", ["Supporter"], ["Gift", "2024"])
    assert (yearly.name, yearly.stripe_customer_id, yearly.tiers) == ("ლევან ყიფიანი", "cus_ghost_yearly", ["insider"])
    assert free.created_at == datetime(2024, 5, 5, 5, 5, 5, tzinfo=UTC) and free.name == ""
    assert not any(row.errors for row in (gift, yearly, free))


def test_a_byte_order_mark_and_a_plain_date_are_read():
    (row,) = rows_of("ghost_bom.csv")
    assert (row.ghost_id, row.email, row.name) == ("6501a1b2c3d4e5f600000009", "bom@example.org", "ანა")
    assert row.created_at == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_ghost_4_called_tiers_products():
    text = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,products\n"
        "1,a@example.org,A,,true,false,cus_1,2021-01-01T00:00:00.000Z,,,Supporter\n"
    )
    (row,) = read_rows(text)
    assert row.tiers == ["Supporter"]


def test_bad_rows_get_their_own_errors():
    rows = {row.email: row for row in rows_of("ghost_bad_rows.csv")}
    assert rows["fine@example.org"].errors == []
    assert rows["not-an-email"].errors == ["email 'not-an-email' is not a valid address"]
    assert "created_at 'yesterday' is not a date" in rows["baddate@example.org"].errors[0]
    assert rows["badbool@example.org"].errors == ["subscribed_to_emails is 'maybe'; it must be true or false"]


def test_a_row_with_a_stray_cell_is_an_error_not_a_shifted_member():
    text = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n"
        "1,a@example.org,Surname, Name,,true,false,,2021-01-01T00:00:00.000Z,,,\n"
    )
    (row,) = read_rows(text)
    assert "has 12 cells where the header has 11" in row.errors[0]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (
            b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n",
            "has a header but no members",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "This is not a CSV file"),
        ("id,email\r\n1,andré@example.org\r\n".encode("latin-1"), "not UTF-8"),
        (b"id,email,id,name\r\n", "names these columns twice: id"),
    ],
)
def test_a_file_that_is_not_a_ghost_export_is_refused_clearly(data, message):
    with pytest.raises(GhostFileError, match=message):
        read_rows(decode_upload(data))


def test_a_file_missing_columns_names_them():
    with pytest.raises(GhostFileError) as refused:
        rows_of("not_ghost_mailchimp.csv")
    assert "This is not a Ghost member export: the header lacks id, email, name" in str(refused.value)


def test_too_big_and_too_many_rows_are_refused_with_the_limit(monkeypatch):
    with pytest.raises(GhostFileError, match="the limit is 20 MB"):
        decode_upload(b"x" * (20 * 1024 * 1024 + 1))
    monkeypatch.setattr(ghost_csv, "MAX_ROWS", 2)
    with pytest.raises(GhostFileError, match="more than 2 members"):
        rows_of("ghost_old_header.csv")


def test_broken_quoting_is_refused_with_the_line():
    text = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n"
        '1,a@example.org,"A' + "x" * 200_000 + "\n"
    )
    with pytest.raises(GhostFileError, match="not valid CSV near line"):
        read_rows(text)


def test_a_status_column_is_read_when_the_file_has_one():
    text = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers,status\n"
        "1,a@example.org,A,,true,,,2021-01-01T00:00:00.000Z,,,Member,Free\n"
        "2,b@example.org,B,,true,,,2021-01-01T00:00:00.000Z,,,Member,lapsed\n"
    )
    free, odd = read_rows(text)
    assert (free.status, free.tiers, free.errors) == ("free", ["Member"], [])
    assert odd.errors == ["status is 'lapsed'; Ghost's statuses are free, paid, comped"]
    (row,) = rows_of("ghost_bom.csv")
    assert row.status == ""  # Ghost's own export has no status column
