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
    widths = (24, 62, 30, 0)
    doc.row(
        [
            (_("Date"), widths[0], "L"),
            (_("Fundraiser"), widths[1], "L"),
            # Translators: a column heading; the column holds each gift's receipt number.
            (pgettext("statement column", "Receipt"), widths[2], "L"),
            (_("Amount"), widths[3], "R"),
        ],
        bold=True,
    )
    for line in statement.lines:
        amount = format_money(line.kept_minor, line.currency)
        if line.refunded_minor:
            # Translators: a gift partly refunded: what the donor gave in the end, then what was paid and refunded.
            amount = _("%(kept)s (paid %(paid)s, refunded %(refunded)s)") % {
                "kept": amount,
                "paid": format_money(line.amount_minor, line.currency),
                "refunded": format_money(line.refunded_minor, line.currency),
            }
        doc.row(
            [
                (short_date_text(line.donated_at), widths[0], "L"),
                (_fit(doc, line.campaign, widths[1]), widths[1], "L"),
                (line.receipt_number or "—", widths[2], "L"),
                (amount, widths[3], "R"),
            ]
        )
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


def _fit(doc: Document, text: str, width: float) -> str:
    doc.set_font(FAMILY, "", 9.5)
    if doc.get_string_width(text) <= width - 2:
        return text
    while text and doc.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"
