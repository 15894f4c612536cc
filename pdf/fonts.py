"""The one font of a document's hidden text layer: a Type0 font over the glyphless TrueType.

Characters get CIDs (two-byte codes) in the order they are first met, so any Unicode text,
astral planes included, is drawn with two bytes per character; the ToUnicode map sends each
CID back to its character, which is what copy, paste and search read. Every CID is drawn
with glyph 1, of width `GLYPH_ADVANCE`, so a run of n characters is exactly n glyph widths
wide before horizontal scaling.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name

from kernel.errors import OcrInputError
from pdf.truetype import ASCENT, DESCENT, FONT_NAME, GLYPH_ADVANCE, UNITS_PER_EM, glyphless_font_program

#: CID 0 is `.notdef`; text CIDs start at 1 and two-byte codes end at 0xFFFF
FIRST_CID = 1
LAST_CID = 0xFFFF
#: the PDF rule: at most 100 entries in one `beginbfchar` section
_BFCHAR_CHUNK = 100
#: the width of one glyph as a fraction of the font size
GLYPH_WIDTH_EM = GLYPH_ADVANCE / UNITS_PER_EM
#: how far below the baseline a glyph box starts, as a fraction of the font size
DESCENT_EM = -DESCENT / UNITS_PER_EM

_CMAP_HEADER = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
"""
_CMAP_FOOTER = b"""endcmap
CMapName currentdict /CMapResource defineresource pop
end
end
"""


class GlyphlessFont:
    """Build once per output document, `encode` every word, then `finish()` before saving."""

    def __init__(self, pdf: pikepdf.Pdf):
        self._cids: dict[str, int] = {}
        self._to_unicode = pdf.make_stream(b"")
        self._cid_to_gid = pdf.make_stream(b"")
        program = pdf.make_stream(glyphless_font_program())
        descriptor = pdf.make_indirect(
            Dictionary(
                Type=Name.FontDescriptor,
                FontName=Name("/" + FONT_NAME),
                Flags=4,
                FontBBox=Array([0, DESCENT, GLYPH_ADVANCE, ASCENT]),
                ItalicAngle=0,
                Ascent=ASCENT,
                Descent=DESCENT,
                CapHeight=ASCENT,
                StemV=80,
                FontFile2=program,
            )
        )
        descendant = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.CIDFontType2,
                BaseFont=Name("/" + FONT_NAME),
                CIDSystemInfo=Dictionary(
                    Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
                ),
                FontDescriptor=descriptor,
                DW=GLYPH_ADVANCE,
                CIDToGIDMap=self._cid_to_gid,
            )
        )
        self.font = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.Type0,
                BaseFont=Name("/" + FONT_NAME),
                Encoding=Name("/Identity-H"),
                DescendantFonts=Array([descendant]),
                ToUnicode=self._to_unicode,
            )
        )

    def encode(self, text: str) -> bytes:
        """`text` as two-byte codes, one per character (code point)."""
        codes = bytearray()
        for char in text:
            cid = self._cids.get(char)
            if cid is None:
                cid = FIRST_CID + len(self._cids)
                if cid > LAST_CID:
                    raise OcrInputError(f"more than {LAST_CID} distinct characters in one document's text")
                self._cids[char] = cid
            codes += cid.to_bytes(2, "big")
        return bytes(codes)

    def finish(self) -> None:
        """Write the ToUnicode map and the CID→glyph map for every character encoded."""
        self._to_unicode.write(to_unicode_cmap(self._cids))
        # every CID but 0 draws glyph 1: two bytes per CID, CID 0 → glyph 0
        self._cid_to_gid.write(b"\0\0" + b"\0\1" * len(self._cids))


def to_unicode_cmap(cids: dict[str, int]) -> bytes:
    """A ToUnicode CMap mapping each CID to its character in UTF-16BE."""
    entries = [
        f"<{cid:04X}> <{char.encode('utf-16-be').hex().upper()}>"
        for char, cid in sorted(cids.items(), key=lambda item: item[1])
    ]
    body = b""
    for start in range(0, len(entries), _BFCHAR_CHUNK):
        chunk = entries[start : start + _BFCHAR_CHUNK]
        body += f"{len(chunk)} beginbfchar\n".encode() + "\n".join(chunk).encode() + b"\nendbfchar\n"
    return _CMAP_HEADER + body + _CMAP_FOOTER
