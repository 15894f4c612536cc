"""`ocrgate pdf` on a PDF that carries JavaScript, launch actions and embedded files: all of it is
gone from the output, as qpdf, poppler's pdfdetach and pikepdf read it, unless asked to keep it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, NameTree, OutlineItem, String

from tests.conftest import render_text
from tests.pdf.extractors import pdftotext, qpdf_check

#: what marks active content in a PDF's objects, as qpdf's JSON writes names
MARKERS = ("/JavaScript", "/JS", "/Launch", "/AA", "/EF", "/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/XFA")


def hostile_pdf(path: Path) -> Path:
    """An image-only page with every kind of active content in every place it can hide."""
    render_text(["Quarterly invoice", "Total due 12.90"]).save(path, resolution=150)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:

        def script(code: str) -> pikepdf.Object:
            return pdf.make_indirect(Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String(code)))

        def attached(name: str) -> Dictionary:
            payload = pikepdf.Stream(pdf, b"MZ not really a program", Type=Name.EmbeddedFile)
            return Dictionary(Type=Name.Filespec, F=String(name), UF=String(name), EF=Dictionary(F=payload))

        def annotation(subtype: pikepdf.Name, **keys: object) -> pikepdf.Object:
            return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=subtype, Rect=[10, 10, 60, 40], **keys))

        pdf.Root.OpenAction = script("app.alert('opened')")
        pdf.Root.AA = Dictionary(WC=script("app.alert('closing')"))
        scripts, files = NameTree.new(pdf), NameTree.new(pdf)
        scripts["startup"] = script("app.alert('document script')")
        files["payload.exe"] = pdf.make_indirect(attached("payload.exe"))
        pdf.Root.Names = Dictionary(JavaScript=scripts.obj, EmbeddedFiles=files.obj)
        field = annotation(Name.Widget, FT=Name.Tx, T=String("total"), AA=Dictionary(K=script("keystroke")))
        xfa = pikepdf.Stream(pdf, b"<xdp:xdp><script>app.alert('xfa')</script></xdp:xdp>")
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=xfa)
        page = pdf.pages[0]
        page.obj.AA = Dictionary(O=script("app.alert('page open')"))
        page.obj.Annots = pdf.make_indirect(
            Array(
                [
                    annotation(Name.Link, A=Dictionary(S=Name.Launch, F=String("calc.exe"))),
                    annotation(Name.Link, A=script("app.alert('clicked')")),
                    annotation(
                        Name.Link, A=Dictionary(S=Name.URI, URI=String("https://example.com/"), Next=script("chained"))
                    ),
                    annotation(Name.FileAttachment, FS=attached("invoice.exe"), Contents=String("invoice")),
                    field,
                ]
            )
        )
        with pdf.open_outline() as outline:
            outline.root.append(OutlineItem("Start", action=script("app.alert('bookmark')")))
        pdf.save(path)
    return path


def ocrgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=300)


def qpdf_objects(path: Path) -> str:
    """Every object of `path` as qpdf's JSON writes it (names as "/Name", stream data left out)."""
    done = subprocess.run(["qpdf", "--json", str(path)], capture_output=True, text=True, check=True)
    return json.dumps(json.loads(done.stdout)["qpdf"][1])


def pikepdf_names(path: Path) -> set[str]:
    """Every dictionary key and name value of every object in `path`, read back by pikepdf."""
    found: set[str] = set()
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                found.update(obj.keys())
                found.update(str(v) for v in obj.values() if isinstance(v, pikepdf.Name))
    return found


@pytest.fixture
def hostile(tmp_path) -> Path:
    path = hostile_pdf(tmp_path / "hostile.pdf")
    assert all(marker in qpdf_objects(path) for marker in MARKERS)  # the check below can see them
    return path


def test_active_content_is_removed_by_default(hostile, tmp_path):
    out = tmp_path / "out.pdf"
    done = ocrgate("pdf", str(hostile), "-o", str(out), "--engine", "tesseract")
    assert done.returncode == 0, done.stderr
    objects = qpdf_objects(out)
    assert [marker for marker in MARKERS if f'"{marker}"' in objects] == []
    assert not pikepdf_names(out) & set(MARKERS)
    if shutil.which("pdfdetach"):
        listing = subprocess.run(["pdfdetach", "-list", str(out)], capture_output=True, text=True, check=True)
        assert listing.stdout.split()[0] == "0"  # "0 embedded files"
    assert '"https://example.com/"' in objects.replace("u:", "")  # a plain link stays, its script goes
    assert qpdf_check(out).returncode == 0
    assert "Quarterly" in pdftotext(out)  # and the page got its text layer
    said = [line for line in done.stderr.splitlines() if "active content" in line]
    assert len(said) == 1, done.stderr
    for kind in ("JavaScript", "launch", "embedded file", "file attachment", "XFA", "--keep-active-content"):
        assert kind in said[0]


def test_keep_active_content_keeps_it(hostile, tmp_path):
    out = tmp_path / "kept.pdf"
    done = ocrgate("pdf", str(hostile), "-o", str(out), "--engine", "tesseract", "--keep-active-content")
    assert done.returncode == 0, done.stderr
    objects = qpdf_objects(out)
    assert [marker for marker in MARKERS if f'"{marker}"' not in objects] == []
    assert "active content" not in done.stderr
    assert "Quarterly" in pdftotext(out)


def test_a_pdf_without_active_content_says_nothing_of_it(tmp_path):
    source = tmp_path / "plain.pdf"
    render_text(["Nothing to hide"]).save(source, resolution=150)
    done = ocrgate("pdf", str(source), "-o", str(tmp_path / "out.pdf"), "--engine", "tesseract")
    assert done.returncode == 0 and "active content" not in done.stderr, done.stderr
