"""Receipts as PDF, with fpdf2 (pure Python, no system packages). Document is also the page of donations' year-end
statements (donations/statement_pdf.py), so both share the issuer block, the fonts and the look.

fpdf2's core fonts are latin-1 only, and donors are called "ნინო ბერიძე" or "Արամ Պետրոսյան": we embed DejaVu Sans
(vendored in outlet/receipts/fonts/ with its licence). The full font costs ~150 ms per document to parse and
subset, so each process first trims it once (about a second) to the scripts our donors write in and drops the shaping
tables fpdf2 does not use without HarfBuzz. Each process then parses the trimmed fonts once and every document
shares them, subset by copying glyph bytes at output (outlet/receipts/pdf_fonts.py); one-line texts skip fpdf2's
line breaker, its cell machinery and its character-by-character fallback walk (Document.paragraph, one_line,
_parse_chars). A receipt renders in ~4 ms of CPU (it took ~40-70 ms: parsing six fonts and subsetting them with
fontTools, per document; ~6 ms before one_line).
Characters outside those scripts print as an empty box, never as an error.

Every word on the page is translated when the PDF is rendered (gettext, not lazy), in the language active then: the
reader's for a download, the worker's for the copy attached to the receipt email. What the receipt row holds (who
paid, for what, the newsrooms' lines, the void reason) was written when it was issued and is printed as it is.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF
from fpdf.enums import PDFResourceType, TextMode
from fpdf.fonts import TTFFont
from fpdf.line_break import Fragment

from outlet.common.local_time import date_text
from outlet.common.money import format_money
from outlet.receipts.pdf_fonts import SharedFontOutput, add_shared_fonts

if TYPE_CHECKING:
    from outlet.receipts.models import Receipt

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "ReceiptSans"
# DejaVu Sans draws every script the site writes in (Latin with ə, Cyrillic, Armenian, Georgian); three currency
# signs it lacks come from Noto: the lari ₾ and manat ₼ (Noto Sans's currency block) and the dram ֏ (Noto Sans
# Armenian). fpdf2 takes a character the main font lacks from the fallbacks, in this order.
FONT_FILES = {
    FAMILY: {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"},
    "ReceiptCurrency": {"": "NotoSansCurrency-Regular.ttf", "B": "NotoSansCurrency-Bold.ttf"},
    "ReceiptArmenian": {"": "NotoSansArmenian-Regular.ttf", "B": "NotoSansArmenian-Bold.ttf"},
}
FALLBACK_FAMILIES = ["ReceiptCurrency", "ReceiptArmenian"]
# Latin (with combining marks, Vietnamese and Azerbaijani's ə), Greek, Cyrillic, Armenian, Georgian (Mkhedruli,
# Mtavruli), punctuation, currency signs, arrows, minus, boxes.
UNICODE_RANGES = (
    (0x20, 0x24F),
    (0x250, 0x2AF),  # IPA extensions: Azerbaijani's schwa (ə) lives here
    (0x300, 0x36F),
    (0x370, 0x3FF),
    (0x400, 0x52F),
    (0x530, 0x58F),
    (0x10A0, 0x10FF),
    (0x1C90, 0x1CBF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x2212, 0x2212),
    (0x25A0, 0x25FF),
)
Colour = tuple[int, int, int]
INK: Colour = (27, 27, 27)
MUTED: Colour = (95, 95, 95)
RULE: Colour = (200, 200, 200)
VOID_RED: Colour = (190, 20, 20)
LABEL_COLUMN = 50  # mm: the facts' labels (receipt number, dates, payer)

# fontTools narrates every subset (one per font per document) at INFO; a worker's log needs none of it.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_trim_lock = threading.Lock()
_trimmed: dict[tuple[str, str], str] = {}


def _trimmed_fonts() -> dict[tuple[str, str], str]:
    """Paths of the trimmed fonts by (family, style), made once per process (and shared between processes through a
    cache file named by the source font's digest, written atomically)."""
    with _trim_lock:
        if not _trimmed:
            for family, styles in FONT_FILES.items():
                for style, name in styles.items():
                    _trimmed[(family, style)] = _trim(FONT_DIR / name)
        return dict(_trimmed)


def _trim(source: Path) -> str:
    from fontTools import subset, ttLib

    data = source.read_bytes()
    digest = hashlib.sha256(data + repr(UNICODE_RANGES).encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"outlet-receipt-font-{source.stem}-{digest}.ttf"
    if target.exists():
        return str(target)
    font = ttLib.TTFont(io.BytesIO(data))
    wanted = [code for code in font.getBestCmap() if any(low <= code <= high for low, high in UNICODE_RANGES)]
    options = subset.Options()
    options.layout_features, options.hinting, options.glyph_names, options.notdef_outline = [], False, False, True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "VDMX", "LTSH", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".ttf")
    with os.fdopen(handle, "wb") as out:
        font.save(out)
    os.replace(partial, target)
    return str(target)


def _date(moment: datetime | None) -> str:
    return date_text(moment)


class Document(FPDF):
    """An A4 page with the receipt fonts, the issuer as author and the helpers below."""

    def __init__(self, *, title: str) -> None:
        super().__init__(format="A4", unit="mm")
        add_shared_fonts(self, _trimmed_fonts())
        self.set_fallback_fonts(FALLBACK_FAMILIES)
        self.set_title(title)
        self.set_author(settings.RECEIPT_ISSUER["name"])
        self.set_creator(settings.SITE_NAME)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.add_page()

    def text_line(
        self,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        color: Colour = INK,
        height: float | None = None,
        align: str = "L",
    ) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)
        self.paragraph(0, height or size * 0.5, text, align=align)

    def paragraph(self, width: float, height: float, text: str, *, align: str = "J") -> None:
        """multi_cell, then to the next line; text that fits on one line is printed as one cell, as multi_cell
        would print it, without its line breaker (which measures the line again for every character: it was
        most of a receipt's layout time)."""
        room = (width or self.w - self.r_margin - self.x) - 2 * self.c_margin
        if "\n" not in text and self._width(text) < room - 0.5:  # 0.5 mm short: clearly one line
            self.one_line(width, height, text, align="L" if align == "J" else align, next_line=True)
            return
        lines = self._wrapped(text, room) if align != "J" else None
        if lines is None:
            self.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
            return
        left = self.x
        for line in lines:
            self.x = left
            self.one_line(width, height, line, align=align, next_line=True)

    def _wrapped(self, text: str, room: float) -> list[str] | None:
        """Text cut into lines at spaces, each as wide as fits in `room` (mm), as multi_cell cuts it; or None when
        it needs multi_cell: justified, a hard line break, runs of spaces, a word wider than the line, or a text
        engine. multi_cell measures the line again for each character it adds: across the five languages' receipts
        that was a tenth of the render time, though only the Armenian thank-you line wraps."""
        words = text.split(" ")
        if "\n" in text or "" in words or self._runs(text) is None:
            return None
        widths = [self._runs_width(self._runs(word) or []) for word in words]
        space = self._runs_width(self._runs(" ") or [])
        if max(widths) > room:
            return None
        lines, line, used = [], words[0], widths[0]
        for word, width in zip(words[1:], widths[1:], strict=True):
            if used + space + width <= room:
                line, used = f"{line} {word}", used + space + width
            else:
                lines.append(line)
                line, used = word, width
        lines.append(line)
        return lines

    def one_line(self, width: float, height: float, text: str, *, align: str = "L", next_line: bool = False) -> None:
        """cell() for one line of text without border, fill or link: then to its right, or to the next line.
        Text our fonts draw is placed where cell() would place it, written straight into the page (cell() builds
        fragments, graphics states and a text line per call: it was most of a receipt's layout time); anything
        else (emphasis, shaping, a character no font has, a page break) goes through cell() itself."""
        runs = self._runs(text)
        if runs is None or self.will_page_break(height):
            self.cell(
                width,
                height,
                text,
                align=align,
                new_x="LMARGIN" if next_line else "RIGHT",
                new_y="NEXT" if next_line else "TOP",
            )
            return
        width = width or self.w - self.r_margin - self.x
        if align == "R":
            offset = width - self.c_margin - self._runs_width(runs)
        elif align == "C":
            offset = (width - self._runs_width(runs)) / 2
        else:
            offset = self.c_margin
        if len(runs) == 1 and runs[0][0] is self.current_font:
            self._write_text(runs[0][0], self.x + offset, self._baseline(height), text)
        elif runs:
            self._write_runs(self.x + offset, self._baseline(height), runs)
        self._lasth = height
        if next_line:
            self.x, self.y = self.l_margin, self.y + height
        else:
            self.x += width

    def _baseline(self, height: float) -> float:
        """Where cell() puts a line's baseline: mid-height, lowered by 0.3 of the font size."""
        return self.y + 0.5 * height + 0.3 * self.font_size

    def _runs(self, text: str) -> list[tuple[TTFFont, str]] | None:
        """The text cut where its font changes (the current font, else the first fallback that has the character),
        or None when it needs fpdf2's text engine: shaping, emphasis, spacing, the page-number alias, or a
        character no font has (cell() prints an empty box for it)."""
        font = self.current_font
        if (
            not isinstance(font, TTFFont)
            or self.text_shaping
            or self.underline
            or self.strikethrough
            or self._record_text_quad_points
            or self.text_mode != TextMode.FILL
            or self.char_spacing != 0
            or self.font_stretching != 100
            or (self.str_alias_nb_pages and self.str_alias_nb_pages in text)
        ):
            return None
        if font.cmap.keys() >= set(map(ord, text)):  # the usual case, decided without a Python loop
            return [(font, text)] if text else []
        runs: list[tuple[TTFFont, str]] = []
        for char in text:
            drawn_by = font
            if ord(char) not in font.cmap:
                fallback = self.get_fallback_font(char, self.font_style)
                found = self.fonts[fallback] if fallback else None
                if not isinstance(found, TTFFont):
                    return None
                drawn_by = found
            if runs and runs[-1][0] is drawn_by:
                runs[-1] = (drawn_by, runs[-1][1] + char)
            else:
                runs.append((drawn_by, char))
        return runs

    def _runs_width(self, runs: list[tuple[TTFFont, str]]) -> float:
        scale = self.font_size_pt * 0.001 / self.k
        return sum(sum(font.cw[ord(char)] for char in chars) for font, chars in runs) * scale

    def _width(self, text: str) -> float:
        """get_string_width, from the fonts' widths directly when no text engine is needed."""
        runs = self._runs(text)
        return self.get_string_width(text) if runs is None else self._runs_width(runs)

    def _write_text(self, font: TTFFont, x: float, y: float, text: str) -> None:
        """What fpdf2's text() writes for a text its current font draws in fill mode, without the checks and
        branches text() runs for everything else (_runs has ruled those out)."""
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        line = f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {font.encode_text(text)} ET"
        if self.fill_color != self.text_color:
            assert self.text_color is not None
            line = f"q {self.text_color.serialize().lower()} {line} Q"
        self._out(line)

    def _write_runs(self, x: float, y: float, runs: list[tuple[TTFFont, str]]) -> None:
        """One text object that switches font per run, as cell() writes a line with fallback characters; inside
        q/Q, so the page's font and colour stay what fpdf2 believes they are."""
        parts = ["q"]
        if self.text_color != self.fill_color:
            assert self.text_color is not None
            parts.append(self.text_color.serialize().lower())
        parts.append(f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td")
        for font, chars in runs:
            parts.append(f"/F{font.i} {self.font_size_pt:.2f} Tf {font.encode_text(chars)}")
            self._resource_catalog.add(PDFResourceType.FONT, font.i, self.page)
        parts.append("ET Q")
        self._out(" ".join(parts))

    def _parse_chars(self, text: str, markdown: bool, **kwargs: Any) -> Iterator[Fragment]:
        """fpdf2 walks text a character at a time once fallback fonts are set, to hand the characters the font
        lacks to a fallback; text the current font draws whole is one fragment, as fpdf2 makes it without
        fallbacks (the walk was a fifth of a receipt's render time)."""
        font = self.current_font
        if (
            not markdown
            and kwargs.get("_initial_emphasis") is None
            and not self.text_shaping
            and not (self.str_alias_nb_pages and self.str_alias_nb_pages in text)
            and isinstance(font, TTFFont)
            and all(ord(char) in font.cmap for char in text)
        ):
            yield Fragment(text, self._get_current_graphics_state(), self.k)
            return
        yield from super()._parse_chars(text, markdown, **kwargs)

    def rule(self, gap: float = 3) -> None:
        self.ln(gap)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def fact(self, label: str, value: str, *, bold: bool = False) -> None:
        """A label in its column and its value beside it. A label longer than the column (Georgian's "payment
        reference", Armenian's "replaces receipt") wraps inside it instead of running under the value."""
        self.set_font(FAMILY, "", 10)
        self.set_text_color(*MUTED)
        if self._width(label) <= LABEL_COLUMN - 2 * self.c_margin:
            self.one_line(LABEL_COLUMN, 6, label)
            below_label = self.get_y()
        else:
            if self.will_page_break(12):  # label and value start on the same page
                self.add_page()
            top = self.get_y()
            self.multi_cell(LABEL_COLUMN, 6, label, align="L", new_x="LMARGIN", new_y="NEXT")
            below_label = self.get_y()
            self.set_xy(self.l_margin + LABEL_COLUMN, top)
        self.set_font(FAMILY, "B" if bold else "", 10)
        self.set_text_color(*INK)
        self.paragraph(0, 6, value)
        self.set_y(max(below_label, self.get_y()))

    def row(
        self,
        cells: Iterable[tuple[str, float, str]],
        *,
        bold: bool = False,
        color: Colour = INK,
        size: float = 9.5,
        height: float = 6.5,
    ) -> None:
        """cells: (text, width in mm, "L"|"R"); the last width 0 takes the rest of the line."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)
        for text, width, align in cells:
            self.one_line(width, height, text, align=align)
        self.ln(height)

    def column_width(self, texts: Iterable[str], *, bold: bool = False, size: float = 9.5) -> float:
        """The width (mm) a table column needs to show the widest of these texts whole, with its cell margins and a
        little air before the next column."""
        self.set_font(FAMILY, "B" if bold else "", size)
        return max((self._width(text) for text in texts), default=0) + 2 * self.c_margin + 2

    def issuer_block(self) -> None:
        issuer = settings.RECEIPT_ISSUER
        self.text_line(issuer["name"], size=13, bold=True, height=6.5)
        self.text_line(issuer["address"], size=9, color=MUTED, height=4.6)
        self.text_line(issuer["registration"], size=9, color=MUTED, height=4.6)

    def void_stamp(self, banner: str) -> None:
        """VOID across the page and in words at the top (`banner`, e.g. "VOID — voided on 3 March 2026"), so a
        printed or forwarded copy cannot be mistaken."""
        with self.local_context():
            self.set_font(FAMILY, "B", 110)
            self.set_text_color(*VOID_RED)
            with self.rotation(35, x=self.w / 2, y=self.h / 2):
                # Translators: stamped in large letters across a voided receipt.
                self.text(self.w / 2 - 62, self.h / 2 + 18, pgettext("receipt status", "VOID"))
        self.set_draw_color(*VOID_RED)
        self.set_line_width(0.6)
        self.set_font(FAMILY, "B", 12)
        self.set_text_color(*VOID_RED)
        self.multi_cell(0, 7, banner, border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_line_width(0.2)
        self.ln(3)

    def output(  # type: ignore[override]  # one signature: always to bytes, always SharedFontOutput
        self, name: Literal[""] = "", *, linearize: bool = False, output_producer_class: object = None
    ) -> bytearray:
        """Always through SharedFontOutput: fpdf2's own would subset the shared fonts in place."""
        return super().output(linearize=linearize, output_producer_class=SharedFontOutput)

    def finish(self) -> bytes:
        return bytes(self.output())


def render_receipt(receipt: Receipt) -> bytes:
    """The receipt as it stands, in the language it was issued in: a voided one says VOID on every copy made from
    now on. Number and amounts are the same in every language."""
    with translation.override(receipt.language):
        return _render_receipt(receipt)


def _render_receipt(receipt: Receipt) -> bytes:
    title = receipt.get_kind_display()
    number = {"number": receipt.number}
    if receipt.kind == receipt.Kind.CORRECTION:
        doc = Document(title=_("Corrected receipt %(number)s") % number)  # (the PDF's title in its properties)
    else:
        doc = Document(title=_("Receipt %(number)s") % number)
    doc.issuer_block()
    doc.rule()
    doc.text_line(title, size=20, bold=True, height=10)
    doc.ln(1)
    if receipt.is_void:
        voided_on = {"date": _date(receipt.voided_at), "reason": receipt.void_reason}
        if receipt.void_reason:
            # Translators: at the top of a voided receipt; reason is why, e.g. "refunded in full".
            doc.void_stamp(_("VOID — voided on %(date)s: %(reason)s") % voided_on)
        else:
            # Translators: at the top of a voided receipt.
            doc.void_stamp(_("VOID — voided on %(date)s") % voided_on)
    doc.fact(_("Receipt number"), receipt.number, bold=True)
    doc.fact(_("Date of receipt"), _date(receipt.issued_at))
    doc.fact(_("Payment date"), _date(receipt.payment.paid_at))
    doc.fact(_("Payment reference"), receipt.payment.provider_ref)
    doc.ln(2)
    doc.fact(_("Received from"), receipt.donor_name or receipt.donor_email or "—", bold=True)
    if receipt.donor_name and receipt.donor_email:
        doc.fact(_("Email"), receipt.donor_email)
    doc.fact(pgettext("receipt: what the payment was for", "For"), receipt.description)
    if receipt.replaces_id and receipt.replaces is not None:
        doc.fact(_("Replaces receipt"), _("%(number)s (now void)") % {"number": receipt.replaces.number})
        doc.fact(_("Paid"), format_money(receipt.payment.amount_minor, receipt.currency))
        doc.fact(_("Refunded"), format_money(receipt.refund_level_minor, receipt.currency))
    doc.rule()
    doc.set_font(FAMILY, "", 10)
    doc.set_text_color(*MUTED)
    doc.one_line(LABEL_COLUMN, 9, _("Amount"))
    doc.set_font(FAMILY, "B", 18)
    doc.set_text_color(*INK)
    doc.one_line(0, 9, format_money(receipt.amount_minor, receipt.currency), next_line=True)
    _receipt_lines(doc, receipt)
    doc.rule(5)
    doc.text_line(
        _("Thank you. This receipt was issued electronically and is valid without a signature."),
        size=9,
        color=MUTED,
        height=4.6,
    )
    doc.text_line(f"{settings.RECEIPT_ISSUER['name']} · {settings.SITE_URL}", size=9, color=MUTED, height=4.6)
    return doc.finish()


def _receipt_lines(doc: Document, receipt: Receipt) -> None:
    newsrooms = [line for line in receipt.lines if line.get("kind") == "outlet"]  # "outlet": a newsroom's part
    fees = [line for line in receipt.lines if line.get("kind") == "fee"]
    covered = [line for line in receipt.lines if line.get("kind") == "fee_cover"]
    if not newsrooms:
        return
    doc.ln(3)
    doc.text_line(_("How this amount is shared between the newsrooms"), size=11, bold=True, height=7)
    for line in newsrooms + fees:
        doc.row(
            [(line["name"], 130, "L"), (format_money(line["amount_minor"], receipt.currency), 0, "R")],
            color=INK if line in newsrooms else MUTED,
        )
    doc.row(
        [
            (_("Total"), 130, "L"),
            (format_money(sum(line["amount_minor"] for line in newsrooms + fees), receipt.currency), 0, "R"),
        ],
        bold=True,
    )
    for line in covered:
        doc.ln(1)
        # Translators: name says what the amount is, e.g. "Included at your choice to cover the processing fee".
        text = _("%(name)s: %(amount)s.") % {
            "name": line["name"],
            "amount": format_money(line["amount_minor"], receipt.currency),
        }
        doc.text_line(text, size=9, color=MUTED, height=4.6)
