"""hOCR 1.2 (XHTML) output, readable by hocr-tools, OCRmyPDF's hOCR renderer and friends."""

from __future__ import annotations

from engines.export.xml_escape import xml_attr, xml_text
from engines.result import BBox, OcrResult


def _bbox(box: BBox | None) -> str:
    box = box or BBox.union([])  # a block or line without words has no box of its own
    return f"bbox {box.x0} {box.y0} {box.x1} {box.y1}"


def to_hocr(result: OcrResult) -> str:
    system = xml_attr(f"ocrgate/{result.engine} {result.engine_version}")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        " <head>",
        "  <title></title>",
        '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        f'  <meta name="ocr-system" content="{system}"/>',
        '  <meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"/>',
        " </head>",
        " <body>",
    ]
    word_id = 0
    for p, page in enumerate(result.pages, start=1):
        title = f'image "{result.source}"; bbox 0 0 {page.width} {page.height}; ppageno {p - 1}'
        if page.rotation:
            title += f"; textangle {page.rotation}"
        out.append(f'  <div class="ocr_page" id="page_{p}" title="{xml_attr(title)}">')
        for b, block in enumerate(page.blocks, start=1):
            out.append(f'   <div class="ocr_carea" id="block_{p}_{b}" title="{_bbox(block.bbox)}">')
            out.append(f'    <p class="ocr_par" id="par_{p}_{b}" title="{_bbox(block.bbox)}">')
            for n, line in enumerate(block.lines, start=1):
                out.append(f'     <span class="ocr_line" id="line_{p}_{b}_{n}" title="{_bbox(line.bbox)}">')
                for word in line.words:
                    word_id += 1
                    conf = round(word.confidence * 100)
                    out.append(
                        f'      <span class="ocrx_word" id="word_{word_id}" '
                        f'title="{_bbox(word.bbox)}; x_wconf {conf}">{xml_text(word.text)}</span>'
                    )
                out.append("     </span>")
            out.append("    </p>")
            out.append("   </div>")
        out.append("  </div>")
    out += [" </body>", "</html>", ""]
    return "\n".join(out)
