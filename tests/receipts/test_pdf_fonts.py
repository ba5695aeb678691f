"""The receipt fonts are parsed once per process and subset per document by copying glyphs: every glyph a page uses
is in the embedded font with the outline and width it has in the font file (composite glyphs, e.g. accented
letters, with their parts), the shared fonts never change from one document to the next, and every script a donor
writes in comes back out of the PDF as text."""

from __future__ import annotations

import io
import itertools
import re
import struct
from copy import copy

import pytest
from django.utils import timezone
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import CIDSystemInfo, PDFFont, PDFFontStream, _tt_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream
from pypdf import PdfReader

from outlet.payments.models import Payment
from outlet.receipts import pdf_fonts
from outlet.receipts.models import Receipt
from outlet.receipts.pdf import Document, _trimmed_fonts, render_receipt

NAMES = [
    "ნინო ბერიძე",  # Georgian
    "Արամ Պետրոսյան",  # Armenian (its own fallback font)
    "Анна Иванова-Ёлкина",  # Cyrillic
    "Əli Məmmədov",  # Azerbaijani's schwa
    "Łucja Ñúñez-Øberg Vũ Thị",  # composite accented Latin
]


def _receipt(name: str, *, currency: str = "GEL", language: str = "en") -> Receipt:
    payment = Payment(
        provider="sandbox",
        provider_ref="pi_fonts",
        purpose="donation",
        email="donor@example.org",
        amount_minor=123456,
        currency=currency,
        paid_at=timezone.now(),
    )
    return Receipt(
        payment=payment,
        kind=Receipt.Kind.ORIGINAL,
        issuer="CL",
        year=2026,
        sequence=7,
        number="2026-000007",
        donor_name=name,
        donor_email="donor@example.org",
        description="Gift to Keep reporters safe",
        amount_minor=123456,
        currency=currency,
        lines=[
            {"kind": "outlet", "name": "Mountain Voice", "amount_minor": 100000},
            {"kind": "fee", "name": "Payment processing fee", "amount_minor": 23456},
        ],
        issued_at=timezone.now(),
        language=language,
    )


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _outline(font: ttLib.TTFont, glyph_name: str) -> tuple:
    glyph = font["glyf"][glyph_name]
    coordinates, ends, flags = glyph.getCoordinates(font["glyf"])
    return list(coordinates), list(ends), list(flags), font["hmtx"][glyph_name][0]


@pytest.mark.parametrize("currency", ["GEL", "AMD", "AZN", "EUR"])
def test_every_script_and_currency_sign_comes_back_out_as_text(currency):
    for name in NAMES:
        text = _text(render_receipt(_receipt(name, currency=currency)))
        for word in name.split():
            assert word in text, (name, currency)
        assert "2026-000007" in text


def test_the_embedded_glyphs_are_the_font_files_own():
    """Each code on the page draws the glyph the font file has for its character, outline and width."""
    pdf = render_receipt(_receipt(" ".join(NAMES)))
    sources = {
        ttLib.TTFont(path)["name"].getBestFullName().replace(" ", ""): path for path in _trimmed_fonts().values()
    }
    checked = 0
    for font_ref in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values():
        font = font_ref.get_object()
        cid_font = font["/DescendantFonts"][0].get_object()
        embedded = ttLib.TTFont(io.BytesIO(cid_font["/FontDescriptor"]["/FontFile2"].get_object().get_data()))
        cid_to_gid = cid_font["/CIDToGIDMap"].get_object().get_data()
        to_unicode = font["/ToUnicode"].get_object().get_data().decode()
        original = ttLib.TTFont(sources[str(font["/BaseFont"]).split("+", 1)[1]])
        by_char = original.getBestCmap()
        for line in to_unicode.splitlines():
            if not re.fullmatch(r"<[0-9A-F]{4}> <[0-9A-F]{4}>", line.strip()):
                continue
            code, char = (int(part.strip("<> "), 16) for part in line.split("> <"))
            if char not in by_char:
                continue
            gid = int.from_bytes(cid_to_gid[2 * code : 2 * code + 2], "big")
            assert _outline(embedded, embedded.getGlyphOrder()[gid]) == _outline(original, by_char[char]), chr(char)
            checked += 1
    assert checked > 60


def undated(pdf: bytes) -> bytes:
    """Without its creation time and the file id made from it."""
    return re.sub(rb"/CreationDate \(D:[^)]*\)|/ID \[[^\]]*\]", b"", pdf)


def test_documents_share_the_parsed_fonts_and_leave_them_as_they_were():
    first = undated(render_receipt(_receipt("Lasha Kapanadze")))
    for name in itertools.islice(itertools.cycle(NAMES), 12):
        render_receipt(_receipt(name))
    assert undated(render_receipt(_receipt("Lasha Kapanadze"))) == first, "a later document sees the same fonts"
    assert len(pdf_fonts._prototypes) == 6, "each font parsed once in this process"
    assert all(not font.font.missing_glyphs for font in pdf_fonts._prototypes.values())


def test_a_subset_keeps_composite_glyphs_whole():
    path = _trimmed_fonts()[("ReceiptSans", "")]
    source = pdf_fonts.GlyphSource(open(path, "rb").read())
    original = ttLib.TTFont(path)
    composite = next(gid for gid in source.parts)  # an accented letter built from its parts
    program, new_id = source.subset([composite])
    embedded = ttLib.TTFont(io.BytesIO(program))
    name = original.getGlyphOrder()[composite]
    assert len(new_id) == 1 + 1 + len({part for _offset, part in source.parts[composite]})
    assert _outline(embedded, embedded.getGlyphOrder()[new_id[composite]]) == _outline(original, name)


def _embedded_by_fpdf2_objects(output: pdf_fonts.SharedFontOutput, font: pdf_fonts.SharedFont) -> PDFFont:
    """The reference: the same font embedded as fpdf2's own objects, written by fpdf2's generic serialiser."""
    fontname = f"MPDFAA+{font.name}"
    code_to_glyph = {code: glyph.glyph_id for glyph, code in font.subset.items() if glyph is not None}
    program, new_id = font.glyph_source.subset(code_to_glyph.values())
    composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
    output._add_pdf_obj(composite, "fonts")
    cid_font = PDFFont(subtype="CIDFontType2", base_font=fontname, d_w=font.desc.missing_width, w=_tt_font_widths(font))
    output._add_pdf_obj(cid_font, "fonts")
    composite.descendant_fonts = PDFArray([cid_font])
    to_unicode = PDFContentStream(pdf_fonts._to_unicode(font).encode("latin-1"))
    output._add_pdf_obj(to_unicode, "fonts")
    composite.to_unicode = to_unicode
    system_info = CIDSystemInfo()
    output._add_pdf_obj(system_info, "fonts")
    cid_font.c_i_d_system_info = system_info
    descriptor = copy(font.desc)
    descriptor.font_name = Name(fontname)
    output._add_pdf_obj(descriptor, "fonts")
    cid_font.font_descriptor = descriptor
    cid_to_gid = bytearray(2 * (max(code_to_glyph, default=0) + 1))
    for code, gid in code_to_glyph.items():
        struct.pack_into(">H", cid_to_gid, 2 * code, new_id[gid])
    cid_to_gid_map = PDFContentStream(contents=bytes(cid_to_gid), compress=True)
    output._add_pdf_obj(cid_to_gid_map, "fonts")
    cid_font.c_i_d_to_g_i_d_map = cid_to_gid_map
    font_file = PDFFontStream(contents=program)
    output._add_pdf_obj(font_file, "fonts")
    descriptor.font_file2 = font_file
    return composite


@pytest.mark.parametrize("language", ["en", "ka", "hy", "ru", "az"])
def test_a_receipt_is_written_byte_for_byte_as_fpdf2_writes_it(monkeypatch, language):
    """The font objects written straight out, the text coded from each document's dict and the lines written by
    _write_text give the very bytes fpdf2's own objects, serialiser, encode_text and text() give."""
    receipts = [_receipt(name, language=language) for name in NAMES]
    monkeypatch.setattr(pdf_fonts.SharedFontOutput, "_embed", _embedded_by_fpdf2_objects)
    monkeypatch.setattr(pdf_fonts.SharedFont, "encode_text", TTFFont.encode_text)
    monkeypatch.setattr(Document, "_write_text", lambda doc, _font, x, y, text: FPDF.text(doc, x, y, text))
    by_fpdf2 = [undated(render_receipt(receipt)) for receipt in receipts]
    monkeypatch.undo()
    ours = [undated(render_receipt(receipt)) for receipt in receipts]
    assert ours == by_fpdf2
    assert all(pdf.count(b"/FontFile2 ") >= 2 for pdf in ours), "at least the regular and bold fonts were embedded"


def test_an_embedded_font_carries_the_checksums_a_font_file_must_have():
    """Each table's checksum in the directory, and head's checkSumAdjustment that makes the whole file sum to
    0xB1B0AFBA (worked out from the tables' sums, not by summing the file again)."""
    path = _trimmed_fonts()[("ReceiptSans", "B")]
    source = pdf_fonts.GlyphSource(open(path, "rb").read())
    for glyphs in ([], list(range(3, 40)), sorted(source.parts)[:5]):
        program, _new_id = source.subset(glyphs)
        padded = program + b"\0" * (-len(program) % 4)
        assert sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF == 0xB1B0AFBA
        count = struct.unpack_from(">H", program, 4)[0]
        for index in range(count):
            tag, checksum, offset, length = struct.unpack_from(">4sIII", program, 12 + 16 * index)
            table = bytearray(program[offset : offset + length])
            if tag == b"head":
                table[8:12] = b"\0\0\0\0"  # the adjustment itself is left out of head's own checksum
            table += b"\0" * (-len(table) % 4)
            assert sum(struct.unpack(f">{len(table) // 4}I", table)) & 0xFFFFFFFF == checksum, tag
        assert ttLib.TTFont(io.BytesIO(program), checkChecksums=2)["maxp"].numGlyphs == len(_new_id)
