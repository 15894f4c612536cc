"""What the commands that read pages share: engine options, `-` for standard input, `-j` and
progress bars on standard error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from engines.options import Mode, RecognizeOptions
from kernel.errors import OcrgateError, OcrInputError
from kernel.settings import DEFAULT_ENGINE
from ocrgate.commands.common import one_line, seconds, whole

T = TypeVar("T")
R = TypeVar("R")

#: the input name that means standard input, and how messages and outputs name it
STDIN = "-"
STDIN_NAME = "<stdin>"
STDIN_STEM = "stdin"
#: the most pages or inputs read at once with -j
MAX_JOBS = 64


def add_engine_options(parser: argparse.ArgumentParser, per: str) -> None:
    """--engine, --lang, --timeout (seconds per `per`) and --engine-arg."""
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="engine name (see `ocrgate engines`)")
    parser.add_argument("--lang", default="eng", help="languages, e.g. eng or eng+deu")
    parser.add_argument("--timeout", type=seconds, default=120.0, help=f"seconds per {per}")
    parser.add_argument(
        "--engine-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="engine-specific setting, e.g. psm=6 for tesseract (repeatable)",
    )


def add_batch_options(parser: argparse.ArgumentParser, what: str) -> None:
    """-j/--jobs (`what` read at once) and --quiet."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=whole(1, MAX_JOBS),
        default=1,
        metavar="N",
        help=f"{what} read at once (output keeps the input order)",
    )
    add_quiet_option(parser)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no summary on standard error (errors are still shown)",
    )


def recognize_options(args: argparse.Namespace, mode: Mode = "page") -> RecognizeOptions:
    return RecognizeOptions(
        mode=mode, languages=args.lang, timeout_seconds=args.timeout, engine_args=_engine_args(args.engine_arg)
    )


def _engine_args(pairs: list[str]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise OcrInputError(f"--engine-arg expects KEY=VALUE, got {pair!r}")
        parsed[key] = value
    return parsed


def check_inputs(inputs: list[str]) -> None:
    if inputs.count(STDIN) > 1:
        raise OcrInputError(f"{STDIN} (standard input) can be read once only")


def display_name(raw: str) -> str:
    return STDIN_NAME if raw == STDIN else raw


def output_stem(raw: str) -> str:
    """The name an input's output file starts with: the file's name, `stdin` for standard input."""
    return STDIN_STEM if raw == STDIN else Path(raw).name


def error_line(name: str, error: OcrgateError) -> str:
    """One line for a failed input, its name once whether or not the error starts with it."""
    message = str(error)
    return one_line(message if message.startswith(name) else f"{name}: {message}")


def in_order(jobs: int, work: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """`work(item)` for each item, `jobs` at once, yielded in the items' order. With one job the
    work runs here (an interrupt stops it at once); otherwise an interrupt cancels what has not started."""
    if jobs == 1:
        yield from map(work, items)
        return
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        yield from pool.map(work, items)
    finally:
        pool.shutdown(cancel_futures=True)


def read_stdin(limit: int) -> bytes:
    """Standard input's bytes; more than `limit` (the image byte limit) is refused."""
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise OcrInputError(f"{STDIN_NAME}: input is over the {limit}-byte limit (OCRGATE_MAX_IMAGE_BYTES)")
    return data


def output_folder(folder: Path) -> Path:
    """`folder`, made if missing; refused in one line when it is something else."""
    if folder.exists() and not folder.is_dir():
        raise OcrInputError(f"{folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OcrInputError(f"{folder}: cannot make the folder ({exc.strerror or exc})") from exc
    return folder


def shows_progress(args: argparse.Namespace) -> bool:
    """Progress bars go to standard error, only when it is a terminal and --quiet was not given."""
    return not args.quiet and sys.stderr.isatty()


def progress_bar(args: argparse.Namespace, total: int | None, unit: str, enabled: bool = True) -> tqdm:
    return tqdm(
        total=total, unit=unit, file=sys.stderr, disable=not (enabled and shows_progress(args)), dynamic_ncols=True
    )


def say(args: argparse.Namespace, message: str) -> None:
    """A summary line on standard error (not with --quiet), clear of any progress bar."""
    if not args.quiet:
        tqdm.write(f"ocrgate: {message}", file=sys.stderr)
