"""The receipt fonts, parsed once per process and cut down to each document's glyphs by copying bytes.

fpdf2 parses every font a document adds (~15 ms for our six) and, at output, subsets each one with fontTools in
place (~20 ms), so a parsed font can serve one document only. Here each font is parsed once per process into a
prototype that documents share read-only (its widths and character map), each document gets its own light copy
(its own subset map: which characters it used under which codes), and the output writes each font's subset itself:
the glyphs the page uses (and the parts of composite glyphs, e.g. an accented letter built from its letter and
accent), renumbered, copied byte for byte from the font's glyph table. Fonts no page uses are not embedded.

The embedded program keeps the tables a PDF reader needs for a CIDFontType2 (head, hhea, maxp, hmtx, loca, glyf,
plus OS/2, post and the short names); glyphs are chosen through the CIDToGIDMap, text extraction through the
ToUnicode map, exactly as fpdf2 writes them. The seven PDF objects of each embedded font are written straight out
(WrittenObject), byte for byte as fpdf2's generic serialiser writes them: that serialiser finds every object's
entries with dir() and converts each value by its type, which was a sixth of a receipt's render time.
"""

from __future__ import annotations

import struct
import threading
import zlib
from array import array
from collections.abc import Iterable
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.fonts import Glyph, SubsetMap, TTFFont
from fpdf.output import OutputProducer, _build_cmap_blocks, _tt_font_widths
from fpdf.syntax import Name, PDFObject, build_obj_dict

# Composite glyph flags (the TrueType 'glyf' table).
_ARGS_ARE_WORDS, _HAS_SCALE, _MORE_COMPONENTS, _HAS_XY_SCALE, _HAS_2X2 = 0x1, 0x8, 0x20, 0x40, 0x80
_KEPT_AS_IS = ("OS/2", "hhea", "maxp", "head")


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _table_checksum(data: bytes) -> int:
    words = array("I", _padded(data))
    if words.itemsize != 4:  # pragma: no cover - array("I") is 4 bytes everywhere we run
        raise RuntimeError("unexpected C int size")
    if struct.pack("=H", 1) != struct.pack(">H", 1):
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


class GlyphSource:
    """One TrueType font file split into its glyphs once, so a subset is a matter of joining bytes."""

    def __init__(self, data: bytes) -> None:
        count = struct.unpack_from(">H", data, 4)[0]
        tables: dict[str, bytes] = {}
        for index in range(count):
            tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
            tables[tag.decode("latin-1")] = data[offset : offset + length]
        self.tables = {tag: tables[tag] for tag in _KEPT_AS_IS}
        # post format 3: no glyph names (they would have to be renumbered; PDF readers do not need them).
        self.tables["post"] = struct.pack(">I", 0x00030000) + tables["post"][4:32]
        self.tables["name"] = _short_names(tables["name"])
        self.glyph_count = struct.unpack_from(">H", tables["maxp"], 4)[0]
        long_offsets = struct.unpack_from(">h", tables["head"], 50)[0] == 1
        loca = array("I" if long_offsets else "H", tables["loca"])
        if loca.itemsize != (4 if long_offsets else 2):  # pragma: no cover - array("I") is 4 bytes everywhere we run
            raise RuntimeError("unexpected C int size")
        if struct.pack("=H", 1) != struct.pack(">H", 1):
            loca.byteswap()
        scale = 1 if long_offsets else 2
        glyf = tables["glyf"]
        self.glyphs = [
            _padded(glyf[loca[gid] * scale : loca[gid + 1] * scale]) for gid in range(self.glyph_count)
        ]  # each glyph's bytes, padded to four as the subset's glyf table holds them
        # Where each composite glyph names its parts: (byte offset of the part's glyph id, part's glyph id).
        self.parts: dict[int, list[tuple[int, int]]] = {}
        for gid, glyph in enumerate(self.glyphs):
            if len(glyph) >= 10 and struct.unpack_from(">h", glyph, 0)[0] < 0:
                self.parts[gid] = _composite_parts(glyph)
        metric_count = struct.unpack_from(">H", tables["hhea"], 34)[0]
        hmtx = tables["hmtx"]
        advances = [struct.unpack_from(">H", hmtx, 4 * gid)[0] for gid in range(metric_count)]
        bearings = [struct.unpack_from(">h", hmtx, 4 * gid + 2)[0] for gid in range(metric_count)]
        for gid in range(metric_count, self.glyph_count):
            advances.append(advances[-1])
            bearings.append(struct.unpack_from(">h", hmtx, 4 * metric_count + 2 * (gid - metric_count))[0])
        self.metrics = [
            struct.pack(">Hh", advance, bearing) for advance, bearing in zip(advances, bearings, strict=True)
        ]
        self.checksums = {tag: _table_checksum(data) for tag, data in self.tables.items()}  # of the tables kept as is

    def subset(self, glyph_ids: Iterable[int]) -> tuple[bytes, dict[int, int]]:
        """A font program holding .notdef, these glyphs and their parts, renumbered in their original order.
        Returns it and the map from original glyph id to the subset's."""
        kept: set[int] = set()
        waiting = [0, *glyph_ids]
        while waiting:
            gid = waiting.pop()
            if gid in kept or not 0 <= gid < self.glyph_count:
                continue
            kept.add(gid)
            waiting.extend(part for _offset, part in self.parts.get(gid, ()))
        order = sorted(kept)
        new_id = {gid: index for index, gid in enumerate(order)}
        glyphs = [self.glyphs[gid] for gid in order]
        for index, gid in enumerate(order):
            if gid in self.parts:
                renumbered = bytearray(glyphs[index])
                for offset, part in self.parts[gid]:
                    struct.pack_into(">H", renumbered, offset, new_id[part])
                glyphs[index] = bytes(renumbered)
        offsets = array("I", [0])
        offsets.extend(accumulate(map(len, glyphs)))
        glyf = b"".join(glyphs)
        if struct.pack("=H", 1) != struct.pack(">H", 1):
            offsets.byteswap()
        head = bytearray(self.tables["head"])
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        hhea = bytearray(self.tables["hhea"])
        struct.pack_into(">H", hhea, 34, len(order))
        maxp = bytearray(self.tables["maxp"])
        struct.pack_into(">H", maxp, 4, len(order))
        changed = {
            "head": bytes(head),
            "hhea": bytes(hhea),
            "maxp": bytes(maxp),
            "hmtx": b"".join(self.metrics[gid] for gid in order),
            "loca": offsets.tobytes(),
            "glyf": glyf,
        }
        unchanged = {tag: checksum for tag, checksum in self.checksums.items() if tag not in changed}
        return _sfnt({**self.tables, **changed}, unchanged), new_id


def _composite_parts(glyph: bytes) -> list[tuple[int, int]]:
    parts = []
    offset = 10
    while True:
        flags, part = struct.unpack_from(">HH", glyph, offset)
        parts.append((offset + 2, part))
        offset += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        if flags & _HAS_SCALE:
            offset += 2
        elif flags & _HAS_XY_SCALE:
            offset += 4
        elif flags & _HAS_2X2:
            offset += 8
        if not flags & _MORE_COMPONENTS:
            return parts


def _short_names(name: bytes) -> bytes:
    """The name table with only names 0-6 (copyright, family, style, unique id, full name, version, PostScript
    name), as fontTools' subsetter keeps by default: the licence text stays out of every receipt."""
    _format, count, strings_at = struct.unpack_from(">HHH", name, 0)
    records, strings = [], bytearray()
    for index in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(">6H", name, 6 + 12 * index)
        if name_id <= 6:
            text = name[strings_at + offset : strings_at + offset + length]
            records.append(struct.pack(">6H", platform, encoding, language, name_id, length, len(strings)))
            strings += text
    header = struct.pack(">HHH", 0, len(records), 6 + 12 * len(records))
    return header + b"".join(records) + bytes(strings)


def _sfnt(tables: dict[str, bytes], known_checksums: dict[str, int]) -> bytes:
    """The font file: its table directory, then the tables, each padded to four bytes. The whole file's checksum
    (for head's checkSumAdjustment) is the directory's plus the tables', so the file is not summed again."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    directory = bytearray(
        struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, (count - power) * 16)
    )
    body = bytearray()
    offset = 12 + 16 * count
    total = 0
    for tag in tags:
        data = tables[tag]
        checksum = known_checksums.get(tag)
        if checksum is None:
            checksum = _table_checksum(data)
        total += checksum
        directory += struct.pack(">4sIII", tag.encode("latin-1"), checksum, offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    total += _table_checksum(bytes(directory))
    font = bytearray(directory + body)
    head_at = struct.unpack_from(">I", directory, 12 + 16 * tags.index("head") + 8)[0]
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - total) & 0xFFFFFFFF)
    return bytes(font)


Entry = str | PDFObject | list[PDFObject]  # a value as written, a reference, or an array of references


class WrittenObject(PDFObject):
    """A PDF object written straight out from its entries, in the order and form fpdf2's serialiser writes them:
    that one finds an object's entries with dir() and converts every value by its type (for a receipt's twenty
    font objects, a sixth of the render time). A stream's bytes go out as they are, not through a str."""

    def __init__(self, entries: list[tuple[str, Entry]], stream: bytes | None = None) -> None:
        super().__init__()
        self.entries = entries
        self.stream = stream

    def serialize(  # type: ignore[override]  # bytes: the output producer appends them as they are
        self, obj_dict: dict[str, object] | None = None, _security_handler: object = None
    ) -> bytes:
        if obj_dict is not None or _security_handler is not None:
            raise TypeError("a receipt's font objects are written as they are: not encrypted, not given entries")
        lines = [f"{key} {_written(value)}" for key, value in self.entries]
        head = "\n".join([f"{self.id} 0 obj", "<<", *lines, ">>"]).encode("latin-1")
        if self.stream is None:
            return head + b"\nendobj"
        return b"".join([head, b"\nstream\n", self.stream, b"\nendstream\nendobj"])


def _written(value: Entry) -> str:
    if isinstance(value, PDFObject):
        return value.ref
    if isinstance(value, list):
        return f"[{' '.join(item.ref for item in value)}]"
    return value


def _stream_object(data: bytes, *, compress: bool, length1: bool = False) -> WrittenObject:
    """A stream, deflated as fpdf2 deflates (zlib's default level); /Length1 is a font program's own length."""
    contents = zlib.compress(data) if compress else data
    entries: list[tuple[str, Entry]] = [("/Filter", "/FlateDecode")] if compress else []
    entries.append(("/Length", str(len(contents))))
    if length1:
        entries.append(("/Length1", str(len(data))))
    return WrittenObject(entries, stream=contents)


class FontEntries:
    """What a font's PDF objects say that is the same in every document, written out once per process."""

    def __init__(self, font: TTFFont) -> None:
        font_name = Name(f"MPDFAA+{font.name}")
        self.base_font = font_name.serialize()
        self.default_width = str(font.desc.missing_width)
        names = {key: value for key, value in vars(font.desc).items() if not key.startswith("_")}
        names["font_name"] = font_name
        # In fpdf2's order (its attribute names sorted), split around the font program's reference, which each
        # document writes itself.
        written = build_obj_dict({key: names[key] for key in sorted(names)})
        self.descriptor_before = [(key, str(value)) for key, value in written.items() if key < "/FontFile2"]
        self.descriptor_after = [(key, str(value)) for key, value in written.items() if key > "/FontFile2"]


class SharedFont(TTFFont):
    """A document's copy of a prototype font: shares its widths, character map, glyphs and PDF entries, owns its
    subset map and the codes it gave this document's characters."""

    __slots__ = ("glyph_source", "entries", "glyphs", "codes")
    glyph_source: GlyphSource
    entries: FontEntries
    glyphs: dict[int, Glyph | None]  # the prototype's: each character's glyph, once looked up
    codes: dict[str, str]

    def encode_text(self, text: str) -> str:
        """fpdf2's encode_text, each character's code looked up in this document's dict: fpdf2 asks the subset
        map (a cached method, so a hashed call) again for every character."""
        text = self._map_symbol_text(text)
        codes = self.codes
        try:
            mapped = "".join([codes[char] for char in text])
        except KeyError:  # characters new to this document: coded in the order they first appear, as fpdf2 does
            for char in text:
                if char not in codes:
                    codes[char] = self._code_for(ord(char))
            mapped = "".join([codes[char] for char in text])
        return f"({self.escape_text(mapped)}) Tj"

    def _code_for(self, unicode: int) -> str:
        """SubsetMap.pick, with the character's glyph looked up once per process, not once per document."""
        try:
            glyph = self.glyphs[unicode]
        except KeyError:
            glyph = self.glyphs[unicode] = self.subset.get_glyph(unicode=unicode)
        if glyph is None and unicode not in self.missing_glyphs:
            self.missing_glyphs.append(unicode)
        code = self.subset.pick_glyph(glyph)
        return "" if code is None else chr(code)


class FontPrototype:
    def __init__(self, path: Path, fontkey: str, style: str) -> None:
        self.font = TTFFont(FPDF(), path, fontkey, style)
        self.font.ttfont.close()  # everything a document reads is parsed now; the file is not needed again
        self.glyph_source = GlyphSource(path.read_bytes())
        self.entries = FontEntries(self.font)
        self.glyphs: dict[int, Glyph | None] = {}

    def for_document(self, index: int) -> SharedFont:
        font = SharedFont.__new__(SharedFont)
        for slot in TTFFont.__slots__:
            if hasattr(self.font, slot):
                setattr(font, slot, getattr(self.font, slot))
        font.i = index
        font.glyph_source = self.glyph_source
        font.entries = self.entries
        font.glyphs = self.glyphs
        font.codes = {}
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        return font


_lock = threading.Lock()
_prototypes: dict[tuple[str, str], FontPrototype] = {}


def add_shared_fonts(pdf: FPDF, fonts: dict[tuple[str, str], str]) -> None:
    """Add these fonts ((family, style) -> path) to a document, parsing each at most once per process."""
    with _lock:
        for (family, style), path in fonts.items():
            fontkey = f"{family.lower()}{style}"
            if (fontkey, path) not in _prototypes:
                _prototypes[(fontkey, path)] = FontPrototype(Path(path), fontkey, style)
    for (family, style), path in fonts.items():
        fontkey = f"{family.lower()}{style}"
        pdf.fonts[fontkey] = _prototypes[(fontkey, path)].for_document(len(pdf.fonts) + 1)


class SharedFontOutput(OutputProducer):
    """fpdf2's output, but shared fonts are subset by GlyphSource (and never changed in place)."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, Any]:
        fonts = [font for font in self.fpdf.fonts.values() if isinstance(font, SharedFont)]
        if len(fonts) != len(self.fpdf.fonts):
            raise TypeError("a receipt document holds only its shared fonts")
        catalog = self.fpdf._resource_catalog
        used = None if catalog.form_xobjects else self._fonts_on_pages()
        objects: dict[int, Any] = {}
        for font in sorted(fonts, key=lambda font: font.i):
            if used is None or font.i in used:
                objects[font.i] = self._embed(font)
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
        return objects

    def _fonts_on_pages(self) -> set[int]:
        catalog = self.fpdf._resource_catalog
        return {
            int(str(font_id))
            for page in range(1, self.fpdf.pages_count + 1)
            for font_id in catalog.get_resources_per_page(page, PDFResourceType.FONT)
        }

    def _embed(self, font: SharedFont) -> WrittenObject:
        """The font's seven objects, as fpdf2 writes a TrueType font: the Type0 font (returned, for the pages'
        resources), its CIDFontType2, ToUnicode map, CIDSystemInfo, descriptor, CIDToGIDMap and font program."""
        code_to_glyph = {code: glyph.glyph_id for glyph, code in font.subset.items() if glyph is not None}
        program, new_id = font.glyph_source.subset(code_to_glyph.values())
        cid_to_gid = bytearray(2 * (max(code_to_glyph, default=0) + 1))
        for code, gid in code_to_glyph.items():
            struct.pack_into(">H", cid_to_gid, 2 * code, new_id[gid])
        fixed = font.entries

        to_unicode = _stream_object(_to_unicode(font).encode("latin-1"), compress=False)
        system_info = WrittenObject([("/Ordering", "(UCS)"), ("/Registry", "(Adobe)"), ("/Supplement", "0")])
        font_file = _stream_object(program, compress=True, length1=True)
        descriptor = WrittenObject([*fixed.descriptor_before, ("/FontFile2", font_file), *fixed.descriptor_after])
        cid_to_gid_map = _stream_object(bytes(cid_to_gid), compress=True)
        cid_font = WrittenObject(
            [
                ("/BaseFont", fixed.base_font),
                ("/CIDSystemInfo", system_info),
                ("/CIDToGIDMap", cid_to_gid_map),
                ("/DW", fixed.default_width),
                ("/FontDescriptor", descriptor),
                ("/Subtype", "/CIDFontType2"),
                ("/Type", "/Font"),
                ("/W", _tt_font_widths(font)),
            ]
        )
        composite = WrittenObject(
            [
                ("/BaseFont", fixed.base_font),
                ("/DescendantFonts", [cid_font]),
                ("/Encoding", "/Identity-H"),
                ("/Subtype", "/Type0"),
                ("/ToUnicode", to_unicode),
                ("/Type", "/Font"),
            ]
        )
        for written in (composite, cid_font, to_unicode, system_info, descriptor, cid_to_gid_map, font_file):
            self._add_pdf_obj(written, "fonts")
        return composite


def _to_unicode(font: SharedFont) -> str:
    """The ToUnicode CMap, as fpdf2 writes it: which characters each code stands for (copying and search)."""
    entries = []
    for glyph, code in font.subset.items():
        if glyph is None or not isinstance(glyph.unicode, tuple) or not glyph.unicode:
            continue
        entries.append(f"<{code:04X}> <{_utf16_hex(glyph.unicode)}>\n")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{_build_cmap_blocks(entries, 'bfchar')}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )


@cache
def _utf16_hex(chars: tuple[int, ...]) -> str:
    """The characters as UTF-16 in hex; remembered, as the fonts hold a few thousand glyphs at most."""
    return "".join(
        f"{0xD800 | (code - 0x10000) >> 10:04X}{0xDC00 | (code & 0x3FF):04X}" if code > 0xFFFF else f"{code:04X}"
        for code in chars
    )
