"""The `ocrgate` command: one sub-command module per area, errors turned into exit codes."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from importlib import import_module

from kernel import __version__
from kernel.errors import ExitCode, OcrgateError

#: the exit status of a command whose output reader went away, as for tools killed by SIGPIPE
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

#: modules that each define `register(subparsers)`; a later area adds its module here
COMMAND_MODULES = (
    "ocrgate.commands.ocr",
    "ocrgate.commands.engines",
    "ocrgate.commands.eval",
    "ocrgate.commands.lab",
    "ocrgate.commands.sets",
    "ocrgate.commands.gate",
    "ocrgate.commands.tokens",
    "ocrgate.commands.users",
    "ocrgate.commands.serve",
    "ocrgate.commands.replay",
    "ocrgate.commands.pdf",
    "ocrgate.commands.search",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message to one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ocrgate: error: {message}\n")
        raise SystemExit(ExitCode.BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ocrgate", description="OCR with pluggable engines, gated rollout and evaluation.")
    parser.add_argument("--version", action="version", version=f"ocrgate {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except OcrgateError as exc:
        sys.stderr.write(f"ocrgate: error: {exc}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("ocrgate: interrupted\n")
        return 130


def _stdout_to_devnull() -> None:
    """After the reader went away, send what is still buffered nowhere (instead of failing again at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # stdout replaced by something without a descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. A reader that stops early (`ocrgate gate show X | head -3`)
    ends the command quietly with 141 (128 + SIGPIPE), as it would end `cat` or `grep`."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows up here, not as a traceback at interpreter exit
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
