"""`ocrgate pdf IN... -o OUT`: searchable PDFs (a hidden text layer) from images, multi-page TIFFs
or image-only PDFs.

With one input, OUT is the PDF to write, or an existing folder to write OUT/NAME.pdf into. With
several inputs, OUT is a folder (made if missing) and each input becomes OUT/NAME.pdf, NAME being
its file name without the extension (`stdin` for -). `-` reads standard input, up to the image
byte limit. A batch goes on past a bad input; the exit code is the worst one seen.
JavaScript, launch actions and embedded files are removed from PDF input (one line on standard
error says what) unless --keep-active-content.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.registry import get_engine
from kernel.errors import ExitCode, OcrgateError, OcrInputError
from ocrgate.commands.common import whole
from ocrgate.commands.reading import (
    STDIN,
    STDIN_NAME,
    add_batch_options,
    add_engine_options,
    check_inputs,
    display_name,
    error_line,
    in_order,
    output_folder,
    output_stem,
    progress_bar,
    read_stdin,
    recognize_options,
    say,
)
from ocrgate.commands.search import DEFAULT_HELP as DEFAULT_INDEX_HELP
from ocrgate.commands.search import index_target
from pdf.rasterize import RASTER_DPI

if TYPE_CHECKING:
    from tqdm import tqdm

    from pdf.pipeline import PdfReport, Reading
    from search import SearchIndex

#: the resolutions a PDF page may be rendered at for OCR
MIN_DPI, MAX_DPI = 72, 600
#: `--index` without a value: the default index (resolved when the command runs)
DEFAULT_INDEX = "<default>"
PDF_SUFFIX = ".pdf"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pdf",
        help="make searchable PDFs (hidden text layer) from images, TIFFs or image-only PDFs",
        description=__doc__,
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="IN", help="image (PNG, JPEG, TIFF, ...) or PDF; - reads standard input"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="the PDF to write (one input), or a folder for NAME.pdf files",
    )
    add_engine_options(parser, per="page")
    parser.add_argument(
        "--dpi", type=whole(MIN_DPI, MAX_DPI), default=RASTER_DPI, help="resolution PDF pages are rendered at for OCR"
    )
    parser.add_argument(
        "--index",
        nargs="?",
        const=DEFAULT_INDEX,
        metavar="DB",
        help="also add the text to the search index, a database URL or a SQLite file "
        f"(default: {DEFAULT_INDEX_HELP}); see `ocrgate search`",
    )
    parser.add_argument(
        "--keep-active-content",
        action="store_true",
        help="keep a PDF's JavaScript, launch actions and embedded files (removed by default)",
    )
    add_batch_options(parser, "pages (and inputs)")
    parser.set_defaults(func=run)


def plan_outputs(inputs: list[str], output: Path) -> list[tuple[str, Path]]:
    """(input, the PDF it becomes) for each input: `output` itself for one input, unless it is a
    folder; else `output`/NAME.pdf."""
    if len(inputs) == 1 and not output.is_dir():
        return [(inputs[0], output)]
    if not output.is_dir() and output.suffix.lower() == PDF_SUFFIX:
        raise OcrInputError(f"{output}: with several inputs, -o names a folder (each input becomes NAME.pdf in it)")
    output_folder(output)
    plan = [(raw, output / (Path(output_stem(raw)).stem + PDF_SUFFIX)) for raw in inputs]
    first_input: dict[Path, str] = {}
    for raw, target in plan:
        if target in first_input:
            raise OcrInputError(f"{first_input[target]} and {raw} would both be written to {target}")
        first_input[target] = raw
    return plan


class _PageBar:
    """The run's progress bar over pages: its total grows as each input is opened."""

    def __init__(self, bar: tqdm):
        self.bar, self.lock = bar, threading.Lock()

    def planned(self, pages: int) -> None:
        with self.lock:
            self.bar.total = (self.bar.total or 0) + pages
            self.bar.refresh()

    def read(self) -> None:
        with self.lock:
            self.bar.update(1)


@contextmanager
def _stdin_file(data: bytes) -> Iterator[Path]:
    """Standard input as a file (the PDF reader and renderer need one); messages call it <stdin>."""
    with tempfile.TemporaryDirectory(prefix="ocrgate-stdin-") as folder:
        path = Path(folder) / "stdin"
        path.write_bytes(data)
        try:
            yield path
        except OcrgateError as exc:
            exc.args = (str(exc).replace(str(path), STDIN_NAME),)
            raise


def run(args: argparse.Namespace) -> int:
    from pdf.pipeline import Reading  # pikepdf loads only when the command runs

    check_inputs(args.inputs)
    options = recognize_options(args)
    engine = get_engine(args.engine)
    plan = plan_outputs(args.inputs, args.output)
    index = _open_index(args)
    stdin = read_stdin(engine.limits.max_bytes) if STDIN in args.inputs else b""
    worst, failures = ExitCode.OK, 0
    with _page_pool(args.jobs) as pages, progress_bar(args, None, "page") as bar:
        reading = Reading(executor=pages, progress=_PageBar(bar))
        convert = partial(_convert, stdin=stdin, engine=engine, options=options, args=args, reading=reading)
        for (raw, target), outcome in zip(plan, in_order(args.jobs, convert, plan), strict=True):
            if isinstance(outcome, OcrgateError):
                failures += 1
                worst = max(worst, outcome.exit_code)
                bar.write(f"ocrgate: error: {error_line(display_name(raw), outcome)}", file=sys.stderr)
                continue
            if index is not None:
                index.add_pages(str(target.resolve()), engine.name, engine.version, outcome.read)
            _summarise(args, target, outcome)
    if failures and len(plan) > 1:
        sys.stderr.write(f"ocrgate: {failures} of {len(plan)} inputs failed\n")
    return int(worst)


@contextmanager
def _page_pool(jobs: int) -> Iterator[ThreadPoolExecutor | None]:
    """Threads for the pages of every input (None: each input reads its pages one by one)."""
    if jobs == 1:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _convert(
    job: tuple[str, Path],
    *,
    stdin: bytes,
    engine: OcrEngine,
    options: RecognizeOptions,
    args: argparse.Namespace,
    reading: Reading,
) -> PdfReport | OcrgateError:
    """One input's searchable PDF, or the error that stopped it (the batch goes on)."""
    from pdf.pipeline import make_searchable

    raw, target = job

    def make(source: Path) -> PdfReport:
        return make_searchable(
            source, target, engine, options, dpi=args.dpi, reading=reading, keep_active_content=args.keep_active_content
        )

    try:
        if raw != STDIN:
            return make(Path(raw))
        with _stdin_file(stdin) as source:
            return make(source)
    except OcrgateError as exc:
        return exc


def _open_index(args: argparse.Namespace) -> SearchIndex | None:
    """The search index `--index` names, opened before any page is read (a bad one costs no OCR)."""
    if not args.index:
        return None
    from search import SearchIndex

    return SearchIndex(index_target(None if args.index == DEFAULT_INDEX else args.index))


def _summarise(args: argparse.Namespace, target: Path, report: PdfReport) -> None:
    from pdf.sanitize import describe

    skipped = f", {len(report.skipped_pages)} already had text" if report.skipped_pages else ""
    say(args, f"{target}: {report.pages} page(s), {report.words} words{skipped}")
    if report.removed:
        say(args, f"{target}: removed active content: {describe(report.removed)} (--keep-active-content keeps it)")
