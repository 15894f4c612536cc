"""The `ocrgate` command: one sub-command module per area, errors turned into exit codes.

Whatever goes wrong ends in one line on standard error: our errors with their exit codes, a file
the system refuses (OSError) with exit 2, anything else as an internal error with exit 1
(`ocrgate --traceback ...` shows its traceback instead).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from importlib import import_module

from kernel import __version__
from kernel.errors import ExitCode, OcrgateError
from ocrgate.commands.common import one_line

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
    "ocrgate.commands.labelling",
    "ocrgate.commands.purge",
    "ocrgate.commands.worker",
)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, unless there is none to show or the help says it;
    descriptions keep their line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        empty = action.default is None or action.default is False or action.default == []
        if empty or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; its message is one line that points to --help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"ocrgate: error: {one_line(message)} (see `{self.prog} --help`)\n")
        raise SystemExit(ExitCode.BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ocrgate", description="OCR with pluggable engines, gated rollout and evaluation.")
    parser.add_argument("--version", action="version", version=f"ocrgate {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="on an unexpected error, show Python's traceback instead of one line"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"ocrgate: error: {one_line(message)}\n")
    return code


def _run(argv: Sequence[str] | None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except OcrgateError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("ocrgate: interrupted\n")
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:
        if args is not None and args.traceback:
            raise
        return _fail(*_explain(exc))


def _explain(exc: Exception) -> tuple[str, int]:
    """A message and exit code for what escaped the command: a file or folder the system refuses,
    a database that cannot be used (--db, --index, OCRGATE_DATABASE_URL), else a bug."""
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc), ExitCode.BAD_INPUT
    database_errors = sys.modules.get("sqlalchemy.exc")  # loaded only by the commands that use a database
    if database_errors is not None and isinstance(exc, database_errors.SQLAlchemyError):
        reason = getattr(exc, "orig", None) or exc
        return (
            f"the database cannot be used: {reason} (check --db, --index or OCRGATE_DATABASE_URL)",
            ExitCode.BAD_INPUT,
        )
    return f"internal error, {type(exc).__name__}: {exc} (rerun with --traceback for details)", ExitCode.FAILURE


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
