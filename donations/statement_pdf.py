"""A donor's year-end statement as PDF: the gifts of a year, on the receipts' page (outlet.receipts.pdf.Document),
so the statement looks like, and is issued by the same organisation as, the receipts it summarises.

Its words are translated when it is rendered (gettext, not lazy): in the language active then, the reader's for a
download, the worker's for the year-end email."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from outlet.common.local_time import date_text, short_date_text
from outlet.common.money import format_money
from outlet.receipts.pdf import FAMILY, MUTED, Document

NOTE_SIZE = 8  # pt: the paid-and-refunded note under an amount


def render_statement(statement) -> bytes:
    """A donor's year: every gift not refunded in full, with refunds shown, and totals per currency."""
    year = {"year": statement.year}
    # Translators: the PDF's title in its properties, e.g. "Year-end statement 2026".
    doc = Document(title=_("Year-end statement %(year)s") % year)
    doc.issuer_block()
    doc.rule()
    doc.text_line(_("Statement of gifts, %(year)s") % year, size=18, bold=True, height=10)
    doc.ln(1)
    doc.fact(_("Donor"), statement.name or statement.email, bold=True)
    if statement.name:
        doc.fact(_("Email"), statement.email)
    doc.fact(_("Period"), _("1 January – 31 December %(year)s") % year)
    # Translators: the date the statement was made.
    doc.fact(_("Issued"), date_text(timezone.now()))
    doc.ln(3)
    headings = (
        _("Date"),
        _("Fundraiser"),
        # Translators: a column heading; the column holds each gift's receipt number.
        pgettext("statement column", "Receipt"),
        _("Amount"),
    )
    rows = [_gift_row(line) for line in statement.lines]
    # Dates, receipt numbers and amounts are shown whole, as wide as the language writes them; the fundraiser's
    # name takes the rest of the line and is cut short if it must be.
    date_width, number_width, amount_width = (
        max(doc.column_width([heading], bold=True), doc.column_width(row[column] for row in rows))
        for heading, column in ((headings[0], 0), (headings[2], 2), (headings[3], 3))
    )
    amount_width = max(amount_width, doc.column_width((row[4] for row in rows), size=NOTE_SIZE))
    name_width = doc.epw - date_width - number_width - amount_width
    widths = (date_width, name_width, number_width, 0)
    aligned = ["L", "L", "L", "R"]
    doc.row(list(zip(headings, widths, aligned, strict=True)), bold=True)
    for day, fundraiser, number, amount, note in rows:
        doc.row(
            [
                (day, widths[0], "L"),
                (_fit(doc, fundraiser, widths[1]), widths[1], "L"),
                (number, widths[2], "L"),
                (amount, widths[3], "R"),
            ]
        )
        if note:  # under a partly refunded gift's amount, smaller: what was paid and what came back
            doc.row([("", doc.epw - amount_width, "L"), (note, 0, "R")], color=MUTED, size=NOTE_SIZE, height=4.5)
    doc.rule()
    for total in statement.totals:
        # Translators: currency is a code such as GEL, USD or EUR.
        label = _("Total given in %(currency)s") % {"currency": total.currency}
        doc.row([(label, 116, "L"), (format_money(total.kept_minor, total.currency), 0, "R")], bold=True)
        if total.refunded_minor:
            doc.row(
                [
                    (_("of which refunded to you (not included)"), 116, "L"),
                    (format_money(total.refunded_minor, total.currency), 0, "R"),
                ],
                color=MUTED,
            )
    doc.rule(5)
    doc.text_line(
        _("Thank you for supporting independent journalism. Each gift's own receipt remains the record of that gift."),
        size=9,
        color=MUTED,
        height=4.6,
    )
    return doc.finish()


def _gift_row(line) -> tuple[str, str, str, str, str]:
    """One gift's date, fundraiser, receipt number, amount kept and, if part of it was refunded, the note saying what
    was paid and refunded."""
    note = ""
    if line.refunded_minor:
        # Translators: under a partly refunded gift's amount on the year-end statement: what the donor paid, and
        # what was given back to them.
        note = _("paid %(paid)s, refunded %(refunded)s") % {
            "paid": format_money(line.amount_minor, line.currency),
            "refunded": format_money(line.refunded_minor, line.currency),
        }
    return (
        short_date_text(line.donated_at),
        line.campaign,
        line.receipt_number or "—",
        format_money(line.kept_minor, line.currency),
        note,
    )


def _fit(doc: Document, text: str, width: float) -> str:
    doc.set_font(FAMILY, "", 9.5)
    if doc.get_string_width(text) <= width - 2:
        return text
    while text and doc.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"
