"""Article bodies as a list of top-level blocks, so pages can cut a teaser or slot a prompt between paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

VOID_ELEMENTS = {"br", "hr", "img", "wbr"}
TEASER_PARAGRAPHS = 2
# Characters that take no room on the page: a body of these alone is as empty as the editor's blank paragraph.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


@dataclass(frozen=True)
class Block:
    tag: str
    html: str

    @property
    def is_paragraph(self) -> bool:
        return self.tag == "p"


class _BlockSplitter(HTMLParser):
    source: str  # the HTML being split, set by split_blocks

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source_lines = source.splitlines(keepends=True)
        self.line_offsets = [0]
        for line in self.source_lines:
            self.line_offsets.append(self.line_offsets[-1] + len(line))
        self.depth = 0
        self.block_start: int | None = None
        self.block_tag = ""
        self.blocks: list[tuple[str, int, int]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_offsets[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.block_start = self._offset()
            self.block_tag = tag
        if tag in VOID_ELEMENTS:
            if self.depth == 0:
                end = self._offset() + len(self.get_starttag_text() or "")
                self.blocks.append((tag, self.block_start, end))
            return
        self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            start = self._offset()
            self.blocks.append((tag, start, start + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS or self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0 and self.block_start is not None:
            end = self.source.find(">", self._offset()) + 1
            self.blocks.append((self.block_tag, self.block_start, end))
            self.block_start = None


def split_blocks(html: str) -> list[Block]:
    """Top-level elements of already-sanitised HTML (stray top-level text is wrapped as its own block)."""
    splitter = _BlockSplitter(html)
    splitter.source = html
    splitter.feed(html)
    splitter.close()
    blocks = []
    cursor = 0
    for tag, start, end in splitter.blocks:
        gap = html[cursor:start].strip()
        if gap:
            blocks.append(Block("p", f"<p>{gap}</p>"))
        blocks.append(Block(tag, html[start:end]))
        cursor = end
    tail = html[cursor:].strip()
    if tail:
        blocks.append(Block("p", f"<p>{tail}</p>"))
    return blocks


def teaser(blocks: list[Block]) -> list[Block]:
    """The opening paragraphs a locked article shows; never more than a fraction of the story."""
    paragraphs = [b for b in blocks if b.is_paragraph]
    if len(paragraphs) <= 1:
        return []
    keep = min(TEASER_PARAGRAPHS, len(paragraphs) // 2)
    out = []
    for block in blocks:
        if keep == 0:
            break
        out.append(block)
        if block.is_paragraph:
            keep -= 1
    return out


def insertion_index(blocks: list[Block], after_paragraphs: int) -> int | None:
    """Where an in-article prompt goes: after the Nth paragraph, never as the very last block."""
    seen = 0
    for index, block in enumerate(blocks):
        if block.is_paragraph:
            seen += 1
            if seen == after_paragraphs:
                return index + 1 if index + 1 < len(blocks) else None
    return None


class _Reader(HTMLParser):
    """The words a reader sees outside pictures' captions, and every picture's attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.images: list[dict[str, str]] = []
        self.figure_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append({name: value or "" for name, value in attrs})
        elif tag == "figure":
            self.figure_depth += 1

    def handle_endtag(self, tag):
        if tag == "figure" and self.figure_depth:
            self.figure_depth -= 1

    def handle_data(self, data):
        if not self.figure_depth:
            self.text.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html or "")
    reader.close()
    return reader


def has_readable_text(html: str) -> bool:
    """True when a body holds words; the editor's empty paragraph, spaces or a lone captioned picture are no story."""
    return bool("".join(_read(html).text).translate(INVISIBLE).strip())


def images_in(html: str) -> list[dict[str, str]]:
    """The attributes of every <img> in a body, in order."""
    return _read(html).images
