"""Reading Ghost's member export (Members → Export in Ghost admin) into typed rows, one error list per row.

The format, as Ghost writes it (its members CSV serializer, papaparse with escapeFormulae):
- header `id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,
  tiers`; newer versions add `gift_id`, Ghost 4 called `tiers` `products`. Columns may come in any order; unknown
  extra columns are ignored; a missing one refuses the whole file (it is then not an export we understand).
- Ghost's own export has no `status` column (it writes complimentary_plan from status "comped"); files made from
  Ghost's Admin API or by migration tools carry one (free, paid or comped), so it is read when present.
- `labels` and `tiers` are names joined by commas inside one quoted cell ("VIP,Early bird"). `tiers` names what the
  member has; a free member may carry the site's free tier ("Free", or what the site renamed it to, e.g. "Member").
- booleans are "true"/"false"; newer exports write an empty complimentary_plan for false.
- dates are ISO 8601 in UTC ("2024-03-01T09:30:00.000Z").
- a cell starting with = + - @ tab or CR is written with a leading apostrophe against spreadsheet formulas; we
  take the apostrophe off again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

REQUIRED_COLUMNS = (
    "id",
    "email",
    "name",
    "note",
    "subscribed_to_emails",
    "complimentary_plan",
    "stripe_customer_id",
    "created_at",
    "deleted_at",
    "labels",
    "tiers",
)
OPTIONAL_COLUMNS = ("gift_id", "status")
GHOST_STATUSES = ("free", "paid", "comped")
OLDER_NAMES = {"products": "tiers"}  # Ghost 4 exports
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no", ""}


class GhostFileError(Exception):
    """The whole file is refused, with a message staff can act on."""


@dataclass
class GhostRow:
    number: int  # the member's row in the file (1 = the first member, under the header)
    ghost_id: str = ""
    email: str = ""
    name: str = ""
    note: str = ""
    subscribed_to_emails: bool | None = None
    complimentary: bool = False
    stripe_customer_id: str = ""
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)
    gift_id: str = ""
    status: str = ""  # free, paid or comped when the file says; "" for Ghost's own export (no such column)
    errors: list[str] = field(default_factory=list)


def decode_upload(data: bytes) -> str:
    """The uploaded bytes as text: UTF-8 with or without the byte-order mark Excel adds."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise GhostFileError(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1_048_576} MB. "
            "Export fewer members at a time (filter by label in Ghost) and import each file."
        )
    if not data.strip():
        raise GhostFileError("The file is empty.")
    if b"\x00" in data[:4096]:
        raise GhostFileError(
            "This is not a CSV file (it looks like a spreadsheet or another binary file). "
            "Upload the .csv file Ghost's member export downloads, unchanged."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GhostFileError(
            "The file is not UTF-8 text. Upload the file exactly as Ghost exported it; if you edited "
            'it in a spreadsheet, save it as "CSV UTF-8".'
        ) from None


def read_rows(text: str) -> list[GhostRow]:
    """Every member row, parsed and checked on its own; file-level problems raise GhostFileError."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise GhostFileError("The file is empty.")
        columns = _columns(header)
        rows: list[GhostRow] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(rows) >= MAX_ROWS:
                raise GhostFileError(
                    f"The file has more than {MAX_ROWS:,} members. Split the export (filter by label "
                    "or signup date in Ghost) and import each file."
                )
            rows.append(_row(len(rows) + 1, cells, columns, width=len(header)))
    except csv.Error as exc:
        raise GhostFileError(
            f"The file is not valid CSV near line {reader.line_num}: {exc}. Upload the file exactly "
            "as Ghost exported it."
        ) from None
    if not rows:
        raise GhostFileError("The file has a header but no members.")
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    for older, current in OLDER_NAMES.items():
        if older in names and current not in names:
            names[names.index(older)] = current
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise GhostFileError(f"The header names these columns twice: {', '.join(duplicated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise GhostFileError(
            f"This is not a Ghost member export: the header lacks {', '.join(missing)}. Ghost's export starts with "
            f'"{",".join(REQUIRED_COLUMNS)}" (columns may be in any order).'
        )
    return {name: index for index, name in enumerate(names) if name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}


def _row(number: int, cells: list[str], columns: dict[str, int], *, width: int) -> GhostRow:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return _unescape(cells[index].strip())

    row = GhostRow(number=number)
    if len(cells) != width:
        row.errors.append(f"has {len(cells)} cells where the header has {width} (a stray comma or quote?)")
    row.ghost_id = cell("id")
    row.email = cell("email").lower()
    try:
        validate_email(row.email)
    except ValidationError:
        row.errors.append(f"email {row.email!r} is not a valid address" if row.email else "has no email")
    row.name, row.note = cell("name"), cell("note")
    row.stripe_customer_id, row.gift_id = cell("stripe_customer_id"), cell("gift_id")
    row.subscribed_to_emails = _boolean(row, "subscribed_to_emails", cell("subscribed_to_emails"), blank=None)
    row.complimentary = bool(_boolean(row, "complimentary_plan", cell("complimentary_plan"), blank=False))
    row.created_at = _date(row, "created_at", cell("created_at"))
    row.deleted_at = _date(row, "deleted_at", cell("deleted_at"))
    row.labels = _names(cell("labels"))
    row.tiers = _names(cell("tiers"))
    row.status = cell("status").lower()
    if row.status not in ("", *GHOST_STATUSES):
        row.errors.append(f"status is {row.status!r}; Ghost's statuses are {', '.join(GHOST_STATUSES)}")
    if len(row.ghost_id) > 64:
        row.errors.append("id is longer than a Ghost member id (64 characters)")
    if len(row.stripe_customer_id) > 255 or " " in row.stripe_customer_id:
        row.errors.append(f"stripe_customer_id {row.stripe_customer_id[:40]!r} is not a Stripe customer id")
    return row


def _unescape(value: str) -> str:
    """Undo Ghost's formula escaping ("'=SUM(1)" was "=SUM(1)")."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _names(value: str) -> list[str]:
    return list(dict.fromkeys(_unescape(part.strip()) for part in value.split(",") if part.strip()))


def _boolean(row: GhostRow, column: str, value: str, *, blank: bool | None) -> bool | None:
    word = value.strip().lower()
    if word == "":
        return blank
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    row.errors.append(f"{column} is {value!r}; it must be true or false")
    return blank


def _date(row: GhostRow, column: str, value: str) -> datetime | None:
    if not value or value.lower() == "null":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        row.errors.append(f"{column} {value!r} is not a date Ghost writes (expected e.g. 2024-03-01T09:30:00.000Z)")
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
