"""ALTO v4 XML output (measurements in pixels), as libraries and digitisation tools read it."""

from __future__ import annotations

from engines.export.xml_escape import xml_attr, xml_text
from engines.result import BBox, OcrResult

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"


def _geometry(box: BBox | None) -> str:
    box = box or BBox.union([])  # a block or line without words has no box of its own
    return f'HPOS="{box.x0}" VPOS="{box.y0}" WIDTH="{box.width}" HEIGHT="{box.height}"'


def to_alto(result: OcrResult) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<alto xmlns="{ALTO_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{ALTO_NS} {ALTO_SCHEMA}">',
        "  <Description>",
        "    <MeasurementUnit>pixel</MeasurementUnit>",
        "    <sourceImageInformation>",
        f"      <fileName>{xml_text(result.source)}</fileName>",
        "    </sourceImageInformation>",
        '    <OCRProcessing ID="OCR_0">',
        "      <ocrProcessingStep>",
        "        <processingSoftware>",
        f"          <softwareName>ocrgate/{xml_text(result.engine)}</softwareName>",
        f"          <softwareVersion>{xml_text(result.engine_version)}</softwareVersion>",
        "        </processingSoftware>",
        "      </ocrProcessingStep>",
        "    </OCRProcessing>",
        "  </Description>",
        "  <Layout>",
    ]
    for p, page in enumerate(result.pages, start=1):
        rotation = f' ROTATION="{page.rotation}"' if page.rotation else ""
        size = f'WIDTH="{page.width}" HEIGHT="{page.height}"'
        out.append(f'    <Page ID="page_{p}" PHYSICAL_IMG_NR="{p}" {size}{rotation}>')
        out.append(f'      <PrintSpace HPOS="0" VPOS="0" WIDTH="{page.width}" HEIGHT="{page.height}">')
        for b, block in enumerate(page.blocks, start=1):
            out.append(f'        <TextBlock ID="block_{p}_{b}" {_geometry(block.bbox)}>')
            for n, line in enumerate(block.lines, start=1):
                out.append(f'          <TextLine ID="line_{p}_{b}_{n}" {_geometry(line.bbox)}>')
                for w, word in enumerate(line.words):
                    if w:
                        prev = line.words[w - 1].bbox
                        gap = max(0, word.bbox.x0 - prev.x1)
                        out.append(f'            <SP WIDTH="{gap}" HPOS="{prev.x1}" VPOS="{prev.y0}"/>')
                    out.append(
                        f'            <String CONTENT="{xml_attr(word.text)}" {_geometry(word.bbox)} '
                        f'WC="{word.confidence:.3f}"/>'
                    )
                out.append("          </TextLine>")
            out.append("        </TextBlock>")
        out.append("      </PrintSpace>")
        out.append("    </Page>")
    out += ["  </Layout>", "</alto>", ""]
    return "\n".join(out)
