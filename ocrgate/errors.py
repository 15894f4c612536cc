"""The one exception hierarchy of ocrgate, each failure with its documented exit code.

Every error a user can hit is one of these: the CLI turns it into a one-line
message and the exit code below, the HTTP API into a status code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the `ocrgate` command (documented in the README)."""

    OK = 0
    FAILURE = 1          # an unexpected or engine-side failure
    BAD_INPUT = 2        # the input (image, PDF, option, engine name) is unusable
    UNAVAILABLE = 3      # a required program, language or model is not installed
    TIMEOUT = 4          # an engine ran past its time limit


class OcrgateError(Exception):
    """Base of every error ocrgate raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE
    http_status: int = 500


class OcrInputError(OcrgateError):
    """The input cannot be used: empty, truncated, unsupported, too large, or a bad option."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 400


class UnknownEngineError(OcrInputError):
    """No engine is registered under the requested name."""

    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown engine {name!r}; installed engines: {', '.join(known) or 'none'}")
        self.name = name


class EngineUnavailableError(OcrgateError):
    """The engine exists but cannot run here (missing binary, language data or weights)."""

    exit_code = ExitCode.UNAVAILABLE
    http_status = 503


class EngineTimeoutError(OcrgateError):
    """The engine did not answer within its time limit."""

    exit_code = ExitCode.TIMEOUT
    http_status = 504


class EngineFailedError(OcrgateError):
    """The engine crashed or returned output we could not read."""

    exit_code = ExitCode.FAILURE
    http_status = 502
