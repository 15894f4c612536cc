"""CSV for people who open it in a spreadsheet: the one writer every CSV export uses.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets, so text sent by an API caller could run in an analyst's spreadsheet
(CSV injection). Such text cells get a leading apostrophe (OWASP's rule), which spreadsheets show as
text. Numbers are ours and are written as they are; JSON exports keep every value exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """`value`, with a leading apostrophe when it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, object]], fieldnames: Sequence[str]) -> str:
    """`rows` as CSV with a header line, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames))
    writer.writeheader()
    writer.writerows({key: neutralise(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()
