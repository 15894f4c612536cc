"""The hidden text layer, read back by poppler and pdfminer.six on upright and rotated pages.

Apple Preview cannot run here; pdfminer's layout analysis, pdftotext's default (reading
order) mode and MuPDF rebuild words from glyph positions as Preview does, `pdftotext -raw`
reads the text stream; all must give the engine's words with single spaces.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from engines.result import BBox, Block, Line, Page, Word
from pdf.fonts import GlyphlessFont
from pdf.images import add_image_page, embed_pixels
from pdf.intake import crop_box
from pdf.pipeline import make_searchable
from pdf.rasterize import render_page
from pdf.textlayer import attach_text_layer
from imaging import PageImage
from tests.pdf.conftest import KnownPage, KnownTextEngine
from tests.pdf.extractors import (mupdf_text, pdfminer_pages, pdfminer_text, pdftotext, poppler_pages,
                                  qpdf_check, text_lines)

MIN_IOU = 0.7
ROTATIONS = (0, 90, 180, 270)
#: EXIF orientation that makes a viewer turn the stored image clockwise by the key
EXIF_ORIENTATION = {90: 6, 180: 3, 270: 8}
RASTER_DPI = 300


def assert_searchable(path: Path, lines: list[str], boxes: list[BBox], upright_width: int) -> None:
    """Both tools give `lines` word for word with single spaces, and boxes with IoU ≥ 0.7."""
    check = qpdf_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert text_lines(pdftotext(path)) == lines, "pdftotext (reading order)"
    assert text_lines(pdftotext(path, "-raw")) == lines, "pdftotext -raw"
    assert [line.split() for line in text_lines(pdftotext(path, "-layout"))] == [line.split() for line in lines]
    assert text_lines(pdfminer_text(path)) == lines, "pdfminer layout analysis"
    mupdf = mupdf_text(path)
    assert mupdf is None or text_lines(mupdf) == lines, "MuPDF"
    words = " ".join(lines).split(" ")
    for tool, pages in (("poppler", poppler_pages(path)), ("pdfminer", pdfminer_pages(path))):
        assert [w.text for w in pages[0].words] == words, tool
        for word, got, want in zip(words, pages[0].boxes_in_pixels(upright_width), boxes):
            assert got.iou(want) >= MIN_IOU, f"{tool}: {word!r} at {got}, OCR box {want}"


def sideways(page: KnownPage, rotation: int) -> Image.Image:
    """The page as stored so that turning it clockwise by `rotation` makes it upright."""
    return page.image.rotate(rotation, expand=True) if rotation else page.image.copy()


def from_engine_rotation(tmp_path: Path, page: KnownPage, rotation: int) -> Path:
    source = tmp_path / "in.png"
    sideways(page, rotation).save(source)
    make_searchable(source, tmp_path / "out.pdf", KnownTextEngine(page, rotation))
    return tmp_path / "out.pdf"


def from_exif(tmp_path: Path, page: KnownPage, rotation: int) -> Path:
    source = tmp_path / "in.jpg"
    exif = Image.Exif()
    if rotation:
        exif[0x0112] = EXIF_ORIENTATION[rotation]
    sideways(page, rotation).save(source, quality=90, exif=exif, dpi=(RASTER_DPI, RASTER_DPI))
    make_searchable(source, tmp_path / "out.pdf", KnownTextEngine(page))
    with pikepdf.open(tmp_path / "out.pdf") as pdf:  # the JPEG is embedded as it was
        (image,) = pdf.pages[0].get_images().values()
        assert image.Filter == pikepdf.Name.DCTDecode and image.read_raw_bytes() == source.read_bytes()
    return tmp_path / "out.pdf"


def from_pdf_rotate(tmp_path: Path, page: KnownPage, rotation: int) -> Path:
    source = tmp_path / "in.pdf"
    sideways(page, rotation).save(source, resolution=RASTER_DPI)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = rotation
        pdf.save(source)
    make_searchable(source, tmp_path / "out.pdf", KnownTextEngine(page), dpi=RASTER_DPI)
    return tmp_path / "out.pdf"


@pytest.mark.parametrize("rotation", ROTATIONS)
@pytest.mark.parametrize("make", [from_engine_rotation, from_exif, from_pdf_rotate],
                         ids=["engine-rotation", "exif", "pdf-rotate"])
def test_layer_reads_back_in_place_on_rotated_pages(tmp_path, sample_page, make, rotation):
    path = make(tmp_path, sample_page, rotation)
    assert_searchable(path, sample_page.line_texts, [box for _, box in sample_page.words],
                      sample_page.image.width)


def write_layer(tmp_path: Path, lines: list[list[tuple[str, BBox]]], size=(1200, 400)) -> Path:
    """A blank page with a text layer built straight from `lines` (no engine)."""
    ocr = Page(width=size[0], height=size[1],
               blocks=[Block(lines=[Line(words=[Word(t, b, 1.0) for t, b in line]) for line in lines])])
    with pikepdf.new() as pdf:
        font = GlyphlessFont(pdf)
        image = PageImage(pixels=np.full(size[::-1], 255, dtype=np.uint8), dpi=RASTER_DPI)
        page = add_image_page(pdf, embed_pixels(pdf, image), RASTER_DPI)
        attach_text_layer(page, ocr, font, crop_box(page), 0)
        font.finish()
        pdf.save(tmp_path / "layer.pdf")
    return tmp_path / "layer.pdf"


def test_any_unicode_text_extracts_exactly(tmp_path):
    words = ["naïve", "café", "Straße", "东京", "x²", "€12", "😀ok", "ﬁn"]
    line = [(word, BBox(20 + 140 * i, 100, 20 + 140 * i + 120, 160)) for i, word in enumerate(words)]
    path = write_layer(tmp_path, [line])
    assert qpdf_check(path).returncode == 0
    for tool_text in (pdftotext(path), pdftotext(path, "-raw"), pdfminer_text(path)):
        assert " ".join(words) in tool_text
    mupdf = mupdf_text(path)  # MuPDF spells ligatures out on purpose: ﬁ → fi
    assert mupdf is None or " ".join(words).replace("ﬁ", "fi") in mupdf


def test_touching_and_overlapping_boxes_still_give_one_space(tmp_path):
    # word boxes that touch (gap 0) or overlap: the layer keeps a gap position readers see
    line = [("two", BBox(100, 100, 200, 150)), ("words", BBox(200, 100, 330, 150)),
            ("glued", BBox(325, 100, 450, 150))]
    path = write_layer(tmp_path, [line])
    for text in (pdftotext(path), pdftotext(path, "-raw"), pdfminer_text(path), mupdf_text(path)):
        assert text is None or text_lines(text) == ["two words glued"]


def test_the_font_program_is_a_valid_truetype_font():
    ttlib = pytest.importorskip("fontTools.ttLib")
    from pdf.truetype import GLYPH_ADVANCE, glyphless_font_program

    font = ttlib.TTFont(io.BytesIO(glyphless_font_program()))
    assert font.getGlyphOrder() == [".notdef", "space"]
    assert {advance for advance, _ in font["hmtx"].metrics.values()} == {GLYPH_ADVANCE}


@pytest.mark.parametrize("page_rotate,engine_rotation", [(90, 90), (270, 180), (180, 270)])
def test_pdf_rotate_and_engine_rotation_add_up(tmp_path, sample_page, page_rotate, engine_rotation):
    # stored so that /Rotate shows it still turned, and the engine turns it the rest of the way
    source = tmp_path / "in.pdf"
    sideways(sample_page, (page_rotate + engine_rotation) % 360).save(source, resolution=RASTER_DPI)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = page_rotate
        pdf.save(source)
    make_searchable(source, tmp_path / "out.pdf", KnownTextEngine(sample_page, engine_rotation), dpi=RASTER_DPI)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.pages[0].rotation == (page_rotate + engine_rotation) % 360
    assert_searchable(tmp_path / "out.pdf", sample_page.line_texts, [box for _, box in sample_page.words],
                      sample_page.image.width)


def test_hundreds_of_distinct_characters_map_back(tmp_path):
    # more than one 100-entry ToUnicode section, Greek to CJK
    alphabet = [chr(c) for c in range(0x3B1, 0x3C9)] + [chr(c) for c in range(0x4E00, 0x4F00)]
    words = ["".join(alphabet[i:i + 10]) for i in range(0, len(alphabet), 10)]
    lines = [[(word, BBox(20 + 200 * i, 60 * row + 20, 20 + 200 * i + 180, 60 * row + 70))
              for i, word in enumerate(words[row * 5:row * 5 + 5])] for row in range((len(words) + 4) // 5)]
    path = write_layer(tmp_path, lines, size=(1100, 60 * len(lines) + 40))
    expected = [" ".join(text for text, _ in line) for line in lines]
    assert text_lines(pdftotext(path, "-raw")) == expected
    assert text_lines(pdfminer_text(path)) == expected


def test_the_layer_paints_nothing_even_where_render_mode_3_is_ignored(tmp_path):
    path = write_layer(tmp_path, [[("two", BBox(100, 100, 200, 150)), ("words", BBox(230, 100, 330, 150))]])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for stream in pdf.pages[0].obj.Contents:
            stream.write(stream.read_bytes().replace(b" 3 Tr", b" 0 Tr"))  # fill the glyphs
        pdf.save(path)
    assert text_lines(pdftotext(path)) == ["two words"]
    raster = render_page(path, 1, dpi=RASTER_DPI // 2)
    assert raster.pixels.min() == 255


def test_stray_boxes_and_control_characters_from_an_engine_are_tamed(tmp_path):
    line = [("left\x00", BBox(-80, 100, 90, 150)), ("mid\tdle", BBox(120, 100, 300, 150)),
            ("off", BBox(330, 100, 1500, 150)), ("\x07", BBox(10, 10, 20, 20))]
    path = write_layer(tmp_path, [line])
    assert qpdf_check(path).returncode == 0
    for text in (pdftotext(path), pdftotext(path, "-raw"), pdfminer_text(path)):
        assert text_lines(text) == ["left mid dle off"]
    (page,) = poppler_pages(path)
    assert all(0 <= word.box[0] and word.box[2] <= page.width + 0.01 for word in page.words)
