"""The result model round-trips through JSON; hOCR and ALTO carry the same words and boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from engines.export import export, to_alto, to_hocr
from engines.result import BBox, Block, Line, OcrResult, Page, Word

ALTO_NS = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
XHTML_NS = {"h": "http://www.w3.org/1999/xhtml"}


def sample_result() -> OcrResult:
    line1 = Line([Word("Total:", BBox(10, 10, 60, 30), 0.9), Word('"$2.70"', BBox(70, 10, 120, 30), 0.55)])
    line2 = Line([Word("a<b&c", BBox(10, 40, 80, 60), 0.99)])
    other = Block([Line([Word("Ünïcödé", BBox(200, 10, 300, 30), 0.7)])])
    page = Page(width=400, height=100, blocks=[Block([line1, line2]), other], rotation=90, dpi=300)
    return OcrResult(engine="fake", engine_version="1.0", pages=[page], elapsed_seconds=0.25, source="x.png")


def test_text_in_reading_order_and_derived_boxes():
    result = sample_result()
    assert result.text == 'Total: "$2.70"\na<b&c\n\nÜnïcödé'
    assert result.pages[0].blocks[0].bbox == BBox(10, 10, 120, 60)
    assert (result.pages[0].source_width, result.pages[0].source_height) == (100, 400)


def test_json_round_trip():
    result = sample_result()
    again = OcrResult.from_dict(json.loads(export(result, "json")))
    assert again == result
    assert json.loads(export(result, "json"))["text"] == result.text


def test_bbox_geometry():
    a, b = BBox(0, 0, 10, 10), BBox(5, 0, 15, 10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.iou(BBox(20, 20, 30, 30)) == 0.0


def test_hocr_structure_and_escaping():
    tree = etree.fromstring(to_hocr(sample_result()).encode())
    words = tree.xpath("//h:span[@class='ocrx_word']", namespaces=XHTML_NS)
    assert [w.text for w in words] == ["Total:", '"$2.70"', "a<b&c", "Ünïcödé"]
    assert words[0].get("title") == "bbox 10 10 60 30; x_wconf 90"
    assert len(tree.xpath("//h:span[@class='ocr_line']", namespaces=XHTML_NS)) == 3
    page = tree.xpath("//h:div[@class='ocr_page']", namespaces=XHTML_NS)[0]
    assert "bbox 0 0 400 100" in page.get("title") and "textangle 90" in page.get("title")


def test_hocr_validates_with_hocr_spec(tmp_path):
    path = tmp_path / "out.hocr"
    path.write_text(to_hocr(sample_result()), encoding="utf-8")
    hocr_spec = Path(sys.executable).with_name("hocr-spec")
    report = subprocess.run([str(hocr_spec), str(path)], capture_output=True, text=True)
    assert "Document is valid" in report.stdout + report.stderr, report.stdout + report.stderr


def test_alto_structure():
    tree = etree.fromstring(to_alto(sample_result()).encode())
    strings = tree.xpath("//a:String", namespaces=ALTO_NS)
    assert [s.get("CONTENT") for s in strings] == ["Total:", '"$2.70"', "a<b&c", "Ünïcödé"]
    first = strings[0]
    assert (first.get("HPOS"), first.get("VPOS"), first.get("WIDTH"), first.get("HEIGHT")) == ("10", "10", "50", "20")
    assert first.get("WC") == "0.900"
    assert tree.xpath("//a:MeasurementUnit/text()", namespaces=ALTO_NS) == ["pixel"]
    assert len(tree.xpath("//a:TextLine/a:SP", namespaces=ALTO_NS)) == 1
    page = tree.xpath("//a:Page", namespaces=ALTO_NS)[0]
    assert (page.get("WIDTH"), page.get("HEIGHT"), page.get("ROTATION")) == ("400", "100", "90")
