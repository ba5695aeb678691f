"""A donor's year-end statement as PDF: the gifts of a year, on the receipts' page (outlet.receipts.pdf.Document),
so the statement looks like, and is issued by the same organisation as, the receipts it summarises."""

from __future__ import annotations

from django.utils import timezone

from outlet.common.local_time import date_text, short_date_text
from outlet.common.money import format_money
from outlet.receipts.pdf import FAMILY, MUTED, Document


def render_statement(statement) -> bytes:
    """A donor's year: every gift not refunded in full, with refunds shown, and totals per currency."""
    doc = Document(title=f"Year-end statement {statement.year}")
    doc.issuer_block()
    doc.rule()
    doc.text_line(f"Statement of gifts, {statement.year}", size=18, bold=True, height=10)
    doc.ln(1)
    doc.fact("Donor", statement.name or statement.email, bold=True)
    if statement.name:
        doc.fact("Email", statement.email)
    doc.fact("Period", f"1 January – 31 December {statement.year}")
    doc.fact("Issued", date_text(timezone.now()))
    doc.ln(3)
    widths = (24, 62, 30, 0)
    doc.row(
        [
            ("Date", widths[0], "L"),
            ("Fundraiser", widths[1], "L"),
            ("Receipt", widths[2], "L"),
            ("Amount", widths[3], "R"),
        ],
        bold=True,
    )
    for line in statement.lines:
        amount = format_money(line.kept_minor, line.currency)
        if line.refunded_minor:
            amount = (
                f"{amount} (paid {format_money(line.amount_minor, line.currency)}, refunded "
                f"{format_money(line.refunded_minor, line.currency)})"
            )
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
        label = f"Total given in {total.currency}"
        doc.row([(label, 116, "L"), (format_money(total.kept_minor, total.currency), 0, "R")], bold=True)
        if total.refunded_minor:
            doc.row(
                [
                    ("of which refunded to you (not included)", 116, "L"),
                    (format_money(total.refunded_minor, total.currency), 0, "R"),
                ],
                color=MUTED,
            )
    doc.rule(5)
    doc.text_line(
        "Thank you for supporting independent journalism. Each gift's own receipt remains the record of that gift.",
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
