"""CSV downloads that stream: rows are read a batch at a time by primary key and written as they go, so memory
stays flat however many rows staff export, and a spreadsheet never runs a cell as a formula."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object that hands back what csv.writer writes, so each row becomes one chunk of the response."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ (CSV injection) gets a quote in front.
    Numbers are written as they are, so negative amounts stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows_by_pk(queryset: QuerySet, *, batch_size: int = 2000) -> Iterator:
    """Every row of the queryset, walking forward by primary key a batch at a time (keyset pagination: each batch is
    an index range scan, no OFFSET, no server-side cursor held open across the whole download)."""
    last_pk = None
    while True:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        batch = list(page[:batch_size])
        if not batch:
            return
        yield from batch
        last_pk = batch[-1].pk


def too_big_to_export(queryset: QuerySet) -> str | None:
    """Why this download would be unreasonable (None: it is fine). At about 45 s per million gifts through gunicorn, a
    list past CSV_EXPORT_MAX_ROWS would hold a web thread for minutes and a browser tab for longer; staff narrow the
    filters instead. Counts at most limit + 1 rows, never the whole table."""
    limit = settings.CSV_EXPORT_MAX_ROWS
    if queryset.order_by()[: limit + 1].count() <= limit:
        return None
    return (
        f"This list has more than {limit:,} rows, more than one download can carry. Nothing was exported: narrow "
        "the list with the filters (a date range, a campaign, a status) and export it in parts."
    )


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a byte-order mark, so Excel opens UTF-8 (Georgian, Armenian, Cyrillic names) correctly
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def queryset_csv_response(
    *, filename: str, queryset: QuerySet, columns: Sequence[tuple[str, Callable]], batch_size: int = 2000
) -> StreamingHttpResponse:
    """columns: (header, function of one row -> cell value)."""
    header = [name for name, _ in columns]
    rows = ([extract(obj) for _, extract in columns] for obj in rows_by_pk(queryset, batch_size=batch_size))
    return csv_response(filename=filename, header=header, rows=rows)
