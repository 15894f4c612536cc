"""Image-only PDFs in: the original pages kept, refusals clear, never a partial output file."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from engines.result import Page
from imaging import ImageLimits, PageImage
from ocrgate.cli import main
from kernel.errors import EngineFailedError, ExitCode, OcrInputError, PdfInputError
from pdf.intake import PdfLimits
from pdf.pipeline import make_searchable
from tests.pdf.conftest import KnownTextEngine, known_page
from tests.pdf.extractors import pdftotext, poppler_pages, qpdf_check, text_lines

DPI = 150


def image_pdf(path: Path, images: list[Image.Image], **info: str) -> Path:
    images[0].save(path, resolution=DPI, save_all=True, append_images=images[1:])
    if info:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            with pdf.open_metadata() as xmp:
                xmp["dc:title"] = info.get("Title", "")
            for key, value in info.items():
                pdf.docinfo[f"/{key}"] = value
            pdf.save(path)
    return path


def no_output(folder: Path, output: Path) -> bool:
    return not output.exists() and not list(folder.glob("*.part"))


def test_keeps_original_images_and_metadata(tmp_path, sample_page):
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image], Title="Quarterly scan", Author="Ada")
    out = tmp_path / "out.pdf"
    report = make_searchable(source, out, KnownTextEngine(sample_page), dpi=DPI)
    assert (report.pages, report.words) == (1, len(sample_page.words))
    assert qpdf_check(out).returncode == 0
    assert text_lines(pdftotext(out)) == sample_page.line_texts
    assert out.stat().st_mode & 0o777 == source.stat().st_mode & 0o777  # a normal new file, umask applied
    with pikepdf.open(source) as before, pikepdf.open(out) as after:
        raw = [image.read_raw_bytes() for image in before.pages[0].get_images().values()]
        assert [image.read_raw_bytes() for image in after.pages[0].get_images().values()] == raw
        assert str(after.docinfo.Title) == "Quarterly scan" and str(after.docinfo.Author) == "Ada"
        assert after.open_metadata()["dc:title"] == "Quarterly scan"


def test_pages_that_already_have_text_are_left_alone(tmp_path, sample_page):
    first = tmp_path / "first.pdf"
    make_searchable(image_pdf(tmp_path / "in.pdf", [sample_page.image]), first, KnownTextEngine(sample_page), dpi=DPI)
    report = make_searchable(first, tmp_path / "again.pdf", KnownTextEngine(sample_page), dpi=DPI)
    assert report.skipped_pages == [1] and report.words == 0
    assert text_lines(pdftotext(tmp_path / "again.pdf")) == sample_page.line_texts


def test_every_page_of_a_multipage_tiff_and_pdf(tmp_path):
    pages = [known_page(["first page here"]), known_page(["second page words", "and more"])]
    tiff = tmp_path / "in.tif"
    pages[0].image.save(tiff, save_all=True, append_images=[pages[1].image], dpi=(DPI, DPI))

    class PerPage(KnownTextEngine):
        def _read_page(self, image: PageImage, options) -> Page:
            self.page = pages[0] if self.page is None or self.page is pages[1] else pages[1]
            return super()._read_page(image, options)

    for source in (tiff, image_pdf(tmp_path / "in.pdf", [p.image for p in pages])):
        out = tmp_path / f"{source.stem}-{source.suffix[1:]}.pdf"
        assert make_searchable(source, out, PerPage(None), dpi=DPI).pages == 2
        assert qpdf_check(out).returncode == 0
        assert [text_lines(t) for t in pdftotext(out).split("\f")[:2]] == [p.line_texts for p in pages]


@pytest.mark.parametrize("media_margin,crop_margin", [((50, 40, 10, 5), (0, 0, 0, 0)),
                                                    ((0, 0, 0, 0), (30, 20, 25, 15))])
def test_crop_box_offsets_are_honoured(tmp_path, sample_page, media_margin, crop_margin):
    # a MediaBox larger than the image, with a CropBox on the image; or a CropBox sticking out
    # of the MediaBox, which viewers clip to it
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image])
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
        left, bottom, right, top = media_margin
        pdf.pages[0].obj.MediaBox = [x0 - left, y0 - bottom, x1 + right, y1 + top]
        left, bottom, right, top = crop_margin
        pdf.pages[0].obj.CropBox = [x0 - left, y0 - bottom, x1 + right, y1 + top]
        pdf.save(source)
    out = tmp_path / "out.pdf"
    make_searchable(source, out, KnownTextEngine(sample_page), dpi=DPI)
    page = poppler_pages(out)[0]
    boxes = page.boxes_in_pixels(sample_page.image.width)
    assert [w.text for w in page.words] == [text for text, _ in sample_page.words]
    assert min(got.iou(want) for got, (_, want) in zip(boxes, sample_page.words)) >= 0.7


def encrypted(path: Path, user: str) -> Path:
    image_pdf(path, [Image.new("L", (200, 100), 255)])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user=user))
    return path


def truncated(path: Path) -> Path:
    data = image_pdf(path, [Image.new("L", (200, 100), 255)]).read_bytes()
    path.write_bytes(data[:-30])
    return path


def big_page(path: Path) -> Path:
    image_pdf(path, [Image.new("L", (200, 100), 255)])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.MediaBox = [0, 0, 20_000, 500]
        pdf.save(path)
    return path


BAD_PDFS = {
    "garbage": (lambda p: (p.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100), p)[1], "malformed"),
    "truncated": (truncated, "malformed"),
    "no-pdf-at-all": (lambda p: (p.write_bytes(b"%PDF"), p)[1], "not a PDF"),
    "encrypted": (lambda p: encrypted(p, user="secret"), "encrypted"),
    "encrypted-empty-password": (lambda p: encrypted(p, user=""), "encrypted"),
    "page-too-large": (big_page, "over the limit"),
}


@pytest.mark.parametrize("kind", BAD_PDFS)
def test_bad_pdfs_are_refused_and_leave_no_output(tmp_path, kind, sample_page):
    make, message = BAD_PDFS[kind]
    source = make(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    with pytest.raises(PdfInputError, match=message):
        make_searchable(source, out, KnownTextEngine(sample_page))
    assert no_output(tmp_path, out)


def test_too_many_pages_and_too_many_pixels_are_refused(tmp_path, sample_page):
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image] * 3)
    out = tmp_path / "out.pdf"
    with pytest.raises(PdfInputError, match="3 pages, over the limit of 2"):
        make_searchable(source, out, KnownTextEngine(sample_page), pdf_limits=PdfLimits(max_pages=2))
    with pytest.raises(PdfInputError, match="use a lower --dpi"):
        make_searchable(source, out, KnownTextEngine(sample_page), image_limits=ImageLimits(max_pixels=10_000))
    assert no_output(tmp_path, out)


def test_an_engine_failure_midway_leaves_no_output(tmp_path, sample_page):
    class FailsOnPageTwo(KnownTextEngine):
        calls = 0

        def _read_page(self, image, options):
            self.calls += 1
            if self.calls == 2:
                raise EngineFailedError("engine crashed")
            return super()._read_page(image, options)

    source = image_pdf(tmp_path / "in.pdf", [sample_page.image] * 2)
    out = tmp_path / "out.pdf"
    out.write_bytes(b"previous")
    with pytest.raises(EngineFailedError):
        make_searchable(source, out, FailsOnPageTwo(sample_page), dpi=DPI)
    assert out.read_bytes() == b"previous" and not list(tmp_path.glob("*.part"))


def test_cli_exit_code_2_and_one_line_message(tmp_path, capsys):
    source = encrypted(tmp_path / "in.pdf", user="secret")
    out = tmp_path / "out.pdf"
    assert main(["pdf", str(source), "-o", str(out)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith("ocrgate: error:") and "encrypted" in err and "\n" not in err
    assert no_output(tmp_path, out)


def test_the_input_pdf_can_be_its_own_output(tmp_path, sample_page):
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image])
    make_searchable(source, source, KnownTextEngine(sample_page), dpi=DPI)
    assert qpdf_check(source).returncode == 0
    assert text_lines(pdftotext(source)) == sample_page.line_texts


def test_an_unwritable_output_is_a_clear_error(tmp_path, sample_page):
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image])
    (tmp_path / "taken").mkdir()
    with pytest.raises(OcrInputError, match="cannot write the PDF"):
        make_searchable(source, tmp_path / "taken", KnownTextEngine(sample_page), dpi=DPI)
    assert not list(tmp_path.glob("*.part"))


def test_original_content_that_leaves_its_graphics_state_changed_cannot_move_the_layer(tmp_path, sample_page):
    source = image_pdf(tmp_path / "in.pdf", [sample_page.image])
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        (name,) = page.get_images().keys()
        width, height = (float(v) for v in page.mediabox[2:])
        # no q/Q: the image's scaling stays in force after this stream
        page.obj.Contents = pdf.make_stream(f"{width} 0 0 {height} 0 0 cm {name} Do".encode())
        pdf.save(source)
    out = tmp_path / "out.pdf"
    make_searchable(source, out, KnownTextEngine(sample_page), dpi=DPI)
    extracted = poppler_pages(out)[0]
    boxes = extracted.boxes_in_pixels(sample_page.image.width)
    assert min(got.iou(want) for got, (_, want) in zip(boxes, sample_page.words)) >= 0.7


def test_a_page_without_words_is_still_a_valid_pdf(tmp_path):
    blank = known_page(["x"])
    blank.lines = []
    source = tmp_path / "blank.png"
    blank.image.save(source)
    make_searchable(source, tmp_path / "out.pdf", KnownTextEngine(blank))
    assert qpdf_check(tmp_path / "out.pdf").returncode == 0
    assert text_lines(pdftotext(tmp_path / "out.pdf")) == []


def test_rasteriser_missing_or_too_slow(tmp_path, sample_page, monkeypatch):
    from kernel.errors import EngineUnavailableError
    from pdf import rasterize

    source = image_pdf(tmp_path / "in.pdf", [sample_page.image])
    monkeypatch.setattr(rasterize, "PDFTOPPM", "pdftoppm-not-installed")
    with pytest.raises(EngineUnavailableError, match="poppler-utils"):
        rasterize.render_page(source, 1)
    monkeypatch.setattr(rasterize, "PDFTOPPM", "pdftoppm")
    with pytest.raises(PdfInputError, match="took over"):
        rasterize.render_page(source, 1, timeout=0.0001)


def test_bilevel_images_stay_one_bit_and_pixel_exact(tmp_path, sample_page):
    source = tmp_path / "fax.tif"
    sample_page.image.point(lambda v: 255 if v > 127 else 0).convert("1").save(source, dpi=(DPI, DPI))
    out = tmp_path / "out.pdf"
    make_searchable(source, out, KnownTextEngine(sample_page))
    with pikepdf.open(out) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.BitsPerComponent == 1
        decoded = pikepdf.PdfImage(image).as_pil_image().convert("L")
    assert decoded.tobytes() == Image.open(source).convert("L").tobytes()
