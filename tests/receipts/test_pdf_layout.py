"""A receipt's one-line texts are written straight into the page (Document.one_line) where fpdf2's cell() would put
them: the same words, at the same place, in the same font and size, for every script and currency sign, voided or
not, as the same receipt laid out by cell() alone. And nothing on a receipt or a year-end statement runs into the
text beside it, in any language (long labels, dates, refund notes)."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from donations.statement_pdf import render_statement
from donations.statements import CurrencyTotal, Statement, StatementLine
from outlet.receipts.models import Receipt
from outlet.receipts.pdf import FAMILY, LABEL_COLUMN, Document, render_receipt
from tests.receipts.test_pdf_fonts import NAMES, _receipt

LANGUAGES = ["en", "ka", "hy", "az", "ru"]
LONG_FUNDRAISER = "Keep reporters safe in the Caucasus: the collective fund for 2026"


def _placed_texts(pdf: bytes) -> list[tuple[str, float, float, str, float]]:
    """Every text the page shows: its characters, where it starts (points), its font and size. (pypdf guesses word
    spaces between text objects from their distance: those are trimmed.)"""
    placed: list[tuple[str, float, float, str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            placed.append(
                (text.strip(" "), round(x, 1), round(y, 1), str(font["/BaseFont"]) if font else "", round(size, 2))
            )

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return placed


@pytest.mark.parametrize(
    ("name", "currency", "language"),
    [
        (NAMES[0], "GEL", "ka"),
        (NAMES[1], "AMD", "hy"),
        (NAMES[2], "EUR", "ru"),
        (NAMES[3], "AZN", "az"),
        (NAMES[4], "USD", "en"),
    ],
)
@pytest.mark.parametrize("voided", [False, True])
def test_one_line_texts_land_where_cell_puts_them(monkeypatch, name, currency, language, voided):
    receipt = _receipt(name, currency=currency, language=language)
    if voided:
        receipt.voided_at, receipt.void_reason = timezone.now(), "refunded in full"
    written = render_receipt(receipt)
    with monkeypatch.context() as patched:
        patched.setattr(Document, "_runs", lambda self, text: None)  # every line through fpdf2's cell()
        by_cell = render_receipt(receipt)

    placed, expected = _placed_texts(written), _placed_texts(by_cell)
    assert len(expected) > 20
    assert placed == expected


def test_a_character_no_font_has_still_goes_through_cell_and_prints_a_box():
    receipt = _receipt("Ahmad 🙂 أحمد")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_receipt(receipt))).pages)
    assert "Ahmad" in text and "2026-000007" in text


def _column_texts(placed, x_mm: float, *, size: float = 10) -> list[tuple[str, float]]:
    """The texts of one size that start at this distance from the page's left edge, top to bottom."""
    points = x_mm * 72 / 25.4
    return [(text, y) for text, x, y, _font, size_pt in placed if abs(x - points) < 0.2 and size_pt == size]


def test_a_label_longer_than_its_column_wraps_inside_it_beside_its_value():
    doc = Document(title="Receipt")
    doc.fact("Payment reference at the bank that took the transfer", "pi_3Pq8")
    doc.fact("Email", "lela@example.org")
    placed = _placed_texts(doc.finish())

    labels = _column_texts(placed, doc.l_margin + doc.c_margin)
    values = _column_texts(placed, doc.l_margin + LABEL_COLUMN + doc.c_margin)
    assert [text for text, _y in values] == ["pi_3Pq8", "lela@example.org"]
    *long_label, email = labels
    assert len(long_label) >= 2, "the long label wraps"
    assert long_label[0][1] == values[0][1], "its first line sits beside its value"
    assert email[1] < long_label[-1][1] and email[1] == values[1][1], "the next fact starts below the whole label"
    doc.set_font(FAMILY, "", 10)
    assert all(doc.get_string_width(text) <= LABEL_COLUMN - 2 * doc.c_margin for text, _y in long_label)


@pytest.mark.parametrize("language", ["en", "ka", "hy", "az", "ru"])
def test_no_label_runs_under_its_value_in_any_language(language):
    receipt = _receipt(NAMES[0], language=language)
    placed = _placed_texts(render_receipt(receipt))
    doc = Document(title="Receipt")
    doc.set_font(FAMILY, "", 10)

    labels = [text for text, _y in _column_texts(placed, doc.l_margin + doc.c_margin)]
    assert len(labels) >= 7
    assert all(doc.get_string_width(text) <= LABEL_COLUMN - 2 * doc.c_margin for text in labels), labels


def _collisions(pdf: bytes) -> list[tuple[str, str]]:
    """Pairs of texts on one line where the first runs past the start of the next: each text's width measured with
    the document's own fonts (bold where the PDF's font is bold), in points. (pypdf reports every font run of one
    text object, e.g. an amount and its currency sign, at the object's start: those are joined again.)"""
    measure = Document(title="measure")
    objects: dict[tuple[float, float], tuple[str, str, float]] = {}
    for text, x, y, font, size in _placed_texts(pdf):
        joined, first_font, first_size = objects.get((y, x), ("", font, size))
        objects[(y, x)] = (joined + text, first_font, first_size)
    lines: dict[float, list[tuple[float, str, str, float]]] = defaultdict(list)
    for (y, x), (text, font, size) in objects.items():
        lines[y].append((x, text, font, size))
    collisions = []
    for texts in lines.values():
        texts.sort()
        for (x, text, font, size), (next_x, next_text, _font, _size) in zip(texts, texts[1:], strict=False):
            measure.set_font(FAMILY, "B" if "Bold" in font else "", size)
            if x + measure.get_string_width(text) * 72 / 25.4 > next_x + 0.5:
                collisions.append((text, next_text))
    return collisions


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_on_a_receipt_runs_into_its_neighbour(language):
    original = _receipt(NAMES[0], language=language)
    correction = _receipt(NAMES[1], currency="AMD", language=language)
    correction.kind, correction.refund_level_minor = Receipt.Kind.CORRECTION, 23456
    correction.replaces = Receipt(pk=1, number="2026-000003")
    voided = _receipt(NAMES[3], currency="AZN", language=language)
    voided.voided_at, voided.void_reason = timezone.now(), "refunded in full"

    for receipt in (original, correction, voided):
        assert _collisions(render_receipt(receipt)) == [], (language, receipt.kind)


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_on_a_year_end_statement_runs_into_its_neighbour(language):
    # A long fundraiser name, a partly refunded gift in lari (its note is the widest amount) and dram in the millions.
    lines = [
        StatementLine(datetime(2026, 3, 4, 12, tzinfo=UTC), LONG_FUNDRAISER, "2026-000012", "GEL", 512050, 200025),
        StatementLine(datetime(2026, 9, 24, 12, tzinfo=UTC), "Keep reporters safe", "2026-000044", "AMD", 15000000, 0),
    ]
    statement = Statement(
        year=2026,
        email="nino@example.org",
        name=NAMES[0],
        lines=lines,
        totals=[CurrencyTotal("GEL", 312025, 200025), CurrencyTotal("AMD", 15000000, 0)],
    )
    with translation.override(language):
        pdf = render_statement(statement)

    assert _collisions(pdf) == []
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "2026-000012" in text and "2026-000044" in text, "every receipt number is shown whole"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrapped_line_breaks_where_multi_cell_breaks_it(language):
    """Text that needs more than one line is cut at the same spaces as multi_cell cuts it (Document._wrapped),
    for the thank-you line in each language and for texts much longer than a line, at several sizes."""
    from fpdf.enums import MethodReturnValue

    with translation.override(language):
        thanks = translation.gettext(
            "Thank you. This receipt was issued electronically and is valid without a signature."
        )
        doc = Document(title="wrap")
    texts = [thanks, " ".join([thanks, LONG_FUNDRAISER, NAMES[0], NAMES[1], NAMES[2], NAMES[3]] * 2)]
    wrapped_somewhere = False
    for size in (8, 9, 11, 14):
        doc.set_font(FAMILY, "", size)
        room = doc.w - doc.r_margin - doc.l_margin - 2 * doc.c_margin
        for text in texts:
            expected = doc.multi_cell(0, 5, text, align="L", dry_run=True, output=MethodReturnValue.LINES)
            ours = doc._wrapped(text, room)
            assert ours == [line.strip(" ") for line in expected]
            wrapped_somewhere = wrapped_somewhere or len(ours) > 1
    assert wrapped_somewhere
