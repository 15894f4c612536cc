"""`ocrgate ocr FILE... --engine NAME [--mode] --format [--out DIR] [-j N]`: read images, write results.

A batch goes on past a bad file: each failure is reported on stderr in one line and the
exit code is the worst one seen (2 for bad input). `-` reads standard input. With several
inputs on standard output, `--format json` writes JSON Lines: one compact object per input,
`{"input": NAME, ...the result}` or `{"input": NAME, "error": ..., "exit_code": N}`.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from engines.export import EXPORTERS, EXTENSIONS, export
from engines.options import MODES
from engines.registry import get_engine
from kernel import atomic
from kernel.errors import ExitCode
from kernel.observe import Observation, observe
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
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ocr", help="read text from image files", description=__doc__)
    parser.add_argument("files", nargs="+", metavar="FILE", help="image files; - reads standard input")
    add_engine_options(parser, per="image")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="page",
        help="page: find and read all text; line/word: the image is one line/word",
    )
    parser.add_argument(
        "--format",
        choices=list(EXPORTERS),
        default="text",
        help="output format; json with several inputs on standard output is JSON Lines",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write one file per input into DIR (NAME.txt, .json, .hocr, .alto.xml) instead of printing",
    )
    add_batch_options(parser, "images")
    parser.set_defaults(func=run)


def _json_line(name: str, observation: Observation) -> str:
    if observation.error is not None:
        record: dict[str, Any] = {
            "input": name,
            "error": error_line(name, observation.error),
            "exit_code": int(observation.error.exit_code),
        }
    else:
        record = {"input": name, **observation.value().to_dict()}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def run(args: argparse.Namespace) -> int:
    check_inputs(args.files)
    options = recognize_options(args, mode=args.mode)
    engine = get_engine(args.engine)
    if args.out:
        output_folder(args.out)
    sources = [_stdin_stream(engine.limits.max_bytes) if raw == STDIN else Path(raw) for raw in args.files]
    several = len(args.files) > 1
    json_lines = args.format == "json" and several and not args.out
    worst, failures = ExitCode.OK, 0
    with progress_bar(args, len(sources), "file", enabled=several) as bar:
        observations = in_order(args.jobs, lambda source: observe(engine, source, options), sources)
        for raw, observation in zip(args.files, observations, strict=True):
            bar.update(1)
            name = display_name(raw)
            if observation.error is not None:
                failures += 1
                worst = max(worst, observation.error.exit_code)
                bar.write(f"ocrgate: error: {error_line(name, observation.error)}", file=sys.stderr)
            if json_lines:
                sys.stdout.write(_json_line(name, observation))
            elif observation.error is None:
                _write(args, raw, export(observation.value(), args.format), several)
    if failures and several:
        sys.stderr.write(f"ocrgate: {failures} of {len(args.files)} files failed\n")
    return int(worst)


def _write(args: argparse.Namespace, raw: str, rendered: str, several: bool) -> None:
    if args.out:
        atomic.write_text(args.out / (output_stem(raw) + EXTENSIONS[args.format]), rendered)
        return
    if several and args.format == "text":
        print(f"==> {display_name(raw)} <==")
    sys.stdout.write(rendered)


def _stdin_stream(limit: int) -> io.BytesIO:
    """Standard input, read before any engine starts (so no engine deadline runs while it is typed)."""
    stream = io.BytesIO(read_stdin(limit))
    stream.name = STDIN_NAME  # what intake's messages call it
    return stream
