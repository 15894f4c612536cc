"""A tiny TrueType program whose glyphs draw nothing, all of one width, built byte by byte.

The hidden text layer needs a font whose every glyph has the same advance, so that `Tz`
scales a word to exactly its box. Embedding it (rather than naming a font the viewer must
substitute) keeps strict viewers quiet. Glyph 0 is `.notdef` (empty); glyph 1, which every
character is drawn with, is a single zero-area contour, a diagonal from the descent at the
left to the ascent at the right: it has no area to paint, even in a viewer that ignored
render mode 3, yet its bounding box is the whole glyph cell, and MuPDF's text extraction
drops characters whose glyph box is empty. Only the tables a PDF `FontFile2` needs, plus
`cmap`, `name` and `post` so font tools can open it, are written.
"""

from __future__ import annotations

import functools
import struct

UNITS_PER_EM = 1000
#: the advance of both glyphs, in font units; the PDF font declares the same width
GLYPH_ADVANCE = 500
#: vertical metrics in font units: a word box spans descent..ascent around the baseline
ASCENT = 800
DESCENT = -200
FONT_NAME = "OcrgateGlyphless"
NUM_GLYPHS = 2
#: TrueType simple-glyph point flag: the point is on the curve (coordinates are int16 deltas)
_ON_CURVE = 0x01
_HEAD_MAGIC = 0x5F0F3CF5
#: created/modified date, seconds since 1904-01-01 (fixed so the file is reproducible): 2026-01-01
_FONT_DATE = 3850070400
_CHECKSUM_TARGET = 0xB1B0AFBA


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _head() -> bytes:
    return struct.pack(
        ">IIIIHHqqhhhhHHhhh",
        0x00010000,
        0x00010000,
        0,
        _HEAD_MAGIC,
        0x000B,
        UNITS_PER_EM,
        _FONT_DATE,
        _FONT_DATE,
        0,
        DESCENT,
        GLYPH_ADVANCE,
        ASCENT,
        0,
        8,
        2,
        0,
        0,
    )


def _hhea() -> bytes:
    return struct.pack(
        ">IhhhHhhhhhh4hhH", 0x00010000, ASCENT, DESCENT, 0, GLYPH_ADVANCE, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, NUM_GLYPHS
    )


def _diagonal_glyph() -> bytes:
    """One contour of two on-curve points: (0, DESCENT) → (GLYPH_ADVANCE, ASCENT)."""
    points = [(0, DESCENT), (GLYPH_ADVANCE, ASCENT)]
    data = struct.pack(">hhhhh", 1, 0, DESCENT, GLYPH_ADVANCE, ASCENT)
    data += struct.pack(">HH", len(points) - 1, 0)  # end point of the contour, no instructions
    data += bytes([_ON_CURVE] * len(points))
    deltas = [(x - px, y - py) for (x, y), (px, py) in zip(points, [(0, 0)] + points[:-1], strict=True)]
    data += struct.pack(f">{len(points)}h", *(dx for dx, _ in deltas))
    data += struct.pack(f">{len(points)}h", *(dy for _, dy in deltas))
    return data + b"\0" * (-len(data) % 4)


def _maxp() -> bytes:
    # numGlyphs, then maxPoints 2 and maxContours 1 (the diagonal), maxZones 2, the rest 0
    return struct.pack(">IH13H", 0x00010000, NUM_GLYPHS, 2, 1, 0, 0, 2, *([0] * 8))


def _hmtx() -> bytes:
    return struct.pack(">hh", GLYPH_ADVANCE, 0) * NUM_GLYPHS


def _loca(glyph_one_length: int) -> bytes:
    """Short offsets (halved): glyph 0 is empty, glyph 1 fills the `glyf` table."""
    return struct.pack(">3H", 0, 0, glyph_one_length // 2)


def _cmap() -> bytes:
    """Windows Unicode (3, 1) format 4: U+0020 → glyph 1, plus the required final segment."""
    space = 0x20
    segments = [(space, space, (1 - space) & 0xFFFF), (0xFFFF, 0xFFFF, 1)]
    seg_x2 = 2 * len(segments)
    body = struct.pack(f">{len(segments)}H", *(end for _, end, _ in segments)) + b"\0\0"
    body += struct.pack(f">{len(segments)}H", *(start for start, _, _ in segments))
    body += struct.pack(f">{len(segments)}H", *(delta for _, _, delta in segments))
    body += struct.pack(f">{len(segments)}H", *([0] * len(segments)))
    subtable = struct.pack(">7H", 4, 14 + len(body), 0, seg_x2, seg_x2, 1, 0) + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + subtable


def _name() -> bytes:
    strings = {1: FONT_NAME, 2: "Regular", 4: FONT_NAME, 6: FONT_NAME}
    records, storage = b"", b""
    for name_id, value in strings.items():
        encoded = value.encode("utf-16-be")
        records += struct.pack(">6H", 3, 1, 0x409, name_id, len(encoded), len(storage))
        storage += encoded
    return struct.pack(">3H", 0, len(strings), 6 + len(records)) + records + storage


def _post() -> bytes:
    return struct.pack(">IihhI4I", 0x00030000, 0, -100, 50, 1, 0, 0, 0, 0)


@functools.lru_cache(maxsize=1)
def glyphless_font_program() -> bytes:
    """The font file, ready to embed as a PDF `FontFile2` stream."""
    glyph = _diagonal_glyph()
    tables = {
        b"cmap": _cmap(),
        b"glyf": glyph,
        b"head": _head(),
        b"hhea": _hhea(),
        b"hmtx": _hmtx(),
        b"loca": _loca(len(glyph)),
        b"maxp": _maxp(),
        b"name": _name(),
        b"post": _post(),
    }
    count = len(tables)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    offset = len(header) + 16 * count
    directory, body = b"", b""
    for tag in sorted(tables):
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head_offset = struct.unpack_from(">I", directory, 16 * sorted(tables).index(b"head") + 8)[0]
    struct.pack_into(">I", font, head_offset + 8, (_CHECKSUM_TARGET - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
