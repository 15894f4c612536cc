"""The one exception hierarchy of ocrgate, each failure with its documented exit code.

Every error a user can hit is one of these: the CLI turns it into a one-line
message and the exit code below, the HTTP API into a status code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the `ocrgate` command (documented in the README)."""

    OK = 0
    FAILURE = 1  # an unexpected or engine-side failure
    BAD_INPUT = 2  # the input (image, PDF, option, engine name) is unusable
    UNAVAILABLE = 3  # a required program, language or model is not installed
    TIMEOUT = 4  # an engine ran past its time limit
    CONFLICT = 5  # a concurrent change won: re-read and retry
    REFUSED = 6  # the ramp guard refused the change (override with a reason)


class OcrgateError(Exception):
    """Base of every error ocrgate raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE
    http_status: int = 500


class OcrInputError(OcrgateError):
    """The input cannot be used: empty, truncated, unsupported, too large, or a bad option."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 400


class PdfInputError(OcrInputError):
    """The input PDF cannot be used: malformed, encrypted, too large, or it would not render."""


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


class UnknownGateError(OcrInputError):
    """No gate of that name exists."""

    http_status = 404


class GateConflictError(OcrgateError):
    """The gate changed since the caller read it: nothing was written; re-read and retry."""

    exit_code = ExitCode.CONFLICT
    http_status = 409


class RampRefusedError(OcrgateError):
    """The ramp guard refused a change; `findings` carries the numbers behind the refusal."""

    exit_code = ExitCode.REFUSED
    http_status = 409

    def __init__(self, message: str, findings: list[dict] | None = None):
        super().__init__(message)
        self.findings = findings or []


class AuthError(OcrgateError):
    """Missing, unknown or revoked credentials."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 401


class SettingsError(OcrInputError):
    """An `OCRGATE_*` environment variable holds a value that cannot be used (the message names it)."""
