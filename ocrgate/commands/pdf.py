"""`ocrgate pdf IN --engine NAME -o OUT.pdf`: a searchable PDF from an image or image-only PDF."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engines.options import RecognizeOptions
from engines.registry import get_engine
from kernel.settings import DEFAULT_ENGINE
from ocrgate.commands.ocr import _engine_args
from ocrgate.commands.search import DEFAULT_HELP as DEFAULT_INDEX_HELP
from ocrgate.commands.search import index_target
from pdf.rasterize import RASTER_DPI

#: the resolutions a PDF page may be rendered at for OCR
MIN_DPI, MAX_DPI = 72, 600
#: `--index` without a value: the default index (resolved when the command runs)
DEFAULT_INDEX = "<default>"


def _dpi(value: str) -> int:
    dpi = int(value)
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise argparse.ArgumentTypeError(f"--dpi must be in {MIN_DPI}..{MAX_DPI}, got {dpi}")
    return dpi


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pdf", help="make a searchable PDF (hidden text layer) from an image, TIFF or image-only PDF")
    parser.add_argument("input", type=Path, metavar="IN", help="image (PNG, JPEG, TIFF, ...) or PDF")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="engine name (see `ocrgate engines`)")
    parser.add_argument("--lang", default="eng", help="languages, e.g. eng or eng+deu")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per page")
    parser.add_argument("--dpi", type=_dpi, default=RASTER_DPI,
                        help=f"resolution PDF pages are rendered at for OCR (default {RASTER_DPI})")
    parser.add_argument("--engine-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="engine-specific setting, e.g. psm=6 for tesseract (repeatable)")
    parser.add_argument("--index", nargs="?", const=DEFAULT_INDEX, metavar="DB",
                        help="also add the text to the search index, a database URL or a SQLite file "
                             f"(default: {DEFAULT_INDEX_HELP}); see `ocrgate search`")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pdf.pipeline import make_searchable  # pikepdf loads only when the command runs

    options = RecognizeOptions(languages=args.lang, timeout_seconds=args.timeout,
                               engine_args=_engine_args(args.engine_arg))
    engine = get_engine(args.engine)
    report = make_searchable(args.input, args.output, engine, options, dpi=args.dpi)
    if args.index:
        from search import SearchIndex

        index = index_target(None if args.index == DEFAULT_INDEX else args.index)
        SearchIndex(index).add_pages(str(args.output.resolve()), engine.name, engine.version, report.read)
    skipped = f", {len(report.skipped_pages)} already had text" if report.skipped_pages else ""
    sys.stderr.write(f"ocrgate: {args.output}: {report.pages} page(s), {report.words} words{skipped}\n")
    return 0
