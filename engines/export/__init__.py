"""One result model, many serializations: text, JSON, hOCR and ALTO."""

from __future__ import annotations

import json
from collections.abc import Callable

from engines.export.alto import to_alto
from engines.export.hocr import to_hocr
from engines.result import OcrResult


def to_text(result: OcrResult) -> str:
    """Plain page text in reading order; pages separated by a form feed."""
    return result.text + "\n"


def to_json(result: OcrResult) -> str:
    """The full result; `OcrResult.from_dict(json.loads(...))` round-trips it."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


EXPORTERS: dict[str, Callable[[OcrResult], str]] = {
    "text": to_text,
    "json": to_json,
    "hocr": to_hocr,
    "alto": to_alto,
}

#: file name extension per format, for `ocrgate ocr --out DIR`
EXTENSIONS: dict[str, str] = {"text": ".txt", "json": ".json", "hocr": ".hocr", "alto": ".alto.xml"}


def export(result: OcrResult, fmt: str) -> str:
    try:
        return EXPORTERS[fmt](result)
    except KeyError:
        from kernel.errors import OcrInputError

        raise OcrInputError(f"unknown output format {fmt!r}; choose one of {', '.join(EXPORTERS)}") from None
