"""`ocrgate ocr FILE... --engine NAME [--mode] --format [--out DIR]`: read images, write results.

A batch goes on past a bad file: each failure is reported on stderr in one line and the
exit code is the worst one seen (2 for bad input).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from engines.export import EXPORTERS, EXTENSIONS, export
from engines.options import MODES, RecognizeOptions
from engines.registry import get_engine
from kernel import atomic
from kernel.errors import ExitCode, OcrgateError, OcrInputError
from kernel.observe import observe
from kernel.settings import DEFAULT_ENGINE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ocr", help="read text from image files")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="engine name (see `ocrgate engines`)")
    parser.add_argument("--mode", choices=MODES, default="page",
                        help="page: find and read all text; line/word: the image is one line/word")
    parser.add_argument("--format", choices=list(EXPORTERS), default="text")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="write one file per input into DIR instead of printing")
    parser.add_argument("--lang", default="eng", help="languages, e.g. eng or eng+deu")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per image")
    parser.add_argument("--engine-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="engine-specific setting, e.g. psm=6 for tesseract (repeatable)")
    parser.set_defaults(func=run)


def _engine_args(pairs: list[str]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise OcrInputError(f"--engine-arg expects KEY=VALUE, got {pair!r}")
        parsed[key] = value
    return parsed


def _one_line(path: Path, error: OcrgateError) -> str:
    message = " ".join(str(error).split())  # one line, whatever the engine put in it
    return message if message.startswith(str(path)) else f"{path}: {message}"


def run(args: argparse.Namespace) -> int:
    options = RecognizeOptions(mode=args.mode, languages=args.lang, timeout_seconds=args.timeout,
                               engine_args=_engine_args(args.engine_arg))
    engine = get_engine(args.engine)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    worst = ExitCode.OK
    failures = 0
    progress = tqdm(args.files, unit="file", disable=not sys.stderr.isatty() or len(args.files) < 2)
    for path in progress:
        progress.set_postfix_str(path.name)
        observation = observe(engine, path, options)
        if observation.error is not None:
            failures += 1
            worst = max(worst, observation.error.exit_code)
            tqdm.write(f"ocrgate: error: {_one_line(path, observation.error)}", file=sys.stderr)
            continue
        rendered = export(observation.value(), args.format)
        if args.out:
            atomic.write_text(args.out / (path.name + EXTENSIONS[args.format]), rendered)
        else:
            if len(args.files) > 1 and args.format == "text":
                print(f"==> {path} <==")
            sys.stdout.write(rendered)
    if failures and len(args.files) > 1:
        sys.stderr.write(f"ocrgate: {failures} of {len(args.files)} files failed\n")
    return int(worst)
