"""Hostile multi-frame input: frames and pixels are budgeted per input, before any pixel is decoded.

A TIFF, an animated PNG or a PDF can claim many full-size frames in a few kilobytes; the per-frame
limit alone let 20 such frames through (1.6 GB). Every refusal here happens on headers only: a spy
on Pillow's decoder (and on pdftoppm's caller) proves nothing was decoded or rendered.
"""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
import pytest
from PIL import Image, ImageFile, TiffImagePlugin

from imaging import ImageLimits, load_first_page, load_pages
from kernel.errors import OcrInputError, PdfInputError
from kernel.settings import DEFAULT_MAX_IMAGE_FRAMES, DEFAULT_MAX_IMAGE_PIXELS, SettingsError
from pdf.intake import PdfLimits
from pdf.pipeline import make_searchable
from tests.rollout_fixtures import WordEngine

_TIFF_ENTRIES = 9


def tiff_headers(sizes: list[tuple[int, int]]) -> bytes:
    """A little-endian TIFF with one 1-bit, uncompressed frame directory per size, each pointing at
    a single byte of pixel data: headers that claim `sizes`, pixels that are not there."""
    directory = 2 + _TIFF_ENTRIES * 12 + 4
    data_at = 8 + len(sizes) * directory
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for index, (width, height) in enumerate(sizes):
        following = 8 + (index + 1) * directory if index + 1 < len(sizes) else 0
        out += struct.pack("<H", _TIFF_ENTRIES)
        for tag, kind, value in ((256, 4, width), (257, 4, height), (258, 3, 1), (259, 3, 1), (262, 3, 0),
                                 (273, 4, data_at), (277, 3, 1), (278, 4, height), (279, 4, 1)):
            out += struct.pack("<HHII", tag, kind, 1, value) if kind == 4 else struct.pack("<HHIHH", tag, kind, 1,
                                                                                            value, 0)
        out += struct.pack("<I", following)
    return bytes(out + b"\x00")


def frames(fmt: str, count: int, size: tuple[int, int] = (100, 100), **kwargs) -> bytes:
    images = [Image.new("L", size, 40 * i % 256) for i in range(count)]
    buffer = io.BytesIO()
    images[0].save(buffer, format=fmt, save_all=True, append_images=images[1:], **kwargs)
    return buffer.getvalue()


class Decoded(Exception):
    """Raised by the spy: pixels were about to be decoded."""


@pytest.fixture
def no_decoding(monkeypatch):
    """Any attempt to decode pixels fails the test (instead of allocating gigabytes)."""
    def refuse(self):
        raise Decoded(f"decoded a {self.size[0]}×{self.size[1]} frame")
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_twenty_full_size_frames_are_refused_before_any_pixel_is_decoded(no_decoding):
    side = int(DEFAULT_MAX_IMAGE_PIXELS ** 0.5)
    data = tiff_headers([(side, side)] * 20)  # each frame within the per-frame limit
    assert len(data) < 10_000
    with pytest.raises(OcrInputError, match="total"):
        load_pages(data)


def test_the_budget_counts_the_frames_that_are_decoded():
    data = frames("TIFF", 5)
    limits = ImageLimits(max_pixels=10_000, max_total_pixels=20_000)
    with pytest.raises(OcrInputError, match="5 frames.* total of 50000 pixels, over the limit of 20000"):
        load_pages(data, limits)
    assert load_first_page(data, limits).width == 100  # one frame needed, one decoded
    assert len(load_pages(data, ImageLimits(max_pixels=10_000, max_total_pixels=50_000))) == 5


def test_a_huge_later_frame_is_refused_on_its_header(no_decoding):
    data = tiff_headers([(10, 10), (30_001, 10)])
    with pytest.raises(OcrInputError, match="30001×10"):
        load_pages(data)


def test_animated_png_frames_count_against_the_budget(no_decoding):
    data = frames("PNG", 6)
    with pytest.raises(OcrInputError, match="6 frames"):
        load_pages(data, ImageLimits(max_total_pixels=50_000))


def test_a_long_chain_of_tiff_directories_is_not_walked_to_its_end(monkeypatch):
    """Pillow counts TIFF frames by walking every directory (quadratic in their number): a 64 MiB
    file holds ~600,000. Intake stops reading directories one past the frame limit."""
    read = []
    original = TiffImagePlugin.ImageFileDirectory_v2.load

    def counting_load(self, fp):
        read.append(1)
        return original(self, fp)

    monkeypatch.setattr(TiffImagePlugin.ImageFileDirectory_v2, "load", counting_load)
    data = tiff_headers([(8, 8)] * 20_000)
    with pytest.raises(OcrInputError, match=f"over the limit of {DEFAULT_MAX_IMAGE_FRAMES} frames"):
        load_pages(data)
    assert len(read) <= 2 * (DEFAULT_MAX_IMAGE_FRAMES + 2)  # each directory is read once walking, once selected


def test_the_budgets_are_settings(monkeypatch):
    data = frames("TIFF", 3)
    monkeypatch.setenv("OCRGATE_MAX_TOTAL_PIXELS", "25000")
    with pytest.raises(OcrInputError, match="over the limit of 25000"):
        load_pages(data)
    monkeypatch.setenv("OCRGATE_MAX_TOTAL_PIXELS", "30000")
    assert len(load_pages(data)) == 3
    monkeypatch.setenv("OCRGATE_MAX_IMAGE_FRAMES", "2")
    with pytest.raises(OcrInputError, match="over the limit of 2 frames"):
        load_pages(data)
    monkeypatch.setenv("OCRGATE_MAX_TOTAL_PIXELS", "lots")
    with pytest.raises(SettingsError, match="OCRGATE_MAX_TOTAL_PIXELS must be a whole number"):
        load_pages(data)


def blank_pdf(path, pages: int, side_points: float = 612.0):
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page(page_size=(side_points, side_points))
        pdf.save(path)
    return path


def test_a_pdf_over_its_render_budget_is_refused_before_any_page_is_rendered(tmp_path, monkeypatch):
    import pdf.rasterize

    rendered = []
    run = pdf.rasterize.subprocess.run

    def recording_run(*args, **kwargs):
        rendered.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(pdf.rasterize.subprocess, "run", recording_run)
    source, out = blank_pdf(tmp_path / "in.pdf", 12), tmp_path / "out.pdf"
    # a 612-pt page at 100 dpi is 850×850 = 722,500 pixels; twelve of them, 8,670,000
    limits = PdfLimits(max_total_pixels=8_000_000)
    with pytest.raises(PdfInputError, match="12 pages would render to 8670000 pixels at 100 dpi, over the limit "
                                            "of 8000000"):
        make_searchable(source, out, WordEngine("w", "x"), dpi=100, pdf_limits=limits)
    assert rendered == [] and not out.exists()


def test_the_pdf_render_budget_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("OCRGATE_MAX_PDF_PIXELS", "1000000")
    assert PdfLimits.from_env().max_total_pixels == 1_000_000
    source, out = blank_pdf(tmp_path / "in.pdf", 2), tmp_path / "out.pdf"
    with pytest.raises(PdfInputError, match="OCRGATE_MAX_PDF_PIXELS"):
        make_searchable(source, out, WordEngine("w", "x"), dpi=100)
    monkeypatch.delenv("OCRGATE_MAX_PDF_PIXELS")
    assert make_searchable(source, out, WordEngine("w", "x"), dpi=100).pages == 2


def forms_pdf(path, depth: int, copies: int, text_at: int | None = None):
    """One page drawing a chain of `depth` Form XObjects, each drawing the next `copies` times; the
    form at `text_at` (if any) shows text."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(100, 100))
        following = None
        for level in reversed(range(depth)):
            names = {f"/X{copy}": following for copy in range(copies)} if following is not None else {}
            content = " ".join(f"{name} Do" for name in names) or "0 0 m 1 1 l S"
            if level == text_at:
                content += " BT (found) Tj ET"
            form = pdf.make_stream(content.encode(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                   BBox=[0, 0, 10, 10], Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(names)))
            following = form
        page = pdf.pages[0]
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({"/F": following}))
        page.obj.Contents = pdf.make_stream(b"/F Do")
        pdf.save(path)
    return path


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """Counts the content streams pdf.intake parses (and stops a run that would never end)."""
    from pdf import intake

    calls: list[int] = []
    original = pikepdf.parse_content_stream

    def counting(holder):
        calls.append(1)
        assert len(calls) < 10_000, "content streams parsed over and over"
        return original(holder)

    monkeypatch.setattr(intake.pikepdf, "parse_content_stream", counting)
    return calls


def test_forms_that_draw_each_other_many_times_are_read_once_per_depth(tmp_path, parsed):
    """Found by benchmarks/fuzz_intake.py: 12 forms each drawing the next 12 times made the
    search for existing text parse 12^8 content streams (a hang)."""
    from pdf import intake

    with intake.open_pdf(forms_pdf(tmp_path / "forms.pdf", 12, 12)) as pdf:
        assert intake.pages_with_text(pdf) == []
    assert len(parsed) <= 1 + 12 * intake.MAX_FORM_DEPTH
    with intake.open_pdf(forms_pdf(tmp_path / "text.pdf", 12, 12, text_at=5)) as pdf:
        assert intake.pages_with_text(pdf) == [1]


def test_a_content_stream_shared_by_every_page_is_parsed_once(tmp_path, parsed):
    """Found by benchmarks/fuzz_intake.py: 50 pages sharing one content stream that decodes to
    64 MiB parsed it 50 times (15 s)."""
    from pdf import intake

    path = tmp_path / "shared.pdf"
    with pikepdf.new() as pdf:
        shared = pdf.make_stream(b"0 0 m 10 10 l S")
        for _ in range(40):
            pdf.add_blank_page(page_size=(100, 100))
            pdf.pages[-1].obj.Contents = shared
        pdf.add_blank_page(page_size=(100, 100))
        pdf.pages[-1].obj.Contents = pikepdf.Array([shared, pdf.make_stream(b"BT (x) Tj ET")])
        pdf.save(path)
    with intake.open_pdf(path) as pdf:
        assert intake.pages_with_text(pdf) == [41]
    assert len(parsed) == 2


def test_a_content_stream_that_expands_a_thousandfold_is_refused(tmp_path):
    """Found by benchmarks/fuzz_intake.py: a PDF under 200 KB whose content stream inflates to
    hundreds of MiB held that much in memory, once per page that shared it. Decoding stops at
    MAX_DECODED_STREAM_BYTES."""
    from pdf import intake

    packer = zlib.compressobj(9)
    chunks = [packer.compress(b" " * (1 << 20)) for _ in range(3 * intake.MAX_DECODED_STREAM_BYTES >> 20)]
    bomb = b"".join(chunks) + packer.flush()
    path = tmp_path / "bomb.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(100, 100))
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, bomb, Filter=pikepdf.Name.FlateDecode)
        pdf.save(path)
    assert path.stat().st_size < 1 << 20
    with intake.open_pdf(path) as pdf, pytest.raises(PdfInputError, match="at most 64 MiB"):
        intake.pages_with_text(pdf)


def test_an_operator_that_is_not_utf8_is_just_not_a_text_operator(tmp_path):
    """Found by benchmarks/fuzz_intake.py: a content stream operator with a byte that is not UTF-8
    (`T\\xbcj`) raised UnicodeDecodeError instead of being read as an unknown operator."""
    from pdf import intake

    path = tmp_path / "bytes.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(100, 100))
        pdf.add_blank_page(page_size=(100, 100))
        pdf.pages[0].obj.Contents = pdf.make_stream(b"BT (a) T\xbcj ET")
        pdf.pages[1].obj.Contents = pdf.make_stream(b"BT (\xbc) Tj ET")
        pdf.save(path)
    with intake.open_pdf(path) as pdf:
        assert intake.pages_with_text(pdf) == [2]
